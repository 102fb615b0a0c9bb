"""What every webhook source shares: its rejection error and small parsing helpers."""

from __future__ import annotations

import json
from typing import Any


class WebhookRejected(Exception):
    """The request is refused: `status` is the HTTP answer, `code` stable, `message` says what to fix."""

    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def json_body(body: bytes) -> Any:
    try:
        return json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise WebhookRejected(400, "malformed_json", f"The body is not valid JSON: {exc}. Send a JSON object.") from exc


def json_object(body: bytes) -> dict:
    data = json_body(body)
    if not isinstance(data, dict):
        raise WebhookRejected(400, "malformed_json", "The body must be a JSON object.")
    return data


def text(value: Any) -> str | None:
    if value is None:
        return None
    value = str(value).strip()
    return value or None

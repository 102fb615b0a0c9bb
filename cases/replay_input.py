"""Reading a replay file strictly: every malformed file is one error line that says where, never a traceback.

A file is read completely and checked before a single ticket is replayed, so a
file that is broken half-way is refused whole, never half-replayed.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

from cases.webhooks.base import MAX_DEPTH, WebhookRejected, storable_json

MAX_FIELD_CHARS = 100_000  # a ticket field longer than this is not a ticket, it is a mistake


class ReplayError(Exception):
    """The file cannot be replayed; the message names the file and the line/row/item where it went wrong."""

    code = "replay_failed"


def read_text(path: Path) -> str:
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ReplayError(f"{path}: line {line}: not UTF-8 (byte {exc.start}); save the export as UTF-8.") from None
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        raise ReplayError(f"{path}: line {line}: contains a NUL character; this is not a text export.")
    return text


def _json(text: str, where: str) -> Any:
    try:
        return storable_json(json.loads(text))
    except RecursionError:
        raise ReplayError(f"{where}: nested more than {MAX_DEPTH} levels deep.") from None
    except WebhookRejected:
        raise ReplayError(f"{where}: nested more than {MAX_DEPTH} levels deep.") from None
    except json.JSONDecodeError as exc:
        raise ReplayError(f"{where}: not JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}.") from None


def read_json(path: Path, text: str) -> Any:
    """A JSON document, or NDJSON (one JSON object per line); the error names the line."""
    try:
        return _json(text, str(path))
    except ReplayError as whole:
        lines = [(number, line) for number, line in enumerate(text.splitlines(), 1) if line.strip()]
        if len(lines) < 2 or not all(line.lstrip().startswith("{") for _, line in lines):
            raise whole from None
        return [_json(line, f"{path}: line {number}") for number, line in lines]


def read_csv(path: Path, text: str) -> list[dict[str, str]]:
    """CSV rows as dicts; an unclosed quote, a row with more values than columns or no header is an error."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader, None)
        if not header or not any(h.strip() for h in header):
            raise ReplayError(f"{path}: the CSV has no header row (e.g. id,subject,requester email,tags).")
        rows = []
        for row in reader:
            if not any(cell.strip() for cell in row):
                continue
            if len(row) > len(header):
                raise ReplayError(
                    f"{path}: line {reader.line_num}: {len(row)} values for {len(header)} columns; quote values "
                    "that contain commas."
                )
            rows.append(dict(zip(header, row + [""] * (len(header) - len(row)), strict=True)))
    except csv.Error as exc:
        raise ReplayError(f"{path}: line {reader.line_num}: {exc} (an unclosed quote?).") from None
    if not rows:
        raise ReplayError(f"{path}: the CSV has a header but no tickets.")
    return rows


def check_ticket(ticket: Any, where: str) -> dict:
    """A ticket object with an id and no absurdly long field, or the error saying which and where."""
    if not isinstance(ticket, dict):
        raise ReplayError(f"{where}: expected a ticket object, got {type(ticket).__name__}.")
    if ticket.get("id") in (None, ""):
        raise ReplayError(f"{where}: the ticket has no 'id'.")
    for name, value in ticket.items():
        if isinstance(value, str) and len(value) > MAX_FIELD_CHARS:
            raise ReplayError(
                f"{where}: field {name!r} is {len(value):,} characters; at most {MAX_FIELD_CHARS:,} are read."
            )
    return ticket

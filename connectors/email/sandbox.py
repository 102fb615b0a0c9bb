"""The sandbox mail server: an SMTP sink (aiosmtpd) that keeps every message it receives.

Mail sent by `email.send` in sandbox mode lands here, so tests and the demo
can see what was sent and to whom. aiosmtpd is a development dependency;
without it the sandbox runs without a mail sink and says so.
"""

from __future__ import annotations

import copy
import threading
from email import message_from_bytes
from email.policy import default as default_policy
from typing import Any


class MailSink:
    """Holds received messages; the same inspection shape as the HTTP emulators."""

    system = "email"

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.base_url = ""
        self.reset()

    def reset(self) -> None:
        with self.lock:
            self.messages: list[dict[str, Any]] = []

    def state(self) -> dict[str, Any]:
        with self.lock:
            return copy.deepcopy({"messages": self.messages, "requests": len(self.messages)})

    async def handle_DATA(self, server, session, envelope):
        parsed = message_from_bytes(envelope.original_content or envelope.content, policy=default_policy)
        body = parsed.get_body(preferencelist=("plain", "html"))
        with self.lock:
            self.messages.append(
                {
                    "from": envelope.mail_from,
                    "to": list(envelope.rcpt_tos),
                    "subject": str(parsed.get("Subject", "")),
                    "message_id": str(parsed.get("Message-ID", "")),
                    "body": body.get_content() if body is not None else "",
                }
            )
        return "250 Message accepted for delivery"


class MailSinkServer:
    """The sink served by aiosmtpd's threaded Controller."""

    def __init__(self, *, host: str, port: int):
        import logging

        from aiosmtpd.controller import Controller

        logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd logs every connection at INFO
        self.emulator = MailSink()
        self.controller = Controller(self.emulator, hostname=host, port=port)
        self.url = f"smtp://{host}:{port}"
        self.emulator.base_url = self.url

    def start(self) -> MailSinkServer:
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()

"""HTTP hooks emulator: stands in for every named endpoint (status page, paging webhook, ...).

In sandbox mode endpoint `<name>` is `<hooks url>/hooks/<name>`. Every
request is recorded; a repeated `Idempotency-Key` gets the earlier answer
without being recorded again, as a well-behaved webhook receiver would.
`GET /_sandbox/mail` on this server lists what the sandbox SMTP sink received.
"""

from __future__ import annotations

from typing import Any

from connectors.sandbox.server import Emulator, Request, Response


class HooksEmulator(Emulator):
    system = "http"
    mail_sink: Any = None  # set by the runner: the SMTP sink's messages are served at /_sandbox/mail

    def seed(self) -> None:
        self.received: list[dict[str, Any]] = []
        self.answers: dict[str, Response] = {}

    def snapshot(self) -> dict[str, Any]:
        return {"received": self.received}

    def routes(self):
        pattern = r"/hooks/(?P<name>[\w.-]+)(?P<rest>/.*)?"
        return [(method, pattern, self.receive) for method in ("GET", "POST", "PUT", "PATCH", "DELETE")]

    def receive(self, request: Request) -> Response:
        key = request.headers.get("Idempotency-Key")
        if key and key in self.answers:
            earlier = self.answers[key]
            return Response(earlier.status, earlier.body, {"Idempotent-Replayed": "true"})
        try:
            body = request.json()
        except ValueError:
            body = request.body.decode(errors="replace")
        self.received.append(
            {
                "endpoint": request.params["name"],
                "method": request.method,
                "path": request.params.get("rest") or "/",
                "body": body,
                "idempotency_key": key,
            }
        )
        response = Response(200, {"ok": True, "id": len(self.received), "endpoint": request.params["name"]})
        if key:
            self.answers[key] = response
        return response

    def control(self, action: str, request: Request) -> Response:
        if action == "mail" and request.method == "GET" and self.mail_sink is not None:
            return Response(200, self.mail_sink.state())
        return super().control(action, request)

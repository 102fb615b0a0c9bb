"""A team's own systems for declared-tool tests: a billing API and an outage detector over real HTTP.

`ToolServer()` listens on a free 127.0.0.1 port in a thread; `stop()` ends it.
Billing needs `Authorization: Bearer billing-secret`; credits honour
`Idempotency-Key` (a repeated key returns the earlier credit). `fail_next(n)`
answers the next n requests with 503. Every request is recorded in `requests`.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

TOKEN = "billing-secret"
ACCOUNTS = {
    "fraud@acme.example": {"status": "suspended", "suspension_reason": "fraud", "region": "eu-west"},
    "late@acme.example": {"status": "suspended", "suspension_reason": "non-payment", "region": "us-east"},
    "alice@acme.example": {"status": "active", "suspension_reason": None, "region": "eu-west"},
    "bob@acme.example": {"status": "active", "suspension_reason": None, "region": "us-east"},
}
OUTAGES = {"eu-west": 3.0, "us-east": 200.0}  # hours since the region's last outage


class ToolServer:
    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.credits: dict[str, dict[str, Any]] = {}
        self.failures = 0
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                return None

            def _answer(self, status: int, body: Any) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _handle(self) -> None:
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                body = json.loads(raw) if raw else None
                server.requests.append(
                    {
                        "method": self.command,
                        "path": parts.path,
                        "query": {k: v[0] for k, v in parse_qs(parts.query).items()},
                        "body": body,
                        "headers": dict(self.headers),
                    }
                )
                if server.failures > 0:
                    server.failures -= 1
                    return self._answer(503, {"error": "busy"})
                status, answer = server.route(self.command, parts.path, parts.query, body, self.headers)
                self._answer(status, answer)

            do_GET = do_POST = do_PUT = _handle

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def fail_next(self, count: int) -> None:
        self.failures = count

    def route(self, method: str, path: str, query: str, body: Any, headers) -> tuple[int, Any]:
        args = {k: v[0] for k, v in parse_qs(query).items()}
        segments = [unquote(s) for s in path.strip("/").split("/")]
        if segments[0] == "billing":
            if headers.get("Authorization") != f"Bearer {TOKEN}":
                return 401, {"error": "unauthorized"}
            if len(segments) == 4 and segments[1] == "accounts" and segments[3] == "status" and method == "GET":
                account = ACCOUNTS.get(segments[2])
                if account is None:
                    return 404, {"error": f"no account {segments[2]}"}
                link = f"https://pay.example/{segments[2]}"
                return 200, {"account": {**account, "email": segments[2]}, "links": {"payment": link}}
            if len(segments) == 4 and segments[1] == "accounts" and segments[3] == "credits" and method == "POST":
                key = headers.get("Idempotency-Key") or f"anon-{len(self.credits)}"
                if key not in self.credits:
                    self.credits[key] = {
                        "credit_id": f"CR-{len(self.credits) + 1}",
                        "email": segments[2],
                        "amount": (body or {}).get("amount"),
                        "reason": (body or {}).get("reason"),
                    }
                return 201, self.credits[key]
        if segments == ["outages"] and method == "GET":
            hours = float(args.get("hours") or 24)
            since = OUTAGES.get(args.get("region", ""))
            return 200, {"region": args.get("region"), "outage": since is not None and since <= hours,
                         "hours_since_outage": since}  # fmt: skip
        if segments == ["health"]:
            return 200, {"ok": True}
        return 404, {"error": "no such route"}

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)

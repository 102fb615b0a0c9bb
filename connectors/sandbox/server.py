"""The emulator base: a stateful in-memory system behind a ThreadingHTTPServer.

Each emulator (`connectors/<system>/sandbox.py`) subclasses `Emulator`,
declares its routes and keeps its state in plain dicts under one lock. This
module supplies what they share: request parsing, authentication, fault
injection (`faults.py`), a request counter, and the control endpoints used by
tests and the demo:

    GET  /_sandbox/state    the emulator's state as JSON (inspection)
    POST /_sandbox/reset    back to the seed data, faults cleared
    POST /_sandbox/faults   {"error_rate": 0.3, "script": [503, 201], ...}
"""

from __future__ import annotations

import copy
import json
import re
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from connectors.sandbox.faults import Faults


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: Any
    body: bytes = b""
    params: dict[str, str] = field(default_factory=dict)

    def json(self) -> Any:
        if not self.body:
            return {}
        return json.loads(self.body)

    def arg(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[0] if values else default


@dataclass
class Response:
    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)

    def encode(self) -> tuple[bytes, str]:
        if self.body is None:
            return b"", ""
        if isinstance(self.body, bytes):
            return self.body, self.headers.get("Content-Type", "application/octet-stream")
        if isinstance(self.body, str):
            return self.body.encode(), self.headers.get("Content-Type", "text/plain; charset=utf-8")
        return json.dumps(self.body).encode(), "application/json;charset=UTF-8"


Handler = Callable[[Request], Response]


class Emulator:
    """Subclass: set `system`, implement `seed`, `routes`, `authorized`, `error_response`, `snapshot`."""

    system = ""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.faults = Faults()
        self.base_url = ""
        self.requests = 0
        self._routes = [(method, re.compile(pattern + r"$"), fn) for method, pattern, fn in self.routes()]
        self.reset()

    # --- to implement -------------------------------------------------------------------
    def seed(self) -> None:
        raise NotImplementedError

    def routes(self) -> list[tuple[str, str, Handler]]:
        raise NotImplementedError

    def authorized(self, request: Request) -> bool:
        return True

    def error_response(self, status: int, message: str) -> Response:
        return Response(status, {"error": message})

    def snapshot(self) -> dict[str, Any]:
        raise NotImplementedError

    # --- shared -------------------------------------------------------------------------
    def reset(self) -> None:
        with self.lock:
            self.requests = 0
            self.faults.configure()
            self.seed()

    def state(self) -> dict[str, Any]:
        """A deep copy of the emulator's state, safe to read while it keeps serving."""
        with self.lock:
            return copy.deepcopy({**self.snapshot(), "requests": self.requests, "faults": self.faults.snapshot()})

    def handle(self, request: Request) -> Response:
        if request.path.startswith("/_sandbox/"):
            return self._control(request)
        decision = self.faults.decide(request.method)
        with self.lock:
            self.requests += 1
        if decision.latency:
            time.sleep(decision.latency)
        if decision.status is not None and not decision.after:
            return self._fault(decision.status)
        if not self.authorized(request):
            return self.error_response(401, "Authentication required")
        response = self._dispatch(request)
        if decision.status is not None:
            return self._fault(decision.status)
        return response

    def _dispatch(self, request: Request) -> Response:
        allowed = False
        for method, pattern, fn in self._routes:
            match = pattern.match(request.path)
            if not match:
                continue
            if method != request.method:
                allowed = True
                continue
            request.params = match.groupdict()
            with self.lock:
                try:
                    return fn(request)
                except (ValueError, KeyError, TypeError) as exc:
                    return self.error_response(400, f"Bad request: {exc}")
        if allowed:
            return self.error_response(405, f"Method {request.method} not allowed")
        return self.error_response(404, f"No such resource: {request.path}")

    def _fault(self, status: int) -> Response:
        response = self.error_response(status, "Injected fault: service unavailable")
        if status == 429 and self.faults.plan.retry_after is not None:
            response.headers["Retry-After"] = self.faults.plan.retry_after
        return response

    def _control(self, request: Request) -> Response:
        action = request.path.removeprefix("/_sandbox/")
        if action == "state" and request.method == "GET":
            return Response(200, self.state())
        if action == "reset" and request.method == "POST":
            self.reset()
            return Response(200, {"reset": True})
        if action == "faults" and request.method == "POST":
            return Response(200, {"faults": vars(self.faults.configure(**request.json()))})
        return self.control(action, request)

    def control(self, action: str, request: Request) -> Response:
        """Emulator-specific control actions (e.g. the carrier settling a claim)."""
        return Response(404, {"error": f"unknown control action {action!r}"})


class _RequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    emulator: Emulator

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in separate writes; without this, Nagle + delayed ACK add ~40 ms a request.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def _serve(self) -> None:
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        request = Request(
            method=self.command,
            path=parts.path,
            query=parse_qs(parts.query, keep_blank_values=True),
            headers=self.headers,
            body=body,
        )
        try:
            response = self.emulator.handle(request)
        except Exception as exc:
            response = Response(500, {"error": f"emulator error: {exc!r}"})
        payload, content_type = response.encode()
        try:
            self.send_response(response.status)
            for name, value in response.headers.items():
                self.send_header(name, value)
            if content_type and "Content-Type" not in response.headers:
                self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            if payload and self.command != "HEAD":
                self.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the client gave up (e.g. its timeout): nothing to answer

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve

    def log_message(self, format: str, *args: Any) -> None:
        return


class EmulatorServer:
    """One emulator served on host:port in a daemon thread."""

    def __init__(self, emulator: Emulator, *, host: str, port: int):
        handler = type(f"{type(emulator).__name__}Handler", (_RequestHandler,), {"emulator": emulator})
        self.httpd = ThreadingHTTPServer((host, port), handler)
        self.httpd.daemon_threads = True
        self.emulator = emulator
        self.url = f"http://{host}:{self.httpd.server_address[1]}"
        emulator.base_url = self.url
        self.thread = threading.Thread(
            target=self.httpd.serve_forever,
            kwargs={"poll_interval": 0.1},
            name=f"sandbox-{emulator.system}",
            daemon=True,
        )

    def start(self) -> EmulatorServer:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)

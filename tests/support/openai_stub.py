"""pytest plugin: a local OpenAI-compatible server that plays a script of answers.

Tests talk to it through the real `openai` SDK over HTTP, so retries,
timeouts, headers and answer parsing are the SDK's own. Each request takes
the next scripted answer (`reply`, `error`, `slow`); every request body is
recorded so tests can assert on prompts. A request past the end of the
script gets a 400 that says so (400 is not retried, so the failure is quick
and clear).

    def test_something(openai_stub):
        openai_stub.script([reply({"start": "a", ...}), error(500)])
        ...
        assert openai_stub.requests[0].body["messages"][0]["role"] == "system"
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

STUB_MODEL = "stub-model"


@dataclasses.dataclass(frozen=True)
class Answer:
    """One scripted answer. `content` is the message text; `status` != 200 answers with an error body."""

    content: str | None = None
    status: int = 200
    delay: float = 0.0
    refusal: str | None = None
    finish_reason: str = "stop"
    prompt_tokens: int = 100
    completion_tokens: int = 50
    headers: dict[str, str] = dataclasses.field(default_factory=dict)
    error_message: str = ""
    model: str | None = None  # the model named in the response (a server may answer with another one)


def reply(content: dict | str, *, prompt_tokens: int = 100, completion_tokens: int = 50, **kwargs) -> Answer:
    """A successful answer; a dict is sent as its JSON text, a str as is (so it may be non-JSON)."""
    text = content if isinstance(content, str) else json.dumps(content)
    return Answer(content=text, prompt_tokens=prompt_tokens, completion_tokens=completion_tokens, **kwargs)


def error(status: int, message: str = "", *, retry_after_ms: int | None = 1) -> Answer:
    """An HTTP error. `retry_after_ms` keeps the SDK's retries fast (None: the SDK's own backoff)."""
    headers = {"retry-after-ms": str(retry_after_ms)} if retry_after_ms is not None else {}
    return Answer(status=status, headers=headers, error_message=message or f"stub error {status}")


def truncated(partial: str = '{"outcome": "appr', *, completion_tokens: int = 400) -> Answer:
    """An answer cut off at the output limit (`finish_reason: length`), as a looping model leaves it."""
    return Answer(content=partial, finish_reason="length", completion_tokens=completion_tokens)


def context_overflow(prompt_tokens: int = 2704, context_tokens: int = 2048) -> Answer:
    """llama.cpp's 400 for a request larger than the context it was started with."""
    return error(
        400,
        f"request ({prompt_tokens} tokens) exceeds the available context size ({context_tokens} tokens), "
        "try increasing it",
        retry_after_ms=None,
    )


def slow(seconds: float, then: Answer | None = None) -> Answer:
    """An answer that arrives after `seconds` (the client may have given up by then)."""
    return dataclasses.replace(then or reply({}), delay=seconds)


@dataclasses.dataclass(frozen=True)
class Request:
    path: str
    headers: dict[str, str]
    body: dict

    @property
    def messages(self) -> list[dict]:
        return self.body.get("messages", [])

    @property
    def prompt_text(self) -> str:
        """All message contents joined, for assertions on what the model was told."""
        return "\n".join(str(m.get("content", "")) for m in self.messages)


class OpenAIStub:
    """The server: `.script(answers)`, `.requests`, `.url` (the base URL with /v1)."""

    def __init__(self) -> None:
        self.requests: list[Request] = []
        self._script: list[Answer] = []
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._ids = itertools.count(1)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._server.block_on_close = False
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/v1"

    def script(self, answers: list[Answer]) -> None:
        with self._lock:
            self._script = list(answers)

    @property
    def remaining(self) -> int:
        with self._lock:
            return len(self._script)

    def start(self) -> OpenAIStub:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    # --- request handling ---------------------------------------------------------------

    def _record(self, request: Request) -> None:
        with self._lock:
            self.requests.append(request)

    def _next(self, request: Request) -> Answer | None:
        with self._lock:
            self.requests.append(request)
            return self._script.pop(0) if self._script else None

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        stub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format, *args):  # quiet
                pass

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                try:
                    body = json.loads(raw or b"{}")
                except json.JSONDecodeError:
                    body = {"_unparsed": raw.decode(errors="replace")}
                headers = {k.lower(): v for k, v in self.headers.items()}
                if self.path not in ("/v1/chat/completions", "/v1/responses"):
                    self._send(404, {"error": {"message": f"no route {self.path}", "type": "not_found"}})
                    return
                request = Request(path=self.path, headers=headers, body=body)
                if problem := strict_schema_problem(body):
                    stub._record(request)
                    self._send(400, {"error": {"message": problem, "type": "invalid_request_error"}})
                    return
                answer = stub._next(request)
                if answer is None:
                    self._send(
                        400,
                        {"error": {"message": "openai stub: no scripted answer left", "type": "invalid_request_error"}},
                        {"x-should-retry": "false"},
                    )
                    return
                if answer.delay and stub._stopping.wait(answer.delay):
                    return
                if answer.status != 200:
                    payload = {"error": {"message": answer.error_message, "type": "server_error", "code": None}}
                    self._send(answer.status, payload, answer.headers)
                    return
                if self.path == "/v1/responses":
                    self._send(200, stub._response_body(answer, body), answer.headers)
                else:
                    self._send(200, stub._chat_body(answer, body), answer.headers)

            def _send(self, status: int, payload: dict, headers: dict[str, str] | None = None) -> None:
                data = json.dumps(payload).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    for name, value in (headers or {}).items():
                        self.send_header(name, value)
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (a timeout test)

        return Handler

    def _chat_body(self, answer: Answer, request: dict) -> dict:
        return {
            "id": f"chatcmpl-stub-{next(self._ids)}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": answer.model or request.get("model", STUB_MODEL),
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": answer.content, "refusal": answer.refusal},
                    "finish_reason": answer.finish_reason,
                    "logprobs": None,
                }
            ],
            "usage": {
                "prompt_tokens": answer.prompt_tokens,
                "completion_tokens": answer.completion_tokens,
                "total_tokens": answer.prompt_tokens + answer.completion_tokens,
            },
        }

    def _response_body(self, answer: Answer, request: dict) -> dict:
        n = next(self._ids)
        return {
            "id": f"resp-stub-{n}",
            "object": "response",
            "created_at": int(time.time()),
            "model": answer.model or request.get("model", STUB_MODEL),
            "status": "completed",
            "output": [
                {
                    "type": "message",
                    "id": f"msg-stub-{n}",
                    "role": "assistant",
                    "status": "completed",
                    "content": [{"type": "output_text", "text": answer.content or "", "annotations": []}],
                }
            ],
            "usage": {
                "input_tokens": answer.prompt_tokens,
                "output_tokens": answer.completion_tokens,
                "total_tokens": answer.prompt_tokens + answer.completion_tokens,
            },
        }


# Keywords OpenAI's strict structured outputs accept in a schema node.
_STRICT_KEYWORDS = {
    "type", "properties", "required", "additionalProperties", "items", "anyOf", "$ref", "$defs", "enum", "const",
    "description", "title", "pattern", "format", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum",
    "multipleOf", "minItems", "maxItems", "minLength", "maxLength",
}  # fmt: skip


def strict_schema_problem(body: dict) -> str:
    """What OpenAI would reject in a strict `json_schema` response format, as its 400 message would say ("" if fine)."""
    fmt = body.get("response_format") or {}
    if fmt.get("type") != "json_schema" or not fmt.get("json_schema", {}).get("strict"):
        return ""
    problems: list[str] = []

    def check(node: object, path: str) -> None:
        if not isinstance(node, dict):
            return
        for keyword in node:
            if keyword not in _STRICT_KEYWORDS:
                problems.append(f"In context={path}, '{keyword}' is not permitted.")
        if "$ref" in node and len(node) > 1:
            problems.append(f"In context={path}, $ref cannot have keywords {sorted(set(node) - {'$ref'})}.")
        if node.get("type") == "object":
            if node.get("additionalProperties") is not False:
                problems.append(
                    f"In context={path}, 'additionalProperties' is required to be supplied and to be false."
                )
            missing = set(node.get("properties", {})) - set(node.get("required", []))
            if missing:
                problems.append(
                    f"In context={path}, 'required' is required to include every property; missing {sorted(missing)}."
                )
        for name, sub in node.get("properties", {}).items():
            check(sub, f"{path}.properties.{name}")
        for name, sub in node.get("$defs", {}).items():
            check(sub, f"$defs.{name}")
        for i, sub in enumerate(node.get("anyOf", [])):
            check(sub, f"{path}.anyOf.{i}")
        check(node.get("items"), f"{path}.items")

    check(fmt["json_schema"].get("schema", {}), "()")
    return (
        f"Invalid schema for response_format '{fmt['json_schema'].get('name')}': " + " ".join(problems)
        if problems
        else ""
    )


@pytest.fixture
def openai_stub(settings):
    """A running stub; Django settings point the model client at it (key `test-key`, model `stub-model`)."""
    stub = OpenAIStub().start()
    settings.OPENAI_API_KEY = "test-key"
    settings.OPENAI_BASE_URL = stub.url
    settings.SOPDESK_MODEL = STUB_MODEL
    settings.SOPDESK_MODEL_TIMEOUT = 10.0
    try:
        yield stub
    finally:
        stub.stop()

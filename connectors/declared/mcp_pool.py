"""One MCP connection per server per process, reused across calls.

Opening a session costs a process start for stdio servers (seconds) and an
`initialize` round trip for HTTP ones, so each process keeps one open session
per server. All sessions live on one event loop in a daemon thread; a caller
hands a coroutine to that loop and waits for it with the server's timeout.

* A session is opened and closed by its own owner task (the SDK's transports
  must be entered and left in the same task); it stays open until `close`.
* A call that times out, or whose transport broke, closes the session: the
  next call opens a new one (and a read's retry loop does so at once).
* A write first checks a session that has been idle with a ping, so a server
  that went away since the last call costs a reconnect, not a failed write.
* After a fork the child starts with an empty pool (the parent's loop thread
  does not exist there); at exit every session is closed, which stops the
  stdio servers' processes.
* A changed server declaration (another command, URL or secret) gets a new
  session; the old one is closed.
"""

from __future__ import annotations

import asyncio
import atexit
import concurrent.futures
import contextlib
import logging
import os
import threading
import time
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack
from typing import Any, TypeVar

from django.conf import settings

from connectors.base import RetryableError
from connectors.declared.spec import ServerSpec

T = TypeVar("T")
log = logging.getLogger(__name__)
BROKEN = ("ClosedResourceError", "BrokenResourceError", "EndOfStream", "ConnectError", "RemoteProtocolError")
CONNECTION_CLOSED = -32000  # the MCP error code of a request whose connection went away


class _Loop:
    """The process's event loop for MCP sessions, in a daemon thread."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="mcp-sessions", daemon=True)
        self.thread.start()

    def submit(self, coroutine: Awaitable[T]) -> concurrent.futures.Future[T]:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop)  # type: ignore[arg-type]

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)


class Connection:
    """One open session with one server; `call` runs `action(session)` on it."""

    def __init__(self, server: ServerSpec, loop: _Loop, opener: Callable[[ServerSpec, AsyncExitStack], Awaitable[Any]]):
        self.server = server
        self._loop = loop
        self._opener = opener
        self._session: Any = None
        self._stop: asyncio.Event | None = None
        self._owner: concurrent.futures.Future | None = None
        self.last_used = time.monotonic()
        self.closed = False

    def open(self) -> None:
        ready: concurrent.futures.Future = concurrent.futures.Future()
        self._owner = self._loop.submit(self._own(ready))
        try:
            self._session = ready.result(self.server.timeout)
        except concurrent.futures.TimeoutError:
            self.close()
            raise RetryableError(
                f"{self.server.name}: the MCP server did not start within {self.server.timeout:g}s",
                system=self.server.name,
            ) from None
        except BaseException:
            self.close()
            raise

    async def _own(self, ready: concurrent.futures.Future) -> None:
        self._stop = asyncio.Event()
        try:
            async with AsyncExitStack() as stack:
                session = await self._opener(self.server, stack)
                ready.set_result(session)
                await self._stop.wait()
        except BaseException as exc:
            if not ready.done():
                ready.set_exception(exc)
            elif not isinstance(exc, asyncio.CancelledError):
                log.info("MCP session with %s ended: %s", self.server.name, exc)
        finally:
            self.closed = True

    def call(self, action: Callable[[Any], Awaitable[T]], *, timeout: float) -> T:
        """`action(session)` on this session within `timeout`; a timeout or broken transport closes it."""
        result = self._run(action, timeout=timeout)
        self.last_used = time.monotonic()
        return result

    def alive(self, *, timeout: float) -> bool:
        """A ping answered (only asked when the session was idle for a while)."""
        if time.monotonic() - self.last_used <= settings.SOPDESK_MCP_IDLE_PING_SECONDS:
            return True
        try:
            self.call(lambda s: s.send_ping(), timeout=timeout)
        except Exception:
            self.close()
            return False
        return True

    def _run(self, action: Callable[[Any], Awaitable[T]], *, timeout: float) -> T:
        future = self._loop.submit(action(self._session))
        try:
            return future.result(timeout)
        except concurrent.futures.TimeoutError:
            future.cancel()
            self.close()
            raise TimeoutError(f"{self.server.name}: the MCP server did not answer within {timeout:g}s") from None
        except Exception as exc:
            if broken(exc):
                self.close()
            raise

    def close(self, wait: float = 0) -> None:
        """End the session (its owner leaves the transports: a stdio server's process is stopped)."""
        self.closed = True
        stop = self._stop
        if stop is not None:
            self._loop.loop.call_soon_threadsafe(stop.set)
        elif self._owner is not None:
            self._owner.cancel()
        if wait and self._owner is not None:
            with contextlib.suppress(BaseException):  # closing: nothing left to report
                self._owner.result(wait)


def broken(exc: BaseException) -> bool:
    """True when the exception says the session's transport is gone (a new session is needed)."""
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, OSError | ConnectionError | EOFError) or type(exc).__name__ in BROKEN:
            return True
        if getattr(getattr(exc, "error", None), "code", None) == CONNECTION_CLOSED:
            return True
        if isinstance(exc, BaseExceptionGroup):
            return any(broken(e) for e in exc.exceptions)
        exc = exc.__cause__ or exc.__context__  # type: ignore[assignment]
    return False


class Pool:
    def __init__(self) -> None:
        self.pid = os.getpid()
        self._lock = threading.Lock()
        self._loop: _Loop | None = None
        self._connections: dict[str, Connection] = {}

    def connection(self, server: ServerSpec, opener) -> Connection:
        with self._lock:
            current = self._connections.get(server.name)
            if current is not None and not current.closed and current.server == server:
                return current
            if current is not None:
                current.close()
            if self._loop is None:
                self._loop = _Loop()
            connection = Connection(server, self._loop, opener)
            connection.open()
            self._connections[server.name] = connection
            return connection

    def close_all(self, wait: float = 10) -> None:
        with self._lock:
            connections, self._connections = list(self._connections.values()), {}
            loop, self._loop = self._loop, None
        for connection in connections:
            connection.close(wait=wait)
        if loop is not None:
            loop.stop()


_pool: Pool | None = None
_pool_lock = threading.Lock()


def pool() -> Pool:
    """This process's pool; a forked child gets a new one (the parent's loop thread is not in the child)."""
    global _pool
    with _pool_lock:
        if _pool is None or _pool.pid != os.getpid():
            _pool = Pool()
        return _pool


def call(server: ServerSpec, opener, action: Callable[[Any], Awaitable[T]], *, write: bool = False) -> T:
    """`action(session)` on the server's pooled session (opened on first use), bounded by the server's timeout.

    A write is never sent on a session that stopped answering: an idle one is pinged first and replaced."""
    connection = pool().connection(server, opener)
    if write and not connection.alive(timeout=server.timeout):
        connection = pool().connection(server, opener)
    return connection.call(action, timeout=server.timeout)


def close_all() -> None:
    """Close every session of this process (stops stdio servers); the next call opens new ones."""
    current = _pool
    if current is not None and current.pid == os.getpid():
        current.close_all()


atexit.register(close_all)

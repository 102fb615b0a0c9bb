"""Free TCP ports on 127.0.0.1 for the processes sopdesk's commands and tests start (bench, chaos, demo)."""

from __future__ import annotations

import socket


def free_port() -> int:
    """A port nothing listens on right now (the OS picks it)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def free_block(size: int, *, tries: int = 50) -> int:
    """A base port whose next `size` ports are all free right now: the sandbox serves one per system."""
    for _ in range(tries):
        base = free_port()
        if base + size > 65536:
            continue
        try:
            for port in range(base, base + size):
                with socket.socket() as sock:
                    sock.bind(("127.0.0.1", port))
        except OSError:
            continue
        return base
    raise OSError(f"no block of {size} free consecutive ports found on 127.0.0.1")

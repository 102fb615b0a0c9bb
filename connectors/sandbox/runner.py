"""Start and stop every emulator: one port per system, at fixed offsets from a base port.

`start(port=8100)` serves Salesforce on 8100, Jira 8101, Zendesk 8102, the
carrier portal 8103, HTTP hooks 8104 and the SMTP sink 8105 (offsets in
`connectors.config.OFFSETS`). `start(port=0)` finds a free block of six
consecutive ports, for tests. Point connectors at it with
`SOPDESK_SANDBOX_URL=<Sandbox.base_url>`.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from importlib import import_module
from typing import Any

from connectors.config import OFFSETS, sandbox_urls

EMULATORS = {
    "salesforce": "connectors.salesforce.sandbox.SalesforceEmulator",
    "jira": "connectors.jira.sandbox.JiraEmulator",
    "zendesk": "connectors.zendesk.sandbox.ZendeskEmulator",
    "carrier": "connectors.carrier.sandbox.CarrierEmulator",
    "http": "connectors.http.sandbox.HooksEmulator",
}


def _load(dotted: str) -> Any:
    module, _, name = dotted.rpartition(".")
    return getattr(import_module(module), name)


@dataclass
class Sandbox:
    host: str
    port: int
    servers: dict[str, Any] = field(default_factory=dict)

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def urls(self) -> dict[str, str]:
        return sandbox_urls(self.base_url)

    @property
    def emulators(self) -> dict[str, Any]:
        return {system: server.emulator for system, server in self.servers.items()}

    def reset(self) -> None:
        for emulator in self.emulators.values():
            emulator.reset()

    def stop(self) -> None:
        for server in self.servers.values():
            server.stop()
        self.servers.clear()


def _start_at(host: str, port: int) -> Sandbox:
    from connectors.email.sandbox import MailSinkServer
    from connectors.sandbox.server import EmulatorServer

    sandbox = Sandbox(host=host, port=port)
    try:
        for system, dotted in EMULATORS.items():
            server = EmulatorServer(_load(dotted)(), host=host, port=port + OFFSETS[system])
            sandbox.servers[system] = server.start()
        sandbox.servers["email"] = MailSinkServer(host=host, port=port + OFFSETS["email"]).start()
        sandbox.servers["http"].emulator.mail_sink = sandbox.servers["email"].emulator
    except OSError:
        sandbox.stop()
        raise
    return sandbox


def start(*, host: str = "127.0.0.1", port: int = 8100, tries: int = 50) -> Sandbox:
    """Serve every emulator; with port=0, on the first free block of consecutive ports found."""
    if port:
        return _start_at(host, port)
    for _ in range(tries):
        candidate = random.randrange(20000, 60000)
        try:
            return _start_at(host, candidate)
        except OSError:
            continue
    raise OSError(f"no block of {len(OFFSETS)} free consecutive ports found on {host}")

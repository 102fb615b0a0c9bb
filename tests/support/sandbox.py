"""pytest plugin: the sandbox emulators, started once per session on free ports.

Fixtures
--------
``sandbox_servers`` (session)
    A `connectors.sandbox.runner.Sandbox`: every emulator in a thread on a
    block of consecutive free ports. Stopped at the end of the session.

``sandbox`` (function) -> `SandboxHandle`
    Resets every emulator to its seed data with faults cleared, points the
    connectors at it (``settings.SANDBOX_URL``) with instant retries, and gives:

    - ``base_url`` / ``urls[system]``     where the emulators listen
    - ``inspect(system) -> dict``         a copy of an emulator's state
      (salesforce: records[sobject][id]; jira: issues[key], links;
      zendesk: tickets[id] with comments, users; carrier: shipments, claims;
      http: received; email: messages)
    - ``requests(system) -> int``         requests served since the reset
    - ``faults(system, **plan)``          inject faults: latency, error_rate,
      error_status, script=[503, 503, 201], when="before"|"after"|"random", seed
    - ``emulator(system)``                the emulator object (e.g. ``.insert(...)``)
    - ``settle(claim_id, amount)``        the carrier settles a claim
    - ``mail() -> list[dict]``            messages the SMTP sink received
    - ``env() -> dict[str, str]``         environment for a child process
      (django-q2 cluster) to use this same sandbox
"""

from __future__ import annotations

from typing import Any

import pytest

from connectors.sandbox import runner

INSTANT_RETRIES = {"attempts": 6, "base_delay": 0.0, "max_delay": 0.0}


class SandboxHandle:
    def __init__(self, servers: runner.Sandbox):
        self._servers = servers
        self.base_url = servers.base_url
        self.urls = servers.urls

    def emulator(self, system: str) -> Any:
        return self._servers.emulators[system]

    def inspect(self, system: str) -> dict[str, Any]:
        return self.emulator(system).state()

    def requests(self, system: str) -> int:
        return self.inspect(system)["requests"]

    def faults(self, system: str, **plan: Any) -> None:
        self.emulator(system).faults.configure(**plan)

    def settle(self, claim_id: str, amount: float) -> dict[str, Any]:
        return self.emulator("carrier").settle(claim_id, amount).body

    def mail(self) -> list[dict[str, Any]]:
        return self.inspect("email")["messages"]

    def env(self) -> dict[str, str]:
        return {
            "SOPDESK_SANDBOX_URL": self.base_url,
            "SOPDESK_RETRY_ATTEMPTS": str(INSTANT_RETRIES["attempts"]),
            "SOPDESK_RETRY_BASE_DELAY": "0",
            "SOPDESK_RETRY_MAX_DELAY": "0",
        }


@pytest.fixture(scope="session")
def sandbox_servers():
    servers = runner.start(port=0)
    try:
        yield servers
    finally:
        servers.stop()


@pytest.fixture
def sandbox(sandbox_servers, settings) -> SandboxHandle:
    sandbox_servers.reset()
    settings.SANDBOX_URL = sandbox_servers.base_url
    settings.CONNECTOR_RETRY = dict(INSTANT_RETRIES)
    yield SandboxHandle(sandbox_servers)
    sandbox_servers.reset()

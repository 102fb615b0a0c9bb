"""Fault injection for the emulators: latency, a random error rate, and scripted responses.

`script` is consumed one request at a time: an entry >= 400 is answered as an
error, anything else lets the request through (so `[503, 503, 201]` fails
twice, then serves). `writes_only` leaves reads alone. With `when="after"` (or `"random"`, half the time) an
injected error on a write is returned *after* the write is applied: the
response is lost but the remote object exists, which is exactly the case
idempotency keys exist for. Control paths (`/_sandbox/...`) are never faulted.
"""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass, field
from typing import Literal

When = Literal["before", "after", "random"]
WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


@dataclass
class FaultPlan:
    latency: float = 0.0
    error_rate: float = 0.0
    error_status: int = 503
    script: list[int] = field(default_factory=list)
    when: When = "before"
    retry_after: str | None = "0"
    seed: int | None = None
    writes_only: bool = False


@dataclass
class Decision:
    status: int | None = None
    after: bool = False
    latency: float = 0.0


class Faults:
    """Thread-safe fault state for one emulator; counts what it injected."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.configure()

    def configure(self, **options: object) -> FaultPlan:
        plan = FaultPlan(**options)  # type: ignore[arg-type]
        with self._lock:
            self.plan = plan
            self._random = random.Random(plan.seed)
            self.injected = 0
        return plan

    def decide(self, method: str) -> Decision:
        with self._lock:
            plan = self.plan
            status = None
            if plan.writes_only and method not in WRITE_METHODS:
                return Decision(latency=plan.latency)
            if plan.script:
                scripted = plan.script.pop(0)
                status = scripted if scripted >= 400 else None
            elif plan.error_rate and self._random.random() < plan.error_rate:
                status = plan.error_status
            after = False
            if status is not None:
                self.injected += 1
                if method in WRITE_METHODS:
                    after = plan.when == "after" or (plan.when == "random" and self._random.random() < 0.5)
            return Decision(status=status, after=after, latency=plan.latency)

    def snapshot(self) -> dict:
        with self._lock:
            plan = self.plan
            return {
                "latency": plan.latency,
                "error_rate": plan.error_rate,
                "error_status": plan.error_status,
                "script": list(plan.script),
                "when": plan.when,
                "writes_only": plan.writes_only,
                "injected": self.injected,
            }

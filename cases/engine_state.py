"""The engine core's data: the state a run carries between steps, and the effects `plan` returns.

Plain dataclasses, no database: `RunState` is stored as JSON in `Run.state`;
an effect tells the shell what must happen next (see `cases.engine`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from procedures.steps import Graph

STOP = {"key": "stop", "label": "Stop the run here"}


# --- State --------------------------------------------------------------------------


@dataclass
class RunState:
    """What a run carries between steps; stored as JSON in `Run.state`."""

    cursor: str
    visits: dict[str, int] = field(default_factory=dict)
    facts: dict[str, Any] = field(default_factory=dict)
    times: dict[str, str] = field(default_factory=dict)
    event: dict[str, Any] = field(default_factory=dict)
    resolution: dict[str, Any] | None = None
    wake: dict[str, Any] | None = None
    retries: dict[str, int] = field(default_factory=dict)
    # The latest moment this run has observed (a timer's firing time); its clock never runs backwards.
    now_floor: str | None = None
    # After a retryable connector failure: not before this moment (ISO).
    retry_at: str | None = None
    # Steps that did not happen (a reviewer skipped them, or they read what a skipped step never produced): key → why.
    skipped: dict[str, str] = field(default_factory=dict)
    # `save_as` names a skipped step never produced: name → why. Steps reading them are skipped too.
    unavailable: dict[str, str] = field(default_factory=dict)

    @classmethod
    def start(cls, graph: Graph, *, event: dict | None = None) -> RunState:
        return cls(cursor=graph.start, visits={graph.start: 1}, event=event or {})

    @classmethod
    def from_json(cls, data: dict) -> RunState:
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        return cls(**known)

    def to_json(self) -> dict:
        # Each container copied one level deep: the engine replaces values, it never edits one in place.
        # (`dataclasses.asdict` deep-copies every fact, and cost more than the rest of a step.)
        return {
            name: dict(value) if isinstance(value, dict) else value
            for name, value in ((f, getattr(self, f)) for f in self.__dataclass_fields__)
        }

    @property
    def visit(self) -> int:
        return self.visits.get(self.cursor, 1)

    def names(self, case: dict) -> dict[str, Any]:
        """Everything an expression may read: earlier facts, then `case` and `event`."""
        return {**self.facts, "case": case, "event": self.event}

    def pending(self, kind: str) -> dict | None:
        """The resolution or wake meant for the current visit of the current step, if any."""
        value = self.resolution if kind == "resolution" else self.wake
        if value and value.get("step") == self.cursor and value.get("visit") == self.visit:
            return value
        return None


# --- Effects ------------------------------------------------------------------------


@dataclass(frozen=True)
class Goto:
    step_key: str
    next: str | None
    decision: dict | None = None
    facts: dict | None = None
    # Set when the step did not happen: why (recorded on the trace and in `RunState.skipped`).
    skipped: str | None = None


@dataclass(frozen=True)
class CallOperation:
    step_key: str
    operation: str
    params: dict
    writes: bool
    save_as: str | None = None


@dataclass(frozen=True)
class StartTimer:
    step_key: str
    due_at: dt.datetime | None
    for_event: str | None
    kind: str = "delay"


@dataclass(frozen=True)
class Hold:
    step_key: str
    reason: str
    summary: str
    proposal: dict = field(default_factory=dict)
    allowed_outcomes: list = field(default_factory=list)
    role: str = ""


@dataclass(frozen=True)
class End:
    step_key: str
    outcome: str
    case_status: str | None = None
    handoff_role: str | None = None


Effect = Goto | CallOperation | StartTimer | Hold | End

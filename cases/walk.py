"""The engine's functional core walked in memory: no Case, Run or trace row is read or written.

"Try on a sample case" (`cases/tryout.py`) and replay (`cases/replay_core.py`)
both walk a graph this way; they differ only in how a connector call is
answered (`perform`) and in what they note on the way (`observe`). The
persistent shell (`cases/services.py`) applies the same effects with the same
rules, so a walk ends where a dry run of the same case would stop:

- a Goto to no next step ends the run "resolved", an End with its outcome;
  either gets ", partially done" when steps were skipped (unless stopped);
- a StartTimer leaves the run waiting, a Hold leaves it held;
- a call `perform` cannot answer now (a retryable failure) or more than
  `max_steps` effects leave it running, as the shell leaves a run whose retry
  is scheduled.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from cases import engine
from procedures.steps import Graph

MAX_STEPS = 200  # cases.services.MAX_STEPS_PER_ADVANCE

# Answers a connector call with the effect of its result (engine.on_result / on_error), or None to stop running.
Perform = Callable[[engine.CallOperation, engine.RunState], "engine.Effect | None"]
# Sees every effect the walk applies; `called` is True when a connector call produced it.
Observe = Callable[["engine.Effect", bool], None]


@dataclass
class Stop:
    """Where a walk stopped: `status` is completed, waiting, held or running (as `Run.status` would be)."""

    status: str
    state: engine.RunState
    effect: engine.Effect | None = None  # the End, Goto, StartTimer or Hold it stopped on
    outcome: str = ""

    @property
    def step_key(self) -> str:
        return self.state.cursor


def outcome_of(outcome: str, state: engine.RunState) -> str:
    """A run's outcome as `cases.services._finish` records it."""
    return f"{outcome}, partially done" if state.skipped and outcome != "stopped" else outcome


def walk(
    graph: Graph,
    state: engine.RunState,
    case: dict,
    now: dt.datetime,
    *,
    perform: Perform,
    observe: Observe | None = None,
    max_steps: int = MAX_STEPS,
) -> Stop:
    """Plan and apply effects from `state` until the run ends, waits, is held or cannot go on."""
    for _ in range(max_steps):
        at = engine.run_now(state, now)
        effect = engine.plan(graph, state, case, at)
        called = isinstance(effect, engine.CallOperation)
        if called:
            effect = perform(effect, state)
            if effect is None:
                return Stop("running", state)
        if observe is not None:
            observe(effect, called)
        match effect:
            case engine.Goto():
                state = engine.apply_goto(graph, state, effect, at)
                if effect.next is None:
                    return Stop("completed", state, effect, outcome_of("resolved", state))
            case engine.End():
                return Stop("completed", state, effect, outcome_of(effect.outcome, state))
            case engine.StartTimer():
                return Stop("waiting", state, effect)
            case engine.Hold():
                return Stop("held", state, effect)
            case _:
                raise TypeError(f"cannot apply {effect!r}")
    return Stop("running", state)

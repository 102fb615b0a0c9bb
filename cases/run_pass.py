"""One locked pass over a run: every step up to the next connector call, in one transaction.

A pass locks the Run row (`select_for_update` of the run alone; on SQLite the
IMMEDIATE transaction mode serialises writers), then plans and applies steps
until the run must call a connector, waits, is held, ends, or its step budget
is spent. Its trace rows go in with one bulk INSERT and the run with one
UPDATE at the end of the pass. A step that needs a connector call ends the
pass: a write with a STARTED trace row, a read with nothing written
(`cases.run_calls` says why, and how the answer comes back).

What a step would otherwise read costs nothing here: the next sequence number
is `Run.last_sequence + 1`, a write under way is `Run.call_in_flight`, the
graph comes from `cases.graphcache`, and the locking SELECT leaves the
version's graph and source text in the database.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db import transaction

from cases import clock, conf, engine, graphcache, pass_writes, run_stops
from cases.casefacts import case_names
from cases.models import Run, StepExecution
from cases.prepared_query import PreparedGet
from cases.run_calls import Answer, Read
from cases.run_case import tier_learn
from connectors import registry
from connectors.base import ConnectorError, RetryableError

ACTIVE = (Run.Status.PENDING, Run.Status.RUNNING)
# The locking SELECT reads the run, what SOPs read of the case (`cases.casefacts.case_names`), and of the
# version only the graph cache's key: not its graph, source text or compiler output.
CASE_READ = (
    "source",
    "status",
    "subject",
    "description",
    "requester_email",
    "requester_name",
    "account_name",
    "external_id",
    "external_url",
    "priority",
    "facts",
)
VERSION_READ = ("status", "created_at")
RUN_FIELDS = [
    "state",
    "current_step",
    "status",
    "outcome",
    "error",
    "finished_at",
    "last_sequence",
    "call_in_flight",
    "updated_at",
]

Next = Read | StepExecution | None  # what the caller must do after a pass: a read, a started write, or nothing


def idempotency_key(*, run_id: int, step_key: str, visit: int) -> str:
    return f"sopdesk-run{run_id}-{step_key}-{visit}"


@dataclass
class Budget:
    """How many more steps this advance may take (a guard against a graph that loops without waiting)."""

    left: int

    def take(self) -> None:
        self.left -= 1


@dataclass
class Outcome:
    """After a pass: the run as saved, what to do next, and whether the run went on (False: stopped or not ours)."""

    run: Run
    next: Next = None
    went_on: bool = True


_RUN_READ = tuple(f.name for f in Run._meta.concrete_fields)
_LOCKED_RUN = PreparedGet(
    lambda run_id: (
        Run.objects.select_for_update(of=("self",))
        .select_related("case", "version")
        .only(*_RUN_READ, *(f"case__{name}" for name in CASE_READ), *(f"version__{name}" for name in VERSION_READ))
        .filter(id=run_id)
    )
)


def locked_run(run_id: int) -> Run:
    """The run, row-locked, with what SOPs read of its case and the version's cache key (not its graph or source).

    Call inside a transaction. The query is compiled once per thread (`cases.prepared_query`).
    """
    return _LOCKED_RUN.get(run_id)


def pass_run(run_id: int, budget: Budget, answer: Answer | None = None) -> Outcome:
    """One locked pass from where the run is; `answer`: the read the previous pass stopped before, made since."""
    now = clock.now()
    with transaction.atomic():
        run = locked_run(run_id)
        if run.status not in ACTIVE:
            return Outcome(run, went_on=False)
        if run.call_in_flight is not None:
            started = _call_under_way(run)
            if started is not None:
                return Outcome(run, _lease_take(started, now))
        step_pass = Pass(run, now)
        after = step_pass.steps(budget, answer=answer)
        step_pass.save()
        return Outcome(run, after)


def write_complete(
    run_id: int,
    execution: StepExecution,
    result: dict | None,
    error: ConnectorError | None,
    *,
    budget: Budget,
    start_calls: bool = True,
) -> Outcome:
    """Record a write's answer on its STARTED row and take the steps after it, in one locked pass.

    `start_calls=False` stops before the next call instead of returning it.
    """
    with transaction.atomic():
        run = locked_run(run_id)
        if run.call_in_flight != execution.sequence:
            return Outcome(run, went_on=False)  # completed by whoever redid it after our lease ran out
        run.call_in_flight = None
        step_pass = Pass(run, clock.now())
        step_pass.changed = True
        StepExecution.objects.filter(id=execution.id).update(
            status=StepExecution.Status.SUCCEEDED if error is None else StepExecution.Status.FAILED,
            result=result if error is None else None,
            error=_error_text(error),
            finished_at=step_pass.now,
        )
        went_on = run.status in ACTIVE and error is None  # a run cancelled meanwhile takes no further step
        after = None
        if run.status in ACTIVE and error is not None:
            step_pass.call_failed(execution.step_key, error)
        elif went_on and step_pass.apply(step_pass.call_succeeded(execution.step_key, result or {}), recorded=True):
            after = step_pass.steps(budget, start_calls=start_calls)
        step_pass.save()
        return Outcome(run, after, went_on)


def _call_under_way(run: Run) -> StepExecution | None:
    """The STARTED row that `call_in_flight` marks (a mark without one is cleared)."""
    started = StepExecution.objects.filter(
        run=run, sequence=run.call_in_flight, status=StepExecution.Status.STARTED
    ).first()
    if started is None:
        run.call_in_flight = None
        run.save(update_fields=["call_in_flight", "updated_at"])
    return started


def _lease_take(started: StepExecution, now: dt.datetime) -> StepExecution | None:
    """The execution to perform again once its lease has expired; None while another worker may be performing it."""
    if started.started_at > now - dt.timedelta(seconds=conf.step_lease_seconds()):
        return None
    started.attempt += 1
    started.started_at = now
    started.save(update_fields=["attempt", "started_at"])
    return started


class Pass:
    """The steps one transaction takes on a locked run: state in memory, trace rows collected, saved once."""

    def __init__(self, run: Run, now: dt.datetime):
        self.run = run
        self.graph = graphcache.version_graph(run.version)
        self.state = engine.RunState.from_json(run.state) if run.state else engine.RunState.start(self.graph)
        self.now = engine.run_now(self.state, now)
        self.live = run.mode == Run.Mode.LIVE
        self.rows: list[StepExecution] = []
        self.changed = False
        self._names: dict[str, Any] | None = None

    @property
    def case(self) -> dict[str, Any]:
        """The `case` the SOP's expressions read, built once per pass (again after the case changed)."""
        if self._names is None:
            self._names = case_names(self.run.case)
        return self._names

    # --- Stepping ----------------------------------------------------------------------

    def steps(self, budget: Budget, *, answer: Answer | None = None, start_calls: bool = True) -> Next:
        """Plan and apply steps until the run stops or needs a connector call, which is returned.

        `answer` is used if the step it answers is the one planned now, with the same request.
        With `start_calls=False` the pass stops before a call and returns None.
        """
        while budget.left > 0:
            if self.state.retry_at and self.now < dt.datetime.fromisoformat(self.state.retry_at):
                return None  # a retry is scheduled; it is not due yet
            effect, recorded = self.plan()
            if isinstance(effect, engine.CallOperation):
                if answer is not None and answer.read == self._read(effect):
                    effect, answer, recorded = self.answered(answer), None, True
                    if effect is None:
                        return None
                elif not start_calls:
                    return None
                else:
                    budget.take()
                    return self._read(effect) if self._reads(effect) else self.call_start(effect)
            budget.take()
            if not self.apply(effect, recorded=recorded):
                return None
        return None

    def plan(self) -> tuple[engine.Effect, bool]:
        """The next effect, and whether its step's trace row is already recorded.

        A write that a dry or shadow run must not make is recorded as skipped here and
        answered with `engine.dry_run_result`, so the effect returned is what follows it.
        """
        effect = engine.plan(self.graph, self.state, self.case, self.now)
        if not isinstance(effect, engine.CallOperation) or not effect.writes or self.live or self._mocked(effect):
            return effect, False
        self.record(effect.step_key, StepExecution.Status.SKIPPED, request=_request(effect))
        result = engine.dry_run_result(effect.operation)
        return engine.on_result(self.graph, self.state, self.case, effect.step_key, result), True

    def _mocked(self, effect: engine.CallOperation) -> bool:
        # In a dry run a declared operation with a mock answers from it (reads and writes alike); shadow
        # runs read the real systems, because they are compared with what people did on real cases.
        return self.run.mode == Run.Mode.DRY_RUN and registry.get(effect.operation).mock is not None

    def _reads(self, effect: engine.CallOperation) -> bool:
        """No side effect: a read, or a dry run's answer from a mock."""
        return not effect.writes or self._mocked(effect)

    def _read(self, effect: engine.CallOperation) -> Read:
        visit = self.state.visit
        return Read(
            step_key=effect.step_key,
            visit=visit,
            request=_request(effect) | ({"mock": True} if self._mocked(effect) else {}),
            idempotency_key=idempotency_key(run_id=self.run.id, step_key=effect.step_key, visit=visit),
            attempt=self.state.retries.get(f"{effect.step_key}-{visit}", 0) + 1,
        )

    def answered(self, answer: Answer) -> engine.Effect | None:
        """Trace a read made since the last pass and return what follows it (None: retry later, or held)."""
        read = answer.read
        status = StepExecution.Status.SUCCEEDED if answer.error is None else StepExecution.Status.FAILED
        self.record(
            read.step_key,
            status,
            request=read.request,
            result=answer.result if answer.error is None else None,
            error=_error_text(answer.error),
            attempt=read.attempt,
            idempotency_key=read.idempotency_key,
        )
        if answer.error is not None:
            self.call_failed(read.step_key, answer.error)
            return None
        return self.call_succeeded(read.step_key, answer.result or {})

    def call_start(self, effect: engine.CallOperation) -> StepExecution:
        """Trace a write as STARTED with its idempotency key; the caller performs it after this pass commits."""
        visit = self.state.visit
        row = self.record(
            effect.step_key,
            StepExecution.Status.STARTED,
            request=_request(effect),
            attempt=self.state.retries.get(f"{effect.step_key}-{visit}", 0) + 1,
            idempotency_key=idempotency_key(run_id=self.run.id, step_key=effect.step_key, visit=visit),
            finished=False,
        )
        self.run.call_in_flight = row.sequence
        self.run.status = Run.Status.RUNNING
        return row

    def call_succeeded(self, step_key: str, result: dict) -> engine.Effect:
        if self.live and tier_learn(self.run.case, result, self.now):  # never in dry runs and shadow runs
            self._names = None
        return engine.on_result(self.graph, self.state, self.case, step_key, result)

    def call_failed(self, step_key: str, error: ConnectorError) -> None:
        """Retry later if the failure may pass (until the retry limit), else hold the run for a person."""
        self.changed = True
        if isinstance(error, RetryableError):
            retry_key = f"{step_key}-{self.state.visit}"
            self.state.retries[retry_key] = self.state.retries.get(retry_key, 0) + 1
            if self.state.retries[retry_key] < conf.retry_limit():
                delay = error.retry_after or min(300, 5 * 2 ** self.state.retries[retry_key])
                when = self.now + dt.timedelta(seconds=delay)
                self.state.retry_at = when.isoformat()
                self.run.status = Run.Status.RUNNING
                _schedule_retry(self.run.id, when)
                return
        run_stops.hold(self, engine.on_error(self.graph, step_key, error))

    def record(
        self,
        step_key: str,
        status: str,
        *,
        request: dict | None = None,
        decision: dict | None = None,
        result: Any = None,
        error: str = "",
        attempt: int = 1,
        idempotency_key: str = "",
        finished: bool = True,
    ) -> StepExecution:
        """A trace row with the next sequence number, inserted when the pass is saved."""
        self.run.last_sequence += 1
        row = StepExecution(
            run=self.run,
            sequence=self.run.last_sequence,
            step_key=step_key,
            status=status,
            attempt=attempt,
            request=request,
            decision=decision,
            result=result,
            error=error,
            idempotency_key=idempotency_key,
            finished_at=self.now if finished else None,
        )
        self.rows.append(row)
        self.changed = True
        return row

    # --- Applying effects --------------------------------------------------------------

    def apply(self, effect: engine.Effect, *, recorded: bool = False) -> bool:
        """Apply a non-call effect. True: go on with the next step; False: the run stops here.

        `recorded`: the step's trace row already exists (its connector call, or its skipped write).
        """
        self.changed = True
        match effect:
            case engine.Goto():
                if not recorded:
                    skipped = effect.skipped
                    self.record(
                        effect.step_key,
                        StepExecution.Status.SKIPPED if skipped else StepExecution.Status.SUCCEEDED,
                        decision={**(effect.decision or {}), "skipped": skipped} if skipped else effect.decision,
                        result=effect.facts,
                    )
                self.state = engine.apply_goto(self.graph, self.state, effect, self.now)
                if effect.next is None:
                    run_stops.finish(self, engine.End(effect.step_key, "resolved"))
                    return False
                self.run.status = Run.Status.RUNNING
                return True
            case engine.End():
                self.record(effect.step_key, StepExecution.Status.SUCCEEDED, decision={"end": effect.outcome})
                run_stops.finish(self, effect)
            case engine.StartTimer():
                run_stops.wait(self, effect)
            case engine.Hold():
                run_stops.hold(self, effect)
            case _:
                raise TypeError(f"cannot apply {effect!r}")
        return False

    def save(self) -> None:
        """The pass's trace rows in one INSERT, the run in one UPDATE (nothing when nothing happened): `cases.pass_writes`."""
        if not self.changed:
            return
        if self.rows:
            pass_writes.executions_insert(self.rows)
            self.rows = []
        self.run.state = self.state.to_json()
        self.run.current_step = self.state.cursor
        pass_writes.run_update(self.run, RUN_FIELDS)
        self.changed = False


def _request(effect: engine.CallOperation) -> dict:
    return {"operation": effect.operation, "params": effect.params, "writes": effect.writes}


def _error_text(error: ConnectorError | None) -> str:
    return f"{getattr(error, 'code', 'error')}: {error}" if error is not None else ""


def _schedule_retry(run_id: int, when: dt.datetime) -> None:
    from django_q.models import Schedule

    Schedule.objects.create(
        name=f"retry run {run_id} at {when.isoformat()}",
        func="cases.tasks.run_advance_task",
        args=repr((run_id,)),
        schedule_type=Schedule.ONCE,
        repeats=1,
        next_run=when,
    )

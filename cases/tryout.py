"""Try a version on a sample case: walk it on pasted case JSON, entirely in memory.

A dry run leaves no trace outside itself. Nothing is stored: no Case, Run,
StepExecution, Timer, review item, SLA clock or mail. The engine's functional
core (`cases.engine.plan`) runs here against a case built in memory; reads go
to the connected systems (so the walk sees real accounts), every write is only
rendered and shown. Where a live run would stop (a judgement, an approval, a
missing fact, a wait), the dry run stops with a *question*; the person trying
it answers (picks an outcome, enters facts, lets the time pass or has the
event arrive) and the walk continues, so every branch can be walked before
publishing. Between requests the walk travels as a signed token (the run's
state, the case and the path so far), so the server keeps nothing either.

Why not a stored case marked as a sample? Every list, count, sweep and report
would have to remember to exclude it, today and in every feature to come; a
walk that never touches the database cannot leak into any of them.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import asdict, dataclass, field
from typing import Any

from django.core import signing

from cases import clock, engine
from cases.casefacts import case_apply, case_names
from cases.graphreads import ask_coerce
from cases.models import Case
from cases.readable import table_rows
from cases.walk import walk
from cases.webhooks.base import WebhookRejected
from cases.webhooks.generic import parse as parse_generic
from connectors import registry
from connectors.base import ConnectorError
from procedures.models import ProcedureVersion
from procedures.steps import Graph, GraphError, parse

SAMPLE_CASE = {
    "subject": "Export to CSV crashes",
    "description": "Exporting the Q3 report crashes the app.",
    "requester": {"email": "alice@acme.example", "name": "Alice Adams"},
    "tags": ["product-bug"],
    "url": "https://sandbox.zendesk.com/agent/tickets/1",
    "fields": {},
    "attachments": [],
}
TOKEN_SALT = "sopdesk.cases.tryout"
TOKEN_MAX_AGE = 24 * 3600
MAX_STEPS = 200
YOU = "you (dry run)"


class TryError(Exception):
    """The try cannot go on; `message` says what to fix."""

    code = "try_invalid"

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass
class TryStep:
    """One step on the path taken, as the try page and the API show it."""

    step_key: str
    kind: str
    title: str
    status: str  # done | read | would write | skipped | failed | waiting | asked | ended
    instruction: str = ""
    summary: str = ""
    operation: str = ""
    request: dict = field(default_factory=dict)
    result: dict = field(default_factory=dict)
    decision: dict = field(default_factory=dict)
    mock: bool = False  # a declared tool answered from its mock instead of the real system

    @property
    def writes(self) -> bool:
        return self.status == "would write"

    @property
    def request_rows(self) -> list[tuple[str, str]]:
        return table_rows(self.request)

    @property
    def result_rows(self) -> list[tuple[str, str]]:
        return table_rows({k: v for k, v in self.result.items() if k != "dry_run"})

    @property
    def decision_rows(self) -> list[tuple[str, str]]:
        return table_rows(self.decision)


@dataclass
class Question:
    """What the dry run needs from the person trying it before it can go on."""

    step_key: str
    kind: str  # hold | wait
    reason: str
    summary: str
    outcomes: list[dict] = field(default_factory=list)
    asks: list[dict] = field(default_factory=list)
    details: dict = field(default_factory=dict)

    @property
    def details_rows(self) -> list[tuple[str, str]]:
        return table_rows({k: v for k, v in self.details.items() if k not in ("due_at", "for_event", "found")})


@dataclass
class TryOutcome:
    error: str = ""
    status: str = ""  # completed | held | waiting
    outcome: str = ""
    steps: list[TryStep] = field(default_factory=list)
    question: Question | None = None
    token: str = ""

    @property
    def writes(self) -> list[TryStep]:
        return [s for s in self.steps if s.writes]

    def to_json(self) -> dict:
        return {
            "status": self.status,
            "outcome": self.outcome,
            "steps": [asdict(s) for s in self.steps],
            "writes": [{"step_key": s.step_key, "operation": s.operation, "params": s.request} for s in self.writes],
            "question": asdict(self.question) if self.question else None,
            "token": self.token,
        }


# --- Starting and continuing -------------------------------------------------------------------


def _graph(version: ProcedureVersion) -> Graph:
    if not version.graph:
        raise TryError("This version has no compiled graph yet: compile it first.")
    try:
        return parse(version.graph)
    except GraphError as exc:
        raise TryError(f"This version's graph is not valid: {exc}") from exc


def sample_case(sample: str | dict) -> dict:
    """The `case` a dry run's expressions read, built in memory from the sample (the `case` of /api/events/)."""
    if isinstance(sample, str):
        try:
            data = json.loads(sample)
        except json.JSONDecodeError as exc:
            raise TryError(f"The sample is not valid JSON: {exc}.") from exc
    else:
        data = sample
    if not isinstance(data, dict):
        raise TryError("The sample must be a JSON object describing the case.")
    try:
        body = json.dumps({"event": "case.sample", "case": {**data, "source": "api", "external_id": ""}}, default=str)
        (event,) = parse_generic({}, body.encode())
    except WebhookRejected as exc:
        raise TryError(exc.message) from exc
    case = Case(source="api", opened_at=clock.now())  # never saved
    case_apply(case=case, event=event)
    return _plain({**case_names(case), "sample": True})


def version_try(*, version: ProcedureVersion, sample: str | dict) -> TryOutcome:
    """Dry-run `version` on a sample case until it ends or needs an answer. Stores nothing."""
    try:
        graph = _graph(version)
        case = sample_case(sample)
    except TryError as exc:
        return TryOutcome(error=exc.message)
    state = engine.RunState.start(graph, event={"type": "case.sample"})
    return _walk(version, graph, state, case, [], clock.now())


def version_try_continue(
    *, version: ProcedureVersion, token: str, outcome: str, params: dict | None = None
) -> TryOutcome:
    """Answer the question a dry run stopped on (`token` from the previous answer) and walk on."""
    try:
        graph = _graph(version)
        saved = _load(token, version)
        question = Question(**saved["question"])
        state = engine.RunState.from_json(saved["state"])
        now = dt.datetime.fromisoformat(saved["now"])
        steps = [TryStep(**s) for s in saved["steps"]]
        state, now = _answer(graph, state, question, outcome, params or {}, now)
    except TryError as exc:
        return TryOutcome(error=exc.message)
    return _walk(version, graph, state, saved["case"], steps, now)


def _load(token: str, version: ProcedureVersion) -> dict:
    try:
        saved = signing.loads(token, salt=TOKEN_SALT, max_age=TOKEN_MAX_AGE)
    except signing.SignatureExpired as exc:
        raise TryError("This dry run is more than a day old: start it again.") from exc
    except signing.BadSignature as exc:
        raise TryError("This dry run's token is not valid: start it again.") from exc
    if saved.get("version") != version.id:
        raise TryError("This token belongs to a dry run of another version.")
    if not saved.get("question"):
        raise TryError("This dry run has finished: there is nothing to answer.")
    return saved


def _answer(
    graph: Graph, state: engine.RunState, question: Question, outcome: str, params: dict, now: dt.datetime
) -> tuple[engine.RunState, dt.datetime]:
    keys = [o["key"] for o in question.outcomes]
    if outcome not in keys:
        raise TryError(f"Choose one of: {', '.join(keys)}.")
    if question.kind == "wait":
        due = question.details.get("due_at")
        if outcome == "event":
            state.wake = {
                "step": state.cursor,
                "visit": state.visit,
                "by": "event",
                "event": {"type": question.details.get("for_event"), "sample": True},
            }
        else:
            state.wake = {"step": state.cursor, "visit": state.visit, "by": "timer"}
            if due:
                now = max(now, dt.datetime.fromisoformat(due))
                state.now_floor = now.isoformat()
        return state, now
    if question.asks and "facts" in params:
        facts, problems = ask_coerce(question.asks, params.get("facts") or {})
        if problems:
            raise TryError("; ".join(problems) + ".")
        params = {**params, "facts": facts}
    state.resolution = {"step": state.cursor, "visit": state.visit, "outcome": outcome, "params": params, "by": YOU}
    return state, now


# --- The walk ------------------------------------------------------------------------------


def _plain(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str))


def _step_info(graph: Graph, key: str) -> dict:
    step = graph.step(key)
    return {"step_key": key, "kind": step.kind, "title": step.title, "instruction": step.instruction}


def _call(graph: Graph, state: engine.RunState, case: dict, call: engine.CallOperation, steps: list) -> engine.Effect:
    """Perform a read for real, or render a write without sending it; record it on the path."""
    info = _step_info(graph, call.step_key)
    operation = registry.get(call.operation)
    if operation.mock is not None:  # a declared tool with a mock answers dry runs, reads and writes alike
        status = "would write" if call.writes else "read"
        entry = TryStep(
            **info,
            status=status,
            operation=call.operation,
            request=_plain(call.params),
            mock=True,
            summary="Answered by the tool's mock: the real system was not called.",
        )
        steps.append(entry)
        try:
            result = operation.load_mock()(dict(call.params), idempotency_key=None)
        except ConnectorError as exc:
            entry.status, entry.summary = "failed", f"{exc.code}: {exc}"
            return engine.on_error(graph, call.step_key, exc)
        entry.result = _plain(result or {})
        return engine.on_result(graph, state, case, call.step_key, result or {})
    if call.writes:
        steps.append(
            TryStep(
                **info,
                status="would write",
                operation=call.operation,
                request=_plain(call.params),
                summary="Not sent: a dry run only shows what this step would send.",
            )
        )
        return engine.on_result(graph, state, case, call.step_key, engine.dry_run_result(call.operation))
    entry = TryStep(**info, status="read", operation=call.operation, request=_plain(call.params))
    steps.append(entry)
    try:
        result = operation.load_handler()(dict(call.params), idempotency_key=None)
    except ConnectorError as exc:
        entry.status, entry.summary = "failed", f"{exc.code}: {exc}"
        return engine.on_error(graph, call.step_key, exc)
    except Exception as exc:  # a misconfigured connector must not break the page
        entry.status, entry.summary = "failed", f"{type(exc).__name__}: {exc}"
        return engine.Hold(
            call.step_key,
            "action_failed",
            f"{entry.title}: {exc}",
            {"error": str(exc)},
            [{"key": "retry", "label": "Try again"}, engine.STOP],
        )
    entry.result = _plain(result or {})
    return engine.on_result(graph, state, case, call.step_key, result or {})


def _walk(
    version: ProcedureVersion, graph: Graph, state: engine.RunState, case: dict, steps: list[TryStep], now: dt.datetime
) -> TryOutcome:
    def perform(call: engine.CallOperation, state: engine.RunState) -> engine.Effect:
        return _call(graph, state, case, call, steps)

    def observe(effect: engine.Effect, called: bool) -> None:
        if not isinstance(effect, engine.Goto):
            return
        if called and effect.decision:
            steps[-1].decision = _plain(effect.decision)
        elif not called:
            status = "skipped" if effect.skipped else "done"
            steps.append(
                TryStep(
                    **_step_info(graph, effect.step_key),
                    status=status,
                    summary=effect.skipped or "",
                    decision=_plain(effect.decision or {}),
                )
            )

    stop = walk(graph, state, case, now, perform=perform, observe=observe, max_steps=MAX_STEPS)
    match stop.effect:
        case engine.Goto():
            return TryOutcome(status="completed", outcome=stop.outcome, steps=steps)
        case engine.End():
            steps.append(
                TryStep(**_step_info(graph, stop.effect.step_key), status="ended", summary=_end_summary(stop.effect))
            )
            return TryOutcome(status="completed", outcome=stop.outcome, steps=steps)
        case engine.StartTimer():
            question = _wait_question(graph, stop.effect)
            steps.append(TryStep(**_step_info(graph, stop.effect.step_key), status="waiting", summary=question.summary))
            return _stopped(version, stop.state, case, steps, question, now, "waiting")
        case engine.Hold():
            hold = stop.effect
            question = Question(
                step_key=hold.step_key,
                kind="hold",
                reason=hold.reason,
                summary=hold.summary,
                outcomes=[_outcome(o) for o in hold.allowed_outcomes],
                asks=list(hold.proposal.get("ask") or []),
                details=_plain(_details(hold.proposal)),
            )
            steps.append(TryStep(**_step_info(graph, hold.step_key), status="asked", summary=hold.summary))
            return _stopped(version, stop.state, case, steps, question, now, "held")
    return TryOutcome(error=f"The dry run took more than {MAX_STEPS} steps: the SOP may loop.", steps=steps)


def _end_summary(end: engine.End) -> str:
    from cases.services import end_case_status

    status = end_case_status(end)
    text = f"The run ends: {end.outcome.replace('_', ' ')}."
    if end.handoff_role:
        text += f" The case would be handed to {end.handoff_role}."
    if status:
        text += f" The case would be marked {status}."
    return text


def _stopped(version, state, case, steps, question, now, status) -> TryOutcome:
    token = signing.dumps(
        {
            "version": version.id,
            "state": _plain(state.to_json()),
            "case": case,
            "steps": [_plain(asdict(s)) for s in steps],
            "question": _plain(asdict(question)),
            "now": now.isoformat(),
        },
        salt=TOKEN_SALT,
        compress=True,
    )
    return TryOutcome(status=status, steps=steps, question=question, token=token)


def _outcome(outcome: Any) -> dict:
    if isinstance(outcome, dict):
        return {
            "key": outcome["key"],
            "label": outcome.get("label") or outcome["key"],
            "params": list(outcome.get("params") or []),
        }
    return {"key": str(outcome), "label": str(outcome), "params": []}


def _details(proposal: dict) -> dict:
    return {
        k: v for k, v in proposal.items() if k not in ("ask", "expression", "remote_message") and v not in (None, "")
    }


def _wait_question(graph: Graph, timer: engine.StartTimer) -> Question:
    step = graph.step(timer.step_key)
    due = timer.due_at.isoformat() if timer.due_at else None
    outcomes = []
    if timer.for_event:
        outcomes.append({"key": "event", "label": f"{timer.for_event} arrives", "params": []})
    if timer.due_at:
        label = f"The time passes ({step.delay.describe()}, due {timer.due_at:%Y-%m-%d %H:%M} UTC)"
        if getattr(step, "recheck", None):
            label += f", then {step.recheck.operation} is read"
        outcomes.append({"key": "timer", "label": label, "params": []})
    waits = f"for {timer.for_event}" if timer.for_event else ""
    if timer.due_at:
        waits += f"{' or ' if waits else ''}until {timer.due_at:%Y-%m-%d %H:%M} UTC"
    return Question(
        step_key=timer.step_key,
        kind="wait",
        reason="wait",
        summary=f"{step.title}: a live run would wait {waits}.",
        outcomes=outcomes,
        details={"due_at": due, "for_event": timer.for_event},
    )


# --- The try page's form ------------------------------------------------------------------------


def try_form(*, version: ProcedureVersion, data: Any) -> TryOutcome:
    """The try page's POST: a new dry run (`sample`), or an answer (`token`, `outcome`, `fact_<name>`, `param_<name>`)."""
    token = (data.get("token") or "").strip()
    if not token:
        return version_try(version=version, sample=data.get("sample", ""))
    facts = {k[len("fact_") :]: v for k, v in data.items() if k.startswith("fact_") and v not in (None, "")}
    params: dict[str, Any] = {k[len("param_") :]: v for k, v in data.items() if k.startswith("param_") and v}
    if facts:
        params["facts"] = facts
    return version_try_continue(version=version, token=token, outcome=data.get("outcome", ""), params=params)

"""What a pass does when the run stops at a step: it waits, is held for a person, or ends.

Each function records the step's trace row on the pass and sets the run's
status; a live run also gets its timer, its review item, and its case's status
(with the SLA clocks following). Dry runs and shadow runs record the edge and
nothing else: no timer, no inbox item, no case data, no clock.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import TYPE_CHECKING

from django.db import transaction

from cases import engine
from cases.models import Case, ReviewItem, Run, StepExecution, Timer
from cases.run_case import case_status, end_case_status
from cases.sla.clocks import sla_on_case_event

if TYPE_CHECKING:
    from cases.run_pass import Pass


def wait(step_pass: Pass, effect: engine.StartTimer) -> None:
    run, now = step_pass.run, step_pass.now
    due_at = effect.due_at.isoformat() if effect.due_at else None
    step_pass.record(
        effect.step_key, StepExecution.Status.WAITING, decision={"due_at": due_at, "for_event": effect.for_event}
    )
    run.status = Run.Status.WAITING
    if not step_pass.live:
        return  # no timer of a dry or shadow run ever fires
    if effect.due_at:
        Timer.objects.create(
            run=run,
            step_key=effect.step_key,
            kind=effect.kind,
            due_at=effect.due_at,
            payload={"visit": step_pass.state.visit, "for_event": effect.for_event},
        )
    if effect.for_event:
        case_status(run.case_id, Case.Status.WAITING, now)


def hold(step_pass: Pass, effect: engine.Hold) -> None:
    run = step_pass.run
    step_pass.record(effect.step_key, StepExecution.Status.HELD, decision=asdict(effect))
    run.status = Run.Status.HELD
    if not step_pass.live:
        return  # dry runs and shadow runs record the edge; they do not fill the reviewers' inbox
    item = ReviewItem.objects.create(
        run=run,
        case=run.case,
        step_key=effect.step_key,
        reason=effect.reason,
        summary=effect.summary,
        proposal={**effect.proposal, "visit": step_pass.state.visit},
        allowed_outcomes=effect.allowed_outcomes,
        required_role=effect.role,
    )
    case_status(run.case_id, Case.Status.HELD, step_pass.now)
    _consult(item.id)


def finish(step_pass: Pass, end: engine.End) -> None:
    run, now = step_pass.run, step_pass.now
    run.status = Run.Status.COMPLETED
    run.outcome = end.outcome
    if step_pass.state.skipped and end.outcome != "stopped":
        run.outcome = f"{end.outcome}, partially done"
        run.error = "Not done: " + "; ".join(step_pass.state.skipped.values())
    run.finished_at = now
    if not step_pass.live:
        return
    case = run.case
    status = end_case_status(end)
    if status and status != Case.Status.OPEN:
        case_status(case.id, status, now)
    elif case.status in (Case.Status.HELD, Case.Status.WAITING):
        case_status(case.id, Case.Status.OPEN, now)
    if end.handoff_role:
        ReviewItem.objects.create(
            run=run,
            case=case,
            step_key=end.step_key,
            reason=ReviewItem.Reason.JUDGEMENT,
            summary=f"The SOP hands this case to {end.handoff_role}.",
            proposal={"handoff": end.handoff_role},
            allowed_outcomes=[{"key": "done", "label": "Taken over"}],
            required_role=end.handoff_role,
        )
        Case.objects.filter(id=case.id).update(queue=end.handoff_role)
        sla_on_case_event(case=Case.objects.get(id=case.id), event_kind="updated", now=now)  # the queue picks policies


def _consult(item_id: int) -> None:
    """Ask for a proposal on a new hold (precedents, then the model): `cases.judgements.hold_consult`."""
    from django_q.tasks import async_task

    transaction.on_commit(
        lambda: async_task("cases.judgements.hold_consult_task", item_id, group="hold_consult", save=False)
    )

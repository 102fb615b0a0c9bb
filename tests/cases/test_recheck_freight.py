"""Follow-ups look before they chase: the freight claim's waits read carrier.claim_status when their timer fires.

The reference freight-claim SOP as the rules compiler compiles it: each
"wait until N days after filing, unless claim.settled" step carries the
`recheck` below, run on the sandbox carrier portal in-process. The carrier
settles without sending any event.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from cases.models import Case, Run, StepExecution
from cases.services import run_advance, run_start
from cases.timers import timers_sweep
from procedures.compiler.rules import compile_rules
from tests.factories import CaseFactory, ProcedureVersionFactory

pytestmark = pytest.mark.django_db

SOP = Path(__file__).parent / "fixtures" / "freight_claim.md"
RECHECK = {
    "operation": "carrier.claim_status",
    "params": {"carrier": "{{ shipment.carrier }}", "claim_id": "{{ claim.claim_id }}"},
    "save_as": "settlement",
    "until": "settlement.settled",
}
FIELDS = {
    "tracking_number": "1Z0000000000001200",
    "carrier": "UPS",
    "ship_date": "2026-11-02",
    "declared_value": "1200.00",
    "claim_amount": "1200.00",
}


def freight_graph() -> dict:
    """The compiled reference SOP; every settlement wait reads the carrier before following up."""
    graph = compile_rules(SOP.read_text()).graph.to_json()
    waits = [s for s in graph["steps"] if s["kind"] == "wait" and s.get("for_event") == "claim.settled"]
    assert len(waits) == 3, "the 7-, 14- and 30-day follow-up waits"
    assert all(step["recheck"] == RECHECK for step in waits)
    return graph


def start() -> Run:
    version = ProcedureVersionFactory(graph=freight_graph(), status="published")
    case = CaseFactory(source="zendesk", external_id="5", facts={"ticket_id": "5", "fields": FIELDS, "tags": ["claim"]})
    return run_advance(run_id=run_start(case=case, version=version, enqueue=False).id)


def filed_at(run: Run) -> dt.datetime:
    return run.executions.get(status="succeeded", request__operation="carrier.file_claim").finished_at


def fire(run: Run, days: int) -> Run:
    assert len(timers_sweep(now=filed_at(run) + dt.timedelta(days=days, minutes=1))) == 1
    return run_advance(run_id=run.id)


def follow_ups(sandbox) -> int:
    (claim,) = sandbox.inspect("carrier")["claims"].values()
    return len(claim["follow_up_log"])


def test_a_claim_settled_silently_is_closed_with_its_amount_instead_of_chased(sandbox):
    run = start()
    assert run.status == Run.Status.WAITING
    (claim,) = sandbox.inspect("carrier")["claims"].values()
    sandbox.settle(claim["claim_id"], 1000.0)  # no claim.settled event is ever sent
    run = fire(run, 7)
    assert (run.status, run.outcome) == (Run.Status.COMPLETED, "closed"), list(
        run.executions.values_list("step_key", "status", "decision")
    )
    assert follow_ups(sandbox) == 0
    assert run.state["facts"]["settlement"]["settled_amount"] == 1000.0
    recheck = run.executions.filter(request__operation="carrier.claim_status").first()
    assert recheck.status == StepExecution.Status.SUCCEEDED and recheck.decision is None
    assert Case.objects.get(id=run.case_id).status == Case.Status.CLOSED


def test_an_unsettled_claim_is_followed_up_then_closed_when_it_settles_before_day_14(sandbox):
    run = start()
    run = fire(run, 7)
    assert run.status == Run.Status.WAITING and follow_ups(sandbox) == 1
    (claim,) = sandbox.inspect("carrier")["claims"].values()
    sandbox.settle(claim["claim_id"], 900.0)
    run = fire(run, 14)
    assert (run.status, run.outcome) == (Run.Status.COMPLETED, "closed")
    assert follow_ups(sandbox) == 1 and run.state["facts"]["settlement"]["settled_amount"] == 900.0

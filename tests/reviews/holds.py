"""Held review items on a real procedure version, as the engine leaves them (shared by tests/cases/test_judgements.py and test_precedents.py)."""

from __future__ import annotations

from cases.models import Case, ReviewItem, Run
from procedures.steps import parse
from tests.factories import CaseFactory, ProcedureFactory, ProcedureVersionFactory, ReviewItemFactory, RunFactory

SOURCE = (
    "1. Find the requester's organization in Salesforce and read the account's plan (Free, Pro or Enterprise).\n"
    "2. If the customer sounds like they will churn, offer a call with their account manager; otherwise reply.\n"
    "3. Close the ticket."
)
SENTENCE_1 = "Find the requester's organization in Salesforce and read the account's plan (Free, Pro or Enterprise)."
SENTENCE_2 = "If the customer sounds like they will churn, offer a call with their account manager; otherwise reply."

GRAPH = {
    "title": "Product bug escalation",
    "start": "find_account",
    "steps": [
        {
            "kind": "gather",
            "key": "find_account",
            "title": "Find the account",
            "instruction": SENTENCE_1,
            "span": {"start": 3, "end": 3 + len(SENTENCE_1)},
            "operation": "salesforce.query_account",
            "params": {"email": "{{ case.requester_email }}"},
            "save_as": "account",
            "required": ["plan"],
            "next": "churn",
        },
        {
            "kind": "decide",
            "key": "churn",
            "title": "Churn risk?",
            "instruction": SENTENCE_2,
            "judgement": {
                "question": "Does the customer sound like they will churn?",
                "facts": ["account.plan"],
                "outcomes": [
                    {"key": "offer_call", "label": "Offer a call with the account manager", "next": "done"},
                    {"key": "reply", "label": "Reply as usual", "next": "done"},
                ],
            },
        },
        {"kind": "end", "key": "done", "title": "Close", "outcome": "resolved"},
    ],
}

GATHER_OUTCOMES = [
    {"key": "continue", "label": "Continue with these facts", "params": ["facts"]},
    {"key": "retry", "label": "Look it up again"},
    {"key": "stop", "label": "Stop the run here"},
]
JUDGEMENT_OUTCOMES = [
    {"key": "offer_call", "label": "Offer a call with the account manager", "next": "done"},
    {"key": "reply", "label": "Reply as usual", "next": "done"},
    {"key": "stop", "label": "Stop the run here"},
]
NOT_FOUND = {"error": "no Account matches", "code": "not_found", "remote_message": "", "facts_key": "account"}


def make_version():
    """A published version of a small escalation SOP with a gather step and a judgement step."""
    procedure = ProcedureFactory(name="Product bug escalation", slug="product-bug-escalation")
    version = ProcedureVersionFactory(
        procedure=procedure, source=SOURCE, graph=parse(GRAPH).to_json(), status="published"
    )
    procedure.published_version = version
    procedure.save()
    return version


def held_item(
    version,
    *,
    subject: str = "Login loop",
    description: str = "I keep getting sent back to the login page.",
    step_key: str = "find_account",
    reason: str = ReviewItem.Reason.MISSING_FACT,
    proposal: dict | None = None,
    outcomes: list | None = None,
    facts: dict | None = None,
    **extra,
) -> ReviewItem:
    """A run held at `step_key` with its open review item, the way `cases.services._hold` leaves them."""
    case = CaseFactory(
        subject=subject, description=description, status=Case.Status.HELD, requester_email="pat@nowhere.example"
    )
    state = {
        "cursor": step_key,
        "visits": {step_key: 1},
        "facts": facts or {},
        "times": {},
        "event": {},
        "resolution": None,
        "wake": None,
        "retries": {},
    }
    run = RunFactory(case=case, version=version, status=Run.Status.HELD, current_step=step_key, state=state)
    return ReviewItemFactory(
        run=run,
        case=case,
        step_key=step_key,
        reason=reason,
        summary=extra.pop("summary", "Find the account: nothing found (no Account matches)."),
        proposal={**(proposal if proposal is not None else NOT_FOUND), "visit": 1},
        allowed_outcomes=outcomes or GATHER_OUTCOMES,
        **extra,
    )


def judgement_item(version, **kwargs) -> ReviewItem:
    kwargs.setdefault("facts", {"account": {"plan": "Pro", "name": "Globex"}})
    return held_item(
        version,
        step_key="churn",
        reason=ReviewItem.Reason.JUDGEMENT,
        summary="Churn risk?: Does the customer sound like they will churn?",
        proposal={"question": "Does the customer sound like they will churn?", "facts": ["account.plan"]},
        outcomes=JUDGEMENT_OUTCOMES,
        **kwargs,
    )

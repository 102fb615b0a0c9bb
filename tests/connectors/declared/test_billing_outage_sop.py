"""Done-when of issue 14: an SOP using two declared tools (billing, outage), each branch end to end.

The graph is built by hand (the compiler is tested separately, below) and run
live against the local billing/outage server and the Zendesk emulator, then in
dry run, where the declared tools answer from their mocks and nothing is written.
"""

from __future__ import annotations

import pytest

from cases.models import Run
from cases.services import run_advance, run_start
from procedures.steps import parse
from tests.factories import CaseFactory, ProcedureVersionFactory
from tests.support.declared_tools import BILLING_OUTAGE_SOP as SOP

pytestmark = pytest.mark.django_db

TICKET = "{{ case.ticket_id }}"


def billing_outage_graph():
    return parse(
        {
            "title": "Billing and outage",
            "start": "lookup",
            "steps": [
                {"kind": "gather", "key": "lookup", "title": "Account status in billing",
                 "operation": "billing.get_account_status", "params": {"email": "{{ case.requester_email }}"},
                 "save_as": "billing", "required": ["account_status"], "next": "suspended"},
                {"kind": "decide", "key": "suspended", "title": "Suspended, and why?",
                 "branches": [
                     {"when": "billing.account_status == 'suspended' && billing.suspension_reason == 'fraud'",
                      "next": "tag_fraud"},
                     {"when": "billing.account_status == 'suspended' && billing.suspension_reason == 'non-payment'",
                      "next": "reply_payment"},
                 ],
                 "otherwise": "outage"},
                {"kind": "act", "key": "tag_fraud", "title": "Tag fraud-hold", "operation": "zendesk.add_tags",
                 "params": {"ticket_id": TICKET, "tags": "{{ ['fraud-hold'] }}"}, "next": "stop"},
                {"kind": "end", "key": "stop", "title": "Stop", "outcome": "stopped"},
                {"kind": "act", "key": "reply_payment", "title": "Reply with the payment link",
                 "operation": "zendesk.reply",
                 "params": {"ticket_id": TICKET, "body": "Please pay here: {{ billing.payment_link }}"},
                 "next": "done"},
                {"kind": "gather", "key": "outage", "title": "Outage detector", "operation": "outage.check_region",
                 "params": {"region": "{{ billing.region }}", "hours": "24"}, "save_as": "outage",
                 "required": ["outage"], "next": "had_outage"},
                {"kind": "decide", "key": "had_outage", "title": "Outage in the last 24 hours?",
                 "branches": [{"when": "outage.outage", "next": "credit"}], "otherwise": "done"},
                {"kind": "act", "key": "credit", "title": "Apply a service credit",
                 "operation": "billing.apply_service_credit",
                 "params": {"email": "{{ case.requester_email }}", "reason": "Outage in {{ billing.region }}"},
                 "save_as": "credit", "next": "done"},
                {"kind": "end", "key": "done", "title": "Done", "outcome": "resolved"},
            ],
        }
    )  # fmt: skip


def run(email: str, ticket: int, mode=Run.Mode.LIVE) -> Run:
    version = ProcedureVersionFactory(graph=billing_outage_graph().to_json(), status="published")
    case = CaseFactory(
        source="zendesk", external_id=str(ticket), requester_email=email, facts={"ticket_id": str(ticket)}
    )
    return run_advance(run_id=run_start(case=case, version=version, mode=mode, enqueue=False).id)


def path(run: Run) -> list[tuple[str, str]]:
    return list(run.executions.order_by("sequence").values_list("step_key", "status"))


def test_fraud_suspension_tags_the_ticket_and_stops(declared, sandbox):
    done = run("fraud@acme.example", 1)
    assert (done.status, done.outcome) == ("completed", "stopped"), path(done)
    assert "fraud-hold" in sandbox.inspect("zendesk")["tickets"][1]["tags"]
    assert "outage" not in dict(path(done)) and not declared.credits


def test_non_payment_replies_with_the_payment_link_from_billing(declared, sandbox):
    done = run("late@acme.example", 2)
    assert done.outcome == "resolved", path(done)
    comments = sandbox.inspect("zendesk")["tickets"][2]["comments"]
    assert any("https://pay.example/late@acme.example" in c["body"] for c in comments)
    assert not declared.credits


def test_active_account_with_a_recent_outage_gets_one_service_credit(declared, sandbox):
    done = run("alice@acme.example", 3)
    assert done.outcome == "resolved", path(done)
    credit = done.executions.get(step_key="credit")
    assert credit.status == "succeeded" and credit.result["credit_id"] == "CR-1"
    assert credit.idempotency_key  # the same key as any built-in write
    (stored,) = declared.credits.values()
    assert stored == {"credit_id": "CR-1", "email": "alice@acme.example", "amount": None, "reason": "Outage in eu-west"}
    lookup = done.executions.get(step_key="lookup")
    assert lookup.result["account_status"] == "active" and lookup.request["operation"] == "billing.get_account_status"


def test_active_account_without_an_outage_gets_nothing(declared, sandbox):
    done = run("bob@acme.example", 4)
    assert done.outcome == "resolved" and "credit" not in dict(path(done))
    assert not declared.credits


def test_a_billing_outage_is_retried_then_held_like_a_built_in_failure(declared, sandbox, settings):
    settings.ENGINE = {**settings.ENGINE, "retry_limit": 1}
    declared.fail_next(100)
    held = run("alice@acme.example", 3)
    assert held.status == "held", path(held)
    failed = held.executions.filter(step_key="lookup", status="failed").last()
    assert failed.error.startswith("retryable") and failed.attempt == 1
    assert len(declared.requests) == settings.CONNECTOR_RETRY["attempts"]  # the shared retry loop, then a hold
    assert held.review_items.get().reason == "action_failed"


@pytest.mark.parametrize(
    ("email", "outcome", "steps"),
    [
        ("fraud@acme.example", "stopped", ["lookup", "suspended", "tag_fraud", "stop"]),
        ("late@acme.example", "resolved", ["lookup", "suspended", "reply_payment", "done"]),
        ("alice@acme.example", "resolved", ["lookup", "suspended", "outage", "had_outage", "credit", "done"]),
        ("carol@acme.example", "resolved", ["lookup", "suspended", "outage", "had_outage", "done"]),
    ],
)
def test_dry_run_walks_each_branch_on_the_mocks_and_touches_nothing(declared, sandbox, email, outcome, steps):
    done = run(email, 1, mode=Run.Mode.DRY_RUN)
    assert (done.status, done.outcome) == ("completed", outcome), path(done)
    assert [key for key, _ in path(done)] == steps
    assert not declared.requests  # neither billing nor the outage detector was called
    assert "fraud-hold" not in sandbox.inspect("zendesk")["tickets"][1]["tags"]
    lookup = done.executions.get(step_key="lookup")
    assert lookup.request["mock"] is True and lookup.status == "succeeded"
    if "credit" in steps:
        credit = done.executions.get(step_key="credit")
        assert credit.request["mock"] is True and credit.result["credit_id"] == "CR-MOCK"


def test_the_sop_in_plain_words_compiles_to_gather_decide_act_on_the_declared_tools(declared):
    from procedures.compiler import compile_source

    result = compile_source(SOP, compiler="rules")
    graph = parse(result.graph) if isinstance(result.graph, dict) else result.graph
    ops = {s.key: (s.kind, getattr(s, "operation", None)) for s in graph.steps}
    kinds = [kind for kind, _ in ops.values()]
    operations = {op for _, op in ops.values() if op}
    assert {"billing.get_account_status", "outage.check_region", "billing.apply_service_credit"} <= operations
    assert {"zendesk.add_tags", "zendesk.reply"} <= operations
    assert kinds.count("gather") >= 2 and kinds.count("decide") >= 2
    conditions = " ".join(b.when for s in graph.steps if s.kind == "decide" for b in s.branches)
    assert "account_status" in conditions and "suspension_reason" in conditions and "outage" in conditions
    # compile_source raises on errors; what it returns must also ask nothing and leave no sentence to a person
    assert not result.warnings, result.warnings
    assert {c.status for c in result.coverage} == {"automated"}
    by_op = {getattr(s, "operation", None): s for s in graph.steps}
    assert by_op["billing.get_account_status"].params == {"email": "{{ case.requester_email }}"}
    assert by_op["outage.check_region"].params["region"] == "{{ billing.region }}"  # from the billing result
    reply = by_op["zendesk.reply"]
    assert "billing.payment_link" in reply.params["body"]
    assert graph.step(reply.next).kind == "end"  # the non-payment branch ends: no outage check, no credit


def test_try_on_a_sample_case_and_the_editor_use_the_declared_tools(declared):
    import json

    from cases.tryout import version_try
    from procedures.editor import version_editor

    version = ProcedureVersionFactory(graph=billing_outage_graph().to_json(), status="compiled")
    sample = {"subject": "Down again", "requester": {"email": "alice@acme.example"}, "ticket_id": "3"}
    outcome = version_try(version=version, sample=json.dumps(sample))
    assert (outcome.status, outcome.outcome) == ("completed", "resolved"), outcome.error
    credit = next(e for e in outcome.steps if e.step_key == "credit")
    assert credit.mock is True and credit.result["credit_id"] == "CR-MOCK"
    assert not declared.requests
    card = version_editor(version=version).cards[0]
    assert card.operation.name == "billing.get_account_status" and card.operation.origin == "declared http"
    assert [(row.name, row.declared.type) for row in card.params] == [("email", "email")]


def test_a_system_or_fact_nobody_declared_is_a_question_listing_the_declared_tools(declared):
    from procedures.compiler import compile_source

    result = compile_source(
        "Look up the customer's account status in the billing system. "
        "Check the segment service for the customer's tier. "
        "If the customer's segment is enterprise, reply with the payment link.",
        compiler="rules",
    )
    graph = parse(result.graph) if isinstance(result.graph, dict) else result.graph
    operations = {getattr(s, "operation", None) for s in graph.steps}
    assert "salesforce.query_account" not in operations  # never a built-in look-alike for an undeclared system
    by_code = {w.code: w.message for w in result.warnings}
    assert "segment service" in by_code["unknown_system"] and "billing.get_account_status" in by_code["unknown_system"]
    assert "customer's segment" in by_code["unknown_fact"] and "billing." in by_code["unknown_fact"]
    assert all("segment" not in b.when for s in graph.steps if s.kind == "decide" for b in s.branches)


def test_a_clause_that_only_mentions_a_declared_system_never_writes_to_it(declared):
    from procedures.compiler import compile_source

    result = compile_source(
        "Look up the customer's account status in the billing system. "
        "Reply with the payment link from the billing system.",
        compiler="rules",
    )
    graph = parse(result.graph) if isinstance(result.graph, dict) else result.graph
    writes = [s.operation for s in graph.steps if s.kind == "act"]
    assert writes == ["zendesk.reply"]


def test_a_declared_tool_whose_input_nothing_gives_is_a_question_not_a_guessed_fact(declared):
    from procedures.compiler import compile_source

    result = compile_source(
        "Check the outage detector for the customer's region. Reply to the customer.", compiler="rules"
    )
    graph = parse(result.graph) if isinstance(result.graph, dict) else result.graph
    assert "outage.check_region" not in {getattr(s, "operation", None) for s in graph.steps}
    (question,) = [w for w in result.warnings if w.code == "unknown_fact"]
    assert "region" in question.message and "outage.check_region" in question.message


@pytest.mark.parametrize(
    ("email", "outcome", "performed", "not_performed"),
    [
        (
            "fraud@acme.example",
            "stopped",
            {"zendesk.add_tags"},
            {"outage.check_region", "billing.apply_service_credit"},
        ),
        ("late@acme.example", "resolved", {"zendesk.reply"}, {"outage.check_region", "billing.apply_service_credit"}),
        ("alice@acme.example", "resolved", {"outage.check_region", "billing.apply_service_credit"}, {"zendesk.reply"}),
        ("carol@acme.example", "resolved", {"outage.check_region"}, {"billing.apply_service_credit", "zendesk.reply"}),
    ],
)
def test_the_compiled_sop_runs_each_branch_end_to_end_on_the_mocks(
    declared, sandbox, email, outcome, performed, not_performed
):
    from procedures.compiler import compile_source

    graph = compile_source(SOP, compiler="rules").graph
    version = ProcedureVersionFactory(graph=graph.to_json(), status="published")
    case = CaseFactory(source="zendesk", external_id="1", requester_email=email, facts={"ticket_id": "1"})
    done = run_advance(run_id=run_start(case=case, version=version, mode=Run.Mode.DRY_RUN, enqueue=False).id)
    assert (done.status, done.outcome) == ("completed", outcome), path(done)
    operations = {e.request.get("operation") for e in done.executions.all() if e.request}
    assert performed <= operations and not (not_performed & operations), operations
    assert not declared.requests  # mocks answered; the billing and outage systems were not called

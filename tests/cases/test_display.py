"""Decisions, facts and requests as a person reads them (cases/display.py), without a database."""

from __future__ import annotations

from django.template import Context, Template

from cases.display import decision_text, facts_rows, outcomes_text, request_view, value_text

HOLD = {
    "step_key": "judge",
    "reason": "judgement",
    "summary": "Churn risk?: Does the customer sound like they will churn?",
    "proposal": {"question": "Does the customer sound like they will churn?"},
    "allowed_outcomes": [
        {"key": "offer_call", "label": "Offer a call", "next": "done"},
        {"key": "stop", "label": "Stop the run here"},
        {"key": "stop", "label": "Stop the run here"},
    ],
    "role": "",
}


def test_a_hold_reads_as_a_sentence_with_each_outcome_once():
    text = decision_text(HOLD)
    assert text == (
        "Stopped for a person: Churn risk?: Does the customer sound like they will churn? "
        "Possible outcomes: Offer a call; Stop the run here."
    )
    assert "step_key" not in text and "{" not in text
    assert outcomes_text(HOLD["allowed_outcomes"]) == ["Offer a call", "Stop the run here"]


def test_every_recorded_decision_shape_reads_as_text():
    assert decision_text({"branch": 0, "when": "account.plan == 'Free'", "label": ""}) == (
        "Took the path “account.plan == 'Free'”."
    )
    assert decision_text({"branch": 1, "when": "amount > 5000", "label": "Large claim"}) == (
        "Took the path “Large claim” (condition: amount > 5000)."
    )
    assert decision_text({"branch": "otherwise"}) == "No condition matched, so the SOP's “otherwise” path was taken."
    assert decision_text({"outcome": "reply", "resolved_by": "reviewer"}) == "Outcome “reply”, chosen by a reviewer."
    assert decision_text({"end": "resolved"}) == "The run ended: resolved."
    assert decision_text({"approved": False, "by": "olivia"}) == "Rejected by olivia."
    assert decision_text({"woken_by": "timer"}) == "The wait ended: its time was up."
    assert decision_text({"due_at": "2026-11-30T09:00:00+00:00", "for_event": "customer_reply"}) == (
        "Waiting for customer_reply or until 2026-11-30 09:00 UTC."
    )
    assert decision_text({"evidence_missing": ["photo"]}) == "Evidence missing: photo."
    assert decision_text(None) == ""


def test_facts_flatten_to_dotted_rows_and_values_read_plainly():
    facts = {"account": {"plan": "Enterprise", "vip": True, "owners": ["ann", "bo"]}, "amount": 8400.0, "note": None}
    assert facts_rows(facts) == [
        ("account.plan", "Enterprise"),
        ("account.vip", "yes"),
        ("account.owners", "ann, bo"),
        ("amount", "8400"),
        ("note", "—"),
    ]
    assert value_text({}) == "—"


def test_a_request_shows_its_operation_parameters_and_long_text_apart():
    body = "Hello,\n\nwe have logged this for the product team. " * 3
    view = request_view({"operation": "zendesk.reply", "params": {"ticket_id": "7", "body": body}})
    assert (view.operation, view.system) == ("zendesk.reply", "zendesk")
    assert view.rows == [("ticket_id", "7"), ("body", "(below)")] and view.body == body
    assert request_view({"params": {}}) is None


def test_template_tags_render_tables_not_reprs():
    html = Template(
        "{% load case_display %}{{ d|decision_text }}{% facts_table f %}{% request_block r 'key-1' %}"
    ).render(
        Context(
            {
                "d": HOLD,
                "f": {"account": {"plan": "Pro"}},
                "r": {"operation": "jira.create_issue", "params": {"priority": "High"}},
            }
        )
    )
    assert '<th scope="row"><code>account.plan</code></th><td>Pro</td>' in html
    assert '<th scope="row">priority</th><td>High</td>' in html and "key-1" in html
    assert "{&#x27;" not in html and "&#x27;step_key&#x27;" not in html


def test_timeline_links_are_labelled_by_what_they_open():
    from types import SimpleNamespace

    from cases.display import entry_links

    entry = SimpleNamespace(
        links=[
            ("open_bug: url", "http://127.0.0.1:8101/browse/ENG-7"),
            ("zendesk ticket 12", "http://z/agent/tickets/12"),
        ],
        result={"key": "ENG-7", "url": "http://127.0.0.1:8101/browse/ENG-7"},
        request={"operation": "jira.create_issue", "params": {}},
    )
    assert entry_links(entry) == [
        ("Jira ENG-7", "http://127.0.0.1:8101/browse/ENG-7"),
        ("Zendesk ticket #12", "http://z/agent/tickets/12"),
    ]

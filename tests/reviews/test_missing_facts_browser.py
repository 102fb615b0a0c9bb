"""One question per stop, in a real browser: a missing fact asks for every fact the run reads, in one typed form."""

from __future__ import annotations

import pytest

from cases.models import ReviewItem, Run
from procedures.steps import parse
from tests.reviews.holds import GRAPH, held_item, make_version
from tests.support.browser import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ASK = [
    {"name": "plan", "path": "account.plan", "type": "text", "choices": ["Free", "Enterprise"], "read_by": ["Free?"]},
    {"name": "name", "path": "account.name", "type": "text", "choices": [], "read_by": ["Open a bug"]},
    {"name": "risk_score", "path": "account.risk_score", "type": "number", "choices": [], "read_by": ["Raise risk"]},
]


def test_a_reviewer_answers_every_missing_fact_in_one_typed_form(live_server, browser_page, reviewer):
    page = browser_page
    version = make_version()
    assert parse(GRAPH).step("find_account")
    item = held_item(
        version,
        subject="No Salesforce organization",
        proposal={"missing": ["plan"], "found": {"name": "Nowhere Inc"}, "facts_key": "account", "ask": ASK},
        outcomes=[
            {"key": "continue", "label": "Continue with these facts", "params": ["facts"]},
            {"key": "retry", "label": "Look it up again"},
            {"key": "stop", "label": "Stop the run here"},
        ],
    )
    log_in(page, live_server.url, reviewer, next_url=f"/inbox/items/{item.id}/")
    why = page.locator(".card.why").inner_text()
    assert "Nowhere Inc" in why and "{'" not in why, "what was found reads as a table, not a Python dict"
    page.check("input[name=outcome][value=continue]")
    facts = page.locator("[data-facts-form]")
    assert facts.is_visible()
    assert facts.locator("input[data-fact]").count() == 3, "every fact the run reads, in one form"
    assert page.locator("#id_fact_name").input_value() == "Nowhere Inc"  # what was found is kept
    assert page.locator("#choices-plan option").evaluate_all("os => os.map(o => o.value)") == ["Free", "Enterprise"]
    page.fill("#id_fact_plan", "Enterprise")
    page.fill("#id_fact_risk_score", "lots")
    page.click("button[type=submit].btn-primary")
    page.wait_for_selector(".field-error")
    assert "risk_score must be a number, got 'lots'" in page.locator(".field-error").inner_text()
    item.refresh_from_db()
    assert item.status == ReviewItem.Status.OPEN

    page.check("input[name=outcome][value=continue]")
    page.fill("#id_fact_risk_score", "40")
    page.click("button[type=submit].btn-primary")
    page.wait_for_selector("[data-decided]")
    item.refresh_from_db()
    assert (item.status, item.outcome) == ("decided", "continue")
    assert item.decision_params == {"facts": {"plan": "Enterprise", "name": "Nowhere Inc", "risk_score": 40}}
    assert Run.objects.get(id=item.run_id).state["resolution"]["params"]["facts"]["risk_score"] == 40
    assert ReviewItem.objects.filter(run_id=item.run_id).count() == 1, "one question, not five"

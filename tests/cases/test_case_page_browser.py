"""A reviewer opens the case page from an inbox item, in Chromium, and sees what the decision is about."""

from __future__ import annotations

import pytest

from cases.models import ReviewItem, Run
from cases.services import run_advance, run_start
from tests.cases.graphs import escalation
from tests.factories import CaseFactory, ProcedureFactory, ProcedureVersionFactory
from tests.support.browser import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_reviewer_opens_the_case_page_from_an_inbox_item(live_server, browser_page, reviewer, sandbox, tmp_path):
    procedure = ProcedureFactory(name="Product bug escalation", slug="product-bug-escalation")
    version = ProcedureVersionFactory(procedure=procedure, graph=escalation().to_json(), status="published")
    case = CaseFactory(
        source="zendesk",
        external_id="4",
        subject="Login loop",
        requester_email="pat@nowhere.example",
        facts={"ticket_id": "4"},
    )
    run = run_advance(run_id=run_start(case=case, version=version, mode=Run.Mode.LIVE, enqueue=False).id)
    assert run.status == "held"
    item = ReviewItem.objects.get(case=case)

    page = browser_page
    log_in(page, live_server.url, reviewer)
    page.click(f"[data-item='{item.id}'] .case-link")
    page.wait_for_url(f"**/inbox/items/{item.id}/")
    page.click("[data-case-link]")
    page.wait_for_url(f"**/cases/{case.id}/")
    page.screenshot(path=str(tmp_path / "case.png"), full_page=True)

    assert page.title() == f"Case #{case.id} Login loop · sopdesk"
    assert "not authorized" not in page.content().lower() and "Django administration" not in page.content()
    assert page.locator("[data-case-status]").inner_text() == "Held for review"
    timeline = page.locator("#case-timeline").inner_text()
    assert "Find the requester's organization in Salesforce" in timeline
    assert "Stopped for a person" in timeline
    runs = page.locator("#case-runs").inner_text()
    assert "Product bug escalation" in runs and "Held for review" in runs
    assert "Pat" in page.locator(".card").first.inner_text() or "pat@nowhere.example" in page.content()
    page.locator("#case-items a", has_text=f"#{item.id}").click()
    page.wait_for_url(f"**/inbox/items/{item.id}/")

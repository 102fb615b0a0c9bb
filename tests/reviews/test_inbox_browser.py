"""The inbox in a real browser, by keyboard: log in, move with j/k, open, claim, pick an outcome, decide."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from cases.models import Decision, ReviewItem, Run
from tests.reviews.holds import held_item, judgement_item, make_version
from tests.support.browser import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_reviewer_works_the_queue_with_the_keyboard(live_server, browser_page, reviewer, tmp_path):
    page = browser_page
    version = make_version()
    now = timezone.now()
    first = held_item(version, subject="Login loop", due_at=now + dt.timedelta(minutes=50))
    judgement = judgement_item(
        version,
        subject="Dashboard totals are wrong, thinking of cancelling",
        description="Third time this month. We are evaluating other vendors.",
        due_at=now + dt.timedelta(hours=3),
    )
    ReviewItem.objects.filter(id=judgement.id).update(
        proposal={
            **judgement.proposal,
            "agent": {
                "outcome": "offer_call",
                "confidence": 0.72,
                "source": "model",
                "params": {},
                "rationale": "The requester mentions evaluating other vendors and account.plan is Pro.",
                "facts_used": ["account.plan"],
                "auto_apply": False,
            },
        }
    )
    held_item(version, subject="Export to CSV crashes", due_at=now - dt.timedelta(minutes=20))
    held_item(version, subject="Invoice PDF has no VAT number")

    log_in(page, live_server.url, reviewer)
    rows = page.locator("[data-queue] tbody tr[data-item]")
    assert rows.count() == 4
    assert "Overdue" in page.locator(".sidebar").inner_text()
    assert rows.first.get_attribute("class").count("is-selected") == 1
    assert "over" in rows.first.locator(".col-due").inner_text(), "the overdue one comes first"
    page.screenshot(path=str(tmp_path / "inbox.png"))

    page.keyboard.press("j")
    page.keyboard.press("j")
    selected = page.locator("[data-queue] tr.is-selected")
    assert selected.get_attribute("data-item") == str(judgement.id)
    page.keyboard.press("c")
    page.wait_for_selector(f"#claim-{judgement.id} .owner-me")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/inbox/items/{judgement.id}/")

    assert page.locator("mark.sop-sentence").inner_text().startswith("If the customer sounds like they will churn")
    assert "offer_call" in page.locator(".card.agent").inner_text()
    # The proposed outcome is preselected; the reviewer overrides it with "2" (reply) and decides.
    assert page.locator("input[name=outcome][value=offer_call]").is_checked()
    page.keyboard.press("2")
    assert page.locator("input[name=outcome][value=reply]").is_checked()
    page.fill("textarea[name=note]", "Not a churn risk: they asked for a fix, not a call.")
    page.screenshot(path=str(tmp_path / "detail.png"), full_page=False)
    page.keyboard.press("Control+Enter")
    page.wait_for_selector("[data-decided]")
    assert "reply" in page.locator("[data-decided]").inner_text()
    assert "rafael" in page.locator("[data-decided]").inner_text()
    assert page.locator("#run-status").get_attribute("data-run-status") in ("running", "pending", "completed")

    judgement.refresh_from_db()
    assert (judgement.status, judgement.outcome, judgement.decided_by) == ("decided", "reply", reviewer)
    assert Run.objects.get(id=judgement.run_id).state["resolution"]["outcome"] == "reply"
    decision = Decision.objects.get(item=judgement)
    assert (decision.proposed_outcome, decision.outcome) == ("offer_call", "reply"), "an override, for agreement"
    assert first.id != judgement.id

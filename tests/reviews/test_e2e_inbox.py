"""Done-when: the escalation's "no organization in Salesforce" row ends in the inbox, a reviewer decides in
the browser, and the run completes with the chosen outcome.

Signed Zendesk webhook → django-q2 cluster → Salesforce emulator (no account) → hold → /inbox/ in Chromium
→ decision → django-q2 resumes the run → public reply and tag in the Zendesk emulator → run completed.
"""

from __future__ import annotations

import pytest

from cases.models import Decision, ReviewItem, Run
from tests.cases.e2e import ESCALATION_TRIGGER, ZENDESK_SECRET, post_zendesk, publish, run_settled, ticket_payload
from tests.support.browser import log_in
from tests.support.processes import wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NO_ORG = dict(
    ticket_id=4,
    subject="Login loop",
    description="I keep getting sent back to the login page.",
    email="pat@nowhere.example",
    name="Pat Doe",
    org=None,
)


@pytest.fixture
def escalation(transactional_db, sandbox, settings):
    settings.WEBHOOK_SECRETS = {**settings.WEBHOOK_SECRETS, "zendesk": ZENDESK_SECRET}
    return publish("escalation.md", name="Product bug escalation", trigger=ESCALATION_TRIGGER)


def test_no_organization_row_is_decided_in_the_browser_and_the_run_completes(
    escalation, sandbox, qcluster, client, live_server, browser_page, reviewer, tmp_path
):
    page = browser_page
    post_zendesk(client, ticket_payload(**NO_ORG), invocation="inv-no-org")
    run = run_settled({"source": "zendesk", "external_id": "4"})
    assert run.status == Run.Status.HELD
    item = ReviewItem.objects.get(run=run)
    assert item.reason == ReviewItem.Reason.MISSING_FACT

    log_in(page, live_server.url, reviewer)
    row = page.locator(f'[data-queue] tr[data-item="{item.id}"]')
    assert "Login loop" in row.inner_text() and "A fact is missing" in row.inner_text()
    page.keyboard.press("Enter")  # the first row is selected
    page.wait_for_url(f"**/inbox/items/{item.id}/")
    assert "organization in Salesforce" in page.locator("mark.sop-sentence").inner_text()
    assert "Held for review" in page.locator("#run-status").inner_text()

    page.keyboard.press("1")  # continue with these facts
    assert page.locator("input[name=outcome][value=continue]").is_checked()
    facts = page.locator("[data-facts-form]")
    assert facts.is_visible() and "account.plan" in facts.inner_text(), "one form for every fact the run reads"
    page.fill("#id_fact_plan", "Free")
    page.fill("#id_fact_name", "Pat Doe (self-serve)")
    page.fill("textarea[name=note]", "Self-serve user without a contract: treat as Free.")
    page.screenshot(path=str(tmp_path / "e2e-detail.png"))
    page.click("button[type=submit]")

    page.wait_for_selector("[data-decided]")
    page.wait_for_selector('#run-status[data-run-status="completed"]', timeout=45_000)
    assert "stopped" in page.locator("#run-status").inner_text()

    run.refresh_from_db()
    assert (run.status, run.outcome) == (Run.Status.COMPLETED, "stopped")
    ticket = sandbox.inspect("zendesk")["tickets"][4]
    assert "community-bug" in ticket["tags"]
    assert any(c.get("public", True) for c in ticket["comments"][1:]), "the public reply the Free branch sends"
    assert sandbox.inspect("jira")["issues"] == {}, "nothing the chosen outcome does not lead to"
    assert Decision.objects.get(item=item).outcome == "continue"

    page.reload()
    timeline = page.locator(".card.timeline").inner_text()
    assert "rafael decided 'continue'" in timeline
    assert "Self-serve user without a contract" in timeline
    wait_for(lambda: page.locator(".tl-item").count() >= 4, timeout=5, what="the timeline to list the steps")
    page.screenshot(path=str(tmp_path / "e2e-after.png"), full_page=True)

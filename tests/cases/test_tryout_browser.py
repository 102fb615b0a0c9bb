"""The try page in a real browser: walk both branches of a judgement in a dry run, nothing stored."""

from __future__ import annotations

import json

import pytest

from cases.models import Case, Run
from tests.cases.test_tryout import REFUND, SAMPLE
from tests.factories import ProcedureVersionFactory, UserFactory
from tests.support.browser import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def answer(page, outcome: str) -> None:
    page.check(f"[data-try-answer] input[name=outcome][value={outcome}]")
    with page.expect_navigation():
        page.click("[data-try-answer] button[type=submit]")


def path(page) -> list[tuple[str, str]]:
    steps = page.locator("[data-try-path] [data-step]")
    return [
        (steps.nth(i).get_attribute("data-step"), steps.nth(i).get_attribute("data-status"))
        for i in range(steps.count())
    ]


def test_both_branches_of_a_judgement_are_walked_on_the_try_page(live_server, browser_page, tmp_path):
    page = browser_page
    version = ProcedureVersionFactory(graph=REFUND, status="compiled")
    staff = UserFactory(username="olga", is_staff=True)
    url = f"/cases/try/{version.id}/"
    log_in(page, live_server.url, staff, next_url=url)
    assert "sopdesk" in page.title()

    page.fill("#sample", json.dumps(SAMPLE))
    with page.expect_navigation():
        page.click("[data-try-start] button[type=submit]")
    assert "Was the customer clearly wronged?" in page.locator("[data-try-question]").inner_text()
    answer(page, "refund")
    assert "a live run would wait" in page.locator("[data-try-question]").inner_text()
    writes = page.locator("[data-try-writes]").inner_text()
    assert "zendesk.reply" in writes and "ticket_id" in writes
    answer(page, "event")
    assert page.locator("[data-try-status]").text_content().strip() == "ended: closed"
    assert [k for k, _ in path(page)] == ["judge", "judge", "refund", "wait", "wait", "thanks", "close"]
    page.screenshot(path=str(tmp_path / "try-refund.png"), full_page=True)

    with page.expect_navigation():
        page.click("[data-try-start] button[type=submit]")  # start again: the other branch
    answer(page, "decline")
    assert ("explain", "would write") in path(page)
    writes = page.locator("[data-try-writes]").inner_text()
    assert "email.send" in writes and "zendesk.reply" not in writes
    assert "{'" not in page.content()

    assert Case.objects.count() == 0 and Run.objects.count() == 0

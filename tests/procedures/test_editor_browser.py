"""The side-by-side SOP editor in a real browser: log in, paste an SOP, hover a step, publish."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from django.contrib.auth.models import Group, Permission

from procedures.models import Procedure, ProcedureVersion
from procedures.roles import role_sync

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ESCALATION = (Path(__file__).parent / "fixtures" / "escalation.txt").read_text()
CHROMIUM = "/usr/bin/chromium"
LAUNCH_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
PASSWORD = "correct horse battery staple"  # tests.factories.UserFactory's


@pytest.fixture(autouse=True)
def roles(db):
    """The role groups come from a data migration; a transactional test run earlier may have flushed them."""
    role_sync(group_model=Group, permission_model=Permission)


@pytest.fixture
def page():
    if not shutil.which(CHROMIUM) and not os.environ.get("CI"):
        pytest.skip(f"{CHROMIUM} is not installed")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"  # live_server + sync playwright share the thread
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        context = browser.new_context(viewport={"width": 1440, "height": 900})
        page = context.new_page()
        page.set_default_timeout(15_000)
        try:
            yield page
        finally:
            context.close()
            browser.close()


def test_ops_manager_pastes_an_sop_sees_it_side_by_side_and_publishes(live_server, page, ops_manager, tmp_path):
    ops_manager.is_staff = True
    ops_manager.save()

    page.goto(f"{live_server.url}/admin/login/?next=/procedures/new/")
    page.fill("#id_username", ops_manager.username)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url("**/procedures/new/")

    page.fill("#id_name", "Product bug escalation")
    page.fill("#id_source", ESCALATION)
    page.click("input[name=_create]")
    page.wait_for_url("**/procedures/versions/*/")

    version = ProcedureVersion.objects.get()
    assert version.status == ProcedureVersion.Status.COMPILED
    assert page.locator("h1").first.inner_text().startswith("Product bug escalation")
    source_pane, steps_pane = page.locator(".sop-source-pane"), page.locator(".sop-steps-pane")
    source_box, steps_box = source_pane.bounding_box(), steps_pane.bounding_box()
    assert source_box["x"] + source_box["width"] <= steps_box["x"], "source on the left, steps on the right"
    assert abs(source_box["y"] - steps_box["y"]) < 5, "the panes sit side by side"
    cards = page.locator(".sop-card")
    assert cards.count() == version.steps.count() >= 5

    # Hovering a step card highlights its sentence in the source.
    step = version.steps.filter(kind="decide").first() or version.steps.first()
    card = page.locator(f'.sop-card[data-step="{step.key}"]')
    card.hover()
    mark = page.locator(f'.sop-source mark[data-step="{step.key}"]').first
    assert "is-highlighted" in mark.get_attribute("class")
    sentence = version.source[step.span_start : step.span_end]
    assert mark.inner_text().split()[0] == sentence.split()[0], "the mark sits on the step's own sentence"
    assert "is-highlighted" in card.get_attribute("class")
    other = page.locator(".sop-source mark.is-highlighted")
    assert all(m.get_attribute("data-step") == step.key for m in other.all())
    page.screenshot(path=str(tmp_path / "editor.png"), full_page=False)

    # And the other way round: hovering a sentence highlights its card.
    last = [s for s in version.steps.order_by("position") if s.span_start is not None and s.span_end > s.span_start][-1]
    page.locator(f'.sop-source mark[data-step="{last.key}"]').last.hover()
    assert "is-highlighted" in page.locator(f'.sop-card[data-step="{last.key}"]').get_attribute("class")

    page.click("button[name=publish]")
    page.wait_for_selector(".sop-status-published")
    assert "Published v1" in page.locator(".messagelist").inner_text()
    assert Procedure.objects.get().published_version == version

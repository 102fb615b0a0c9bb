"""The side-by-side SOP editor in a real browser: log in, paste an SOP, hover a step, publish."""

from __future__ import annotations

from pathlib import Path

import pytest

from procedures.models import Procedure, ProcedureVersion
from tests.support.browser import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ESCALATION = (Path(__file__).parent / "fixtures" / "escalation.txt").read_text()


@pytest.fixture
def browser_viewport():
    return {"width": 1440, "height": 900}


def test_ops_manager_pastes_an_sop_sees_it_side_by_side_and_publishes(live_server, browser_page, ops_manager, tmp_path):
    page = browser_page
    ops_manager.is_staff = True  # ops managers work in the admin
    ops_manager.save()
    log_in(page, live_server.url, ops_manager, next_url="/procedures/new/")

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

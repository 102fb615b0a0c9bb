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


VIBE = "Consider the vibe of the conversation carefully."
VIBE_SOURCE = "1. Reply to the customer that we are on it.\n2. " + VIBE + "\nRefunds keep customers happy.\n"


def test_coverage_bar_read_backs_and_a_publish_that_asks_to_confirm_the_open_questions(
    live_server, browser_page, ops_manager
):
    from procedures import services

    procedure = services.procedure_create_and_compile(name="Vibes", source=VIBE_SOURCE, compiler="rules")
    version = procedure.versions.get()
    text = version.source
    vibe = {"start": text.index(VIBE), "end": text.index(VIBE) + len(VIBE)}
    purpose = text.index("Refunds keep")
    version.warnings = [{"code": "not_understood", "message": "Not understood: a person decides.", "span": vibe}]
    version.coverage = [
        {"span": {"start": 3, "end": 43}, "text": text[3:43], "status": "automated"},
        {"span": vibe, "text": VIBE, "status": "not_understood"},
        {"span": {"start": purpose, "end": len(text)}, "text": text[purpose:], "status": "non_procedural"},
    ]
    version.save()
    ops_manager.is_staff = True
    ops_manager.save()
    page = browser_page
    log_in(page, live_server.url, ops_manager, next_url=f"/procedures/versions/{version.pk}/")

    bar = page.locator(".sop-coverage")
    assert "3 sentences: 1 automated, 0 needs a person, 1 not understood, 1 non-procedural" in bar.inner_text()
    assert VIBE in page.locator(".sop-not-understood").inner_text()
    highlighted = page.locator(".sop-source .sop-cov-not-understood")
    assert highlighted.first.inner_text() in VIBE and highlighted.first.is_visible()
    grey = page.locator(".sop-source .sop-cov-non-procedural").first
    assert float(grey.evaluate("el => getComputedStyle(el).opacity")) < 1
    readbacks = page.locator(".sop-card .sop-readback")
    assert readbacks.count() == page.locator(".sop-card").count() == version.steps.count()
    assert all(r.inner_text().strip() for r in readbacks.all())

    # The correction form arrives when a person opens it (htmx), not with the page.
    first = page.locator(".sop-card").first
    first.locator("details.sop-correct summary").click()
    first.locator("textarea[name=fields_json]").wait_for()

    page.click("button[name=publish]")
    page.wait_for_selector("#confirm-not-understood")
    assert VIBE in page.locator("#confirm-not-understood").inner_text()
    version.refresh_from_db()
    assert version.status == ProcedureVersion.Status.COMPILED, "nothing is published before the confirmation"
    page.click("button[name=confirm]")
    page.wait_for_selector(".sop-status-published")
    assert "Published v1" in page.locator(".messagelist").inner_text()
    version.refresh_from_db()
    assert version.status == ProcedureVersion.Status.PUBLISHED

"""The editor's "which system tells us X?" pick list in Chromium: pick the fact, the judgement becomes a condition."""

from __future__ import annotations

import pytest

from connectors.declared import services as declared_services
from procedures import services
from procedures.models import ProcedureVersion
from tests.support import declared_tools
from tests.support.browser import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SOP = "If the customer's segment is enterprise, tag the ticket vip.\nOtherwise reply to the customer: Thanks, we are on it."


def test_ops_manager_picks_the_fact_and_the_step_becomes_automated(live_server, browser_page, tool_server, ops_manager):
    declared_tools.declare(billing_url=tool_server.url, outage_url=tool_server.url)
    declared_services.custom_fields_select(
        system="zendesk",
        sobject="Ticket",
        wanted=["Account segment"],
        available=[
            {"field_id": "360009", "title": "Account segment", "type": "string", "choices": ["enterprise", "smb"]}
        ],
    )
    procedure = services.procedure_create_and_compile(
        name="Segments", source=SOP, trigger={"source": "api"}, owner=ops_manager
    )
    version = procedure.versions.get()
    assert version.graph["steps"][0]["kind"] == "decide" and "judgement" in version.graph["steps"][0]
    page = browser_page
    editor = f"/procedures/versions/{version.pk}/"
    log_in(page, live_server.url, ops_manager, next_url=editor)

    question = page.locator(".sop-question")
    assert question.count() == 1
    assert "Which system tells us “customer's segment”?" in question.inner_text()
    labels = page.locator(".sop-question optgroup").evaluate_all("groups => groups.map(g => g.label)")
    assert labels[0] == "Suggested" and "Custom fields (on the ticket)" in labels and labels[-1] == "Nothing fits"
    assert page.locator(".sop-card .sop-judgement").count() == 1  # a person decides it today

    page.select_option(".sop-question select", "case.fields.account_segment")
    page.click("button[name=answer_question]")
    page.wait_for_selector(".messagelist .success, .messages .success, li.success")

    assert page.locator(".sop-question").count() == 0
    assert page.locator(".sop-card .sop-judgement").count() == 0
    condition = page.locator(".sop-card-decide code.sop-cel").first.inner_text()
    assert condition == 'case.fields.account_segment == "enterprise"'
    version = ProcedureVersion.objects.get(pk=version.pk)
    assert version.status == ProcedureVersion.Status.COMPILED
    assert not [w for w in version.warnings if w["code"] in ("unknown_fact", "condition_not_understood")]

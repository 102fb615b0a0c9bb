"""A reviewer override becomes a regression case; a version that breaks it shows it failing before publish."""

from __future__ import annotations

import pytest

from cases.judgements import hold_consult
from cases.models import ReviewItem, Run
from cases.services import run_advance, run_start
from procedures.services import version_checks_run, version_create_and_compile, version_publish
from reviews.insights.history import BILLING_SOP, billing_procedure_ensure
from reviews.insights.regression import regression_cases_collect
from reviews.insights.services import regression_case_pin
from reviews.models import RegressionCase
from reviews.services import review_decide
from tests.factories import CaseFactory

pytestmark = pytest.mark.django_db

BREAKING = BILLING_SOP.replace(
    "If the charge looks wrong to the agent", "If the ticket is tagged billing-dispute"
)  # every dispute now gets the refund tag and is resolved, no person asked
FIXED = (
    BILLING_SOP.replace(
        "1. If the ticket",
        "1. If the ticket is tagged product-bug, open a Bug in the Jira project ENG with the ticket subject as the "
        "summary and stop.\n2. If the ticket",
    )
    .replace("2. If the charge", "3. If the charge")
    .replace("3. Post", "4. Post")
)


def held(version, n: int, tags: list[str]) -> ReviewItem:
    case = CaseFactory(
        source="zendesk", external_id=f"bill-{n}", subject=f"Charged twice #{n}", facts={"ticket_id": "4", "tags": tags}
    )
    run = run_advance(run_id=run_start(case=case, version=version, enqueue=False).id)
    assert run.status == Run.Status.HELD
    return ReviewItem.objects.get(run=run)


def decide(item: ReviewItem, reviewer, outcome: str) -> Run:
    review_decide(item_id=item.id, user=reviewer, outcome=outcome, note="")
    return run_advance(run_id=item.run_id)


def test_override_becomes_a_regression_case_and_a_breaking_version_fails_it_before_publish(
    sandbox, reviewer, ops_manager, settings
):
    settings.OPENAI_API_KEY = ""
    procedure = billing_procedure_ensure()
    v1 = procedure.published_version
    for n in (1, 2):
        assert decide(held(v1, n, ["billing-dispute"]), reviewer, "none").outcome == "resolved"
    third = held(v1, 3, ["billing-dispute", "product-bug"])
    assert hold_consult(item_id=third.id).outcome == "none", "the precedent proposes what people did before"
    assert decide(third, reviewer, "stop").outcome == "stopped", "the reviewer overrides: engineering's, not ours"

    assert regression_cases_collect() == 1
    case = RegressionCase.objects.get()
    assert (case.case_id, case.source, case.step_key) == (third.case_id, "override", "judge")
    assert case.expected == {"outcome": "stopped", "actions": []}

    breaking = version_create_and_compile(procedure=procedure, source=BREAKING, created_by=ops_manager)
    [check] = version_checks_run(version=breaking)
    assert (check["ok"], check["wrong"], check["right"]) == (False, 1, 0)
    [result] = check["results"]
    assert result["case"] == third.case_id and result["verdict"] == "wrong"
    assert result["got"]["outcome"] == "resolved" and "zendesk.add_tags" in result["got"]["actions"]

    fixed = version_create_and_compile(procedure=procedure, source=FIXED, created_by=ops_manager)
    published = version_publish(version=fixed, user=ops_manager, confirm_warnings=True)  # the agent judgement stays
    [check] = published.check_results
    assert (check["ok"], check["right"], check["wrong"]) == (True, 1, 0)
    assert check["results"][0]["got"]["actions"] == ["jira.create_issue"]


def test_an_ops_manager_pins_a_finished_case_and_an_unfinished_one_is_refused(sandbox, reviewer, ops_manager, settings):
    from reviews.insights.services import InsightError

    settings.OPENAI_API_KEY = ""
    procedure = billing_procedure_ensure()
    item = held(procedure.published_version, 7, ["billing-dispute"])
    with pytest.raises(InsightError, match="no finished live run"):
        regression_case_pin(case=item.case, procedure=procedure, user=ops_manager)
    decide(item, reviewer, "none")
    pinned = regression_case_pin(case=item.case, procedure=procedure, user=ops_manager, note="typical dispute")
    assert pinned.expected == {"outcome": "resolved", "actions": ["zendesk.add_note", "zendesk.add_tags"]}

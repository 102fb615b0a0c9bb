"""The inbox over HTTP, with personas: who sees it, who decides what, claiming, deciding."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.contrib.auth.models import Group
from django.utils import timezone

from cases.models import Decision, ReviewItem, Run
from cases.sla.clocks import sla_on_case_event
from cases.sla.compile import sla_policies_from_sop
from tests.cases.sla.conftest import SOP_PATH
from tests.factories import UserFactory
from tests.reviews.holds import SENTENCE_1, held_item

pytestmark = pytest.mark.django_db


def test_anonymous_visitors_are_sent_to_log_in(client, version):
    response = client.get("/inbox/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize("url", ["/inbox/", "/inbox/agreement/"])
def test_outsiders_are_refused(client, outsider, version, url):
    client.force_login(outsider)
    assert client.get(url).status_code == 403


def test_outsider_cannot_open_claim_or_decide_an_item(client, outsider, version):
    item = held_item(version)
    client.force_login(outsider)
    assert client.get(f"/inbox/items/{item.id}/").status_code == 403
    assert client.post(f"/inbox/items/{item.id}/claim/").status_code == 403
    assert client.post(f"/inbox/items/{item.id}/decide/", {"outcome": "stop"}).status_code == 403
    item.refresh_from_db()
    assert item.status == ReviewItem.Status.OPEN and item.assignee is None


def test_reviewer_sees_the_queue_with_counts_and_filters(client, reviewer, version):
    held_item(version, subject="Login loop")
    held_item(version, subject="Export crashes", due_at=timezone.now() - dt.timedelta(hours=1))
    client.force_login(reviewer)
    page = client.get("/inbox/").content.decode()
    assert "Login loop" in page and "Export crashes" in page
    assert "A fact is missing" in page
    assert "Product bug escalation" in page
    overdue = client.get("/inbox/?due=overdue").content.decode()
    assert "Export crashes" in overdue and "Login loop" not in overdue


def test_htmx_filter_request_gets_only_the_results(client, reviewer, version):
    held_item(version, subject="Login loop")
    client.force_login(reviewer)
    response = client.get("/inbox/?reason=missing_fact", headers={"HX-Request": "true", "HX-Target": "inbox-results"})
    body = response.content.decode()
    assert "Login loop" in body
    assert "<html" not in body


def test_agreement_page_is_for_ops_managers(client, reviewer, ops_manager, version):
    client.force_login(reviewer)
    assert client.get("/inbox/agreement/").status_code == 403
    client.force_login(ops_manager)
    assert client.get("/inbox/agreement/").status_code == 200


def test_detail_shows_the_sop_sentence_highlighted_and_the_decision_form(client, reviewer, version):
    item = held_item(version)
    client.force_login(reviewer)
    page = client.get(f"/inbox/items/{item.id}/").content.decode()
    assert f'<mark class="sop-sentence">{SENTENCE_1.replace("&", "&amp;").replace(chr(39), "&#x27;")}</mark>' in page
    assert 'name="outcome" value="continue"' in page and 'name="outcome" value="stop"' in page
    assert "Similar past decisions" in page


def test_reviewer_decides_and_the_run_resumes_through_the_queue(
    client, reviewer, version, django_capture_on_commit_callbacks
):
    from django_q.models import OrmQ

    item = held_item(version)
    client.force_login(reviewer)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/inbox/items/{item.id}/decide/",
            {"outcome": "continue", "param_facts": "plan = Free\nname = Nowhere Ltd", "note": "Self-serve user"},
        )
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.status == ReviewItem.Status.DECIDED
    assert (item.outcome, item.decided_by, item.note) == ("continue", reviewer, "Self-serve user")
    assert item.decision_params == {"facts": {"plan": "Free", "name": "Nowhere Ltd"}}
    run = Run.objects.get(id=item.run_id)
    assert run.status == Run.Status.RUNNING
    assert run.state["resolution"]["outcome"] == "continue"
    assert OrmQ.objects.count() == 1, "the run is resumed by a django-q2 task"
    decision = Decision.objects.get(item=item)
    assert decision.source == Decision.Source.REVIEWER
    assert decision.facts == {"code": "not_found", "facts_key": "account"}
    assert "Login loop" in decision.case_text

    page = client.get(f"/inbox/items/{item.id}/").content.decode()
    assert "rafael decided &#x27;continue&#x27;" in page, "the timeline says who decided what"
    assert "Self-serve user" in page


def test_an_outcome_the_sop_does_not_offer_is_refused(client, reviewer, version):
    item = held_item(version)
    client.force_login(reviewer)
    response = client.post(f"/inbox/items/{item.id}/decide/", {"outcome": "close_all_tickets"})
    assert response.status_code == 400
    item.refresh_from_db()
    assert item.status == ReviewItem.Status.OPEN


def test_parameters_the_sop_fixes_cannot_be_set(reviewer, version):
    from reviews.services import ReviewError, review_decide

    item = held_item(version)
    with pytest.raises(ReviewError, match="fixes"):
        review_decide(item_id=item.id, user=reviewer, outcome="stop", params={"facts": {"plan": "Free"}})
    item.refresh_from_db()
    assert item.status == ReviewItem.Status.OPEN


def test_reviewer_cannot_decide_an_approval_for_another_role(client, reviewer, version):
    approval = held_item(
        version,
        reason=ReviewItem.Reason.APPROVAL,
        required_role="Claims managers",
        proposal={"evidence": []},
        outcomes=[{"key": "approve", "label": "Approve"}, {"key": "reject", "label": "Reject"}],
    )
    client.force_login(reviewer)
    page = client.get(f"/inbox/items/{approval.id}/").content.decode()
    assert "Only <strong>Claims managers</strong> can decide" in page
    assert client.post(f"/inbox/items/{approval.id}/decide/", {"outcome": "approve"}).status_code == 403
    approval.refresh_from_db()
    assert approval.status == ReviewItem.Status.OPEN

    manager = UserFactory(username="carla")
    manager.groups.add(Group.objects.get(name="Reviewers"), Group.objects.get_or_create(name="Claims managers")[0])
    client.force_login(manager)
    assert client.post(f"/inbox/items/{approval.id}/decide/", {"outcome": "approve"}).status_code == 302
    approval.refresh_from_db()
    assert (approval.status, approval.outcome, approval.decided_by) == ("decided", "approve", manager)


def test_claim_is_first_come_first_served(client, reviewer, version):
    item = held_item(version)
    other = UserFactory(username="rita")
    other.groups.add(Group.objects.get(name="Reviewers"))
    client.force_login(reviewer)
    response = client.post(f"/inbox/items/{item.id}/claim/", headers={"HX-Request": "true"})
    assert response.status_code == 200 and "Release" in response.content.decode()
    client.force_login(other)
    response = client.post(f"/inbox/items/{item.id}/claim/", headers={"HX-Request": "true"})
    assert response.status_code == 409
    assert "rafael has already claimed" in response.content.decode()
    # Someone else's claim blocks the decision too, and cannot be released by another reviewer.
    assert client.post(f"/inbox/items/{item.id}/decide/", {"outcome": "stop"}).status_code == 409
    assert client.post(f"/inbox/items/{item.id}/unclaim/", headers={"HX-Request": "true"}).status_code == 403
    item.refresh_from_db()
    assert item.assignee == reviewer and item.status == ReviewItem.Status.OPEN


def test_ops_manager_can_release_anyones_claim(client, reviewer, ops_manager, version):
    from reviews.services import review_claim, review_unclaim

    item = held_item(version)
    review_claim(item_id=item.id, user=reviewer)
    review_unclaim(item_id=item.id, user=ops_manager)
    item.refresh_from_db()
    assert item.assignee is None and item.claimed_at is None


def test_inbox_rows_show_the_cases_sla_countdown(client, reviewer, version):
    sla_policies_from_sop(text=SOP_PATH.read_text())
    with time_machine.travel(dt.datetime(2026, 11, 24, 10, 20, tzinfo=dt.UTC), tick=False):
        item = held_item(version, subject="Data export broken")
        case = item.case
        case.facts = {**case.facts, "tier": "enterprise"}
        case.opened_at = timezone.now() - dt.timedelta(minutes=20)
        case.save()
        sla_on_case_event(case=case, event_kind="created", now=case.opened_at)
        client.force_login(reviewer)
        page = client.get("/inbox/").content.decode()
    assert "Assignment: 10m left" in page

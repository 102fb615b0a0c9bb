"""Lists: cursor pagination everywhere, django-filter filters, search."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from cases.models import Case
from tests.api.conftest import bearer
from tests.factories import CaseFactory

pytestmark = pytest.mark.django_db

LISTS = [
    "/api/v1/procedures/",
    "/api/v1/versions/",
    "/api/v1/steps/",
    "/api/v1/cases/",
    "/api/v1/runs/",
    "/api/v1/review-items/",
    "/api/v1/events/",
    "/api/v1/operations/",
]


@pytest.mark.parametrize("url", LISTS)
def test_every_list_is_cursor_paginated(url, world, admin_token):
    CaseFactory.create_batch(3)
    client = bearer(admin_token)
    seen, page, pages = [], client.get(f"{url}?page_size=2").json(), 0
    assert set(page) == {"next", "previous", "results"}
    while True:
        pages += 1
        assert len(page["results"]) <= 2
        seen += [r.get("id", r.get("name")) for r in page["results"]]
        if not page["next"]:
            break
        page = client.get(page["next"]).json()
    assert len(seen) == len(set(seen)), "a cursor page repeated an item"
    assert pages >= 2 or len(seen) <= 2


def test_cases_newest_first_and_the_cursor_survives_new_arrivals(admin_token):
    cases = CaseFactory.create_batch(5)
    client = bearer(admin_token)
    first = client.get("/api/v1/cases/?page_size=2").json()
    assert [c["id"] for c in first["results"]] == [cases[4].id, cases[3].id]
    CaseFactory()  # arrives between pages
    second = client.get(first["next"]).json()
    assert [c["id"] for c in second["results"]] == [cases[2].id, cases[1].id]


def test_a_forged_cursor_is_a_400_on_the_cursor(admin_token):
    response = bearer(admin_token).get("/api/v1/cases/?cursor=bm9wZQ")
    assert response.status_code == 400
    assert "cursor" in response.json()["error"]["fields"]
    response = bearer(admin_token).get("/api/v1/operations/?cursor=%%%")
    assert response.status_code == 400


def test_case_filters_and_search(admin_token):
    now = timezone.now()
    old = CaseFactory(subject="Printer on fire", status=Case.Status.RESOLVED, opened_at=now - dt.timedelta(days=3))
    new = CaseFactory(subject="Refund for order 7", account_name="Globex", priority=Case.Priority.HIGH)
    client = bearer(admin_token)

    def ids(query: str) -> list[int]:
        response = client.get(f"/api/v1/cases/?{query}")
        assert response.status_code == 200, response.content
        return [c["id"] for c in response.json()["results"]]

    assert ids("q=printer") == [old.id]
    assert ids("q=globex") == [new.id]
    assert ids("status=resolved") == [old.id]
    assert ids("priority=high") == [new.id]
    after = (now - dt.timedelta(days=1)).isoformat().replace("+00:00", "Z")
    assert ids(f"opened_after={after}") == [new.id]


def test_run_review_item_and_event_filters(world, admin_token):
    client = bearer(admin_token)
    runs = client.get(f"/api/v1/runs/?procedure={world.procedure.id}&status=held").json()["results"]
    assert [r["id"] for r in runs] == [world.run.id]
    assert client.get("/api/v1/runs/?status=completed").json()["results"] == []
    items = client.get("/api/v1/review-items/?assignee=unassigned&status=open").json()["results"]
    assert [i["id"] for i in items] == [world.item.id]
    events = client.get(f"/api/v1/events/?case={world.case.id}").json()["results"]
    assert [e["id"] for e in events] == [world.event.id]
    assert "Authorization" not in events[0]["headers"]


def test_version_and_step_filters(world, admin_token):
    client = bearer(admin_token)
    versions = client.get(f"/api/v1/versions/?procedure={world.procedure.id}&status=published").json()["results"]
    assert [v["number"] for v in versions] == [2]
    steps = client.get(f"/api/v1/steps/?version={world.v3.id}&kind=end").json()["results"]
    assert [s["kind"] for s in steps] == ["end"]


def test_registry_filters_and_never_shows_credentials(admin_token, settings):
    client = bearer(admin_token)
    ops = client.get("/api/v1/operations/?system=jira&writes=false&page_size=200").json()["results"]
    assert [o["name"] for o in ops] == ["jira.get_issue"]
    everything = client.get("/api/v1/operations/?page_size=200").content.decode()
    assert "handler" not in everything
    for system in settings.CONNECTORS.values():
        for value in system.values():
            if value and len(value) > 6:
                assert value not in everything


@pytest.mark.parametrize("url", LISTS)
def test_list_queries_do_not_grow_with_rows(url, world, admin_token, django_assert_max_num_queries):
    from tests.factories import ReviewItemFactory

    CaseFactory.create_batch(20)
    ReviewItemFactory.create_batch(20, run=world.run, case=world.case)
    client = bearer(admin_token)
    with django_assert_max_num_queries(8):
        assert client.get(f"{url}?page_size=50").status_code == 200


def test_cancelling_a_run_withdraws_its_review_items_and_twice_is_a_conflict(world, ops_manager):
    from tests.api.conftest import signed_in

    client = signed_in(ops_manager)
    response = client.post(f"/api/v1/runs/{world.run.id}/cancel/", {"reason": "opened twice"}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "cancelled"
    item = client.get(f"/api/v1/review-items/{world.item.id}/").json()
    assert item["status"] == "cancelled"
    again = client.post(f"/api/v1/runs/{world.run.id}/cancel/", {}, format="json")
    assert again.status_code == 409 and again.json()["error"]["code"] == "run_finished"

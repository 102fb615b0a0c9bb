"""The case page (/cases/<id>/): what a reviewer needs to decide, in the inbox's design, for case readers only."""

from __future__ import annotations

import re
import urllib.request

import pytest

from cases.casefacts import NormalisedEvent, case_apply
from cases.models import ReviewItem, Run
from cases.services import run_advance, run_start
from tests.cases.graphs import escalation
from tests.factories import CaseFactory, ProcedureFactory, ProcedureVersionFactory

pytestmark = pytest.mark.django_db

RAW_DICT = re.compile(r"\{&#x27;|\{'")  # a Python dict printed into the page


@pytest.fixture
def version(db):
    procedure = ProcedureFactory(name="Product bug escalation", slug="product-bug-escalation")
    return ProcedureVersionFactory(procedure=procedure, graph=escalation().to_json(), status="published")


def _run(version, *, external_url="", **case_fields):
    case = CaseFactory(source="zendesk", **case_fields)
    # As intake leaves it: the ticket's link, whatever {{ticket.link}} the webhook carried.
    case_apply(case=case, event=NormalisedEvent(source="zendesk", event_type="ticket.created", url=external_url))
    case.save()
    run = run_advance(run_id=run_start(case=case, version=version, mode=Run.Mode.LIVE, enqueue=False).id)
    return case, run


@pytest.fixture
def escalated(sandbox, version):
    case, run = _run(
        version,
        external_id="1",
        subject="Export to CSV crashes",
        requester_email="alice@acme.example",
        external_url="https://sandbox.zendesk.com/agent/tickets/1",  # what Zendesk's {{ticket.link}} used to carry
        facts={"ticket_id": "1", "tags": ["product-bug"]},
    )
    assert run.status == "completed"
    return case


@pytest.fixture
def held(sandbox, version):
    case, run = _run(
        version, external_id="4", subject="Login loop", requester_email="pat@nowhere.example", facts={"ticket_id": "4"}
    )
    assert run.status == "held"
    return case


def test_reviewer_sees_timeline_facts_runs_and_links_on_the_case_page(escalated, sandbox, client, reviewer):
    client.force_login(reviewer)
    page = client.get(f"/cases/{escalated.id}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Django administration" not in html and "◆</span> sopdesk" in html
    assert not RAW_DICT.search(html), "decisions, facts and requests read as text, not Python dicts"
    # Timeline with the SOP sentence and the decision in words.
    assert "Find the requester&#x27;s organization in Salesforce" in html
    assert "No condition matched, so the SOP&#x27;s “otherwise” path was taken." in html
    # Facts as a table (ticket facts and what the run gathered).
    assert '<th scope="row"><code>ticket_id</code></th><td>1</td>' in html
    assert '<th scope="row"><code>account.plan</code></th><td>Enterprise</td>' in html
    # The run with its status and outcome.
    run_row = re.search(r'<tr data-run="\d+">(.*?)</tr>', html, re.S).group(1)
    assert "Product bug escalation" in run_row and "Completed" in run_row and "resolved" in run_row
    # Links to the outside objects, all on the emulators (never sandbox.zendesk.com).
    links = re.search(r'id="case-links">(.*?)</section>', html, re.S).group(1)
    zendesk = sandbox.urls["zendesk"]
    assert f'href="{zendesk}/agent/tickets/1"' in links and "Zendesk ticket #1" in links
    assert re.search(rf'href="{re.escape(sandbox.urls["jira"])}/browse/ENG-\d+"', links)
    assert sandbox.urls["salesforce"] in links
    assert "sandbox.zendesk.com" not in html
    assert re.search(r'target="_blank">Jira ENG-\d+</a>', html) and "open_bug: url" not in html


def test_case_page_lists_the_review_items_with_links_to_the_inbox(held, client, ops_manager):
    item = ReviewItem.objects.get(case=held)
    client.force_login(ops_manager)
    html = client.get(f"/cases/{held.id}/").content.decode()
    items = re.search(r'id="case-items">(.*?)</section>', html, re.S).group(1)
    assert f'href="/inbox/items/{item.id}/"' in items and "1 open" in items
    # The hold reads as a sentence with its outcomes once each, not as the recorded dict.
    assert "Stopped for a person: Find the account:" in html
    assert html.count("Stop the run here") == 1
    assert not RAW_DICT.search(html)


def test_outsiders_get_403_and_anonymous_users_go_to_sign_in(escalated, client, outsider):
    url = f"/cases/{escalated.id}/"
    response = client.get(url)
    assert response.status_code == 302 and response.url.startswith("/accounts/login/")
    client.force_login(outsider)
    assert client.get(url).status_code == 403
    assert client.get(f"/cases/{escalated.id}/timeline/").status_code == 403


def test_unknown_case_is_404(client, reviewer):
    client.force_login(reviewer)
    assert client.get("/cases/999999/").status_code == 404


def test_inbox_and_item_page_link_to_the_case_page_not_the_admin(held, client, reviewer):
    item = ReviewItem.objects.get(case=held)
    client.force_login(reviewer)
    detail = client.get(f"/inbox/items/{item.id}/").content.decode()
    assert re.search(rf'<a href="/cases/{held.id}/" data-case-link>#{held.id}</a>', detail)
    assert "/admin/" not in re.search(r'<div class="meta">(.*?)</div>', detail, re.S).group(1)
    inbox = client.get("/inbox/").content.decode()
    assert f'href="/cases/{held.id}/" class="case-ref">case #{held.id}</a>' in inbox
    assert client.get(f"/cases/{held.id}/").status_code == 200


def test_zendesk_ticket_links_open_the_emulators_ticket_page(escalated, sandbox):
    from connectors.zendesk.links import ticket_url

    url = ticket_url("1")
    assert url == f"{sandbox.urls['zendesk']}/agent/tickets/1"
    with urllib.request.urlopen(url, timeout=5) as response:  # a person's browser: no API credentials
        page = response.read().decode()
    assert response.status == 200 and "Export to CSV crashes" in page


def test_real_accounts_link_to_the_accounts_zendesk(settings):
    from connectors.zendesk.links import ticket_id_from_url, ticket_url

    settings.SANDBOX_URL = ""
    settings.CONNECTORS = {**settings.CONNECTORS, "zendesk": {"subdomain": "acme", "token": "t", "email": "a@b.c"}}
    assert ticket_url("#42") == "https://acme.zendesk.com/agent/tickets/42"
    assert ticket_url("not-a-number") == ""
    assert ticket_id_from_url("https://acme.zendesk.com/api/v2/tickets/42.json") == "42"

"""Jira operations through the jira library over HTTP to the emulator."""

from __future__ import annotations

import pytest

from connectors.base import NotFound, PermanentError
from connectors.registry import get


def op(name):
    return get(name).load_handler()


def bug(summary="Export crashes", **extra):
    return {"project": "ENG", "issue_type": "Bug", "summary": summary, "priority": "Highest", **extra}


def test_create_issue_creates_a_bug_with_priority_labels_and_description(sandbox):
    result = op("jira.create_issue")(
        bug(description="Acme Corp (Enterprise)\nhttps://sandbox.zendesk.com/agent/tickets/1", labels=["zendesk"]),
        idempotency_key="run-1:open-bug",
    )

    assert result["key"] == "ENG-1"
    assert result["url"].endswith("/browse/ENG-1")
    issue = sandbox.inspect("jira")["issues"]["ENG-1"]["fields"]
    assert issue["issuetype"] == {"name": "Bug"}
    assert issue["priority"] == {"name": "Highest"}
    assert issue["summary"] == "Export crashes"
    assert "Acme Corp" in issue["description"]
    assert "zendesk" in issue["labels"]


def test_create_issue_in_an_unknown_project_is_permanent_with_jira_message(sandbox):
    with pytest.raises(PermanentError) as caught:
        op("jira.create_issue")({"project": "NOPE", "summary": "x"}, idempotency_key="k")
    assert caught.value.status == 400
    assert "valid project is required" in caught.value.remote_message
    assert sandbox.inspect("jira")["issues"] == {}


def test_create_issue_survives_503_503_then_201(sandbox):
    sandbox.faults("jira", script=[503, 503])
    result = op("jira.create_issue")(bug(), idempotency_key="run-2:open-bug")
    assert list(sandbox.inspect("jira")["issues"]) == [result["key"]]


def test_create_issue_whose_response_was_lost_is_found_not_repeated(sandbox):
    op("jira.create_issue")(bug("warm-up"), idempotency_key="warm-up")  # the client connects outside the fault
    sandbox.faults("jira", script=[200, 503], when="after")  # search passes, the create commits and answers 503

    result = op("jira.create_issue")(bug(), idempotency_key="run-3:open-bug")

    issues = sandbox.inspect("jira")["issues"]
    assert len(issues) == 2 and result["key"] == "ENG-2"


def test_add_comment(sandbox):
    key = op("jira.create_issue")(bug(), idempotency_key="k")["key"]
    result = op("jira.add_comment")({"issue_key": key, "body": "Customer confirmed."}, idempotency_key="c")
    comments = sandbox.inspect("jira")["issues"][key]["comments"]
    assert [c["id"] for c in comments] == [result["id"]]
    assert comments[0]["body"].startswith("Customer confirmed.")


def test_add_comment_on_a_missing_issue_is_not_found(sandbox):
    with pytest.raises(NotFound):
        op("jira.add_comment")({"issue_key": "ENG-99", "body": "x"}, idempotency_key="c")


def test_link_issues(sandbox):
    first = op("jira.create_issue")(bug("one"), idempotency_key="a")["key"]
    second = op("jira.create_issue")(bug("two"), idempotency_key="b")["key"]
    assert op("jira.link_issues")({"link_type": "Blocks", "inward_issue": first, "outward_issue": second}) == {
        "linked": True
    }
    links = sandbox.inspect("jira")["links"]
    assert [(link["type"], link["inward"], link["outward"]) for link in links] == [("Blocks", first, second)]


def test_transition_issue_by_status_or_transition_name(sandbox):
    key = op("jira.create_issue")(bug(), idempotency_key="k")["key"]
    assert op("jira.transition_issue")({"issue_key": key, "transition": "In Progress"}) == {"status": "In Progress"}
    assert op("jira.transition_issue")({"issue_key": key, "transition": "done"}) == {"status": "Done"}
    assert sandbox.inspect("jira")["issues"][key]["fields"]["status"]["name"] == "Done"


def test_transition_to_an_unknown_status_is_permanent(sandbox):
    key = op("jira.create_issue")(bug(), idempotency_key="k")["key"]
    with pytest.raises(PermanentError, match="available: To Do, In Progress, Done"):
        op("jira.transition_issue")({"issue_key": key, "transition": "Shipped"})


def test_get_issue(sandbox):
    key = op("jira.create_issue")(bug(), idempotency_key="k")["key"]
    op("jira.transition_issue")({"issue_key": key, "transition": "Done"})
    assert op("jira.get_issue")({"issue_key": key}) == {
        "key": key,
        "status": "Done",
        "summary": "Export crashes",
        "assignee": "",
        "resolved": True,
    }


def test_get_missing_issue_is_not_found(sandbox):
    with pytest.raises(NotFound):
        op("jira.get_issue")({"issue_key": "ENG-404"})


def test_a_real_account_configuration_reaches_the_same_emulator_and_wrong_token_is_permanent(sandbox, settings):
    settings.SANDBOX_URL = ""
    settings.CONNECTORS = {
        **settings.CONNECTORS,
        "jira": {"url": sandbox.urls["jira"], "user": "sopdesk@sandbox.local", "token": "not-the-token"},
    }
    with pytest.raises(PermanentError) as caught:
        op("jira.get_issue")({"issue_key": "ENG-1"})
    assert caught.value.status == 401


def test_the_issue_url_opens_a_page_in_the_sandbox(sandbox):
    import requests

    url = op("jira.create_issue")(bug(), idempotency_key="k")["url"]
    page = requests.get(url, timeout=5)
    assert page.status_code == 200 and "Export crashes" in page.text

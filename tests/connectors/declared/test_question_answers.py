"""The compiler's "which system tells us X?" questions: a pick list over the API, answers kept as the procedure's
vocabulary (every later compile keeps them), refusals that store nothing."""

from __future__ import annotations

import pytest

from connectors.declared import services as declared_services
from connectors.declared.models import VocabularyAnswer
from procedures import services
from tests.api.conftest import signed_in
from tests.support import declared_tools

pytestmark = pytest.mark.django_db

REGION_SOP = (
    "Look up the customer's account status in the billing system.\n"
    "If the customer's segment is enterprise, tag the ticket vip.\n"
    "Otherwise reply to the customer: Thanks, we are on it."
)
CRM_SOP = "Look up the customer's plan in the CRM system.\nThen tag the ticket crm-checked."
CUSTOMERS = {
    "name": "customers.lookup",
    "summary": "Find the customer record: their segment and plan.",
    "method": "GET",
    "path": "/customers/{email}",
    "input_schema": {"type": "object", "properties": {"email": {"type": "string", "format": "email"}},
                     "required": ["email"]},
    "outputs": [{"name": "segment", "path": "/segment", "enum": ["enterprise", "smb", "consumer"]},
                {"name": "plan", "path": "/plan"}],
    "endpoint": "billing",
}  # fmt: skip
ORDERS = {
    "name": "orders.lookup",
    "summary": "Find an order by its number.",
    "method": "GET",
    "path": "/orders/{order_number}",
    "input_schema": {"type": "object", "properties": {"order_number": {"type": "string"}}, "required": ["order_number"]},
    "outputs": [{"name": "segment", "path": "/segment"}],
    "endpoint": "billing",
}  # fmt: skip


@pytest.fixture
def tools(tool_server):
    declared_tools.declare(billing_url=tool_server.url, outage_url=tool_server.url)
    declared_services.operation_save(data=CUSTOMERS)
    declared_services.operation_save(data=ORDERS)
    declared_services.custom_fields_select(
        system="zendesk",
        sobject="Ticket",
        wanted=["Account segment"],
        available=[
            {"field_id": "360009", "title": "Account segment", "type": "string", "choices": ["enterprise", "smb"]}
        ],
    )


def compiled(source: str, owner, name: str = "Segments"):
    procedure = services.procedure_create_and_compile(name=name, source=source, trigger={"source": "api"}, owner=owner)
    return procedure.versions.get()


def questions(client, version) -> list[dict]:
    response = client.get(f"/api/v1/questions/?version={version.pk}")
    assert response.status_code == 200, response.content
    return response.json()["questions"]


def decides(steps) -> list[str]:
    return [b["when"] for s in steps if s["kind"] == "decide" for b in s.get("branches", [])]


def test_a_fact_question_lists_candidates_then_the_vocabulary_and_the_answer_makes_a_condition(tools, ops_manager):
    version = compiled(REGION_SOP, ops_manager)
    client = signed_in(ops_manager)
    [question] = questions(client, version)
    assert question["kind"] == "fact" and question["phrase"] == "customer's segment"
    values = [o["value"] for o in question["options"]]
    groups = [o["group"] for o in question["options"]]
    assert groups[: groups.count("suggested")] == ["suggested"] * groups.count("suggested") and "suggested" in groups
    assert {"customers.lookup:segment", "case.fields.account_segment", "case.tier", "person"} <= set(values)
    segment = next(o for o in question["options"] if o["value"] == "customers.lookup:segment")
    assert segment["values"] == ["enterprise", "smb", "consumer"]

    response = client.post(
        "/api/v1/questions/answer/",
        {"version": version.pk, "phrase": "the customer's segment", "answer": "case.fields.account_segment"},
        format="json",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert 'case.fields.account_segment == "enterprise"' in decides(body["steps"])
    assert body["questions"] == []
    assert not [w for w in body["warnings"] if w["code"] in ("unknown_fact", "condition_not_understood")]

    # the answer is vocabulary, not an edited step: a recompile and a new version of the text keep it
    assert client.post(f"/api/v1/versions/{version.pk}/compile/", {}, format="json").status_code == 200
    version.refresh_from_db()
    assert 'case.fields.account_segment == "enterprise"' in decides(version.graph["steps"])
    newer = services.version_create_and_compile(procedure=version.procedure, source=REGION_SOP + "\nClose the ticket.")
    assert 'case.fields.account_segment == "enterprise"' in decides(newer.graph["steps"])


def test_an_operation_output_answer_gathers_it_first(tools, ops_manager):
    version = compiled("If the customer's segment is enterprise, tag the ticket vip.", ops_manager)
    response = signed_in(ops_manager).post(
        "/api/v1/questions/answer/",
        {"version": version.pk, "phrase": "customer's segment", "answer": "customers.lookup:segment"},
        format="json",
    )
    assert response.status_code == 200, response.content
    steps = response.json()["steps"]
    gather = next(s for s in steps if s["kind"] == "gather")
    assert gather["operation"] == "customers.lookup" and gather["params"] == {"email": "{{ case.requester_email }}"}
    assert gather["required"] == ["segment"]  # a missing segment holds the case; it never guesses
    assert f'{gather["save_as"]}.segment == "enterprise"' in decides(steps)


def test_a_system_answer_turns_the_lookup_into_a_gather_and_person_keeps_a_judgement(tools, ops_manager):
    version = compiled(CRM_SOP, ops_manager)
    client = signed_in(ops_manager)
    [question] = questions(client, version)
    assert question["kind"] == "system" and question["phrase"] == "crm system"
    response = client.post(
        "/api/v1/questions/answer/",
        {"version": version.pk, "phrase": "crm system", "answer": "customers.lookup"},
        format="json",
    )
    assert response.status_code == 200, response.content
    assert [s["operation"] for s in response.json()["steps"] if s["kind"] == "gather"] == ["customers.lookup"]

    other = compiled("If the customer's mood is angry, tag the ticket calm-down.", ops_manager, name="Moods")
    response = client.post(
        "/api/v1/questions/answer/",
        {"version": other.pk, "phrase": "customer's mood", "answer": "person"},
        format="json",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["questions"] == [] and not decides(body["steps"])  # still a judgement, no longer a question
    assert [w["code"] for w in body["warnings"]] == ["condition_not_understood"]


def test_bad_answers_are_refused_and_store_nothing(tools, ops_manager, reviewer):
    version = compiled(REGION_SOP, ops_manager)
    client = signed_in(ops_manager)
    response = client.post(
        "/api/v1/questions/answer/",
        {"version": version.pk, "phrase": "customer's segment", "answer": "case.fields.invented"},
        format="json",
    )
    assert response.status_code == 400
    assert "not in the pick list" in response.json()["error"]["message"]
    response = client.post(
        "/api/v1/questions/answer/",
        {"version": version.pk, "phrase": "the weather", "answer": "case.tier"},
        format="json",
    )
    assert response.status_code == 400 and "no open question about “the weather”" in response.json()["error"]["message"]
    response = signed_in(reviewer).post(
        "/api/v1/questions/answer/",
        {"version": version.pk, "phrase": "customer's segment", "answer": "case.tier"},
        format="json",
    )
    assert response.status_code == 403
    response = client.post(
        "/api/v1/questions/answer/",
        {"version": version.pk, "phrase": "customer's segment", "answer": "orders.lookup:segment"},
        format="json",
    )
    assert response.status_code == 400  # nothing before the sentence gives an order number: never a blind lookup
    assert "orders.lookup needs order_number" in response.json()["error"]["message"]
    version.refresh_from_db()
    assert any(w["code"] == "unknown_fact" for w in version.warnings)  # the compile was rolled back too
    services.version_publish(version=version, user=ops_manager, confirm_warnings=True)
    response = client.post(
        "/api/v1/questions/answer/",
        {"version": version.pk, "phrase": "customer's segment", "answer": "case.tier"},
        format="json",
    )
    assert response.status_code == 409 and "new draft" in response.json()["error"]["message"]
    assert not VocabularyAnswer.objects.exists()


def test_a_case_said_with_a_pronoun_asks_no_system_for_it(tools, ops_manager):
    version = compiled("If it is spam:\n1. Tag the ticket phish-spam.\n2. Solve the ticket.\n", ops_manager, "Pronoun")
    client = signed_in(ops_manager)
    assert [q for q in questions(client, version) if q["kind"] == "fact"] == []  # "Which system tells us “it”?"

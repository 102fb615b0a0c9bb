"""Declared HTTP operations against a real local server: registry, facts, auth, idempotency, failures."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from connectors import registry
from connectors.base import NotFound, PermanentError, RetryableError
from connectors.declared import services
from connectors.declared.models import DeclaredOperation, Endpoint

pytestmark = pytest.mark.django_db


def test_declared_operations_join_the_registry_with_typed_params_and_outputs(declared):
    op = registry.get("billing.get_account_status")
    assert op.origin == "declared http" and not op.writes
    assert op.params["email"].type == "email" and op.params["email"].required
    assert op.returns == ("account_status", "suspension_reason", "region", "payment_link")
    assert "billing system" in op.keywords and "account status" in op.keywords
    assert registry.get("billing.apply_service_credit").writes
    assert "jira.create_issue" in registry.operations()  # built-ins are still there


def test_a_read_calls_the_system_with_its_secret_and_extracts_typed_facts(declared):
    facts = registry.get("billing.get_account_status").load_handler()({"email": "late@acme.example"})
    assert facts == {
        "account_status": "suspended",
        "suspension_reason": "non-payment",
        "region": "us-east",
        "payment_link": "https://pay.example/late@acme.example",
    }
    (request,) = declared.requests
    assert request["path"] == "/billing/accounts/late%40acme.example/status"  # inputs are URL-quoted
    assert request["headers"]["Authorization"] == "Bearer billing-secret"


def test_query_template_drops_absent_optional_inputs_and_types_booleans(declared):
    check = registry.get("outage.check_region").load_handler()
    assert check({"region": "eu-west"}) == {"outage": True, "hours_since_outage": 3.0}
    assert check({"region": "us-east", "hours": "240"})["outage"] is True
    assert declared.requests[0]["query"] == {"region": "eu-west"}
    assert declared.requests[1]["query"] == {"region": "us-east", "hours": "240"}


def test_a_repeated_write_with_the_same_key_is_one_credit(declared):
    credit = registry.get("billing.apply_service_credit").load_handler()
    first = credit({"email": "alice@acme.example", "amount": "10", "reason": "outage"}, idempotency_key="run1-c")
    again = credit({"email": "alice@acme.example", "amount": "10", "reason": "outage"}, idempotency_key="run1-c")
    assert first == again == {"credit_id": "CR-1", "amount": 10.0}
    assert len(declared.credits) == 1
    sent = declared.requests[0]
    assert sent["body"] == {"amount": 10.0, "reason": "outage"}  # typed from the input schema
    assert sent["headers"]["Idempotency-Key"].startswith("sd-")


def test_503s_are_retried_and_a_missing_account_is_not_found(declared):
    declared.fail_next(2)
    facts = registry.get("billing.get_account_status").load_handler()({"email": "bob@acme.example"})
    assert facts["account_status"] == "active" and len(declared.requests) == 3
    with pytest.raises(NotFound):
        registry.get("billing.get_account_status").load_handler()({"email": "nobody@acme.example"})
    declared.fail_next(5)
    with pytest.raises(RetryableError):
        registry.get("billing.get_account_status").load_handler()({"email": "bob@acme.example"})


def test_a_wrong_secret_is_a_permanent_failure(declared):
    services.endpoint_save(name="billing", base_url=f"{declared.url}/billing", auth="bearer", secret="wrong")
    with pytest.raises(PermanentError) as failure:
        registry.get("billing.get_account_status").load_handler()({"email": "bob@acme.example"})
    assert failure.value.status == 401 and not failure.value.retryable


def test_the_secret_is_stored_encrypted(declared):
    sealed = Endpoint.objects.get(name="billing").secret_sealed
    assert sealed and "billing-secret" not in sealed


def test_a_changed_declaration_is_seen_at_once_and_a_disabled_one_disappears(declared):
    op = DeclaredOperation.objects.get(name="outage.check_region")
    services.operation_save(data={"summary": "Ask the outage detector."}, instance=op)
    assert registry.get("outage.check_region").summary == "Ask the outage detector."
    services.operation_save(data={"enabled": False}, instance=op)
    assert "outage.check_region" not in registry.operations()


def test_mocks_answer_per_input_most_specific_first(declared):
    mock = registry.get("billing.get_account_status").load_mock()
    assert mock({"email": "fraud@acme.example"})["suspension_reason"] == "fraud"
    assert mock({"email": "someone@else.example"}) == {
        "account_status": "active",
        "suspension_reason": None,
        "region": "us-east",
        "payment_link": None,
    }
    assert not declared.requests  # a mock never calls the system


def test_a_change_saved_by_another_process_is_seen_by_the_next_transaction(declared, child_env):
    with transaction.atomic():  # as an engine pass looks operations up
        assert registry.get("outage.check_region").summary.startswith("Check the outage detector")
        with CaptureQueriesContext(connection) as queries:
            registry.get("outage.check_region")
            registry.get("billing.get_account_status")
        assert not [q for q in queries.captured_queries if "registrystate" in q["sql"].lower()]  # read once
    code = (
        "from connectors.declared import services; from connectors.declared.models import DeclaredOperation;"
        "services.operation_save(data={'summary': 'Changed elsewhere.'},"
        " instance=DeclaredOperation.objects.get(name='outage.check_region'))"
    )
    done = subprocess.run(
        [sys.executable, str(settings.BASE_DIR / "manage.py"), "shell", "-c", code],
        cwd=settings.BASE_DIR,
        env={**os.environ, **child_env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    with transaction.atomic():
        assert registry.get("outage.check_region").summary == "Changed elsewhere."
    assert registry.get("outage.check_region").summary == "Changed elsewhere."  # and outside a transaction


def test_a_change_made_in_this_transaction_is_seen_at_once(declared):
    with transaction.atomic():
        assert registry.get("outage.check_region").summary.startswith("Check the outage detector")
        services.operation_save(
            data={"summary": "Changed here."}, instance=DeclaredOperation.objects.get(name="outage.check_region")
        )
        assert registry.get("outage.check_region").summary == "Changed here."


def test_validation_checks_declared_inputs_and_outputs_like_built_in_ones(declared):
    from procedures.compiler.validate import validate_graph
    from procedures.steps import parse

    graph = parse(
        {
            "title": "t",
            "start": "lookup",
            "steps": [
                {"kind": "gather", "key": "lookup", "title": "Billing", "operation": "billing.get_account_status",
                 "params": {"mail": "{{ case.requester_email }}"}, "save_as": "billing", "next": "check"},
                {"kind": "decide", "key": "check", "title": "Plan?",
                 "branches": [{"when": "billing.plan == 'gold'", "next": "done"}], "otherwise": "done"},
                {"kind": "end", "key": "done", "title": "Done"},
            ],
        }
    )  # fmt: skip
    problems = " ".join(issue.message for issue in validate_graph(graph))
    assert "unknown parameter 'mail'" in problems and "missing required parameter 'email'" in problems
    assert "reads billing.plan, which nothing provides" in problems  # plan is not one of its output facts


def test_a_mock_is_recorded_from_one_real_read_and_writes_are_never_recorded(declared, ops_manager):
    from tests.api.conftest import signed_in

    client = signed_in(ops_manager)
    response = client.post(
        "/api/v1/declared-operations/billing.get_account_status/record-mock/",
        {"params": {"email": "bob@acme.example"}},
        format="json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["match"] == {"email": "bob@acme.example"}
    assert len(declared.requests) == 1
    answer = registry.get("billing.get_account_status").load_mock()({"email": "bob@acme.example"})
    assert answer["payment_link"] == "https://pay.example/bob@acme.example"  # what the real system said
    refused = client.post(
        "/api/v1/declared-operations/billing.apply_service_credit/record-mock/",
        {"params": {"email": "bob@acme.example"}},
        format="json",
    )
    assert refused.status_code == 400 and "Only reads" in refused.json()["error"]["message"]
    assert len(declared.requests) == 1 and not declared.credits

"""The OpenAPI 3 schema: valid, warning-free, every operation with its errors documented."""

from __future__ import annotations

import json

import pytest
from django.core.management import call_command

from tests.api.conftest import signed_in

pytestmark = pytest.mark.django_db


def test_the_schema_is_valid_openapi_without_warnings(tmp_path):
    out = tmp_path / "schema.json"
    call_command("spectacular", "--validate", "--fail-on-warn", "--format", "openapi-json", "--file", str(out))
    schema = json.loads(out.read_text())
    assert schema["openapi"].startswith("3.")
    assert {"apiToken", "cookieAuth"} <= set(schema["components"]["securitySchemes"])


def test_every_operation_documents_its_errors_with_the_error_body(ops_manager):
    schema = signed_in(ops_manager).get("/api/schema/?format=json").json()
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            responses = operation["responses"]
            expected = {"400", "401", "403", "429"} | ({"404"} if "{" in path else set())
            expected |= {"409", "413", "415"} if method == "post" else set()
            assert expected <= set(responses), f"{method.upper()} {path}: {sorted(expected - set(responses))}"
            for code in expected:
                ref = responses[code]["content"]["application/json"]["schema"]["$ref"]
                assert ref == "#/components/schemas/Error"
            assert operation.get("description") or operation.get("summary"), f"{method.upper()} {path}"


def _resolve(schema: dict, node: dict) -> dict:
    while "$ref" in node:
        node = schema["components"]["schemas"][node["$ref"].rsplit("/", 1)[1]]
    return node


def test_every_request_body_carries_an_example(ops_manager):
    schema = signed_in(ops_manager).get("/api/schema/?format=json").json()
    missing = [
        f"{method.upper()} {path}"
        for path, operations in schema["paths"].items()
        for method, operation in operations.items()
        if "requestBody" in operation and not operation["requestBody"]["content"]["application/json"].get("examples")
    ]
    assert missing == []


def test_the_timeline_documents_every_kind_of_entry_it_returns(ops_manager):
    from cases.selectors import TIMELINE_KINDS

    schema = signed_in(ops_manager).get("/api/schema/?format=json").json()
    entry = _resolve(schema, {"$ref": "#/components/schemas/TimelineEntry"})
    kinds = _resolve(schema, entry["properties"]["kind"])
    assert set(kinds["enum"]) == set(TIMELINE_KINDS) and "sla" in kinds["enum"]

"""The demo's declared tools: loaded once, mocked, and harmless to the reference SOPs' compilation."""

from __future__ import annotations

import pytest

from connectors import registry
from connectors.declared.demo import declared_demo_load
from procedures.compiler import compile_source
from sopdesk.demo import SCENARIOS

pytestmark = pytest.mark.django_db


def _graphs() -> dict[str, dict]:
    return {s.slug: compile_source(s.source, compiler="rules").graph for s in SCENARIOS if not s.sla_policies}


def test_declaring_the_demo_tools_leaves_the_reference_sops_compiling_as_before():
    before = _graphs()
    assert len(before) == 2 and all(before.values())
    assert declared_demo_load() == [
        "Declared tools (with mocks): billing.get_account_status, billing.apply_service_credit, outage.check_region"
    ]
    assert declared_demo_load() == ["Declared tools: already loaded"]
    assert registry.get("outage.check_region").mock is not None
    assert _graphs() == before

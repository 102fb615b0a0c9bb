"""Every registry operation has a handler at its dotted path and a test through its real client."""

from __future__ import annotations

import inspect
from pathlib import Path

import pytest

from connectors.registry import OPERATIONS

TESTS = Path(__file__).parent
SYSTEM_TESTS = {"salesforce", "jira", "zendesk", "carrier", "email", "http"}


@pytest.mark.parametrize("name", sorted(OPERATIONS))
def test_handler_exists_with_the_calling_convention(name):
    handler = OPERATIONS[name].load_handler()
    parameters = inspect.signature(handler).parameters
    assert list(parameters)[:1] == ["params"]
    assert parameters["idempotency_key"].kind is inspect.Parameter.KEYWORD_ONLY


@pytest.mark.parametrize("name", sorted(OPERATIONS))
def test_operation_is_exercised_by_its_system_test_module(name):
    operation = OPERATIONS[name]
    assert operation.system in SYSTEM_TESTS
    source = (TESTS / f"test_{operation.system}.py").read_text()
    assert f'"{name}"' in source, f"no test in test_{operation.system}.py calls {name}"

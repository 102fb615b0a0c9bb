"""The model client's modules import one way: model → model_errors → model_types (lazy imports included)."""

from __future__ import annotations

import ast
from pathlib import Path

import connectors

PACKAGE = Path(connectors.__file__).parent
CLIENT_MODULES = ("model", "model_errors", "model_types")


def _imports_of(name: str) -> set[str]:
    tree = ast.parse((PACKAGE / f"{name}.py").read_text())
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("connectors."):
            found.add(node.module.removeprefix("connectors."))
        elif isinstance(node, ast.Import):
            found |= {a.name.removeprefix("connectors.") for a in node.names if a.name.startswith("connectors.")}
    return found & set(CLIENT_MODULES)


def test_the_model_client_modules_import_one_way():
    assert _imports_of("model_types") == set()
    assert _imports_of("model_errors") == {"model_types"}
    assert _imports_of("model") == {"model_errors", "model_types"}


def test_callers_still_find_the_error_and_the_call_on_connectors_model():
    from connectors import model
    from connectors.model_types import ModelError

    assert model.ModelError is ModelError
    assert callable(model.structured_call)

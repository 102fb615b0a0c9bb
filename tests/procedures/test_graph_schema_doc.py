"""docs/graph-schema.json is the documented compiled-graph schema; it must match the code."""

from __future__ import annotations

import json
from pathlib import Path

from procedures.steps import graph_json_schema

DOC = Path(__file__).resolve().parents[2] / "docs" / "graph-schema.json"
REGENERATE = (
    "python -c \"import json,django,os; os.environ['DJANGO_SETTINGS_MODULE']='sopdesk.settings'; django.setup(); "
    "from procedures.steps import graph_json_schema; "
    "open('docs/graph-schema.json','w').write(json.dumps(graph_json_schema(), indent=2, sort_keys=True)+'\\\\n')\""
)


def test_documented_graph_schema_matches_the_step_models():
    assert json.loads(DOC.read_text()) == graph_json_schema(), (
        f"docs/graph-schema.json is stale; regenerate: {REGENERATE}"
    )


def test_documented_schema_names_all_six_step_kinds():
    kinds = {
        definition["properties"]["kind"]["const"]
        for definition in json.loads(DOC.read_text())["$defs"].values()
        if "const" in definition.get("properties", {}).get("kind", {})
    }
    assert kinds == {"gather", "decide", "act", "wait", "approve", "end"}

"""Inventory of the facts automated branch conditions read on the dev evaluation set, by where the fact comes from.

    SOPDESK_DATA_DIR=/tmp/x-data .venv/bin/python scripts/condition_facts.py [--list e]

Each comparison of each automated branch condition is put in one class:
  a  a case attribute (case.amount, case.tags, …) or a field the engine documents (case.fields.severity)
  b  the result of an earlier read (account.plan, shipment.status)
  c  a custom field the SOP names: written as a field (`prior_strikes`, a field table), or whose words the
     condition's own sentence, table row or section heading says
  d  a declared custom field or operation output
  e  a field name the compiler made up (words not in the text, a unit conversion), or a label the SOP assigns
     itself from other conditions (derived_labels) tested as if stored
and counted right or wrong as the evaluator judges it (the comparison matches an expected or allowed condition).
Only the dev set is read.
"""

from __future__ import annotations

import json
import os
import re
import sys
from collections import Counter
from pathlib import Path

import django

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sopdesk.settings")
django.setup()

from procedures.compiler import compile_source  # noqa: E402
from procedures.compiler.evaluation import expectation_parse  # noqa: E402
from procedures.compiler.evaluation.conditions import atoms, opaque_parts  # noqa: E402
from procedures.compiler.evaluation.matching import atom_matches, units_of  # noqa: E402
from procedures.compiler.rules import vocabulary  # noqa: E402
from procedures.compiler.rules.certainty import DOCUMENTED_FIELDS  # noqa: E402
from procedures.compiler.rules.derived_labels import derived_labels, label_in  # noqa: E402

DEV = Path(__file__).resolve().parent.parent / "tests" / "procedures" / "compiler_eval"
_UNIT_WORDS = {"days", "hours", "count", "num", "number", "last", "year", "pct", "usd", "eur", "gbp", "minutes"}


def _heading(source: str, at: int) -> str:
    before = source[:at].splitlines()
    for line in reversed(before):
        if re.match(r"\s*(?:#{1,6}\s|\*\*[^*]+\*\*\s*$|[A-Z][A-Z0-9 /&()-]{3,}:?\s*$)", line):
            return line
    return ""


def _sentence(source: str, start: int, end: int) -> str:
    lo = max(source.rfind("\n", 0, start), 0)
    hi = source.find("\n", end)
    return source[lo : hi if hi >= 0 else len(source)]


def _said(name: str, text: str) -> bool:
    words = [w for w in name.split("_") if w not in _UNIT_WORDS and not w.isdigit()]
    lowered = text.lower()
    return bool(words) and all(re.search(rf"\b{re.escape(w[:5])}", lowered) for w in words)


def classify(path: str, source: str, context: str, identifiers: frozenset[str]) -> str:
    """The class of one fact path; "c" for a field the SOP writes as a field or lists values for, "c~" for one
    whose words only the condition's sentence, row or heading says."""
    root, _, rest = path.partition(".")
    if root != "case":
        return "b"
    if not rest.startswith("fields."):
        return "a"
    name = rest.removeprefix("fields.").split(".")[0]
    if name in identifiers or name in vocabulary.field_values(source):
        return "c"
    if name in DOCUMENTED_FIELDS:
        return "a"
    return "c~" if _said(name, context) else "e"


def main() -> None:
    listing = sys.argv[sys.argv.index("--list") + 1] if "--list" in sys.argv else ""
    counts: Counter = Counter()
    for sop in sorted(DEV.glob("[0-9]*.md")):
        source = sop.read_text()
        expectation = expectation_parse(json.loads(sop.with_name(sop.stem + ".expected.json").read_text()))
        items = [i for i in expectation.items if i.kind == "condition"]
        allowed = [a for a in expectation.allowed if a.kind == "condition"]
        graph = compile_source(source, compiler="rules").graph
        identifiers = vocabulary.identifiers(source)
        for unit in units_of(graph):
            if unit.kind != "condition" or unit.tree is None:
                continue
            start, end = unit.span or (0, 0)
            branch = unit.step.branches[unit.branch]
            context = " ".join((_sentence(source, start, end), _heading(source, start), branch.label))
            found = [(a.fact, any(atom_matches(i, a) for i in [*items, *allowed]), a.text) for a in atoms(unit.tree)]
            found += [(p, False, o.text) for o in opaque_parts(unit.tree) for p in o.paths]
            derived = derived_labels(source)
            for fact, right, text in found:
                kind = "e" if label_in(text, derived) else classify(fact, source, context, identifiers)
                counts[(kind, right)] += 1
                if listing and kind in listing.split(","):
                    mark = "right" if right else "WRONG"
                    print(f"{kind} {mark:5} {sop.stem:34} {text[:70]:70} | {branch.label[:60]}")
    print("class  right  wrong  total")
    for kind in ("a", "b", "c", "c~", "d", "e"):
        right, wrong = counts[(kind, True)], counts[(kind, False)]
        print(f"{kind:5}  {right:5}  {wrong:5}  {right + wrong:5}")


if __name__ == "__main__":
    main()

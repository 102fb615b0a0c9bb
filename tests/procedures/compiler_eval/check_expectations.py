"""Check every `NN-name.expected.json` in this folder and in `heldout/` against its SOP and FORMAT.md.

Plain Python, no Django: `python3 tests/procedures/compiler_eval/check_expectations.py`.
`--strict` also fails the version-1 files 01-24. Exits 1 and lists the problems when any file is wrong; prints one line per SOP otherwise.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
FORMAT = HERE / "FORMAT.md"
ROOT = HERE.parents[2]

KINDS = {"gather", "condition", "action", "wait", "approval", "end", "person"}
OPS = {"==", "!=", "<", "<=", ">", ">=", "in", "contains", "exists"}
MIN_WORDS, MAX_WORDS = 300, 1500
# SOPs 01-24 predate format v2 and the 300-1,500 word rule: a version-1 file among them is listed as
# legacy and not checked (run with --strict to fail on them); from 25 on, and in heldout/, every rule holds.
WORD_RULE_FROM = 25


def _normalise(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def vocabulary() -> tuple[set[str], set[str]]:
    """Operation names and wait events as listed in FORMAT.md's vocabulary section."""
    text = FORMAT.read_text()
    ops_part = text.split("Operations (connectors/registry.py):", 1)[1].split("Case facts:", 1)[0]
    ops_part = re.sub(r"\([^)]*\)", "", ops_part)  # drop "(returns ...)" and parameter lists
    operations = set(re.findall(r"\b([a-z]+\.[a-z_]+)\b", ops_part))
    events_part = text.split("Wait events:", 1)[1].split("\n\n", 1)[0]
    events = set(re.findall(r"\b([a-z]+\.[a-z_]+)\b", events_part))
    return operations, events


def registry_params() -> dict[str, dict[str, tuple[str, ...]]]:
    """Parameter names (and their closed choices) per built-in operation, from connectors/registry.py.

    Only the built-in table (`OPERATIONS`): `operations()` also reads declared tools from the database,
    which this plain-Python check has none of. When the module cannot be imported the parameter check
    is skipped.
    """
    sys.path.insert(0, str(ROOT))
    try:
        from connectors.registry import OPERATIONS
    except Exception:  # the check is a bonus; the vocabulary check above still runs
        return {}
    finally:
        sys.path.remove(str(ROOT))
    return {name: {p: spec.choices for p, spec in op.params.items()} for name, op in OPERATIONS.items()}


def _param_problems(label: str, item: dict, params_by_op: dict[str, dict[str, tuple[str, ...]]]) -> list[str]:
    known = params_by_op.get(item.get("operation", ""))
    if not known or not isinstance(item.get("params"), dict):
        return []
    problems = []
    for name, value in item["params"].items():
        if name not in known:
            problems.append(f"{label}: {item['operation']} has no parameter {name!r}")
        elif known[name] and any(
            str(v).lower() not in {c.lower() for c in known[name]}
            for v in (value if isinstance(value, list) else [value])
        ):
            problems.append(f"{label}: {name}={value!r} is not one of {', '.join(known[name])}")
    return problems


def _quote_problems(label: str, quote: object, source: str, *, bounded: bool) -> list[str]:
    if not isinstance(quote, str) or not quote.strip():
        return [f"{label}: quote missing or not a string"]
    problems = []
    if bounded and not 8 <= len(quote) <= 100:
        problems.append(f"{label}: quote is {len(quote)} characters (8-100): {quote!r}")
    if _normalise(quote) not in source:
        problems.append(f"{label}: not a verbatim quote of the SOP: {quote!r}")
    return problems


def _item_problems(item: dict, operations: set[str], events: set[str]) -> list[str]:
    label = f"item {item.get('id')!r}"
    kind = item.get("kind")
    problems = []
    if kind not in KINDS:
        return [f"{label}: unknown kind {kind!r}"]
    if kind in {"gather", "action"} and item.get("operation") not in operations:
        problems.append(f"{label}: operation {item.get('operation')!r} is not in FORMAT.md's vocabulary")
    if kind == "action" and not isinstance(item.get("params", {}), dict):
        problems.append(f"{label}: params must be an object")
    if kind == "condition":
        if item.get("op") not in OPS:
            problems.append(f"{label}: unknown operator {item.get('op')!r}")
        if not isinstance(item.get("fact"), list) or not item["fact"]:
            problems.append(f"{label}: fact must be a non-empty list of fragments")
        if item.get("op") != "exists" and "value" not in item:
            problems.append(f"{label}: condition without a value")
    if kind == "wait":
        delay = item.get("delay")
        if delay is None and not item.get("event"):
            problems.append(f"{label}: wait needs a delay, an event, or both")
        if delay is not None and (not isinstance(delay, dict) or not set(delay) & {"days", "hours", "minutes"}):
            problems.append(f"{label}: a wait's delay is in days/hours/minutes")
        if "event" in item and item["event"] not in events:
            problems.append(f"{label}: wait event {item['event']!r} is not in FORMAT.md's vocabulary")
    if kind == "approval" and not item.get("role"):
        problems.append(f"{label}: approval without a role")
    if kind == "end" and not item.get("outcome"):
        problems.append(f"{label}: end without an outcome")
    if kind == "person" and not item.get("why"):
        problems.append(f"{label}: person item without a why")
    return problems


def check(
    expected_path: Path,
    operations: set[str],
    events: set[str],
    *,
    params_by_op: dict[str, dict[str, tuple[str, ...]]] | None = None,
    strict: bool = False,
) -> tuple[list[str], str]:
    sop_path = expected_path.with_name(expected_path.name.replace(".expected.json", ".md"))
    if not sop_path.exists():
        return [f"no SOP {sop_path.name} beside it"], ""
    raw = sop_path.read_text()
    source = _normalise(raw)
    words = len(raw.split())
    try:
        data = json.loads(expected_path.read_text())
    except json.JSONDecodeError as exc:
        return [f"invalid JSON: {exc}"], f"{words} words"
    problems = []
    number = int(expected_path.name.split("-", 1)[0])
    enforce_words = expected_path.parent.name == "heldout" or number >= WORD_RULE_FROM
    if data.get("version") != 2:
        if not enforce_words and not strict:
            return [], f"legacy (version {data.get('version')!r}), not checked; {words} words"
        problems.append(f"version is {data.get('version')!r}, not 2")
    if enforce_words and not MIN_WORDS <= words <= MAX_WORDS:
        problems.append(f"SOP has {words} words ({MIN_WORDS}-{MAX_WORDS})")
    items = data.get("items", [])
    ids = [item.get("id") for item in items]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        problems.append(f"duplicate ids: {duplicates}")
    for item in items:
        problems += _item_problems(item, operations, events)
        problems += _param_problems(f"item {item.get('id')!r}", item, params_by_op or {})
        problems += _quote_problems(f"item {item.get('id')!r}", item.get("text"), source, bounded=True)
    for entry in data.get("allowed", []):
        if entry.get("operation") and entry["operation"] not in operations:
            problems.append(f"allowed: operation {entry['operation']!r} is not in the vocabulary")
    for entry in data.get("forbidden", []):
        if entry.get("operation") not in operations:
            problems.append(f"forbidden: operation {entry.get('operation')!r} is not in the vocabulary")
        if not entry.get("why"):
            problems.append(f"forbidden: {entry.get('operation')!r} without a why")
        problems += _param_problems("forbidden", entry, params_by_op or {})
    known = set(ids)
    for n, path in enumerate(data.get("paths", []), 1):
        if not isinstance(path.get("given"), dict):
            problems.append(f"path {n}: given must be an object")
        for key in ("reaches", "not_reaches"):
            missing = [i for i in path.get(key, []) if i not in known]
            if missing:
                problems.append(f"path {n}: {key} names unknown ids {missing}")
    for quote in data.get("non_procedural", []):
        problems += _quote_problems("non_procedural", quote, source, bounded=False)
    summary = (
        f"{words} words, {len(items)} items, {len(data.get('paths', []))} paths, "
        f"{len(data.get('forbidden', []))} forbidden, {len(data.get('non_procedural', []))} non-procedural"
    )
    return problems, summary


def main() -> int:
    strict = "--strict" in sys.argv[1:]
    operations, events = vocabulary()
    params_by_op = registry_params()
    if not params_by_op:
        print("note: connectors/registry.py could not be imported; parameter names not checked")
    if not operations or not events:
        print("could not read the vocabulary from FORMAT.md")
        return 1
    failed = 0
    files = sorted(HERE.glob("*.expected.json")) + sorted((HERE / "heldout").glob("*.expected.json"))
    orphans = [
        sop
        for folder in (HERE, HERE / "heldout")
        for sop in sorted(folder.glob("[0-9]*.md"))
        if not sop.with_name(sop.name[:-3] + ".expected.json").exists()
    ]
    for expected in files:
        problems, summary = check(expected, operations, events, params_by_op=params_by_op, strict=strict)
        name = expected.relative_to(HERE).as_posix().replace(".expected.json", "")
        status = "FAIL" if problems else "skip" if summary.startswith("legacy") else "ok  "
        print(f"{status} {name}: {summary}")
        for problem in problems:
            print(f"       - {problem}")
        failed += bool(problems)
    for sop in orphans:
        print(f"FAIL {sop.relative_to(HERE)}: no .expected.json beside it")
        failed += 1
    print(f"{len(files)} expectation files checked, {failed} with problems")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

"""How a case's recorded data reads to a person: decisions, facts and rendered requests as plain text and rows.

The engine records decisions as small dicts (a branch taken, a hold, a timer
ending, an approval) and requests as `{operation, params}`. Pages show them
through these functions (via the `case_display` template tags), never as raw
Python reprs.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

WHO = {"reviewer": "a reviewer", "person": "a person", "precedent": "a precedent", "agent": "the agent"}


def value_text(value: Any) -> str:
    """One value as a person reads it: yes/no, plain numbers, lists joined, empty as an em dash."""
    if value is None or value == "" or value == [] or value == {}:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (list, tuple, set)):
        return ", ".join(value_text(v) for v in value)
    if isinstance(value, dict):
        return "; ".join(f"{k}: {value_text(v)}" for k, v in value.items())
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    return str(value)


def facts_rows(facts: Any, *, prefix: str = "") -> list[tuple[str, str]]:
    """A facts dict flattened to (dotted path, value text) rows, in the order the dict holds them."""
    if not isinstance(facts, dict):
        return [(prefix or "value", value_text(facts))] if facts not in (None, "") else []
    rows: list[tuple[str, str]] = []
    for key, value in facts.items():
        path = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(value, dict) and value:
            rows += facts_rows(value, prefix=path)
        else:
            rows.append((path, value_text(value)))
    return rows


def outcomes_text(outcomes: Any) -> list[str]:
    """Allowed outcomes as labels, each once (a judgement that declares "stop" itself is listed once)."""
    labels, seen = [], set()
    for outcome in outcomes or []:
        key = outcome.get("key") if isinstance(outcome, dict) else str(outcome)
        if key in seen:
            continue
        seen.add(key)
        label = outcome.get("label") if isinstance(outcome, dict) else None
        labels.append(label or str(key))
    return labels


def decision_text(decision: Any) -> str:
    """A recorded decision as one sentence."""
    if decision in (None, "", {}):
        return ""
    if not isinstance(decision, dict):
        return value_text(decision)
    d = decision
    if "reason" in d and "summary" in d:  # a hold: why the run stopped for a person
        text = f"Stopped for a person: {d['summary']}"
        outcomes = outcomes_text(d.get("allowed_outcomes"))
        if outcomes:
            text += f" Possible outcomes: {'; '.join(outcomes)}."
        if d.get("role"):
            text += f" To be decided by {d['role']}."
        return text
    if "end" in d:
        return f"The run ended: {d['end']}."
    if "outcome" in d:
        who = WHO.get(str(d.get("resolved_by") or ""), d.get("resolved_by") or "")
        return f"Outcome “{d['outcome']}”" + (f", chosen by {who}." if who else ".")
    if d.get("branch") == "otherwise":
        return "No condition matched, so the SOP's “otherwise” path was taken."
    if "branch" in d:
        label = d.get("label") or d.get("when") or f"branch {d['branch']}"
        condition = f" (condition: {d['when']})" if d.get("when") and d.get("when") != label else ""
        return f"Took the path “{label}”{condition}."
    if "approved" in d:
        by = f" by {d['by']}" if d.get("by") else ""
        return f"Approved{by}." if d["approved"] else f"Rejected{by}."
    if "evidence_missing" in d:
        return f"Evidence missing: {value_text(d['evidence_missing'])}."
    if "woken_by" in d:
        return {
            "event": f"The wait ended: {d.get('event') or 'the awaited event'} arrived.",
            "timer": "The wait ended: its time was up.",
            "already_due": "The wait was already over when the run reached it.",
        }.get(str(d["woken_by"]), f"The wait ended ({d['woken_by']}).")
    if "due_at" in d or "for_event" in d:
        parts = []
        if d.get("for_event"):
            parts.append(f"for {d['for_event']}")
        if d.get("due_at"):
            parts.append(f"until {_when(d['due_at'])}")
        return "Waiting " + " or ".join(parts) + "." if parts else "Waiting."
    if "resolved_by" in d:
        return f"Resolved by {WHO.get(str(d['resolved_by']), d['resolved_by'])}'s decision."
    return "; ".join(f"{k.replace('_', ' ')}: {value_text(v)}" for k, v in d.items()) + "."


def _when(value: str) -> str:
    try:
        return dt.datetime.fromisoformat(str(value)).strftime("%Y-%m-%d %H:%M UTC")
    except ValueError:
        return str(value)


@dataclass(frozen=True)
class RequestView:
    operation: str
    system: str
    rows: list[tuple[str, str]]
    body: str  # a long text parameter (a comment, a mail body) shown as text, not squeezed into a cell


LONG = 120


def request_view(request: Any) -> RequestView | None:
    """A rendered connector request as its operation, a parameter table and its long text, if any."""
    if not isinstance(request, dict) or not request.get("operation"):
        return None
    operation = str(request["operation"])
    rows, body = [], ""
    for name, value in (request.get("params") or {}).items():
        if isinstance(value, str) and (len(value) > LONG or "\n" in value) and not body:
            body = value
            rows.append((name, "(below)"))
        elif isinstance(value, (dict, list)) and len(json.dumps(value, default=str)) > 400:
            rows.append((name, json.dumps(value, indent=1, default=str)))
        else:
            rows.append((name, value_text(value)))
    return RequestView(operation=operation, system=operation.split(".", 1)[0], rows=rows, body=body)


def entry_links(entry: Any) -> list[tuple[str, str]]:
    """A timeline entry's links with labels a person reads ("Jira ENG-12", not "open_bug: url")."""
    result = entry.result if isinstance(getattr(entry, "result", None), dict) else {}
    request = entry.request if isinstance(getattr(entry, "request", None), dict) else {}
    system = str(request.get("operation", "")).split(".", 1)[0]
    links = []
    for label, url in entry.links:
        if label.endswith(": url") and result.get("key"):
            label = f"{system.capitalize()} {result['key']}".strip()
        elif label.startswith("zendesk ticket "):
            label = f"Zendesk ticket #{label.removeprefix('zendesk ticket ')}"
        links.append((label, url))
    return links

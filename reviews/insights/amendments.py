"""An insight → a proposed SOP sentence, the amended source, its text diff, and a compiled draft version.

The sentence is written the way the rules compiler understands it ("If the
ticket is tagged A and the ticket is tagged B, open a Bug in the Jira project
ENG … and stop."), and inserted as the SOP's first numbered step so it is
checked before anything else; the steps after it are renumbered.
"""

from __future__ import annotations

import difflib
import re

from procedures.models import Procedure, ProcedureVersion
from procedures.services import version_create_and_compile

NUMBERED = re.compile(r"^(\s*)(\d+)([.)])(\s+)", re.MULTILINE)
_REFERENCE = re.compile(r"\b(steps?\s+)(\d+)\b", re.IGNORECASE)  # "go to step 4", "see step 2"


def condition_text(attribute: str) -> str:
    kind, _, value = attribute.partition(":")
    match kind:
        case "tag":
            return f"the ticket is tagged {value}"
        case "group":
            return f"the ticket is in the group {value}"
        case "priority":
            return f"the priority is {value}"
        case "tier":
            return f"the plan is {value.capitalize()}"
        case "org":
            return f"the organization is {value}"
        case "source":
            return f"the case comes from {value}"
        case "field":
            name, _, field_value = value.partition("=")
            return f"the field {name} is {field_value}"
        case "word" | "phrase":
            return f'the subject or description mentions "{value}"'
    return attribute


def action_text(outcome: str) -> str | None:
    """What the SOP should do, for an outcome people keep producing by hand; None when no sentence fits."""
    kind, _, value = outcome.partition(":")
    if kind == "routed":
        if value.lower().startswith(("eng", "dev", "product")):
            return "open a Bug in the Jira project ENG with the ticket subject as the summary and stop"
        slug = re.sub(r"[^a-z0-9]+", "-", value.lower()).strip("-")
        return f"add the tag routed-{slug} to the ticket and stop"
    # A reviewer's choice at a judgement ("decided:", "override:") has no sentence the rules compiler would
    # turn into that choice reliably; those insights point at the step to rewrite by hand instead.
    return None


def amendment_sentence(*, attributes: list[str], outcome: str) -> str | None:
    action = action_text(outcome)
    if not action or not attributes:
        return None
    conditions = " and ".join(condition_text(a) for a in attributes)
    return f"If {conditions}, {action}."


def source_amend(*, source: str, sentence: str, before: int | None = None) -> str:
    """`source` with `sentence` as a new numbered step, or appended if the source has no numbered steps. The new
    step goes first, or in place of the numbered item starting at `before`; the items from there on are renumbered,
    and so are the SOP's references to them ("go to step 4" → "go to step 5")."""
    items = list(NUMBERED.finditer(source))
    at = next((m for m in items if before is None or m.start() == before), None)
    if at is None:
        return source.rstrip("\n") + f"\n\n{sentence}\n"
    indent, number, mark, space = at.groups()
    pushed = int(number)

    def renumber(match: re.Match) -> str:
        return f"{match.group(1)}{int(match.group(2)) + 1}{match.group(3)}{match.group(4)}"

    def reference(match: re.Match) -> str:
        n = int(match.group(2))
        return f"{match.group(1)}{n + 1 if n >= pushed else n}"

    head = _REFERENCE.sub(reference, source[: at.start()])
    tail = _REFERENCE.sub(reference, NUMBERED.sub(renumber, source[at.start() :]))
    return head + f"{indent}{number}{mark}{space}{sentence}\n" + tail


def source_diff(*, before: str, after: str) -> str:
    lines = difflib.unified_diff(
        before.splitlines(), after.splitlines(), fromfile="published", tofile="amended", lineterm=""
    )
    return "\n".join(lines)


def diff_lines(diff: str) -> list[tuple[str, str]]:
    """(kind, line) for each line of a unified diff: "add", "del", "hunk" (the @@ and file headers) or "same"."""
    kinds = []
    for line in diff.splitlines():
        if line.startswith(("+++", "---", "@@")):
            kinds.append(("hunk", line))
        elif line.startswith("+"):
            kinds.append(("add", line))
        elif line.startswith("-"):
            kinds.append(("del", line))
        else:
            kinds.append(("same", line))
    return kinds


def draft_create(*, procedure: Procedure, source: str, user=None) -> ProcedureVersion:
    """A compiled draft version of the amended source (raises SourceDidNotCompile; then nothing is stored)."""
    return version_create_and_compile(procedure=procedure, source=source, created_by=user)

"""People's answers to "which system tells us X?" as a procedure's own vocabulary, and what they may pick from.

An answer (`VocabularyAnswer`) maps a phrase of one procedure to an operation
("the CRM system" → `crm.get_customer`), an operation's output fact ("the
customer's segment" → `crm.get_customer:segment`), a case fact
(`case.fields.customer_segment`, `case.tier`), or to nothing: a person decides.
`for_procedure(pk)` makes a procedure's answers the current ones while it
compiles; the rules compiler reads them with `current()`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

from connectors.declared.catalog import outputs_of
from connectors.registry import Operation

PERSON = ""  # the answer "a person decides"


@dataclass(frozen=True)
class Answer:
    phrase: str  # key(phrase)
    kind: str  # system | fact
    answer: str  # operation, operation:output, case.…, or PERSON

    @property
    def operation(self) -> str:
        return "" if self.answer.startswith("case.") else self.answer.partition(":")[0]

    @property
    def output(self) -> str:
        return self.answer.partition(":")[2]


_current: ContextVar[tuple[Answer, ...]] = ContextVar("vocabulary_answers", default=())


def key(phrase: str) -> str:
    """The phrase as answers are keyed: lower case, no articles or possessives ("the customer's segment" → "customer segment")."""
    text = phrase.lower().replace("’", "'")
    text = re.sub(r"'s\b", "", text)
    text = re.sub(r"\b(?:the|a|an|its|their|his|her|our|this|that)\b", " ", text)
    return re.sub(r"\s+", " ", re.sub(r"[^a-z0-9_ -]+", " ", text)).strip()


def load(procedure_pk: int | None) -> tuple[Answer, ...]:
    from connectors.declared.models import VocabularyAnswer

    if not procedure_pk:
        return ()
    rows = VocabularyAnswer.objects.filter(procedure_pk=procedure_pk).values_list("phrase", "kind", "answer")
    return tuple(Answer(*row) for row in rows)


@contextmanager
def for_procedure(procedure_pk: int | None) -> Iterator[tuple[Answer, ...]]:
    """While compiling this procedure, its answers are the current ones."""
    answers = load(procedure_pk)
    token = _current.set(answers)
    try:
        yield answers
    finally:
        _current.reset(token)


def current() -> tuple[Answer, ...]:
    return _current.get()


def find(text_key: str, *, kind: str | None = None) -> Answer | None:
    """The answer whose phrase is `text_key` (already keyed)."""
    return next((a for a in current() if a.phrase == text_key and (kind is None or a.kind == kind)), None)


def mentioned(text: str, *, kind: str) -> list[Answer]:
    """Answers of this kind whose phrase the text contains, longest phrase first."""
    keyed = key(text)
    hits = [a for a in current() if a.kind == kind and re.search(rf"(?<![\w-]){re.escape(a.phrase)}(?![\w-])", keyed)]
    return sorted(hits, key=lambda a: -len(a.phrase))


# -- what a person may pick ---------------------------------------------------------------------------------

# Case facts a condition may read without a gather step (see cases.casefacts.case_names).
CASE_FACTS = {
    "case.tier": "The customer's tier or plan (from the ticket)",
    "case.priority": "The case's priority",
    "case.organization": "The customer's organisation",
    "case.group": "The group or queue the ticket is in",
    "case.amount": "The amount on the request",
    "case.source": "Where the case came from (zendesk, jira, …)",
    "case.requester_email": "The requester's email",
}


@dataclass(frozen=True)
class Choice:
    value: str
    label: str
    group: str  # operations | custom fields | case facts
    type: str = "string"
    values: tuple[str, ...] = field(default=())  # the values a fact can take, when declared


def choices(
    operations: dict[str, Operation], *, kind: str, custom_fields: list[tuple[str, str, str, tuple]]
) -> list[Choice]:
    """Everything an answer may name: declared read operations (for "which system") and their output facts,
    the Zendesk custom fields (case.fields.*, on the case from intake) and the case's own facts.

    `custom_fields` is [(fact, title, type, choices)] of the enabled Zendesk ticket fields."""
    found: list[Choice] = []
    for op in sorted(operations.values(), key=lambda o: o.name):
        if op.origin == "built-in" or op.writes or op.name == "zendesk.get_ticket_fields":
            continue
        if kind == "system":
            found.append(Choice(op.name, f"{op.name} — {op.summary[:80]}", "operations"))
        specs = {o.name: o for o in outputs_of(op)}
        for output in op.returns:
            spec = specs.get(output)
            found.append(
                Choice(
                    f"{op.name}:{output}",
                    f"{output} (from {op.name})",
                    "operations",
                    spec.type if spec else "string",
                    spec.values if spec else (),
                )
            )
    for fact, title, kind_, values in custom_fields:
        found.append(
            Choice(f"case.fields.{fact}", f"{title} (ticket field {fact})", "custom fields", kind_, tuple(values))
        )
    found += [Choice(value, label, "case facts") for value, label in CASE_FACTS.items()]
    return found


def zendesk_custom_fields() -> list[tuple[str, str, str, tuple]]:
    """[(fact, title, type, choices)] of the selected Zendesk ticket fields; [] when none (or no database here)."""
    from connectors.declared.catalog import declared_operations
    from connectors.declared.models import CustomField

    if "zendesk.get_ticket_fields" not in declared_operations():  # cached: no query when nothing is selected
        return []

    rows = CustomField.objects.filter(enabled=True, system="zendesk").values_list("fact", "title", "type", "choices")
    return [(fact, title, kind, tuple(str(c) for c in values or ())) for fact, title, kind, values in rows]

"""The compiler's "which system tells us X?" questions on a version, what may answer them, and answering one.

A question comes from the compile warnings (`unknown_system`: "Which system is
“the CRM system”?", `unknown_fact`: "Which system tells us customer's
segment?"), naming candidate operations. The pick list shows the candidates
first, then every declared read operation and its output facts, the Zendesk
custom fields (on the case from intake) and the case's own facts, and "a person
decides". An answer is stored as the procedure's vocabulary
(`connectors.declared.answers`), never as an edited step, and the draft is
compiled again, so every later compile keeps it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.db import transaction

from connectors import registry
from connectors.declared import answers as vocab
from connectors.declared.models import VocabularyAnswer
from procedures import services
from procedures.errors import ProcedureError, VersionLocked
from procedures.models import ProcedureVersion

PERSON = "person"  # the answer value for "a person decides"
_SYSTEM = re.compile(r"^Which system is “(?P<phrase>[^”]+)”\?.*?pick one \((?P<picks>[^)]*)\)")
_FACT = re.compile(
    r"^Which system tells us (?P<phrase>.+?)\? No declared operation returns it: pick one \((?P<picks>[^)]*)\)"
)


class AnswerRefused(ProcedureError):
    code = "answer_invalid"


@dataclass(frozen=True)
class Question:
    kind: str  # system | fact
    phrase: str  # as the SOP says it
    step_key: str | None
    excerpt: str
    message: str
    candidates: tuple[str, ...]
    options: tuple[vocab.Choice, ...]  # candidates first, then the rest of the vocabulary

    @property
    def key(self) -> str:
        return vocab.key(self.phrase)

    def to_json(self) -> dict:
        return {
            "kind": self.kind,
            "phrase": self.phrase,
            "step_key": self.step_key,
            "excerpt": self.excerpt,
            "message": self.message,
            "candidates": list(self.candidates),
            "options": [
                {"value": c.value, "label": c.label, "group": c.group, "type": c.type, "values": list(c.values)}
                for c in self.options
            ]
            + [{"value": PERSON, "label": "A person decides (keep it a judgement step)", "group": "person"}],
        }


def parse_question(issue: dict) -> tuple[str, str, tuple[str, ...]] | None:
    """(kind, phrase, candidate operations) of a compile warning that asks which system or fact, else None."""
    message = str(issue.get("message") or "")
    code = issue.get("code")
    match = (
        _SYSTEM.match(message) if code == "unknown_system" else _FACT.match(message) if code == "unknown_fact" else None
    )
    if not match:
        return None
    picks = tuple(p.strip() for p in match.group("picks").split(",") if p.strip())
    return ("system" if code == "unknown_system" else "fact"), match.group("phrase").strip(), picks


def _ordered(options: list[vocab.Choice], candidates: tuple[str, ...]) -> tuple[vocab.Choice, ...]:
    def rank(choice: vocab.Choice) -> int:
        operation = choice.value.partition(":")[0]
        return candidates.index(operation) if operation in candidates else len(candidates)

    first = sorted((c for c in options if rank(c) < len(candidates)), key=rank)
    suggested = [vocab.Choice(c.value, c.label, "suggested", c.type, c.values) for c in first]
    return tuple(suggested + [c for c in options if rank(c) == len(candidates)])


def version_questions(*, version: ProcedureVersion) -> list[Question]:
    """The open "which system / which fact" questions of a compiled version, each with its pick list."""
    parsed = [(issue, parse_question(issue)) for issue in version.warnings or []]
    parsed = [(issue, q) for issue, q in parsed if q]
    if not parsed:
        return []
    operations = registry.operations()
    custom = vocab.zendesk_custom_fields()
    lists = {kind: vocab.choices(operations, kind=kind, custom_fields=custom) for kind in {q[0] for _, q in parsed}}
    seen: set[tuple[str, str]] = set()
    questions = []
    for issue, (kind, phrase, picks) in parsed:
        if (kind, vocab.key(phrase)) in seen:
            continue
        seen.add((kind, vocab.key(phrase)))
        questions.append(
            Question(
                kind=kind,
                phrase=phrase,
                step_key=issue.get("step_key"),
                excerpt=str(issue.get("excerpt") or ""),
                message=str(issue.get("message") or ""),
                candidates=picks,
                options=_ordered(lists[kind], picks),
            )
        )
    return questions


def question_answer(*, version: ProcedureVersion, phrase: str, answer: str, user=None) -> ProcedureVersion:
    """Record what `phrase` means for this procedure and compile the draft again.

    `answer`: an option of the question's pick list (an operation, `operation:output`, `case.…`) or "person".
    Refused (nothing stored) when the version is published, the question is not open on it, or the answer is
    not one of its options.
    """
    with transaction.atomic():
        version = ProcedureVersion.objects.select_for_update().get(pk=version.pk)
        if version.status in services.LOCKED_STATUSES:
            raise VersionLocked(
                f"v{version.number} is {version.get_status_display().lower()}: answer the question on a new draft."
            )
        questions = {q.key: q for q in version_questions(version=version)}
        question = questions.get(vocab.key(phrase or ""))
        if question is None:
            open_ = "; ".join(f"“{q.phrase}”" for q in questions.values()) or "none"
            raise AnswerRefused(f"v{version.number} has no open question about “{phrase}” (open: {open_}).")
        allowed = {c.value for c in question.options}
        if answer != PERSON and answer not in allowed:
            hint = "an operation" if question.kind == "system" else "a fact (operation:output or case.…)"
            raise AnswerRefused(
                f"“{answer}” is not in the pick list for “{question.phrase}”: choose {hint} from the list, "
                f"or “{PERSON}” to keep it a judgement step."
            )
        value = vocab.PERSON if answer == PERSON else answer
        if question.kind == "system" and ":" in value:
            value = value.partition(":")[0]  # a fact of an operation answers "which system" with that operation
        VocabularyAnswer.objects.update_or_create(
            procedure_pk=version.procedure_id,
            phrase=question.key,
            defaults={
                "kind": question.kind,
                "answer": value,
                "answered_by": user if getattr(user, "is_authenticated", False) else None,
                "answered_on_version": version.number,
            },
        )
        version = services.version_compile(version=version)
        if value and question.key in {q.key for q in version_questions(version=version)}:
            raise AnswerRefused(_unusable(question, value))  # rolls the answer and the compile back
        return version


def _unusable(question: Question, value: str) -> str:
    op = registry.operations().get(value.partition(":")[0])
    needs = [name for name, param in op.params.items() if param.required] if op else []
    why = f": {op.name} needs {', '.join(needs)}, which nothing before that sentence gives" if needs else ""
    return (
        f"“{value}” cannot be used for “{question.phrase}”{why}. Look it up in an earlier step, choose another "
        f"option, or “{PERSON}”."
    )

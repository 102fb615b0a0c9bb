"""What a clause can ask for: an action, a wait, an approval or an end (plain data, built by `actions`)."""

from __future__ import annotations

from dataclasses import dataclass, field

from procedures.steps import Duration

TICKET = "{{ case.ticket_id }}"


@dataclass
class Act:
    operation: str
    params: dict[str, str]
    title: str
    save_as: str | None = None
    deadline: Duration | None = None
    gather: bool = False
    required: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # what a person should check (becomes a warning)


@dataclass
class Wait:
    title: str
    delay: Duration | None
    for_event: str | None


@dataclass
class Approve:
    title: str
    roles: list[str]
    evidence: list[tuple[str, int, str]] = field(default_factory=list)
    named: bool = True  # False: the SOP names no approver; the role is a default a person must confirm


@dataclass
class End:
    title: str
    outcome: str
    case_status: str | None = None
    handoff_role: str | None = None


Spec = Act | Wait | Approve | End


def lit(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def cel_list(items: list[str]) -> str:
    return "{{ [" + ", ".join(items) + "] }}"

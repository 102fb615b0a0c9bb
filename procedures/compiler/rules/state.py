"""What the walker remembers between sentences: the open decision, check and schedule."""

from __future__ import annotations

from dataclasses import dataclass, field

from procedures.compiler.rules.builder import Exit
from procedures.compiler.rules.segment import Segment


@dataclass
class Pending:
    """The last decision, still open for an "Otherwise …" or another branch on the same fact."""

    decide: str
    then_exits: list[Exit]
    else_exits: list[Exit]
    root: str
    judgement: bool = False
    known_before: dict = field(default_factory=dict)  # what was gathered before the decision


@dataclass
class Check:
    """A requirement ("… must match") whose failure path the next sentence describes."""

    decide: str
    recheck: str  # where a reply loops back to: the gather the check reads, or the check itself
    else_exit: Exit


@dataclass
class Schedule:
    """Follow-ups counted from one step ("7 days after filing", "again at 14 and 30 days")."""

    anchor: str | None
    event: str | None
    last: int  # seconds of the last wait
    body: list[Segment] = field(default_factory=list)

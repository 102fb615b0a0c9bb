"""What the walker remembers between sentences, and the interface the shape modules drive it through.

`Walk` is the walker as the shape modules (`shapes`, `timing`, `amendments`,
`tables`) see it: they receive it as an argument and never import the walker,
so the graph stage's modules import one way only.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from procedures.compiler.rules.builder import Builder, Exit
from procedures.compiler.rules.candidates import Spec, Wait
from procedures.compiler.rules.document import Item, Segment, Table


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


class Walk(Protocol):
    b: Builder
    pending: Pending | None
    check: Check | None
    schedule: Schedule | None
    loop_target: str | None
    private_replies: bool
    recheck_hint: str | None
    decides: dict[str, str]
    understood: int

    def item(self, item: Item | Table) -> None: ...

    def sentence(self, seg: Segment) -> None: ...

    def body(self, segments: list[Segment]) -> None: ...

    def emit(self, spec: Spec | None, clause: Segment) -> None: ...

    def ensure(self, name: str, clause: Segment) -> None: ...

    def wait_clause(self, spec: Wait, clause: Segment, rest: list[Segment]) -> None: ...


def on_approval_only(w: Walk, run: Callable[[], None]) -> None:
    """ "Once approved, issue the refund": an approval's "approved" way out runs it, and so does a path that
    needed no approval and did nothing yet; a branch that already acted ("under $100 … approved automatically:
    issue the refund") goes on past it."""
    approved = [e for e in w.b.exits if e[1] == ("on_approved",)]
    acted = [e for e in w.b.exits if e[1] == ("next",) and w.b.steps[e[0]].get("kind") == "act"]
    if approved and acted:
        w.b.exits = [e for e in w.b.exits if e not in acted]
    run()
    if approved and acted:
        w.b.exits = w.b.exits + acted

"""The compiled step graph: typed, frozen, and parsed in one place.

A compiled SOP is a `Graph` of steps of six kinds (gather, decide, act, wait,
approve, end). The JSON form of these models is the documented schema
(`graph_json_schema()`, also in `docs/graph-schema.json`, kept in sync by a test) and the
model's structured-output schema. JSON goes into the database; `parse()` is
the only way back to typed objects.

Expressions
  Conditions (`Branch.when`) are CEL. Parameter templates are strings in which
  each `{{ ... }}` is a CEL expression, e.g. `"{{ case.subject }}"` or
  `"{{ account.plan == 'Enterprise' ? 'Highest' : 'High' }}"`. A template that
  is exactly one `{{ ... }}` renders to the expression's value (a number stays
  a number); otherwise the parts are joined as text.

Names visible to expressions
  `case` (the case: subject, description, tags, fields, amount, requester,
  attachments, ...), `event` (the event that started or resumed the run), and
  the `save_as` name of every earlier gather/act step (e.g. `account.plan`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Annotated, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, model_validator

SCHEMA_VERSION = 1
STEP_KEY_PATTERN = r"^[a-z][a-z0-9_]{0,63}$"

StepKey = Annotated[str, Field(pattern=STEP_KEY_PATTERN, description="Unique key of a step in this graph.")]
Template = Annotated[str, Field(description="Text with {{ CEL }} placeholders, or a literal.")]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Span(_Frozen):
    """Character offsets [start, end) into the SOP source text."""

    start: int = Field(ge=0)
    end: int = Field(ge=0)

    @model_validator(mode="after")
    def _ordered(self) -> Span:
        if self.end < self.start:
            raise ValueError("span end must not be before its start")
        return self


class Duration(_Frozen):
    """A length of time. `business` counts only the queue's business hours/days."""

    days: int = Field(default=0, ge=0)
    hours: int = Field(default=0, ge=0)
    minutes: int = Field(default=0, ge=0)
    business: bool = False

    def total_seconds(self) -> int:
        return ((self.days * 24 + self.hours) * 60 + self.minutes) * 60

    def describe(self) -> str:
        parts = [
            f"{n} {'business ' if self.business else ''}{unit}{'' if n == 1 else 's'}"
            for n, unit in ((self.days, "day"), (self.hours, "hour"), (self.minutes, "minute"))
            if n
        ]
        return " ".join(parts) or "no time"


class _StepBase(_Frozen):
    key: StepKey
    title: str = Field(min_length=1, max_length=300)
    instruction: str = Field(default="", description="The SOP sentence this step came from.")
    span: Span | None = None


class GatherStep(_StepBase):
    """Read facts from a connector (or compute them) into the run's state under `save_as`."""

    kind: Literal["gather"] = "gather"
    operation: str | None = Field(
        default=None, description="Registry operation that reads, e.g. salesforce.query_account."
    )
    params: dict[str, Template] = Field(default_factory=dict)
    compute: dict[str, Template] = Field(
        default_factory=dict, description="Facts computed from expressions instead of (or after) the operation."
    )
    save_as: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    required: list[str] = Field(
        default_factory=list,
        description="Facts (paths under save_as) that must be present; if one is missing the run is held for review.",
    )
    next: StepKey | None = None


class Branch(_Frozen):
    when: str = Field(min_length=1, description="CEL condition.")
    next: StepKey
    label: str = ""


class Outcome(_Frozen):
    key: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    label: str
    next: StepKey | None = None


class Judgement(_Frozen):
    """A question the SOP leaves to judgement, answered by choosing one of `outcomes`."""

    question: str = Field(min_length=1)
    outcomes: list[Outcome] = Field(min_length=2)
    facts: list[str] = Field(default_factory=list, description="Facts the answer may use.")


class DecideStep(_StepBase):
    """Choose the next step: the first branch whose condition holds, else `otherwise`; or a judgement."""

    kind: Literal["decide"] = "decide"
    branches: list[Branch] = Field(default_factory=list)
    otherwise: StepKey | None = None
    judgement: Judgement | None = None

    @model_validator(mode="after")
    def _one_way_to_decide(self) -> DecideStep:
        if bool(self.branches) == bool(self.judgement):
            raise ValueError("a decide step has either branches (with conditions) or a judgement, not both or neither")
        return self


class ActStep(_StepBase):
    """Call a connector operation with rendered parameters."""

    kind: Literal["act"] = "act"
    operation: str
    params: dict[str, Template] = Field(default_factory=dict)
    save_as: str | None = Field(default=None, pattern=r"^[a-z][a-z0-9_]*$")
    deadline: Duration | None = Field(default=None, description="The SOP's time limit for this action, if any.")
    next: StepKey | None = None


class Recheck(_Frozen):
    """Before a wait's timeout exit is taken, read the source of truth: has what we waited for happened anyway?

    Most outside systems send no event when something settles ("if the carrier
    has not settled after 7 days, follow up"). When the timer fires, the engine
    calls `operation` (a read) with `params`, keeps the answer under `save_as`,
    and evaluates `until` (CEL): true takes the `on_event` exit as if the event
    had arrived, false the timeout exit `next`.
    """

    operation: str = Field(description="Registry operation that reads, e.g. carrier.claim_status.")
    params: dict[str, Template] = Field(default_factory=dict)
    save_as: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    until: str = Field(min_length=1, description="CEL over save_as, e.g. settlement.settled.")


class WaitStep(_StepBase):
    """Wait for a delay, or for an event with a timeout, whichever comes first."""

    kind: Literal["wait"] = "wait"
    delay: Duration | None = Field(
        default=None, description="How long to wait (the timeout when waiting for an event)."
    )
    anchor: StepKey | None = Field(default=None, description="Count the delay from when this earlier step ran.")
    for_event: str | None = Field(default=None, description="Event that ends the wait early, e.g. customer.replied.")
    on_event: StepKey | None = None
    next: StepKey | None = Field(default=None, description="Where to go when the delay passes.")
    recheck: Recheck | None = Field(
        default=None, description="Read the source of truth when the delay passes, before taking `next`."
    )

    @model_validator(mode="after")
    def _waits_for_something(self) -> WaitStep:
        if self.delay is None and self.for_event is None:
            raise ValueError("a wait step needs a delay, an event, or both")
        return self


class EvidenceRule(_Frozen):
    kind: str = Field(min_length=1, description="e.g. photo, invoice")
    min_count: int = Field(default=1, ge=1)
    description: str = ""


class ApproveStep(_StepBase):
    """A human gate: a person in `role` approves or rejects, after evidence is present."""

    kind: Literal["approve"] = "approve"
    role: str = Field(min_length=1)
    evidence: list[EvidenceRule] = Field(default_factory=list)
    on_missing_evidence: StepKey | None = None
    on_approved: StepKey | None = None
    on_rejected: StepKey | None = None


class EndStep(_StepBase):
    kind: Literal["end"] = "end"
    outcome: Literal["resolved", "closed", "stopped", "handed_off", "abandoned"] = "resolved"
    case_status: Literal["open", "resolved", "closed"] | None = None
    handoff_role: str | None = None


Step = Annotated[
    Union[GatherStep, DecideStep, ActStep, WaitStep, ApproveStep, EndStep],
    Field(discriminator="kind"),
]


class Trigger(_Frozen):
    source: Literal["zendesk", "jira", "salesforce", "api", "schedule", "any"] = "any"
    events: list[str] = Field(default_factory=list)
    tags: list[str] = Field(default_factory=list)
    group: str | None = None
    fields: list[str] = Field(default_factory=list, description="Fields the case must carry.")
    condition: str | None = Field(default=None, description="Extra CEL condition on the case.")


class Graph(_Frozen):
    schema_version: Literal[1] = SCHEMA_VERSION
    title: str = ""
    trigger: Trigger = Field(default_factory=Trigger)
    start: StepKey
    steps: list[Step] = Field(min_length=1)

    def step(self, key: str) -> Step:
        for step in self.steps:
            if step.key == key:
                return step
        raise KeyError(key)

    def to_json(self) -> dict:
        return self.model_dump(mode="json", exclude_none=True)


class GraphError(ValueError):
    """The graph JSON does not match the schema. `errors` lists each problem with its location."""

    code = "graph_invalid"

    def __init__(self, errors: list[dict]):
        self.errors = errors
        lines = [f"{'.'.join(str(p) for p in e['loc']) or '(graph)'}: {e['msg']}" for e in errors]
        super().__init__("; ".join(lines))


def parse(data: dict | str) -> Graph:
    """Parse graph JSON (a dict or a JSON string) into a typed Graph, or raise GraphError."""
    try:
        if isinstance(data, str):
            data = json.loads(data)
        return Graph.model_validate(data)
    except json.JSONDecodeError as exc:
        raise GraphError([{"loc": (), "msg": f"not JSON: {exc}"}]) from exc
    except ValidationError as exc:
        raise GraphError([{"loc": tuple(e["loc"]), "msg": e["msg"]} for e in exc.errors(include_url=False)]) from exc


def graph_json_schema() -> dict:
    return TypeAdapter(Graph).json_schema()


def successors(step: Step) -> list[str]:
    """Keys of every step this step can lead to."""
    match step:
        case GatherStep() | ActStep():
            keys = [step.next]
        case DecideStep():
            keys = [b.next for b in step.branches] + [step.otherwise]
            if step.judgement:
                keys += [o.next for o in step.judgement.outcomes]
        case WaitStep():
            keys = [step.next, step.on_event]
        case ApproveStep():
            keys = [step.on_missing_evidence, step.on_approved, step.on_rejected]
        case EndStep():
            keys = []
    return [k for k in keys if k]


def passes_through(start: str, first: str, later: str, next_of: Callable[[str], Iterable[str]]) -> bool:
    """Whether every path from `start` to `later` passes through `first`, walking the keys `next_of` gives."""
    if first == start:
        return True
    seen, todo = {start}, [start]
    while todo:
        for target in next_of(todo.pop()):
            if target == later:
                return False
            if target != first and target not in seen:
                seen.add(target)
                todo.append(target)
    return True

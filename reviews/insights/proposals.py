"""Hot spots and reviewer overrides as insights, each with the SOP sentence it proposes when one fits.

What people chose at a step ("stop" at `judge`) becomes a sentence only when
(1) one case attribute predicts the choice: among the cases held at that step
with the attribute, at least CONFIDENT of them were decided that way (a wrong
automated step is worse than a question to a person), and (2) the rules
compiler turns the amended SOP into the intended step: a branch on that
attribute leading straight to the chosen end ("stop"), or, for an outcome that
carries on, to the same operations and parameters that outcome leads to
(`reviews.insights.carry_on`). The sentence is compiled here,
at mining time, so a proposal that would not compile as intended is never
shown; the insight then says why there is none (`detail["no_amendment"]`).
"""

from __future__ import annotations

from dataclasses import dataclass

from procedures.compiler import CompileError, compile_source
from procedures.models import Procedure
from reviews.insights.amendments import condition_text, source_amend
from reviews.insights.carry_on import NoSentence, carry_on_sentence, routes_as_intended
from reviews.insights.counts import Counts
from reviews.insights.hotspots import HotSpot, OverrideGroup
from reviews.models import Insight

CONFIDENT = 0.95  # share of the situation's holds decided the chosen way, for an automated rule
TRIES = 3  # situations compiled, best first, before giving up
# What a person's choice at a hold does, as an SOP clause and the end the compiled step must reach.
CHOICES = {"stop": ("stop", "stopped")}
_KIND_ORDER = ("tag", "field", "tier", "group", "priority", "source", "org")  # attributes a person set on purpose


@dataclass(frozen=True)
class Proposal:
    sentence: str = ""
    amended_source: str = ""
    attribute: str = ""
    confidence: float = 0.0
    why_not: str = ""

    def detail(self, *, step: str, chosen: str) -> dict:
        if not self.sentence:
            return {"no_amendment": self.why_not}
        return {
            "attributes": [self.attribute],
            "outcome": f"decided:{step}={chosen}",
            "situation_confidence": round(self.confidence, 4),
        }


def situations(counts: Counts, *, step: str, chosen: str, min_support: int) -> list[tuple[str, int, int]]:
    """(attribute, decided that way, held there) for attributes under which people chose `chosen` at `step`
    at least CONFIDENT of the time, the most cases first."""
    decided, held = f"decided:{step}={chosen}", f"held:{step}"
    found = []
    for (attribute, outcome), support in counts.pairs.items():
        kind = attribute.partition(":")[0]
        if outcome != decided or support < min_support or kind not in _KIND_ORDER:
            continue
        base = counts.pairs.get((attribute, held), 0)
        if base and support / base >= CONFIDENT:
            found.append((attribute, support, base))
    return sorted(found, key=lambda s: (-s[1], _KIND_ORDER.index(s[0].partition(":")[0]), s[0]))


def compiles_as_intended(*, source: str, condition: str, end_outcome: str) -> bool:
    """Whether the rules compiler makes `source` branch on `condition` straight to an end with `end_outcome`."""
    try:
        graph = compile_source(source, compiler="rules").graph
    except CompileError:
        return False
    ends = {step.key: step.outcome for step in graph.steps if step.kind == "end"}
    return any(
        branch.label == condition and ends.get(branch.next) == end_outcome
        for step in graph.steps
        if step.kind == "decide"
        for branch in step.branches
    )


def proposal_make(procedure: Procedure, counts: Counts, *, step: str, chosen: str, min_support: int) -> Proposal:
    """The sentence that automates `chosen` at `step`, or why there is none."""
    published = procedure.published_version
    if published is None:
        return Proposal(why_not=f"{procedure.name} has no published version to amend.")
    found = situations(counts, step=step, chosen=chosen, min_support=min_support)
    if not found:
        return Proposal(
            why_not=f"No case attribute predicts “{chosen}” at {step} in at least {CONFIDENT:.0%} of its holds; "
            "a rule would be wrong too often, so people keep deciding."
        )
    if chosen not in CHOICES:
        return _carry_on(published.source, found, step=step, chosen=chosen)
    clause, end_outcome = CHOICES[chosen]
    for attribute, support, base in found[:TRIES]:
        condition = condition_text(attribute)
        sentence = f"If {condition}, {clause}."
        amended = source_amend(source=published.source, sentence=sentence)
        if compiles_as_intended(source=amended, condition=condition, end_outcome=end_outcome):
            return Proposal(sentence, amended, attribute, support / base)
    return Proposal(
        why_not=f"The sentence for {found[0][0]} did not compile into a step that {clause}s those cases; "
        "edit the SOP by hand."
    )


def _carry_on(source: str, found: list[tuple[str, int, int]], *, step: str, chosen: str) -> Proposal:
    """Route the cases an attribute predicts to where `chosen` leads, past the judgement at `step`."""
    for attribute, support, base in found[:TRIES]:
        condition = condition_text(attribute)
        try:
            sentence, amended = carry_on_sentence(source=source, step=step, chosen=chosen, condition=condition)
        except NoSentence as reason:
            return Proposal(
                why_not=f"“{chosen}” continues the SOP past {step}, but {reason}. Rewrite the condition of that "
                "step by hand so it names when it applies."
            )
        if routes_as_intended(source=amended, condition=condition, step=step, chosen=chosen):
            return Proposal(sentence, amended, attribute, support / base)
    return Proposal(
        why_not=f"The sentence for {found[0][0]} did not compile into a step that leads where “{chosen}” at "
        f"{step} leads; edit the SOP by hand."
    )


def hotspot_insight(procedure: Procedure, spot: HotSpot, proposal: Proposal) -> dict:
    return {
        "kind": Insight.Kind.HOTSPOT,
        "key": f"hotspot:{spot.step_key}={spot.top_outcome}",
        "title": f"{spot.step_key} held {spot.holds} cases; {spot.same_share:.0%} of the decided ones "
        f"were decided “{spot.top_outcome}” — a candidate for a rule in the SOP",
        "detail": {"step": spot.step_key, "holds": spot.holds, "decided": spot.decided,
                   "top_outcome": spot.top_outcome, "same_share": round(spot.same_share, 3),
                   **proposal.detail(step=spot.step_key, chosen=spot.top_outcome)},
        "evidence": spot.evidence,
        "evidence_count": spot.top_count,
        "impact": spot.top_count,
        "amendment": proposal.sentence,
        "amended_source": proposal.amended_source,
    }  # fmt: skip


def override_insight(procedure: Procedure, group: OverrideGroup, proposal: Proposal) -> dict:
    return {
        "kind": Insight.Kind.OVERRIDE,
        "key": f"override:{group.step_key}:{group.reason}:{group.proposed}>{group.chosen}",
        "title": f"At {group.step_key} ({group.reason.replace('_', ' ')}), reviewers chose “{group.chosen}” "
        f"over the agent's “{group.proposed}” {group.count} times",
        "detail": {"step": group.step_key, "reason": group.reason, "proposed": group.proposed,
                   "chosen": group.chosen, "count": group.count,
                   **proposal.detail(step=group.step_key, chosen=group.chosen)},
        "evidence": group.evidence,
        "evidence_count": group.count,
        "impact": group.count,
        "amendment": proposal.sentence,
        "amended_source": proposal.amended_source,
    }  # fmt: skip

"""Attribute → outcome rules over one procedure's mined cases, with a significance guard.

For every attribute A and outcome O seen together in at least `min_support`
cases: support n(A∧O), confidence n(A∧O)/n(A), lift confidence / P(O). A rule
is kept when its lift is at least `min_lift` and it survives a one-sided
Fisher's exact test (is O more frequent with A than without?) after the
Benjamini–Hochberg correction over every rule tested (false discovery rate
`alpha`). Fisher's test is exact at the small counts a single procedure has;
BH rather than Holm because hundreds of word attributes are tested at once and
we want to control the share of false insights, not forbid any.

Counting is memory-bounded: pass 1 counts attributes and outcomes, pass 2
counts pairs only for attributes at minimum support, pass 3 collects evidence
case ids (capped) for the rules that survived. Each pass streams MinedCase
rows with `values_list().iterator()`; the counters grow with the vocabulary,
not with the number of cases. mlxtend's apriori was not used: it needs the
whole one-hot matrix in memory, and we only want rules of the form A → O (and
one refinement A∧B → O, found from the evidence).

Rules whose evidence lies mostly inside another's describe one pattern:
the headline is the broadest attribute (the population people recognise:
"40% of billing-dispute cases"), the refinement the most specific one ("all of
them also tagged product-bug"), which the amendment's condition uses.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import product

from scipy.stats import false_discovery_control, fisher_exact

from reviews.models import MinedCase

# Outcomes a rule may predict (the others are reported elsewhere: hot spots, SLA).
PREDICTABLE = ("routed:", "decided:", "override:", "sla:breached", "held:")
_SAME_PATTERN = 0.8  # share of a rule's evidence inside a pattern's above which it belongs to it


@dataclass
class Rule:
    attribute: str
    outcome: str
    support: int
    antecedent: int
    consequent: int
    total: int
    p_value: float = 1.0
    q_value: float = 1.0
    evidence: list[int] = field(default_factory=list)

    @property
    def confidence(self) -> float:
        return self.support / self.antecedent if self.antecedent else 0.0

    @property
    def lift(self) -> float:
        base = self.consequent / self.total if self.total else 0.0
        return self.confidence / base if base else 0.0

    def figures(self) -> dict:
        return {
            "attribute": self.attribute,
            "outcome": self.outcome,
            "support": self.support,
            "cases_with_attribute": self.antecedent,
            "cases_with_outcome": self.consequent,
            "cases": self.total,
            "confidence": round(self.confidence, 4),
            "lift": round(self.lift, 3),
            "p_value": self.p_value,
            "q_value": self.q_value,
        }


@dataclass
class Pattern:
    headline: Rule
    refinement: Rule | None
    also: list[str] = field(default_factory=list)  # other outcomes the same cases share

    @property
    def evidence(self) -> list[int]:
        return self.headline.evidence


@dataclass
class Counts:
    total: int = 0
    attributes: Counter = field(default_factory=Counter)
    outcomes: Counter = field(default_factory=Counter)
    pairs: Counter = field(default_factory=Counter)


def _rows(procedure_id: int, since: dt.datetime) -> Iterator[tuple[int, list[str], list[str]]]:
    rows = MinedCase.objects.filter(procedure_id=procedure_id, opened_at__gte=since).order_by()
    for case_id, attributes, outcomes in rows.values_list("case_id", "attributes", "outcomes").iterator(
        chunk_size=5000
    ):
        yield case_id, attributes.split("\n") if attributes else [], outcomes.split("\n") if outcomes else []


def counts_collect(*, procedure_id: int, since: dt.datetime, min_support: int) -> Counts:
    counts = Counts()
    for _, attributes, outcomes in _rows(procedure_id, since):
        counts.total += 1
        counts.attributes.update(attributes)
        counts.outcomes.update(outcomes)
    frequent = {a for a, n in counts.attributes.items() if n >= min_support}
    predictable = {o for o, n in counts.outcomes.items() if n >= min_support and o.startswith(PREDICTABLE)}
    if not frequent or not predictable:
        return counts
    for _, attributes, outcomes in _rows(procedure_id, since):
        kept = [a for a in attributes if a in frequent]
        wanted = [o for o in outcomes if o in predictable]
        if kept and wanted:
            counts.pairs.update(product(kept, wanted))
    return counts


def rules_find(
    *, procedure_id: int, since: dt.datetime, min_support: int, min_lift: float, alpha: float, evidence_cap: int
) -> tuple[list[Pattern], Counts, int]:
    """Significant patterns (headline rule + refinement), the counts, and how many rules were tested."""
    counts = counts_collect(procedure_id=procedure_id, since=since, min_support=min_support)
    n = counts.total
    candidates = [
        Rule(a, o, s, counts.attributes[a], counts.outcomes[o], n)
        for (a, o), s in counts.pairs.items()
        if s >= min_support and counts.attributes[a] < n  # an attribute every case has explains nothing
    ]
    if not candidates:
        return [], counts, 0
    for rule in candidates:
        a_not_o = rule.antecedent - rule.support
        o_not_a = rule.consequent - rule.support
        rest = n - rule.antecedent - o_not_a
        rule.p_value = float(fisher_exact([[rule.support, a_not_o], [o_not_a, rest]], alternative="greater").pvalue)
    q_values = false_discovery_control([r.p_value for r in candidates], method="bh")
    for rule, q in zip(candidates, q_values, strict=True):
        rule.q_value = float(q)
    kept = [r for r in candidates if r.q_value <= alpha and r.lift >= min_lift]
    _evidence_collect(kept, procedure_id=procedure_id, since=since, cap=evidence_cap)
    return _patterns(kept), counts, len(candidates)


def _evidence_collect(rules: list[Rule], *, procedure_id: int, since: dt.datetime, cap: int) -> None:
    by_attribute: dict[str, list[Rule]] = {}
    for rule in rules:
        by_attribute.setdefault(rule.attribute, []).append(rule)
    if not by_attribute:
        return
    for case_id, attributes, outcomes in _rows(procedure_id, since):
        present = set(outcomes)
        for attribute in attributes:
            for rule in by_attribute.get(attribute, ()):
                if rule.outcome in present and len(rule.evidence) < cap:
                    rule.evidence.append(case_id)


def _same_pattern(group: Rule, rule: Rule) -> bool:
    """Most of `rule`'s evidence is the group's: the same cases seen through another attribute or outcome."""
    mine, theirs = set(rule.evidence), set(group.evidence)
    return bool(mine) and len(mine & theirs) / len(mine) >= _SAME_PATTERN


# On equal figures, prefer attributes a person set on purpose over words that happen to co-occur.
_KIND_ORDER = ("tag", "field", "tier", "group", "priority", "source", "org", "phrase", "word")


def _plainness(rule: Rule) -> int:
    kind = rule.attribute.partition(":")[0]
    return -_KIND_ORDER.index(kind) if kind in _KIND_ORDER else -len(_KIND_ORDER)


def _priority(outcome: str) -> int:
    for index, prefix in enumerate(PREDICTABLE):
        if outcome.startswith(prefix):
            return index
    return len(PREDICTABLE)


def _patterns(rules: list[Rule]) -> list[Pattern]:
    """Rules whose evidence mostly coincides are one pattern, told by its most actionable outcome."""
    groups: list[list[Rule]] = []
    for rule in sorted(rules, key=lambda r: (-r.support, -r.antecedent, r.attribute, r.outcome)):
        for group in groups:
            if _same_pattern(group[0], rule):
                group.append(rule)
                break
        else:
            groups.append([rule])
    found = []
    for group in groups:
        outcome = min((r.outcome for r in group), key=lambda o: (_priority(o), o))
        told = [r for r in group if r.outcome == outcome]
        headline = max(told, key=lambda r: (r.antecedent, r.support, _plainness(r), r.attribute))
        sharper = max(told, key=lambda r: (r.confidence, r.support, _plainness(r), r.attribute))
        refinement = sharper if sharper is not headline and sharper.confidence > headline.confidence else None
        also = sorted({r.outcome for r in group} - {outcome})
        found.append(Pattern(headline, refinement, also))
    return found

"""Attribute → outcome rules over one procedure's mined cases, with a significance guard.

For every attribute A and outcome O seen together in at least `min_support`
cases: support n(A∧O), confidence n(A∧O)/n(A), lift confidence / P(O). A rule
is kept when its lift is at least `min_lift` and it survives a one-sided
Fisher's exact test (is O more frequent with A than without?) after the
Benjamini–Hochberg correction over every rule tested (false discovery rate
`alpha`). Fisher's test is exact at the small counts a single procedure has;
BH rather than Holm because hundreds of word attributes are tested at once and
we want to control the share of false insights, not forbid any.

The counts come from the running per-day counts (`reviews.insights.counts`):
one GROUP BY over the window's days, whatever the number of cases; only the
evidence case ids (at most 500 a rule) of the rules that survived are read
from the mined cases, newest first, stopping when every rule has them or after
the window's newest 20,000 cases (a pattern's evidence is its newest cases; its
figures count all of them). Memory grows with the vocabulary, not with the
number of cases. The p-values are scipy's formula for the one-sided 2×2 Fisher
test, evaluated for all rules in one vectorised call. mlxtend's apriori was not used: it
needs the whole one-hot matrix in memory, and we only want rules of the form
A → O (and one refinement A∧B → O, found from the evidence).

Rules whose evidence lies mostly inside another's describe one pattern:
the headline is the broadest attribute (the population people recognise:
"40% of billing-dispute cases"), the refinement the most specific one ("all of
them also tagged product-bug"), which the amendment's condition uses.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.stats import false_discovery_control, hypergeom

from reviews.insights.counts import PREDICTABLE, Counts

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


def fisher_greater(*, support, antecedent, consequent, total: int) -> np.ndarray:
    """One-sided Fisher's exact p-values (is the outcome more frequent with the attribute?) for many 2×2 tables.

    The formula of `scipy.stats.fisher_exact(table, alternative="greater")`, evaluated for all tables in one
    vectorised call: for [[a, b], [c, d]], P = hypergeom.cdf(b, a+b+c+d, a+b, b+d); 1 when a row or column is empty.
    """
    a = np.asarray(support, dtype=np.int64)
    row = np.asarray(antecedent, dtype=np.int64)  # a + b
    column = np.asarray(consequent, dtype=np.int64)  # a + c
    b = row - a
    d = total - row - (column - a)
    p = hypergeom.cdf(b, total, row, b + d)
    empty = (row == 0) | (row == total) | (column == 0) | (column == total)
    return np.minimum(np.where(empty, 1.0, p), 1.0)


def rules_test(*, counts: Counts, min_support: int, min_lift: float, alpha: float) -> tuple[list[Rule], int]:
    """The rules that pass the guard (evidence not yet collected), and how many rules were tested."""
    n = counts.total
    candidates = [
        Rule(a, o, s, counts.attributes[a], counts.outcomes[o], n)
        for (a, o), s in sorted(counts.pairs.items())
        if s >= min_support
        and o.startswith(PREDICTABLE)
        and counts.attributes[a] >= min_support
        and counts.outcomes[o] >= min_support
        and counts.attributes[a] < n  # an attribute every case has explains nothing
    ]
    if not candidates:
        return [], 0
    p_values = fisher_greater(
        support=[r.support for r in candidates],
        antecedent=[r.antecedent for r in candidates],
        consequent=[r.consequent for r in candidates],
        total=n,
    )
    q_values = false_discovery_control(p_values, method="bh")
    for rule, p, q in zip(candidates, p_values, q_values, strict=True):
        rule.p_value, rule.q_value = float(p), float(q)
    return [r for r in candidates if r.q_value <= alpha and r.lift >= min_lift], len(candidates)


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


def patterns_group(rules: list[Rule]) -> list[Pattern]:
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

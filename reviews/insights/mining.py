"""One mining pass: extract what changed since the last pass, analyse each procedure's window, store insights.

Run nightly and on demand (django-q2, `reviews.insights.tasks`), and by
`manage.py insights --mine`. Insights are keyed by a stable fingerprint, so a
pass updates the figures of the insights it finds again and marks the others
inactive. A dismissed insight stays dismissed unless its evidence grows
materially (by half, and by at least `min_support` cases).
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Count, Q

from cases import clock
from procedures.models import Procedure
from reviews.insights import amendments
from reviews.insights.associations import Pattern, rules_find
from reviews.insights.conf import MiningConf, mining_conf
from reviews.insights.describe import attribute_words, outcome_words
from reviews.insights.extract import cases_extract
from reviews.insights.hotspots import hotspots_find, overrides_find
from reviews.insights.regression import regression_cases_collect
from reviews.insights.sla import breaches_find
from reviews.models import Insight, MinedCase, MiningCursor


@dataclass
class PassReport:
    extracted: int = 0
    procedures: int = 0
    insights: int = 0
    rules_tested: int = 0
    regression_cases_added: int = 0
    seconds: float = 0.0
    per_procedure: dict[str, int] = field(default_factory=dict)


def mining_pass(*, procedure_slug: str | None = None, full: bool = False, now: dt.datetime | None = None) -> PassReport:
    """Extract changed cases (all of them if `full`), then refresh every published procedure's insights."""
    started = time.perf_counter()
    now = now or clock.now()
    conf = mining_conf()
    report = PassReport()
    cursor, _ = MiningCursor.objects.get_or_create(name="default")
    report.extracted = cases_extract(since=None if full else cursor.position)
    procedures = Procedure.objects.filter(published_version__isnull=False).select_related("published_version")
    if procedure_slug:
        procedures = procedures.filter(slug=procedure_slug)
    since = now - dt.timedelta(days=conf.window_days)
    for procedure in procedures:
        found, tested = insights_refresh(procedure=procedure, since=since, conf=conf)
        report.procedures += 1
        report.insights += found
        report.rules_tested += tested
        report.per_procedure[procedure.slug] = found
    report.regression_cases_added = regression_cases_collect()
    report.seconds = time.perf_counter() - started
    cursor.position, cursor.last_pass_at = now, clock.now()
    cursor.last_pass_cases, cursor.last_pass_seconds = report.extracted, report.seconds
    cursor.save()
    return report


def insights_refresh(*, procedure: Procedure, since: dt.datetime, conf: MiningConf) -> tuple[int, int]:
    """Recompute the procedure's insights over the window; returns (insights found, rules tested)."""
    found: list[dict] = []
    patterns, _counts, tested = rules_find(
        procedure_id=procedure.id,
        since=since,
        min_support=conf.min_support,
        min_lift=conf.min_lift,
        alpha=conf.alpha,
        evidence_cap=conf.evidence_cap,
    )
    for pattern in patterns:
        found.append(_association(procedure, pattern))
    for spot in hotspots_find(
        procedure_id=procedure.id, since=since, min_support=conf.min_support, evidence_cap=conf.evidence_cap
    ):
        if spot.decided < conf.min_support or spot.same_share < 0.6:
            continue
        found.append(
            {
                "kind": Insight.Kind.HOTSPOT,
                "key": f"hotspot:{spot.step_key}={spot.top_outcome}",
                "title": f"{spot.step_key} held {spot.holds} cases; {spot.same_share:.0%} of the decided ones "
                f"were decided “{spot.top_outcome}” — a candidate for a rule in the SOP",
                "detail": {"step": spot.step_key, "holds": spot.holds, "decided": spot.decided,
                           "top_outcome": spot.top_outcome, "same_share": round(spot.same_share, 3)},
                "evidence": spot.evidence,
                "evidence_count": spot.top_count,
                "impact": spot.top_count,
            }
        )
    for group in overrides_find(
        procedure_id=procedure.id, since=since, min_support=conf.min_support, evidence_cap=conf.evidence_cap
    ):
        found.append(
            {
                "kind": Insight.Kind.OVERRIDE,
                "key": f"override:{group.step_key}:{group.reason}:{group.proposed}>{group.chosen}",
                "title": f"At {group.step_key} ({group.reason.replace('_', ' ')}), reviewers chose “{group.chosen}” "
                f"over the agent's “{group.proposed}” {group.count} times",
                "detail": {"step": group.step_key, "reason": group.reason, "proposed": group.proposed,
                           "chosen": group.chosen, "count": group.count},
                "evidence": group.evidence,
                "evidence_count": group.count,
                "impact": group.count,
            }
        )
    for spot in breaches_find(
        procedure_id=procedure.id,
        since=since,
        min_support=conf.min_support,
        alpha=conf.alpha,
        evidence_cap=conf.evidence_cap,
    ):
        found.append(
            {
                "kind": Insight.Kind.SLA,
                "key": f"sla:{spot.dimension}={spot.value}",
                "title": f"SLA breaches concentrate in {spot.dimension} {spot.value}: {spot.rate:.0%} of clocks "
                f"breached against {spot.overall_rate:.0%} overall",
                "detail": {"dimension": spot.dimension, "value": spot.value, "clocks": spot.clocks,
                           "breached": spot.breached, "rate": round(spot.rate, 3),
                           "overall_rate": round(spot.overall_rate, 3), "p_value": spot.p_value},
                "evidence": spot.evidence,
                "evidence_count": spot.breached,
                "impact": spot.breached,
            }
        )
    _store(procedure, found, conf)
    return len(found), tested


def _association(procedure: Procedure, pattern: Pattern) -> dict:
    rule = pattern.headline
    attributes = [rule.attribute]
    title = (
        f"{rule.confidence:.0%} of cases {attribute_words(rule.attribute)} were {outcome_words(rule.outcome)} "
        f"({rule.support} of {rule.antecedent}; lift {rule.lift:.1f})"
    )
    detail = {**rule.figures(), "correction": "Benjamini-Hochberg", "test": "Fisher's exact, one-sided"}
    if pattern.refinement:
        sharper = pattern.refinement
        attributes.append(sharper.attribute)
        title += f"; {sharper.support} of them {attribute_words(sharper.attribute)}"
        detail["refinement"] = sharper.figures()
    if pattern.also:
        detail["also"] = pattern.also
    affected = MinedCase.objects.filter(procedure=procedure, case_id__in=rule.evidence).aggregate(
        held=Count("id", filter=Q(holds__gt=0)), breached=Count("id", filter=Q(outcomes__contains="sla:breached"))
    )
    scale = rule.support / len(rule.evidence) if rule.evidence else 0
    impact = (affected["held"] + affected["breached"]) * scale
    detail.update({"evidence_held": affected["held"], "evidence_breached": affected["breached"]})
    sentence = amendments.amendment_sentence(attributes=attributes, outcome=rule.outcome)
    amended = ""
    if sentence and procedure.published_version:
        amended = amendments.source_amend(source=procedure.published_version.source, sentence=sentence)
    detail["attributes"] = attributes
    return {
        "kind": Insight.Kind.ASSOCIATION,
        "key": f"{'+'.join(attributes)}→{rule.outcome}"[:300],
        "title": title[:500],
        "detail": detail,
        "evidence": rule.evidence,
        "evidence_count": rule.support,
        "impact": impact,
        "amendment": sentence or "",
        "amended_source": amended,
    }


@transaction.atomic
def _store(procedure: Procedure, found: list[dict], conf: MiningConf) -> None:
    keys = set()
    for data in found:
        keys.add(data["key"])
        insight = Insight.objects.filter(procedure=procedure, key=data["key"]).first()
        if insight is None:
            Insight.objects.create(procedure=procedure, **data)
            continue
        for name, value in data.items():
            setattr(insight, name, value)
        insight.active = True
        if insight.status == Insight.Status.DISMISSED and _grew(insight, conf):
            insight.status = Insight.Status.OPEN
        insight.save()
    Insight.objects.filter(procedure=procedure, active=True).exclude(key__in=keys).update(active=False)


def _grew(insight: Insight, conf: MiningConf) -> bool:
    before = insight.evidence_at_decision
    return insight.evidence_count >= max(before * 1.5, before + conf.min_support)

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

from django.db import connection, transaction

from cases import clock
from procedures.models import Procedure
from reviews.insights import amendments
from reviews.insights.associations import Pattern, patterns_group, rules_test
from reviews.insights.conf import MiningConf, mining_conf
from reviews.insights.counts import Evidence, evidence_collect, window_counts, window_start
from reviews.insights.describe import attribute_words, outcome_words
from reviews.insights.extract import cases_extract
from reviews.insights.hotspots import hotspots_find, overrides_find
from reviews.insights.parallel import cases_rebuild
from reviews.insights.proposals import hotspot_insight, override_insight, proposal_make
from reviews.insights.regression import regression_cases_collect
from reviews.insights.sla import breaches_find
from reviews.models import Insight, MinedCase, MinedCount, MiningCursor


@dataclass
class PassReport:
    extracted: int = 0
    procedures: int = 0
    skipped: int = 0  # procedures with nothing new in their window since the last pass
    insights: int = 0
    rules_tested: int = 0
    regression_cases_added: int = 0
    seconds: float = 0.0
    workers: int = 1  # processes the extraction ran in (a full pass may use several)
    worker_peak_bytes: int = 0  # their largest peak Python memory, when the caller traced with tracemalloc
    per_procedure: dict[str, int] = field(default_factory=dict)


def mining_pass(*, procedure_slug: str | None = None, full: bool = False, now: dt.datetime | None = None) -> PassReport:
    """Fold in the cases changed since the last pass (all of them if `full`), then refresh the insights of every
    published procedure whose window changed: new or changed cases, or cases that left the window.

    The window is whole UTC days: the cases opened since midnight `window_days` days ago. It moves once a day,
    so a pass later the same day with nothing new skips every procedure."""
    started = time.perf_counter()
    now = now or clock.now()
    conf = mining_conf()
    report = PassReport()
    cursor, _ = MiningCursor.objects.get_or_create(name="default")
    full = full or cursor.position is None  # never mined, or a rebuild that did not finish: rebuild
    since_cursor = None if full else cursor.position
    if full:
        truncate = connection.vendor == "postgresql" and not connection.in_atomic_block
        with transaction.atomic():
            _mined_empty(truncate=truncate)
            cursor.position = None
            cursor.save(update_fields=["position"])
        rebuilt = cases_rebuild(workers=conf.workers)
        report.extracted, touched = rebuilt.extracted, rebuilt.touched
        report.workers, report.worker_peak_bytes = rebuilt.workers, rebuilt.worker_peak_bytes
    else:
        report.extracted, touched = cases_extract(since=since_cursor)
    procedures = Procedure.objects.filter(published_version__isnull=False).select_related("published_version")
    if procedure_slug:
        procedures = procedures.filter(slug=procedure_slug)
    since = window_start(now=now, days=conf.window_days)
    for procedure in procedures:
        window, _ = MiningCursor.objects.get_or_create(name=f"procedure:{procedure.id}")
        if not full and procedure.id not in touched and not _window_moved(procedure.id, window.position, since):
            report.skipped += 1
            continue
        found, tested = insights_refresh(procedure=procedure, since=since, conf=conf)
        window.position, window.last_pass_at = since, clock.now()
        window.save(update_fields=["position", "last_pass_at"])
        report.procedures += 1
        report.insights += found
        report.rules_tested += tested
        report.per_procedure[procedure.slug] = found
    if report.extracted:  # an override becomes a regression case when its run ends: its run changed
        report.regression_cases_added = regression_cases_collect(since=since_cursor)
    report.seconds = time.perf_counter() - started
    cursor.position, cursor.last_pass_at = now, clock.now()
    cursor.last_pass_cases, cursor.last_pass_seconds = report.extracted, report.seconds
    cursor.save()
    return report


def _mined_empty(*, truncate: bool) -> None:
    """Empty the mined rows and counts for a rebuild. `truncate` (PostgreSQL, outside a caller's transaction, where
    rows written earlier may still have deferred checks pending): TRUNCATE, as a DELETE would leave every row dead
    in the table and its indexes until vacuumed, and the rebuild would insert as many again beside them."""
    if truncate:
        tables = ", ".join(connection.ops.quote_name(m._meta.db_table) for m in (MinedCount, MinedCase))
        with connection.cursor() as cursor:
            cursor.execute(f"TRUNCATE {tables}")
        return
    MinedCount.objects.all().delete()
    MinedCase.objects.all().delete()


def _window_moved(procedure_id: int, analysed_since: dt.datetime | None, since: dt.datetime) -> bool:
    """Whether the window lost cases since it was last analysed from `analysed_since` (never analysed: yes)."""
    if analysed_since is None:
        return True
    return MinedCase.objects.filter(
        procedure_id=procedure_id, opened_at__gte=analysed_since, opened_at__lt=since
    ).exists()


def insights_refresh(*, procedure: Procedure, since: dt.datetime, conf: MiningConf) -> tuple[int, int]:
    """Recompute the procedure's insights over the window; returns (insights found, rules tested).

    Reads the running counts of the window (one GROUP BY), then the evidence case ids of what it found (one
    pass over the window's mined cases, newest first, that stops when every list is complete).
    """
    counts = window_counts(procedure_id=procedure.id, since=since, min_support=conf.min_support)
    rules, tested = rules_test(counts=counts, min_support=conf.min_support, min_lift=conf.min_lift, alpha=conf.alpha)
    spots = [
        spot
        for spot in hotspots_find(counts=counts, min_support=conf.min_support)
        if spot.decided >= conf.min_support and spot.same_share >= 0.6
    ]
    groups = overrides_find(counts=counts, min_support=conf.min_support)
    concentrations = breaches_find(counts=counts, min_support=conf.min_support, alpha=conf.alpha)
    wanted = [(r.attribute, r.outcome, r.support) for r in rules]
    wanted += [(*s.evidence_key, s.top_count) for s in spots]
    wanted += [(*g.evidence_key, g.count) for g in groups]
    wanted += [(*c.evidence_key, c.breached) for c in concentrations]
    evidence = evidence_collect(procedure_id=procedure.id, since=since, wanted=wanted, cap=conf.evidence_cap)
    for rule in rules:
        rule.evidence = evidence[(rule.attribute, rule.outcome)].ids
    for finding in [*spots, *groups, *concentrations]:
        finding.evidence = evidence[finding.evidence_key].ids
    found: list[dict] = [
        _association(procedure, pattern, evidence[(pattern.headline.attribute, pattern.headline.outcome)])
        for pattern in patterns_group(rules)
    ]
    for spot in spots:
        proposal = proposal_make(
            procedure, counts, step=spot.step_key, chosen=spot.top_outcome, min_support=conf.min_support
        )
        found.append(hotspot_insight(procedure, spot, proposal))
    for group in groups:
        proposal = proposal_make(
            procedure, counts, step=group.step_key, chosen=group.chosen, min_support=conf.min_support
        )
        found.append(override_insight(procedure, group, proposal))
    found += [_breach(spot) for spot in concentrations]
    _store(procedure, found, conf)
    return len(found), tested


def _breach(spot) -> dict:
    return {
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
    }  # fmt: skip


def _association(procedure: Procedure, pattern: Pattern, evidence: Evidence) -> dict:
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
    scale = rule.support / len(rule.evidence) if rule.evidence else 0
    impact = (evidence.held + evidence.breached) * scale
    detail.update({"evidence_held": evidence.held, "evidence_breached": evidence.breached})
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

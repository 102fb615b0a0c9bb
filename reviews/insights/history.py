"""Realistic history with planted patterns at known rates: for tests, the demo and the benchmark.

`billing_procedure_ensure()` publishes a small *Billing disputes* SOP whose
judgement step holds most cases for a person. `history_generate()` then writes
months of its cases straight into the tables (bulk inserts: cases, live runs,
review items, decisions, the writes the runs made, SLA clocks), as if they had
run. Counts are exact, not random draws: of `cases`, `dispute_rate` are tagged
billing-dispute; of those, `bug_rate` are also tagged product-bug, and
reviewers stopped them at the judgement (against the precedent's proposal
"none") and rerouted them to the Engineering queue. `vip` is tagged on
`noise_rate` of all cases at random (a non-pattern). Cases opened between
18:00 and 23:59 breach their SLA four times as often (a planted concentration).
"""

from __future__ import annotations

import datetime as dt
import random
import secrets
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import transaction

from cases import clock
from cases.models import Case, Decision, ReviewItem, Run, StepExecution
from cases.sla.models import ClockKind, SlaClock, SlaPolicy
from procedures.models import Procedure
from procedures.services import procedure_create, version_compile, version_publish

BILLING_SLUG = "billing-disputes"
BILLING_SOP = """Billing disputes

1. If the ticket is tagged refund-approved, post a public reply saying the refund is on its way and stop.
2. If the charge looks wrong to the agent, add the tag billing-refund to the ticket.
3. Post an internal note on the ticket saying the dispute was reviewed and add the tag billing-reviewed.
"""
JUDGE = "judge"
KINDS = {
    "billing-dispute": ["Charged twice for {m}", "Dispute of the {m} invoice", "Wrong amount billed in {m}"],
    "invoice-question": ["Question about the {m} invoice", "Need a copy of the {m} invoice", "VAT number on invoice"],
    "payment-failed": ["Card declined for {m}", "Payment failed on renewal", "Direct debit bounced in {m}"],
}
BUG_TEXT = "The billing page crashes when I open the {m} statement, so the total shown is wrong."
PLAIN_TEXT = "Please check the {m} charge on our account; the amount does not match our contract."
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October"]
ORGS = ["Acme Corp", "Globex", "Initech", "Umbrella", "Hooli", "Stark Industries"]


@dataclass
class HistorySummary:
    cases: int
    disputes: int
    product_bugs: int
    noise: int
    procedure: str
    double_charges: int = 0
    first_case_id: int | None = None


def billing_procedure_ensure(*, owner=None) -> Procedure:
    """The Billing disputes procedure, compiled and published (created on first use)."""
    procedure = Procedure.objects.filter(slug=BILLING_SLUG).first()
    if procedure and procedure.published_version_id:
        return procedure
    if procedure is None:
        procedure = procedure_create(
            name="Billing disputes",
            slug=BILLING_SLUG,
            source=BILLING_SOP,
            trigger={"source": "zendesk", "events": ["ticket.created"], "group": "Billing"},
            owner=owner,
        )
    version = version_compile(version=procedure.versions.order_by("-number").first(), compiler="rules")
    version_publish(version=version, user=owner, confirm_warnings=True)  # our own generated-history SOP
    procedure.refresh_from_db()
    return procedure


def _exact(count: int, rate: float, rng: random.Random) -> list[bool]:
    flags = [True] * round(count * rate) + [False] * (count - round(count * rate))
    rng.shuffle(flags)
    return flags


def _policy() -> SlaPolicy:
    policy, _ = SlaPolicy.objects.get_or_create(
        name="Billing response", defaults={"first_response_target": dt.timedelta(hours=4), "position": 900}
    )
    return policy


def history_generate(
    *,
    cases: int = 250,
    days: int = 28,
    dispute_rate: float = 0.4,
    bug_rate: float = 0.4,
    noise_rate: float = 0.15,
    double_charge_rate: float = 0.0,
    seed: int = 13,
    now: dt.datetime | None = None,
    procedure: Procedure | None = None,
    batch: int = 2000,
) -> HistorySummary:
    """Write `cases` finished cases of the Billing disputes procedure over the last `days` days."""
    rng = random.Random(seed)
    now = now or clock.now()
    procedure = procedure or billing_procedure_ensure()
    version = procedure.published_version
    reviewer, _ = get_user_model().objects.get_or_create(username="history-reviewer")
    policy = _policy()
    token = secrets.token_hex(3)
    disputes = _exact(cases, dispute_rate, rng)
    n_disputes = sum(disputes)
    bugs_among = iter(_exact(n_disputes, bug_rate, rng))
    noise = _exact(cases, noise_rate, rng)
    # Its own generator, so planting it leaves every other draw (and the figures tests expect) as it was.
    doubles_among = iter(_exact(n_disputes - round(n_disputes * bug_rate), double_charge_rate, random.Random(seed + 1)))
    summary = HistorySummary(cases, n_disputes, 0, sum(noise), procedure.slug)
    for start in range(0, cases, batch):
        rows = []
        for i in range(start, min(cases, start + batch)):
            dispute = disputes[i]
            bug = dispute and next(bugs_among)
            double = dispute and not bug and next(doubles_among)
            summary.product_bugs += bug
            summary.double_charges += double
            rows.append(_case_plan(i, rng, now, days, dispute, bug, noise[i], token, double=double))
        first = _write(rows, version=version, procedure=procedure, reviewer=reviewer, policy=policy)
        if summary.first_case_id is None:
            summary.first_case_id = first
    return summary


def _case_plan(i, rng, now, days, dispute, bug, noise, token, *, double=False) -> dict:
    kind = "billing-dispute" if dispute else rng.choice(["invoice-question", "payment-failed"])
    month = rng.choice(MONTHS)
    opened = now - dt.timedelta(days=rng.uniform(0.1, days))
    tags = (
        [kind] + (["product-bug"] if bug else []) + (["vip"] if noise else []) + (["double-charge"] if double else [])
    )
    refund = not bug and rng.random() < 0.1 and not double
    if refund:
        tags.append("refund-approved")
    evening = opened.hour >= 18
    plan = {
        "external_id": f"hist-{token}-{i}",
        "subject": rng.choice(KINDS[kind]).format(m=month),
        "description": (BUG_TEXT if bug else PLAIN_TEXT).format(m=month),
        "tags": sorted(tags),
        "org": rng.choice(ORGS),
        "priority": rng.choice(["normal", "normal", "high", "low"]),
        "opened_at": opened,
        "bug": bug,
        "refund": refund,
        # Engineering also gets a few non-dispute cases, so the base rate is not zero.
        "rerouted": bug or (not dispute and rng.random() < 0.02),
        "breached": rng.random() < (0.4 if evening else 0.1),
        "chosen": rng.choice(["none", "none", "charge_looks_wrong_to_agent"]),
        "model_tokens": rng.choice([0, 0, 0, 850, 1200]),
    }
    if double:  # drawn all the same, so the draws after it stay as they were
        plan["chosen"] = "charge_looks_wrong_to_agent"
    return plan


@transaction.atomic
def _write(rows: list[dict], *, version, procedure, reviewer, policy) -> int:
    cases = Case.objects.bulk_create(
        [
            Case(
                source="zendesk",
                external_id=r["external_id"],
                subject=r["subject"],
                description=r["description"],
                requester_email=f"billing@{r['org'].split()[0].lower()}.example",
                account_name=r["org"],
                facts={"tags": r["tags"], "group": "Billing", "ticket_id": r["external_id"]},
                status=Case.Status.RESOLVED,
                priority=r["priority"],
                queue="Engineering" if r["rerouted"] else "Billing",
                opened_at=r["opened_at"],
                resolved_at=r["opened_at"] + dt.timedelta(hours=6),
            )
            for r in rows
        ]
    )
    if cases[0].pk is None:  # backends that do not return ids from bulk inserts
        ids = dict(
            Case.objects.filter(external_id__in=[r["external_id"] for r in rows]).values_list("external_id", "id")
        )
        for case in cases:
            case.pk = case.id = ids[case.external_id]
    runs = Run.objects.bulk_create(
        [
            Run(
                case=case,
                version=version,
                mode=Run.Mode.LIVE,
                status=Run.Status.COMPLETED,
                current_step="end_stopped" if r["refund"] or r["rerouted"] else "done",
                outcome="stopped" if r["refund"] or r["rerouted"] else "resolved",
                finished_at=r["opened_at"] + dt.timedelta(hours=6),
            )
            for case, r in zip(cases, rows, strict=True)
        ]
    )
    if runs[0].pk is None:
        by_case = dict(Run.objects.filter(case__in=cases).values_list("case_id", "id"))
        for run in runs:
            run.pk = run.id = by_case[run.case_id]
    items, executions = [], []
    for case, run, r in zip(cases, runs, rows, strict=True):
        writes = ["zendesk.reply"] if r["refund"] else []
        if not r["refund"]:
            chosen = "stop" if r["rerouted"] else r["chosen"]
            decided = r["opened_at"] + dt.timedelta(hours=2)
            items.append(
                (
                    ReviewItem(
                        run=run,
                        case=case,
                        step_key=JUDGE,
                        reason=ReviewItem.Reason.JUDGEMENT,
                        summary="Does this apply: the charge looks wrong to the agent?",
                        proposal={"outcome": "none", "source": "precedent"},
                        allowed_outcomes=[],
                        status=ReviewItem.Status.DECIDED,
                        outcome=chosen,
                        decided_by=reviewer,
                        decided_at=decided,
                    ),
                    chosen,
                    decided,
                    case,
                )
            )
            if not r["rerouted"]:
                writes = (["zendesk.add_tags"] if chosen != "none" else []) + ["zendesk.add_note", "zendesk.add_tags"]
        usage = {"prompt_tokens": r["model_tokens"] - 150, "completion_tokens": 150} if r["model_tokens"] else {}
        sequence = 1
        executions.append(
            StepExecution(run=run, sequence=sequence, step_key=JUDGE, status=StepExecution.Status.HELD, usage=usage)
        )
        for operation in writes:
            sequence += 1
            executions.append(
                StepExecution(
                    run=run,
                    sequence=sequence,
                    step_key=operation.split(".")[1],
                    status=StepExecution.Status.SUCCEEDED,
                    request={"operation": operation, "params": {}},
                    idempotency_key=f"sopdesk-run{run.id}-{operation}-1",
                )
            )
    created = ReviewItem.objects.bulk_create([item for item, *_ in items])
    if created and created[0].pk is None:
        by_run = dict(ReviewItem.objects.filter(run__in=runs).values_list("run_id", "id"))
        for item in created:
            item.pk = item.id = by_run[item.run_id]
    Decision.objects.bulk_create(
        [
            Decision(
                item=item,
                procedure=procedure,
                step_key=JUDGE,
                reason=ReviewItem.Reason.JUDGEMENT,
                signature="history",
                facts={"tags": case.facts["tags"]},
                case_text=case.subject,
                outcome=chosen,
                source=Decision.Source.REVIEWER,
                proposed_outcome="none",
                proposal_source="precedent",
                decided_by=reviewer,
                decided_at=decided,
            )
            for item, (_, chosen, decided, case) in zip(created, items, strict=True)
        ]
    )
    StepExecution.objects.bulk_create(executions)
    SlaClock.objects.bulk_create(
        [
            SlaClock(
                case=case,
                policy=policy,
                kind=ClockKind.FIRST_RESPONSE,
                target=dt.timedelta(hours=4),
                started_at=r["opened_at"],
                resumed_at=r["opened_at"],
                stopped_at=r["opened_at"] + dt.timedelta(hours=5 if r["breached"] else 1),
                breached_at=r["opened_at"] + dt.timedelta(hours=4) if r["breached"] else None,
            )
            for case, r in zip(cases, rows, strict=True)
        ]
    )
    return cases[0].id

"""The chaos scenarios. Each returns a `Row` of counts; nothing here asserts, the report tells."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import requests

from connectors.config import OFFSETS
from sopdesk.chaos.stack import Stack, descendants
from sopdesk.chaos.traffic import Ticket, deliver, hostile_bodies, hostile_send, ticket_create

SETTLED = ("completed", "held", "waiting", "failed", "cancelled")


@dataclass
class Row:
    name: str
    sent: int = 0
    answered_5xx: int = 0
    runs: int = 0
    writes: int = 0
    duplicated: int = 0
    lost: int = 0
    recovery: float = 0.0
    notes: list[str] = field(default_factory=list)


def _emulator(stack: Stack, system: str) -> str:
    host, port = stack.env["SOPDESK_SANDBOX_URL"].rsplit(":", 1)
    return f"{host}:{int(port) + OFFSETS.get(system, 0)}"


def _state(stack: Stack, system: str) -> dict:
    if system == "email":  # the SMTP sink is inspected through the HTTP emulator
        return requests.get(f"{_emulator(stack, 'http')}/_sandbox/mail", timeout=10).json()
    return requests.get(f"{_emulator(stack, system)}/_sandbox/state", timeout=10).json()


def faults(stack: Stack, system: str, **plan) -> None:
    requests.post(f"{_emulator(stack, system)}/_sandbox/faults", json=plan, timeout=10).raise_for_status()


def _runs_of(tickets: list[Ticket]):
    from cases.models import Run

    ids = [str(t.zendesk_id) for t in tickets]
    return Run.objects.filter(case__source="zendesk", case__external_id__in=ids)


def settle(tickets: list[Ticket], *, timeout: float) -> int:
    """Wait until every ticket's run has settled; the number that never got a settled run (lost)."""
    deadline = time.monotonic() + timeout
    while True:
        settled = _runs_of(tickets).filter(status__in=SETTLED).values_list("case__external_id", flat=True)
        missing = len(tickets) - len(set(settled))
        if missing == 0 or time.monotonic() > deadline:
            return missing
        time.sleep(0.25)


def count_writes(stack: Stack, tickets: list[Ticket]) -> tuple[int, int]:
    """(external writes for these tickets, tickets written to more than once) from the emulators' state."""
    issues = _state(stack, "jira")["issues"].values()
    tickets_state = _state(stack, "zendesk")["tickets"]
    mails = _state(stack, "email")["messages"]
    writes = duplicated = 0
    for ticket in tickets:
        made = [i for i in issues if i["fields"]["summary"] == ticket.subject]
        comments = tickets_state.get(str(ticket.zendesk_id), {}).get("comments", [])
        notes = [c for c in comments if not c["public"]]
        sent = [m for m in mails if ticket.subject in (m.get("subject", "") + m.get("body", ""))]
        writes += len(made) + len(notes) + len(sent)
        duplicated += int(len(made) > 1 or len(notes) > 1 or len(sent) > 1)
    message_ids = [m["message_id"] for m in mails if m.get("message_id")]
    duplicated += len(message_ids) - len(set(message_ids))  # one mail delivered twice, whichever ticket
    return writes, duplicated


def _in_parallel(jobs: list[Callable[[], int]]) -> list[int]:
    results: list[int] = [0] * len(jobs)

    def run(index: int) -> None:
        results[index] = jobs[index]()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(jobs))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


def _finish(row: Row, stack: Stack, tickets: list[Ticket], *, timeout: float) -> Row:
    row.lost = settle(tickets, timeout=timeout)
    row.runs = _runs_of(tickets).count()
    row.writes, row.duplicated = count_writes(stack, tickets)
    return row


def duplicates(stack: Stack, *, count: int, timeout: float) -> Row:
    """Every ticket's webhook delivered three times at once with the same invocation id."""
    row = Row("duplicates ×3")
    tickets = [ticket_create(stack, n, tag="dup") for n in range(count)]
    for ticket in tickets:
        statuses = _in_parallel([lambda t=ticket: deliver(stack, t, invocation=f"dup-{t.zendesk_id}")] * 3)
        row.sent += 3
        row.answered_5xx += sum(1 for s in statuses if s == 0 or s >= 500)
    return _finish(row, stack, tickets, timeout=timeout)


def injected_faults(stack: Stack, *, count: int, timeout: float, seed: int) -> Row:
    """30% of Salesforce, Jira and Zendesk requests fail; half of the failed writes fail after writing."""
    row = Row("30% faults, half after the write")
    tickets = [ticket_create(stack, n, tag="fault") for n in range(count)]
    for system in ("salesforce", "jira", "zendesk"):
        faults(stack, system, error_rate=0.3, when="random", seed=seed)
    try:
        for ticket in tickets:
            status = deliver(stack, ticket, invocation=f"fault-{ticket.zendesk_id}")
            row.sent += 1
            row.answered_5xx += int(status == 0 or status >= 500)
        _finish(row, stack, tickets, timeout=timeout)
    finally:
        for system in ("salesforce", "jira", "zendesk"):
            faults(stack, system)
    return row


def kills(stack: Stack, *, count: int, kills: int, timeout: float, seed: int) -> Row:
    """SIGKILL task workers and the cluster's main process while tickets are being worked."""
    import os
    import signal

    from cases.models import StepExecution

    rng = random.Random(seed)
    row = Row(f"{kills} SIGKILLs (workers, main)")
    tickets = [ticket_create(stack, n, tag="kill") for n in range(count)]
    faults(stack, "jira", latency=1.0)  # so a killed worker is usually in the middle of a step
    recoveries: list[float] = []
    try:
        per_kill = max(1, count // max(1, kills))
        for index, ticket in enumerate(tickets):
            status = deliver(stack, ticket, invocation=f"kill-{ticket.zendesk_id}")
            row.sent += 1
            row.answered_5xx += int(status == 0 or status >= 500)
            if index % per_kill != per_kill - 1 or len(recoveries) >= kills:
                continue
            _wait_for_a_step_in_flight(timeout=10)
            main = stack.cluster_pid()
            if main is None:
                continue
            workers = descendants(main)
            target = main if len(recoveries) % 2 else (rng.choice(workers) if workers else main)
            orphaned = set(
                StepExecution.objects.filter(status=StepExecution.Status.STARTED).values_list("id", flat=True)
            )
            killed_at = time.monotonic()
            try:
                os.kill(target, signal.SIGKILL)
            except ProcessLookupError:
                continue
            deadline = killed_at + timeout
            while time.monotonic() < deadline:
                left = StepExecution.objects.filter(id__in=orphaned, status=StepExecution.Status.STARTED).count()
                if not left:
                    break
                time.sleep(0.2)
            recoveries.append(time.monotonic() - killed_at if orphaned else 0.0)
        _finish(row, stack, tickets, timeout=timeout)
    finally:
        faults(stack, "jira")
    row.recovery = max(recoveries, default=0.0)
    row.notes.append(
        f"{len(recoveries)} kills ({sum(1 for r in recoveries if r)} with a step in flight), time until those steps "
        "were done again: " + ", ".join(f"{r:.1f}s" for r in recoveries)
    )
    return row


def _wait_for_a_step_in_flight(*, timeout: float) -> None:
    """Kill mid-step when possible: wait (briefly) until some step has started and not finished."""
    from cases.models import StepExecution

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if StepExecution.objects.filter(status=StepExecution.Status.STARTED).exists():
            return
        time.sleep(0.05)


def hostile(stack: Stack) -> Row:
    """Hostile and malformed bodies, correctly authenticated, at every webhook."""
    row = Row("hostile bodies")
    for name, body, content_type in hostile_bodies():
        statuses = hostile_send(stack, body, content_type)
        row.sent += len(statuses)
        bad = [s for s in statuses if s == 0 or s >= 500]
        row.answered_5xx += len(bad)
        if bad:
            row.notes.append(f"{name}: {statuses}")
    return row


def half_stored() -> tuple[int, int]:
    """(events stored but never brought to a terminal state, events that failed on our side)."""
    from cases.models import InboundEvent

    return (
        InboundEvent.objects.filter(status=InboundEvent.Status.RECEIVED).count(),
        InboundEvent.objects.filter(status=InboundEvent.Status.FAILED).count(),
    )

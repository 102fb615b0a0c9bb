""" "Try on a sample case": a dry run of any compiled version on pasted case JSON, shown as a timeline."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from cases import clock
from cases.casefacts import case_apply
from cases.models import Case, Run
from cases.selectors import TimelineEntry, case_timeline
from cases.services import run_advance, run_start
from cases.webhooks.base import WebhookRejected
from cases.webhooks.generic import parse as parse_generic
from procedures.models import ProcedureVersion

SAMPLE_CASE = {
    "subject": "Export to CSV crashes",
    "description": "Exporting the Q3 report crashes the app.",
    "requester": {"email": "alice@acme.example", "name": "Alice Adams"},
    "tags": ["product-bug"],
    "url": "https://sandbox.zendesk.com/agent/tickets/1",
    "fields": {},
    "attachments": [],
}


@dataclass
class TryOutcome:
    error: str = ""
    case: Case | None = None
    run: Run | None = None
    entries: list[TimelineEntry] = field(default_factory=list)


def version_try(*, version: ProcedureVersion, sample: str) -> TryOutcome:
    """Dry-run `version` on a new case built from `sample` (the `case` object of /api/events/)."""
    if not version.graph:
        return TryOutcome(error="This version has no compiled graph yet: compile it first.")
    try:
        data = json.loads(sample)
    except json.JSONDecodeError as exc:
        return TryOutcome(error=f"The sample is not valid JSON: {exc}.")
    if not isinstance(data, dict):
        return TryOutcome(error="The sample must be a JSON object describing the case.")
    try:
        body = json.dumps({"event": "case.sample", "case": {**data, "source": "api", "external_id": ""}}).encode()
        (event,) = parse_generic({}, body)
    except WebhookRejected as exc:
        return TryOutcome(error=exc.message)
    case = Case(source="api", opened_at=clock.now())
    case_apply(case=case, event=event)
    case.facts = {**case.facts, "sample": True}
    case.save()
    run = run_start(case=case, version=version, mode=Run.Mode.DRY_RUN, event={"type": "case.sample"}, enqueue=False)
    run = run_advance(run_id=run.id)
    return TryOutcome(case=case, run=run, entries=case_timeline(case=case))

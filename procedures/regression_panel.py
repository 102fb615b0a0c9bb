"""The editor's regression panel: what a draft makes of the cases people fixed, before anyone publishes it.

Procedures never import reviews: the figures come from the publish checks
(SOPDESK_PUBLISH_CHECKS), where reviews' regression check replays the
procedure's regression cases through the version in dry run (once per version
and set of cases). The editor shows the panel for a compiled, unpublished
version; publishing from the editor asks to confirm when the panel has
failing cases, naming each.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import reverse

from procedures.models import ProcedureVersion
from procedures.services import version_checks_run

REGRESSION_CHECK = "regression_cases"


@dataclass(frozen=True)
class RegressionRow:
    case_id: int
    subject: str
    step: str
    verdict: str  # right, wrong, held
    expected: str
    got: str
    url: str


@dataclass(frozen=True)
class RegressionPanel:
    summary: str
    rows: list[RegressionRow]

    def counted(self, verdict: str) -> list[RegressionRow]:
        return [row for row in self.rows if row.verdict == verdict]

    @property
    def wrong(self) -> list[RegressionRow]:
        return self.counted("wrong")

    @property
    def held(self) -> list[RegressionRow]:
        return self.counted("held")

    @property
    def right(self) -> list[RegressionRow]:
        return self.counted("right")


def _expected_text(expected: dict) -> str:
    actions = ", ".join(expected.get("actions") or [])
    return f"ends {expected.get('outcome') or '?'}" + (f" after {actions}" if actions else "")


def _got_text(got: dict) -> str:
    actions = ", ".join(got.get("actions") or [])
    match got.get("status"):
        case "completed":
            text = f"ends {got.get('outcome') or '?'}"
        case "held":
            text = f"stops for a person at {got.get('held_at') or 'a step'}"
        case status:
            text = str(status or "does not finish")
    return text + (f" after {actions}" if actions else "")


def _row(result: dict) -> RegressionRow:
    return RegressionRow(
        case_id=result["case"],
        subject=result.get("subject", ""),
        step=result.get("step", ""),
        verdict=result["verdict"],
        expected=_expected_text(result.get("expected") or {}),
        got=_got_text(result.get("got") or {}),
        url=reverse("cases:timeline", args=[result["case"]]),
    )


_ORDER = {"wrong": 0, "held": 1, "right": 2}


def version_regression_panel(*, version: ProcedureVersion) -> RegressionPanel | None:
    """The regression check of a compiled draft (None for other versions, or when no such check is configured)."""
    if version.status != ProcedureVersion.Status.COMPILED:
        return None
    for check in version_checks_run(version=version):
        if check.get("check") == REGRESSION_CHECK:
            rows = sorted((_row(r) for r in check.get("results", [])), key=lambda r: (_ORDER[r.verdict], r.case_id))
            return RegressionPanel(summary=check.get("summary", ""), rows=rows)
    return None

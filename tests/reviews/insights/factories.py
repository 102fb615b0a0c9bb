"""Test factory for mined history: the planted Billing disputes pattern of issue 13."""

from __future__ import annotations

from reviews.insights.history import HistorySummary, billing_procedure_ensure, history_generate
from reviews.insights.mining import PassReport, mining_pass


def planted_history(**options) -> tuple[HistorySummary, PassReport]:
    """250 cases: 100 billing-dispute, 40 of them product-bug and rerouted to Engineering; then one mining pass."""
    procedure = billing_procedure_ensure()
    summary = history_generate(procedure=procedure, **{"cases": 250, **options})
    return summary, mining_pass()

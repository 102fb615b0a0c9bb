"""The demo's history: a Billing disputes procedure with months of generated cases, mined once."""

from __future__ import annotations

from cases.models import Run
from reviews.insights.history import billing_procedure_ensure, history_generate
from reviews.insights.mining import mining_pass

DEMO_CASES = 800
DEMO_DOUBLE_CHARGE_RATE = 0.35  # of the disputes that are not product bugs: judged a wrong charge every time


def insights_demo_load(*, owner=None) -> list[str]:
    """Generate the history (first start only) and mine it, so /inbox/insights/ shows real insights."""
    procedure = billing_procedure_ensure(owner=owner)
    if Run.objects.filter(version__procedure=procedure).exists():
        return [f"{procedure.name}: history already generated; insights at /inbox/insights/"]
    summary = history_generate(
        cases=DEMO_CASES, days=45, procedure=procedure, double_charge_rate=DEMO_DOUBLE_CHARGE_RATE
    )
    report = mining_pass()
    return [
        f"{procedure.name}: published, with {summary.cases} generated cases over 45 days "
        f"({summary.product_bugs} product-bug disputes rerouted to Engineering, "
        f"{summary.double_charges} double charges judged wrong by reviewers)",
        f"Insights: {report.insights} found at /inbox/insights/; weekly report at /inbox/reports/weekly/",
    ]

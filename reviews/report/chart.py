"""Volume and automation rate per day as a PNG (matplotlib, Agg backend: no display, thread-safe per figure)."""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")
from matplotlib.figure import Figure

from reviews.report.figures import Report


def chart_png(report: Report) -> bytes:
    """Cases per day (bars) and the share handled unattended (line), over every procedure in the report."""
    days: dict = {}
    for procedure in report.procedures:
        for day, cases, unattended in procedure.per_day:
            total = days.setdefault(day, [0, 0])
            total[0] += cases
            total[1] += unattended
    ordered = sorted(days)
    figure = Figure(figsize=(6.4, 2.8), dpi=100)
    axes = figure.add_subplot()
    labels = [day.strftime("%a %d") for day in ordered]
    axes.bar(labels, [days[d][0] for d in ordered], color="#9db7d5", label="Cases")
    axes.set_ylabel("Cases")
    rate = axes.twinx()
    rate.plot(labels, [100 * days[d][1] / days[d][0] if days[d][0] else 0 for d in ordered], color="#1f5f99",
              marker="o", label="Unattended %")  # fmt: skip
    rate.set_ylim(0, 100)
    rate.set_ylabel("Unattended %")
    axes.set_title("Cases per day and share run unattended")
    axes.tick_params(axis="x", labelsize=8)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()

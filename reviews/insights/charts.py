"""One small chart per insight (matplotlib, Agg): how much more often the outcome follows the pattern."""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")
from matplotlib.figure import Figure

from reviews.models import Insight


def insight_png(insight: Insight) -> bytes:
    detail = insight.detail
    figure = Figure(figsize=(4.8, 2.2), dpi=100)
    axes = figure.add_subplot()
    if insight.kind == Insight.Kind.ASSOCIATION:
        base = detail["cases_with_outcome"] / detail["cases"] if detail.get("cases") else 0
        labels, values = ["All cases", "With the pattern"], [100 * base, 100 * detail["confidence"]]
        if detail.get("refinement"):
            labels.append("…and the refinement")
            values.append(100 * detail["refinement"]["confidence"])
        axes.set_xlabel("% with the outcome")
    elif insight.kind == Insight.Kind.SLA:
        labels = ["All clocks", f"{detail['dimension']} {detail['value']}"]
        values = [100 * detail["overall_rate"], 100 * detail["rate"]]
        axes.set_xlabel("% breached")
    elif insight.kind == Insight.Kind.HOTSPOT:
        labels = ["Decided the same way", "Decided otherwise"]
        values = [insight.evidence_count, detail["decided"] - insight.evidence_count]
        axes.set_xlabel("Holds")
    else:
        labels, values = ["Overrides"], [insight.evidence_count]
        axes.set_xlabel("Decisions")
    axes.barh(labels, values, color=["#9db7d5"] + ["#1f5f99"] * (len(values) - 1))
    axes.invert_yaxis()
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()

"""The chaos table and its closing line."""

from __future__ import annotations

from sopdesk.chaos.scenarios import Row


def render(rows: list[Row], *, half_stored: int, failed: int, database: str) -> str:
    header = f"{'scenario':<34} {'sent':>5} {'5xx':>4} {'runs':>5} {'writes':>6} {'dup':>4} {'lost':>5} {'recovery':>9}"
    lines = [f"chaos on {database}", header, "-" * len(header)]
    for row in rows:
        recovery = f"{row.recovery:.1f} s" if row.recovery else "-"
        lines.append(
            f"{row.name:<34} {row.sent:>5} {row.answered_5xx:>4} {row.runs:>5} {row.writes:>6} "
            f"{row.duplicated:>4} {row.lost:>5} {recovery:>9}"
        )
        lines += [f"    {note}" for note in row.notes]
    lines.append(f"events stored but not finished (half-stored): {half_stored}; failed on our side: {failed}")
    lost = sum(r.lost for r in rows)
    duplicated = sum(r.duplicated for r in rows)
    errors = sum(r.answered_5xx for r in rows)
    recovery = max((r.recovery for r in rows), default=0.0)
    lines.append(
        f"chaos: lost {lost}, duplicated {duplicated}, 5xx {errors}, half-stored {half_stored + failed}, "
        f"recovery {recovery:.1f} s"
    )
    return "\n".join(lines)

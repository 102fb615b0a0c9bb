"""The evaluation report: a per-SOP table, every wrong automated step, and the two pooled lines at the end."""

from __future__ import annotations

from dataclasses import dataclass

from procedures.compiler.evaluation.scoring import SopScore

COLUMNS = "prec  recall  branch  params  auto  drops  quest  wrong"


@dataclass(frozen=True)
class Pooled:
    """Pooled over SOPs: right automated / all automated, matched items / all items."""

    automated: int
    right: int
    items: int
    matched: int

    @property
    def precision(self) -> float | None:
        return self.right / self.automated if self.automated else None

    @property
    def recall(self) -> float | None:
        return self.matched / self.items if self.items else None


def pooled(scores: list[SopScore]) -> Pooled:
    return Pooled(
        automated=sum(s.automated for s in scores),
        right=sum(s.right for s in scores),
        items=sum(s.items for s in scores),
        matched=sum(s.matched for s in scores),
    )


def _cell(value: float | None, width: int) -> str:
    return f"{'n/a' if value is None else f'{value:.2f}':>{width}}"


def _figures(p: Pooled) -> str:
    if p.items == 0 and p.automated == 0:
        return "precision n/a recall n/a"
    return f"precision {_cell(p.precision, 0)} recall {_cell(p.recall, 0)}"


def _row(name: str, width: int, s: SopScore) -> str:
    cells = [
        _cell(s.precision, 4),
        _cell(s.recall, 6),
        _cell(s.branches, 6),
        _cell(s.params, 6),
        _cell(s.automation, 4),
        f"{len(s.silent_drops):5d}",
        f"{s.questions:5d}",
        f"{len(s.wrong):5d}",
    ]
    line = f"{name:<{width}}  " + "  ".join(cells)
    return line + (f"  FAILED: {s.error}" if s.error else "")


def report_text(scores: list[SopScore]) -> str:
    """The whole report; its last two lines are `overall: ...` and `held-out: ...`."""
    width = max([len(s.name) for s in scores] + [12])
    lines = []
    for group, title in (("dev", "dev set"), ("heldout", "held-out set")):
        rows = [s for s in scores if s.group == group]
        if not rows:
            continue
        p = pooled(rows)
        lines.append(f"{title} ({len(rows)} SOPs)")
        lines.append(f"{'sop':<{width}}  {COLUMNS}")
        lines += [_row(s.name, width, s) for s in rows]
        total = SopScore(
            "pooled",
            automated=p.automated,
            right=p.right,
            items=p.items,
            matched=p.matched,
            automated_items=sum(s.automated_items for s in rows),
            params_checked=sum(s.params_checked for s in rows),
            params_exact=sum(s.params_exact for s in rows),
            paths=sum(s.paths for s in rows),
            paths_held=sum(s.paths_held for s in rows),
            questions=sum(s.questions for s in rows),
            silent_drops=tuple(d for s in rows for d in s.silent_drops),
            wrong=tuple(w for s in rows for w in s.wrong),
        )
        lines.append(_row("pooled", width, total))
        lines.append("")
    wrong = [w for s in scores for w in s.wrong]
    lines.append(f"wrong automated steps ({len(wrong)}):")
    lines += [f"  {w.sop}  {w.step}  {w.label}  -- {w.why}" for w in wrong] or ["  none"]
    failures = [(s.name, f) for s in scores for f in s.path_failures]
    if failures:
        lines.append(f"paths that do not hold ({len(failures)}):")
        lines += [f"  {name}  {f}" for name, f in failures]
    drops = [(s.name, d) for s in scores for d in s.silent_drops]
    if drops:
        lines.append(f"silent drops ({len(drops)}):")
        lines += [f"  {name}  {d}" for name, d in drops]
    failed = [s for s in scores if s.error]
    if failed:
        lines.append(f"did not compile ({len(failed)}):")
        lines += [f"  {s.name}  {s.error}" for s in failed]
    lines.append(f"overall: {_figures(pooled(scores))}")
    lines.append(f"held-out: {_figures(pooled([s for s in scores if s.group == 'heldout']))}")
    return "\n".join(lines)


def report_json(scores: list[SopScore]) -> dict:
    def figures(p: Pooled) -> dict:
        return {
            "precision": p.precision,
            "recall": p.recall,
            "right": p.right,
            "automated": p.automated,
            "matched": p.matched,
            "items": p.items,
        }

    return {
        "sops": [
            {
                "name": s.name,
                "set": s.group,
                "precision": s.precision,
                "recall": s.recall,
                "branches": s.branches,
                "params": s.params,
                "automation": s.automation,
                "silent_drops": list(s.silent_drops),
                "questions": s.questions,
                "automated": s.automated,
                "wrong": [{"step": w.step, "label": w.label, "why": w.why} for w in s.wrong],
                "missed": list(s.missed),
                "path_failures": list(s.path_failures),
                "error": s.error,
            }
            for s in scores
        ],
        "overall": figures(pooled(scores)),
        "heldout": figures(pooled([s for s in scores if s.group == "heldout"])),
    }

"""A compiled graph as text a person can read next to the SOP (used by `compile_sop`)."""

from __future__ import annotations

from procedures.compiler.base import CompileIssue
from procedures.steps import ActStep, ApproveStep, DecideStep, EndStep, GatherStep, Graph, Step, WaitStep


def line_of(source: str, offset: int) -> int:
    return source.count("\n", 0, offset) + 1


def graph_as_text(graph: Graph, source: str, warnings: list[CompileIssue], *, compiler: str = "") -> str:
    index = {step.key: n for n, step in enumerate(graph.steps, start=1)}
    out = [f"{graph.title or 'SOP'}: {len(graph.steps)} steps (compiler: {compiler}), start at {graph.start}", ""]
    for n, step in enumerate(graph.steps, start=1):
        out.append(f"{n:>2}. [{step.kind}] {step.key}: {step.title}")
        out += [f"      {line}" for line in _details(step, index)]
        if step.span and step.instruction:
            out.append(f"      source line {line_of(source, step.span.start)}: {step.instruction!r}")
    out.append("")
    if warnings:
        out.append(f"{len(warnings)} warning(s):")
        for w in warnings:
            where = f"line {line_of(source, w.span.start)}: " if w.span else ""
            quote = f' "{w.excerpt}"' if w.excerpt else ""
            out.append(f"  - {where}{w.message}{quote}")
    else:
        out.append("No warnings.")
    return "\n".join(out)


def _to(key: str | None, index: dict[str, int]) -> str:
    return f"{key} (#{index[key]})" if key in index else str(key)


def _details(step: Step, index: dict[str, int]) -> list[str]:
    lines: list[str] = []
    match step:
        case GatherStep() | ActStep():
            if step.operation:
                lines.append(f"operation: {step.operation}")
            lines += [f"  {name} = {value!r}" for name, value in step.params.items()]
            if isinstance(step, GatherStep):
                lines += [f"  compute {name} = {value!r}" for name, value in step.compute.items()]
                lines.append(
                    f"saves as: {step.save_as}" + (f" (required: {', '.join(step.required)})" if step.required else "")
                )
            elif step.save_as:
                lines.append(f"saves as: {step.save_as}")
            if isinstance(step, ActStep) and step.deadline:
                lines.append(f"deadline: {step.deadline.describe()}")
            lines.append(f"then → {_to(step.next, index)}")
        case DecideStep():
            for branch in step.branches:
                lines.append(f"if {branch.when} → {_to(branch.next, index)}")
            if step.branches:
                lines.append(f"otherwise → {_to(step.otherwise, index)}")
            if step.judgement:
                lines.append(f"judgement: {step.judgement.question}")
                lines += [f"  {o.key} ({o.label}) → {_to(o.next, index)}" for o in step.judgement.outcomes]
        case WaitStep():
            what = []
            if step.for_event:
                what.append(f"event {step.for_event}")
            if step.delay:
                what.append(f"{step.delay.describe()}" + (f" after {step.anchor}" if step.anchor else ""))
            lines.append("wait for " + " or ".join(what))
            if step.for_event:
                lines.append(f"on {step.for_event} → {_to(step.on_event, index)}")
            if step.delay:
                lines.append(f"when the time passes → {_to(step.next, index)}")
        case ApproveStep():
            lines.append(f"approval by: {step.role}")
            lines += [f"evidence: at least {e.min_count} {e.kind}" for e in step.evidence]
            lines.append(f"approved → {_to(step.on_approved, index)}; rejected → {_to(step.on_rejected, index)}")
            if step.on_missing_evidence:
                lines.append(f"evidence missing → {_to(step.on_missing_evidence, index)}")
        case EndStep():
            lines.append(
                f"end: {step.outcome}"
                + (f", case {step.case_status}" if step.case_status else "")
                + (f", hand off to {step.handoff_role}" if step.handoff_role else "")
            )
    return lines

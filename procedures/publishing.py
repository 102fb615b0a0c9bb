"""What a person must confirm before a version goes live, and the coverage figures shown with it.

A version is published "with open questions" when its compile left sentences
not understood, left warnings, or names approval/hand-off roles that no group
has yet. Publishing then needs an explicit confirmation that names each of
them (editor, admin and API alike); the missing roles are created as groups on
publish. Pure reads: no function here writes.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from procedures.compiler.base import COVERAGE_STATUSES

COVERAGE_LABELS = {
    "automated": "automated",
    "person": "needs a person",
    "not_understood": "not understood",
    "non_procedural": "non-procedural",
}
_SHOWN = 8  # questions quoted in a one-line message; the confirmation page lists them all


def coverage_counts(coverage: list[dict]) -> dict[str, int]:
    """Sentences by status, every status present (0 when none), from a version's stored coverage."""
    counts = dict.fromkeys(COVERAGE_STATUSES, 0)
    for entry in coverage or []:
        status = entry.get("status")
        if status in counts:
            counts[status] += 1
    return counts


def coverage_line(coverage: list[dict]) -> str:
    """ "12 sentences: 7 automated, 2 needs a person, 1 not understood, 2 non-procedural", or why there is none."""
    if not coverage:
        return "Coverage not available for this version."
    counts = coverage_counts(coverage)
    parts = ", ".join(f"{counts[s]} {COVERAGE_LABELS[s]}" for s in COVERAGE_STATUSES)
    return f"{len(coverage)} sentence{'' if len(coverage) == 1 else 's'}: {parts}"


def graph_roles(graph: dict) -> list[str]:
    """Roles (group names) the graph's approvals and hand-offs name, in order of appearance."""
    roles: list[str] = []
    for step in (graph or {}).get("steps", []):
        role = step.get("role") if step.get("kind") == "approve" else step.get("handoff_role")
        if role and role not in roles:
            roles.append(role)
    return roles


def roles_missing(graph: dict) -> list[str]:
    from django.contrib.auth.models import Group

    roles = graph_roles(graph)
    existing = set(Group.objects.filter(name__in=roles).values_list("name", flat=True))
    return [r for r in roles if r not in existing]


@dataclass(frozen=True)
class OpenQuestions:
    not_understood: list[dict] = field(default_factory=list)  # coverage entries
    warnings: list[dict] = field(default_factory=list)  # compile warnings as stored
    missing_roles: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.not_understood or self.warnings or self.missing_roles)

    def items(self) -> list[str]:
        """Each question as a line a person can read."""
        lines = [f"Not understood: “{e.get('text', '').strip()}”" for e in self.not_understood]
        lines += [
            f"Warning: {w.get('message', '')}" + (f" (“{w['excerpt']}”)" if w.get("excerpt") else "")
            for w in self.warnings
        ]
        lines += [
            f"Role “{r}” does not exist yet: it will be created as a group on publish" for r in self.missing_roles
        ]
        return lines

    def to_json(self) -> dict:
        return {
            "not_understood": self.not_understood,
            "warnings": self.warnings,
            "roles_to_create": self.missing_roles,
        }

    def message(self, version_number: int) -> str:
        lines = self.items()
        shown = "; ".join(lines[:_SHOWN]) + (f"; and {len(lines) - _SHOWN} more" if len(lines) > _SHOWN else "")
        return (
            f"v{version_number} has {len(lines)} open question{'' if len(lines) == 1 else 's'}: {shown}. "
            "Publish again confirming them (confirm_warnings: true) to go ahead anyway."
        )


def version_open_questions(*, version) -> OpenQuestions:
    """What publishing `version` would put live without a person having looked at it."""
    not_understood = [e for e in (version.coverage or []) if e.get("status") == "not_understood"]
    spans = {(e["span"]["start"], e["span"]["end"]) for e in not_understood if e.get("span")}
    # A sentence not understood usually carries a warning too: name it once.
    warnings = [
        w
        for w in (version.warnings or [])
        if not (w.get("span") and (w["span"].get("start"), w["span"].get("end")) in spans)
    ]
    return OpenQuestions(
        not_understood=not_understood,
        warnings=warnings,
        missing_roles=roles_missing(version.graph or {}),
    )


def coverage_listing(coverage: list[dict], source: str, *, width: int = 100) -> list[str]:
    """One line per sentence, "line 4  [not understood]  “…”", for `compile_sop`'s text output."""
    lines = []
    for entry in coverage:
        start = (entry.get("span") or {}).get("start", 0)
        text = " ".join(str(entry.get("text", "")).split())
        if len(text) > width:
            text = text[: width - 1] + "…"
        label = COVERAGE_LABELS.get(entry.get("status", ""), entry.get("status", ""))
        kind = f" ({entry['kind']})" if entry.get("kind") else ""
        lines.append(f"  line {source.count(chr(10), 0, start) + 1:>4}  [{label}{kind}]  “{text}”")
    return lines

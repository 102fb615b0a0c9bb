"""The demo's content: the three reference SOPs, loaded as published procedures.

The SOP texts live beside this file (copied from the project's reference
scenarios) so the app never reads outside its own tree at run time.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

SCENARIO_DIR = Path(__file__).resolve().parent / "scenarios"


@dataclass(frozen=True)
class DemoProcedure:
    slug: str
    name: str
    file: str
    trigger: dict
    # SLA SOPs become SLA policies watched by the SLA sweep, not a step graph run per case.
    sla_policies: bool = False

    @property
    def source(self) -> str:
        return (SCENARIO_DIR / self.file).read_text()


SCENARIOS = [
    DemoProcedure(
        slug="product-bug-escalation",
        name="Product bug escalation",
        file="escalation.md",
        trigger={"source": "zendesk", "events": ["ticket.created", "ticket.updated"], "tags": ["product-bug"]},
    ),
    DemoProcedure(
        slug="freight-claims",
        name="Freight claims",
        file="freight-claim.md",
        trigger={
            "source": "any",
            "events": ["claim.submitted", "ticket.created"],
            "group": "Claims",
            "fields": ["tracking_number", "carrier", "claim_amount"],
        },
    ),
    DemoProcedure(
        slug="sla-routing",
        name="Response times and escalation",
        file="sla-routing.md",
        trigger={"source": "any", "events": ["case.created"]},
        sla_policies=True,
    ),
]


SLA_DESCRIPTION = (
    "Active as SLA policies: the targets and escalations in this SOP are the SLA policies the clock sweep "
    "enforces (SLA policies in the admin). It is compiled for reading in the editor and is not run per case, "
    "so it has no published version."
)


def demo_load(*, owner=None) -> list[str]:
    """Create each demo procedure that does not exist yet: compiled and published.

    The SLA SOP is compiled for the editor but not published (it is not run per
    case): its targets and escalations become the SLA policies the sweep
    enforces, and the procedure is marked Active, since those rules are live. Returns one line per procedure
    saying what happened. Existing procedures are left exactly as they are, so
    a team's edits survive a restart.
    """
    from cases.sla.compile import sla_policies_from_sop
    from cases.sla.models import SlaContact
    from connectors.declared.demo import declared_demo_load
    from procedures.compiler import CompileError
    from procedures.models import Procedure
    from procedures.services import procedure_create, version_compile, version_publish

    declared_demo_load()  # the team's own tools (billing, outage) first, so the compiler knows them
    report = []
    for scenario in SCENARIOS:
        if Procedure.objects.filter(slug=scenario.slug).exists():
            report.append(f"{scenario.name}: already loaded")
            continue
        procedure = procedure_create(
            name=scenario.name, slug=scenario.slug, source=scenario.source, trigger=scenario.trigger, owner=owner
        )
        version = procedure.versions.get()
        try:
            version = version_compile(version=version)
        except CompileError as exc:
            report.append(f"{scenario.name}: loaded as a draft; it did not compile: {exc}")
            continue
        if version.status != version.Status.COMPILED:
            report.append(f"{scenario.name}: loaded as a draft; it did not compile ({len(version.errors)} errors)")
            continue
        if scenario.sla_policies:
            result = sla_policies_from_sop(text=scenario.source)
            for role, name in (("team_lead", "Tara Teamlead"), ("vp_customer_success", "Victor VP")):
                SlaContact.objects.get_or_create(
                    role=role, queue="", defaults={"name": name, "email": f"{role.replace('_', '.')}@sopdesk.example"}
                )
            procedure.status = Procedure.Status.ACTIVE  # live as SLA policies; never run per case
            procedure.description = SLA_DESCRIPTION
            procedure.save()
            names = ", ".join(policy.name for policy in result.policies)
            report.append(
                f"{scenario.name}: active as SLA policies ({names}); compiled v{version.number}, not run per case"
            )
            continue
        version_publish(version=version, user=owner, confirm_warnings=True)  # reference SOPs, reviewed by us
        report.append(f"{scenario.name}: published v{version.number} ({version.steps.count()} steps)")
    return report

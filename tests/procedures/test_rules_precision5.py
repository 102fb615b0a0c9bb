"""Fifth round (issue 11): status changes that are not the end of the procedure, values that are not fields,
and reply bodies written for the customer rather than copied from the SOP."""

from __future__ import annotations

from procedures.compiler import compile_source
from procedures.steps import ActStep, DecideStep, EndStep


def _compile(source: str):
    return compile_source(source, compiler="rules")


def _steps(result, kind):
    return [s for s in result.graph.steps if isinstance(s, kind)]


def _ops(result) -> list[str]:
    return [s.operation for s in _steps(result, ActStep)]


def test_setting_the_ticket_to_solved_mid_section_does_not_end_the_procedure():
    result = _compile(
        "Reply to the customer with a link to the terms and set the ticket to solved.\n\n"
        "Either way, tag the ticket handled.\n"
    )
    assert _ops(result) == ["zendesk.reply", "zendesk.update_ticket", "zendesk.add_tags"]
    assert not [w for w in result.warnings if "Never reached" in w.message]


def test_solved_then_stop_still_ends_there():
    result = _compile("1. Reply to the customer, set the ticket to solved, and stop.\n2. Tag the ticket second-look.\n")
    solve = next(s for s in _steps(result, ActStep) if s.operation == "zendesk.update_ticket")
    assert isinstance(result.graph.step(solve.next), EndStep)


def test_solved_at_the_end_of_an_if_ends_that_branch_only():
    result = _compile(
        "If the account plan is not Enterprise, reply with the help article and set the ticket to solved.\n\n"
        "Tag the ticket enterprise-review.\n"
    )
    solve = next(s for s in _steps(result, ActStep) if s.operation == "zendesk.update_ticket")
    assert isinstance(result.graph.step(solve.next), EndStep)
    assert "zendesk.add_tags" in _ops(result)


def test_a_value_the_sop_lists_for_a_field_is_never_compared_as_a_field_of_its_own():
    result = _compile(
        "Each ticket has the field ticket_type (standard, vip_package or resale).\n\n"
        "A refund on a vip_package over $1,000 needs approval from the box office manager.\n"
    )
    conditions = [b.when for s in _steps(result, DecideStep) for b in s.branches]
    assert not [c for c in conditions if "case.fields.vip_package" in c]

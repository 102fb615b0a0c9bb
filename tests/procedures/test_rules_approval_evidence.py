"""An approval whose sentence asks for evidence the approve step does not carry (proof of purchase, source-of-funds
evidence) is a person's gate with a warning: an automated approval would let the approver decide without it."""

from __future__ import annotations

import pytest

from procedures.steps import ApproveStep
from tests.procedures.rules_support import compile_rules, steps_of

SOP = '1. Tag the ticket claim-review.\n2. {approval}\n3. Reply to the customer: "Your claim is approved."\n'


@pytest.mark.parametrize(
    "approval",
    [
        "Every replacement needs approval from the Claims Manager, with proof of purchase or a valuation attached.",
        "A compliance officer must approve, and the approval needs source-of-funds evidence from the seller.",
        "The refund needs approval from the Finance Lead; the approval requires bank documents from the customer.",
    ],
)
def test_an_approval_that_needs_evidence_it_does_not_carry_goes_to_a_person(approval):
    result = compile_rules(SOP.format(approval=approval))
    assert steps_of(result, ApproveStep) == []
    assert any(w.span and "approv" in SOP.format(approval=approval)[w.span.start : w.span.end] for w in result.warnings)


def test_an_approval_that_asks_for_no_evidence_stays_automated():
    result = compile_rules(SOP.format(approval="Every replacement needs approval from the Claims Manager."))
    [approve] = steps_of(result, ApproveStep)
    assert "claims manager" in approve.role.lower()

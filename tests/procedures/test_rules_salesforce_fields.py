"""A Salesforce update writes a field the text names, with the value the text gives — never a field made up from
the words that name the record."""

from __future__ import annotations

import pytest

from procedures.steps import ActStep
from tests.procedures.rules_support import compile_rules, steps_of

LOOKUP = "1. Look up the customer's account in Salesforce.\n2. {step}\n3. Tag the ticket kyb-done.\n"


def _updates(step: str) -> list[ActStep]:
    result = compile_rules(LOOKUP.format(step=step))
    return [s for s in steps_of(result, ActStep) if s.operation == "salesforce.update_record"]


@pytest.mark.parametrize(
    "step, field, value",
    [
        ("Update the Salesforce account record (KYB status = Verified).", "Kyb_Status__c", "Verified"),
        ("Update the account in Salesforce (Onboarding stage: Live).", "Onboarding_Stage__c", "Live"),
        ("Set the KYC Status field on the Salesforce account to Approved.", "Kyc_Status__c", "approved"),
    ],
)
def test_a_field_and_value_the_text_states_are_written(step, field, value):
    [update] = _updates(step)
    assert field in update.params["fields"] and value.lower() in update.params["fields"].lower()


@pytest.mark.parametrize(
    "step",
    [
        "Update the customer's Salesforce record.",
        "Update the applicant's record in Salesforce with the new entry term.",
        "Update the account record in Salesforce.",
    ],
)
def test_a_record_named_without_a_field_is_a_question_not_a_made_up_field(step):
    assert _updates(step) == []

"""A condition reads the fact the text names, with the value the text gives (issue 11): a plan's whole name, a sum
compared on the thing it is the sum of, a sum per period that is no case's amount, and the ticket's assignee only
when the text speaks of the ticket."""

from __future__ import annotations

import pytest

from tests.procedures.rules_support import compile_rules, conditions_of

# --- a plan is named by every capitalised word before "plan" ------------------------------------------------------


@pytest.mark.parametrize(
    ("sentence", "cel"),
    [
        (
            "For members on the Gold Saver plan, reply to the customer with the upgrade offer.",
            'account.plan == "Gold Saver"',
        ),
        ("If the subscriber is on the Business Lite plan, tag the ticket lite.", 'account.plan == "Business Lite"'),
        ("Households on the Family Premium plan: tag the ticket family.", 'account.plan == "Family Premium"'),
        ("If the rider is on a Commuter plan, tag the ticket commuter.", 'account.plan == "Commuter"'),
        ("If the patient is on the Wellness+ membership, tag the ticket wellness.", 'account.plan == "Wellness+"'),
        ("If the customer is not on the Starter Flex plan, tag the ticket flex-no.", 'account.plan != "Starter Flex"'),
    ],
)
def test_a_plan_is_compared_by_its_whole_name_never_by_one_of_its_words(sentence, cel):
    assert conditions_of(compile_rules(sentence)) == [cel]


@pytest.mark.parametrize(
    "sentence",
    [
        "If the customer is on a payment plan, tag the ticket instalments.",
        "If the customer is on the Pro plan with more than 10 seats, tag the ticket big-team.",
        "If the account is on the Free or Starter Flex plan, tag the ticket small.",
    ],
)
def test_a_plan_sentence_that_says_more_than_a_plan_name_is_not_read_as_one(sentence):
    assert not any(c.startswith("account.plan ==") and " && " not in c for c in conditions_of(compile_rules(sentence)))


# --- a sum compared on another thing than the case amount is not the case amount ---------------------------------


@pytest.mark.parametrize(
    "sentence",
    [
        "If the repair quote is $2,500 or more, tag the ticket big-repair.",
        "If the technician's estimate is €900 or above, tag the ticket costly.",
        "If the deposit is £300 and over, tag the ticket big-deposit.",
        "If the replacement quote comes to $1,200+, tag the ticket review.",
    ],
)
def test_a_sum_compared_after_another_thing_is_not_the_case_amount(sentence):
    assert not any("case.amount" in c for c in conditions_of(compile_rules(sentence)))


@pytest.mark.parametrize(
    ("sentence", "cel"),
    [
        ("If the refund is $500 or more, tag the ticket big-refund.", "case.amount >= 500.0"),
        ("Orders of $200 or more: tag the ticket free-shipping.", "case.amount >= 200.0"),
        ("If the amount is over $750, tag the ticket large.", "case.amount > 750.0"),
    ],
)
def test_a_sum_the_text_says_is_the_amount_is_still_read(sentence, cel):
    assert conditions_of(compile_rules(sentence)) == [cel]


@pytest.mark.parametrize(
    "sentence",
    [
        "Small traders under the $5,000/year threshold get the short check: tag the ticket short-check.",
        "If the seller's turnover is under €10,000 per year, tag the ticket light.",
        "Shops selling less than £800 a month: tag the ticket micro-shop.",
        "If the donor gives over $1,000 annually, tag the ticket major-donor.",
    ],
)
def test_a_sum_per_period_is_not_the_case_amount(sentence):
    assert not any("case.amount" in c for c in conditions_of(compile_rules(sentence)))


# --- the ticket's assignee only when the text speaks of the ticket -----------------------------------------------

_UNASSIGNED = '!has(case.assignee_email) || case.assignee_email == ""'


@pytest.mark.parametrize(
    "sentence",
    [
        "If the ticket is unassigned, tag the ticket triage.",
        "If there is no assignee yet, tag the ticket triage.",
        "If the case is not yet assigned, tag the ticket triage.",
        "If the ticket is not assigned to anyone, tag the ticket triage.",
    ],
)
def test_an_unassigned_ticket_is_read_on_its_assignee(sentence):
    assert conditions_of(compile_rules(sentence)) == [_UNASSIGNED]


@pytest.mark.parametrize(
    "sentence",
    [
        "Where the laptop is not assigned to that employee, tag the ticket wrong-owner.",
        "If the badge is unassigned, tag the ticket spare-badge.",
        "If the parking space is not assigned, tag the ticket free-space.",
        "If the licence is not yet assigned to the new hire, tag the ticket licence-pending.",
    ],
)
def test_another_thing_not_assigned_is_not_the_tickets_assignee(sentence):
    assert _UNASSIGNED not in conditions_of(compile_rules(sentence))


# --- the account's risk flag and the ticket's tags, in more wordings ---------------------------------------------


@pytest.mark.parametrize(
    ("sentence", "cel"),
    [
        ("If the account carries a risk flag, assign the ticket to the Fraud group.", "account.risk_flag == true"),
        ("If the customer has the risk flag, assign the ticket to the Fraud group.", "account.risk_flag == true"),
        (
            "If the buyer's risk flag is set in Salesforce, assign the ticket to the Fraud group.",
            "account.risk_flag == true",
        ),
        ("If the seller has no risk flag, tag the ticket clean.", "account.risk_flag == false"),
    ],
)
def test_the_accounts_risk_flag_is_read_in_more_wordings(sentence, cel):
    assert cel in conditions_of(compile_rules(sentence))


@pytest.mark.parametrize(
    ("sentence", "cel"),
    [
        ("If the ticket carries the fraud-review tag, assign it to the Fraud group.", '"fraud-review" in case.tags'),
        ('If the case has the "legal" tag, assign it to the Legal group.', '"legal" in case.tags'),
        ("If the request bears the gdpr-erasure tag, tag the ticket privacy.", '"gdpr-erasure" in case.tags'),
    ],
)
def test_a_tag_the_ticket_carries_is_read_when_named_as_a_tag(sentence, cel):
    assert conditions_of(compile_rules(sentence)) == [cel]


@pytest.mark.parametrize(
    "sentence",
    [
        "If the ticket has a new tag, tag the ticket review.",
        "If the case carries the usual tag, tag the ticket review.",
    ],
)
def test_a_word_before_tag_that_is_no_tag_name_is_not_a_tag_test(sentence):
    assert not any("case.tags" in c and "review" not in c for c in conditions_of(compile_rules(sentence)))


# --- the plan as the SOP states it: "SF plan == X", "the plan in Salesforce is "X"", "(account plan X)" -----------


@pytest.mark.parametrize(
    ("sentence", "cel"),
    [
        ("- SF plan == Wholesale -> tag the ticket wholesale", 'account.plan == "Wholesale"'),
        ('If the plan in Salesforce is "Agency-Plus", tag the ticket agency.', 'account.plan == "Agency-Plus"'),
        ('If the policy plan is "Home-Cover", tag the ticket home.', 'account.plan == "Home-Cover"'),
        ("For hospital accounts (account plan Clinical), tag the ticket clinical.", 'account.plan == "Clinical"'),
    ],
)
def test_a_plan_the_sop_states_in_its_own_notation_is_read(sentence, cel):
    assert conditions_of(compile_rules(sentence)) == [cel]


def test_a_parenthesis_that_states_no_plan_reads_nothing():
    assert conditions_of(compile_rules("For big accounts (see the plan), tag the ticket big.")) == []


# --- a field's value as the SOP writes it: "(field X = V)", "field X is V", never a shorthand spelled out --------


@pytest.mark.parametrize(
    ("source", "cel"),
    [
        (
            "Inputs: site_kind (house, FLAT).\n\nFlat? (field site_kind = FLAT) -> tag the ticket flat-install.",
            'case.fields.site_kind == "FLAT"',
        ),
        (
            "Inputs: contact_mode (email, phone).\n\n- (field contact_mode = phone) -> tag the ticket call-back.",
            'case.fields.contact_mode == "phone"',
        ),
        ("If field visit_type is onsite, tag the ticket onsite.", 'case.fields.visit_type == "onsite"'),
    ],
)
def test_a_note_that_states_a_fields_value_is_read_as_the_condition(source, cel):
    assert cel in conditions_of(compile_rules(source))


def test_a_value_written_for_a_named_field_is_not_spelled_out_as_a_shorthand():
    source = (
        "abbrevs: SMB = small business, SF = Salesforce\n\n"
        "Inputs: segment_code (SMB, ENT).\n\n"
        "- (field segment_code = SMB) -> tag the ticket smb-queue."
    )
    assert conditions_of(compile_rules(source)) == ['case.fields.segment_code == "SMB"']

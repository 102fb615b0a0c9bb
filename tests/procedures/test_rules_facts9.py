"""Never a condition on an invented fact (issue 11): a fact the text names maps to a field the SOP names (or a known
fact), and a value compared with a field is one the SOP lists for it; otherwise a person decides and the editor
asks which field or value is meant."""

from __future__ import annotations

import pytest

from connectors.declared import services as declared_services
from procedures import services
from procedures.questions import question_answer, version_questions
from procedures.steps import ApproveStep
from tests.procedures.rules_support import compile_rules, conditions_of, steps_of
from tests.support import declared_tools


def _questions(result) -> list[str]:
    return [w.message for w in result.warnings if w.code == "question"]


# --- a length of time no field holds: asked, with a proposed field name ------------------------------------------


@pytest.mark.parametrize(
    ("sentence", "asked", "proposed"),
    [
        (
            'If the order was placed more than six months ago, reply to the customer: "Too late to return."',
            "when the order was placed",
            "order_age_days",
        ),
        ("If the item was bought less than 1 year ago, tag the ticket in-warranty.", "when the item was bought", ""),
        ("If the purchase was made over 24 months ago, tag the ticket expired.", "when the purchase was made", ""),
        (
            "If the parcel arrived more than 5 days after the promised date, tag the ticket late-delivery.",
            "how many days late",
            "delay_days",
        ),
        ("If the shipment is more than 3 days late, tag the ticket late.", "how many days late", "delay_days"),
        (
            "If the customer has been with us for more than a year, tag the ticket loyal.",
            "how long the customer has been with us",
            "tenure_days",
        ),
    ],
)
def test_a_length_of_time_no_field_holds_is_a_question_never_a_made_up_day_count(sentence, asked, proposed):
    result = compile_rules(sentence)
    assert conditions_of(result) == []
    [question] = _questions(result)
    assert f"Which field tells us {asked}" in question
    assert f"`{proposed}" in question


@pytest.mark.parametrize(
    ("source", "cel"),
    [
        (
            "Inputs: order_age_days (days since the order was placed).\n\n"
            "If the order was placed more than 180 days ago, tag the ticket old-order.",
            "case.fields.order_age_days > 180",
        ),
        (
            "The form gives `days_since_purchase`.\n\nIf the item was bought more than 30 days ago, tag the ticket old.",
            "case.fields.days_since_purchase > 30",
        ),
        (
            "Inputs: delay_days, order_total.\n\n"
            "If the parcel arrived more than 5 days after the promised date, tag the ticket late-delivery.",
            "case.fields.delay_days > 5",
        ),
    ],
)
def test_a_length_of_time_the_sop_names_a_field_for_is_read_on_that_field(source, cel):
    result = compile_rules(source)
    assert conditions_of(result) == [cel]
    assert not any("Which field tells us" in q for q in _questions(result))


def test_half_of_a_condition_on_an_unnamed_day_count_is_never_automated():
    result = compile_rules(
        "If a parcel arrives more than 3 days after the promised date and the order was worth more than $100, "
        "tag the ticket late-credit."
    )
    assert conditions_of(result) == []


# --- values the SOP lists for a field are the only values compared with it -------------------------------------


@pytest.mark.parametrize(
    ("source", "kept", "unlisted"),
    [
        (
            "Ticket fields: contract_type (monthly / annual).\n\n"
            "If the contract type is quarterly, tag the ticket odd-contract.\n"
            "If the contract type is annual, tag the ticket annual.\n",
            'case.fields.contract_type == "annual"',
            "quarterly",
        ),
        (
            "Fields: refund_method (card / voucher)\n\n"
            "If the refund method is cash, tag the ticket cash.\n"
            "If the refund method is voucher, tag the ticket voucher.\n",
            'case.fields.refund_method == "voucher"',
            "cash",
        ),
        (
            "The ticket has a `region` field (emea, amer, apac).\n\n"
            "If the region is latam, tag the ticket latam.\n"
            "If the region is apac, tag the ticket apac.\n",
            'case.fields.region == "apac"',
            "latam",
        ),
    ],
)
def test_a_value_the_sop_does_not_list_for_the_field_is_asked_about(source, kept, unlisted):
    result = compile_rules(source)
    assert conditions_of(result) == [kept]
    assert any(f"“{unlisted}” is not a value the SOP lists" in q for q in _questions(result))


@pytest.mark.parametrize(
    ("source", "cel"),
    [
        (
            "The ticket has a `region` field (emea, amer, apac).\n\nIf the region is EMEA, tag the ticket emea.",
            'case.fields.region == "emea"',
        ),
        (
            "Fields: channel_type (Phone / Email / Chat)\n\nIf the channel type is phone, tag the ticket call-back.",
            'case.fields.channel_type == "Phone"',
        ),
    ],
)
def test_a_listed_value_is_compared_as_the_sop_spells_it(source, cel):
    assert conditions_of(compile_rules(source)) == [cel]


# --- a label the SOP assigns itself is no stored field ----------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "word", "assigned"),
    [
        (
            "Severity is decided as follows: a full outage is critical; a broken feature is high.\n"
            "If the severity is critical, tag the ticket sev-critical.",
            "severity",
            "“critical” when a full outage",
        ),
        (
            "| Symptom | Users affected | Priority |\n|---|---|---|\n| login fails | all | P1 |\n"
            "| slow pages | some | P2 |\n\nIf the priority is P1, tag the ticket p1-incident.",
            "priority",
            "“P1” when Symptom login fails and Users affected all",
        ),
        (
            "Severity levels:\n- **critical**: the product is down for everyone\n- **minor**: a workaround exists\n\n"
            "If the severity is critical, tag the ticket sev-critical.",
            "severity",
            "“critical” when the product is down for everyone",
        ),
        (
            "Claim tier:\n- Gold: the claimant has more than 3 policies\n- Silver: everyone else\n\n"
            "If the claim tier is Gold, tag the ticket gold-claim.",
            "tier",
            "“Gold” when the claimant has more than 3 policies",
        ),
    ],
)
def test_a_label_the_sop_assigns_itself_is_asked_about_never_read_as_a_stored_field(source, word, assigned):
    result = compile_rules(source)
    assert conditions_of(result) == []
    assert any(
        f"Which field tells us the {word}? The SOP assigns it itself ({assigned})" in q for q in _questions(result)
    )


def test_a_label_the_case_carries_is_read_even_where_the_sop_defines_its_values():
    result = compile_rules(
        "Every alert arrives with these fields: severity, service.\nSeverity levels:\n"
        "- **critical**: the product is down for everyone\n- **minor**: a workaround exists\n\n"
        "If the severity is critical, tag the ticket sev-critical."
    )
    assert conditions_of(result) == ['case.fields.severity == "critical"']


@pytest.mark.parametrize(
    ("source", "asked"),
    [
        (
            'For orders placed more than six months ago:\n- reply to the customer: "We cannot take this return."',
            "when the order was placed",
        ),
        ("If the customer signed up over 2 years ago, add the tag loyal.", "when the customer signed up"),
        (
            "If the sender opened their account less than 30 days ago, add the tag new-sender.",
            "when the sender opened their account",
        ),
        (
            "If the complaint was filed more than 48 hours after the incident, add the tag late-complaint.",
            "how long after the incident the complaint was filed",
        ),
        (
            "Concealed damage reported more than 5 days after delivery: add the tag late-report.",
            "how long after the delivery the damage was reported",
        ),
        (
            "Escalate if any of the following is true:\n- the amount is over $500\n"
            "- the device was shipped more than 90 days ago\nEscalation: add the tag escalate.",
            "when the device was shipped",
        ),
    ],
)
def test_the_question_names_the_event_the_time_is_counted_from(source, asked):
    result = compile_rules(source)
    assert conditions_of(result) == []
    assert any(q.startswith(f"Which field tells us {asked}?") for q in _questions(result))


def test_a_priority_the_sops_own_table_sets_on_the_ticket_is_read_from_the_ticket():
    result = compile_rules(
        "| Plan | Priority |\n|---|---|\n| Enterprise | urgent |\n| Starter | normal |\n\n"
        "If the priority is urgent, page the on-call through the paging webhook."
    )
    assert 'case.priority == "urgent"' in conditions_of(result)


def test_a_subject_on_an_unnamed_length_of_time_still_scopes_the_step_it_asks_for():
    result = compile_rules("Requests for more than 5 days off need the employee's manager to approve them.")
    assert conditions_of(result) == []
    assert any(
        q.startswith("Which field tells us the length of time in “Requests for more than 5 days off”")
        for q in _questions(result)
    )
    assert any("requests_off_days" in q for q in _questions(result))
    [approval] = steps_of(result, ApproveStep)  # the manager's approval is kept, after the person's answer
    assert "manager" in approval.role.lower()


def test_the_proposed_field_counts_in_the_unit_the_text_uses():
    result = compile_rules("If the complaint was filed more than 48 hours after the incident, add the tag late.")
    assert any("`hours_from_incident_to_filed`, a number of hours" in q for q in _questions(result))


# --- accepting a field for the fact in the editor -----------------------------------------------------------------

RETURNS_SOP = "If the order was placed more than six months ago, add the tag too-old.\nThen add the tag checked."


@pytest.mark.django_db
def test_a_ticket_field_picked_for_the_unnamed_fact_makes_the_condition_and_every_later_compile_keeps_it(ops_manager):
    declared_tools.declare(billing_url="http://127.0.0.1:9/billing", outage_url="http://127.0.0.1:9/outage")
    declared_services.custom_fields_select(
        system="zendesk",
        sobject="Ticket",
        wanted=["Order age days"],
        available=[{"field_id": "9001", "title": "Order age days", "type": "integer", "choices": []}],
    )
    procedure = services.procedure_create_and_compile(
        name="Returns", source=RETURNS_SOP, trigger={"source": "api"}, owner=ops_manager
    )
    version = procedure.versions.get()
    [question] = version_questions(version=version)
    assert question.kind == "fact" and question.phrase == "when the order was placed"
    field = next(o.value for o in question.options if o.group == "custom fields")

    version = question_answer(version=version, phrase=question.phrase, answer=field, user=ops_manager)
    whens = [b["when"] for s in version.graph["steps"] for b in s.get("branches", [])]
    assert whens == [f"{field} > 180"]
    assert version_questions(version=version) == []
    newer = services.version_create_and_compile(procedure=procedure, source=RETURNS_SOP + "\nClose the ticket.")
    assert f"{field} > 180" in [b["when"] for s in newer.graph["steps"] for b in s.get("branches", [])]

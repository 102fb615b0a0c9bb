"""Eighth round (issue 11, recall of conditions): conditions written the many ways SOPs write them, read exactly,
and never a field or value the text does not state."""

from __future__ import annotations

from procedures.compiler import compile_source
from procedures.compiler.rules.conditions import condition
from procedures.compiler.rules.listed_values import more_field_values
from procedures.compiler.rules.vocabulary import Known, field_values, identifiers
from procedures.steps import DecideStep
from tests.procedures.graph_walk import walk


def _known(source: str) -> Known:
    names = identifiers(source)
    return Known(identifiers=names, values=more_field_values(source, names) | field_values(source))


def _cel(text: str, known: Known | None = None) -> str | None:
    found = condition(text, known or Known())
    return found.cel if found else None


def _whens(source: str) -> list[str]:
    graph = compile_source(source, compiler="rules").graph
    return [b.when for s in graph.steps if isinstance(s, DecideStep) for b in s.branches]


# --- a list label, an explanation in parentheses or after a dash, the SOP's own gloss --------------------------


def test_a_list_label_is_not_part_of_the_condition():
    known = _known("Each ticket has a `refund_reason` field.")
    assert _cel("2b. refund_reason = duplicate", known) == 'case.fields.refund_reason == "duplicate"'


def test_an_explanation_in_parentheses_or_after_a_dash_is_dropped():
    assert _cel("the return type is exchange (the customer wants another size)") == (
        'case.fields.return_type == "exchange"'
    )
    assert _cel("the return type is exchange — a different size or colour") == 'case.fields.return_type == "exchange"'


def test_a_parenthesis_that_changes_the_value_is_never_dropped():
    assert _cel("the animal type is large (anything other than a cat or a dog)") is None


def test_the_sops_gloss_naming_the_field_is_the_condition():
    known = _known("The form fills in `vehicle_towed` and `passenger_count`.")
    assert _cel("the car could not be driven (the `vehicle_towed` field is yes)", known) == (
        'case.fields.vehicle_towed == "yes"'
    )
    assert _cel("several people were in the car (passenger_count is over 2)", known) == (
        "case.fields.passenger_count > 2"
    )


# --- comparisons written in words -------------------------------------------------------------------------------


def test_greater_than_and_a_negative_number_are_comparisons_not_values():
    assert _cel("hold_days is greater than 14") == "case.fields.hold_days > 14"
    assert _cel("the balance due is negative") == "case.fields.balance_due < 0"


def test_anything_other_than_a_value_is_not_that_value():
    assert _cel("the parcel_state is anything other than in_transit") == 'case.fields.parcel_state != "in_transit"'


def test_a_value_written_as_a_code_shows_the_phrase_is_a_field():
    assert _cel("the request is data_export") == 'case.fields.request == "data_export"'
    assert _cel("the request is export") is None  # a word, not a code: "the request" is not said to be a field


def test_a_yes_no_field_written_as_true():
    assert _cel("escalated is true") == "case.fields.escalated == true"


def test_a_plan_the_text_names_is_compared_as_written_and_not_equal_is_not_equal():
    assert _cel("the account plan is Nonprofit") == 'account.plan == "Nonprofit"'
    assert _cel("plan = wholesale") == 'account.plan == "wholesale"'
    assert _cel("plan != Enterprise") == 'account.plan != "Enterprise"'


# --- values the SOP lists for a field, named in words ------------------------------------------------------------


_LISTED = (
    "Tickets carry `issue_kind` (one of: billing_error, late_delivery, broken_item) and "
    "the field return_route set to courier_pickup, drop_off or post_office. The `shelf_zone`: ambient or "
    "refrigerated.\n\n| pallet_grade | good or damaged |\n"
)


def test_more_ways_of_listing_a_fields_values():
    values = _known(_LISTED).values
    assert values["issue_kind"] == ("billing_error", "late_delivery", "broken_item")
    assert values["return_route"] == ("courier_pickup", "drop_off", "post_office")
    assert values["shelf_zone"] == ("ambient", "refrigerated")
    assert values["pallet_grade"] == ("good", "damaged")


def test_listed_values_named_in_words_are_that_fields_values():
    known = _known(_LISTED)
    assert _cel("Billing errors", known) == 'case.fields.issue_kind == "billing_error"'
    assert _cel("For a drop off", known) == 'case.fields.return_route == "drop_off"'
    assert _cel("Refrigerated loads", known) == 'case.fields.shelf_zone == "refrigerated"'
    assert _cel("Refrigerated loads always", known) == 'case.fields.shelf_zone == "refrigerated"'
    assert _cel("Late delivery and broken item tickets", known) == (
        'case.fields.issue_kind in ["late_delivery", "broken_item"]'
    )


def test_a_word_no_single_field_lists_is_not_read():
    known = _known("Fields: `lane` (north, south) and `dock` (north, east).")
    assert _cel("North", known) is None
    assert _cel("Customers", _known(_LISTED)) is None
    people = _known("requester_type (buyer / seller)")
    assert _cel("sellers", people) is None  # "sellers write in …": people, not the value "seller"


def test_a_yes_no_field_named_as_a_state():
    known = _known("Fields: `refurbished` (true/false).")
    assert _cel("the unit is refurbished", known) == "case.fields.refurbished == true"
    assert _cel("the unit is not refurbished", known) == "case.fields.refurbished != true"


# --- numbers: units, percent, plus, ranges, counts -----------------------------------------------------------------


def test_a_unit_after_the_number_completes_the_fields_name():
    known = _known("Fields: `excess_licences`, `mileage_km`.")
    assert _cel("the excess is 3 licences or fewer", known) == "case.fields.excess_licences <= 3"
    assert _cel("mileage over 150,000 km", known) == "case.fields.mileage_km > 150000"


def test_percent_on_a_percent_field_and_a_range_of_two_bounds():
    known = _known("The form has `discount_pct`.")
    assert _cel("the discount is 5% or less of the list price", known) == "case.fields.discount_pct <= 5"
    assert _cel("the discount is more than 5% and up to 15%", known) == (
        "case.fields.discount_pct > 5 && case.fields.discount_pct <= 15"
    )


def test_a_field_then_a_plus_is_at_least():
    assert _cel("driver_age 25+", _known("Fields: driver_age.")) == "case.fields.driver_age >= 25"


def test_a_count_is_the_count_field_the_sop_names():
    known = _known("The ticket shows `warning_count`.")
    assert _cel("2 to 3 warnings", known) == "case.fields.warning_count >= 2 && case.fields.warning_count <= 3"


def test_two_conditions_on_named_fields_joined_by_and():
    known = _known("Fields: `card_kind` (debit/credit), `spend_gbp`.")
    assert _cel("card_kind credit and spend_gbp >= 500", known) == (
        '(case.fields.card_kind == "credit") && (case.fields.spend_gbp >= 500)'
    )


# --- what is not a condition -----------------------------------------------------------------------------------------


def test_a_step_label_or_an_always_lead_is_not_a_decision():
    source = (
        "step 1 -> look up the account in Salesforce\n"
        "Every request starts the same way: tag the ticket intake.\n"
        "If the plan is Enterprise, set the priority to high.\n"
    )
    assert _whens(source) == ['account.plan == "Enterprise"']


# --- ladders, sections and paragraphs that branch --------------------------------------------------------------------


_CLEANING_LADDER = (
    "Cleaning fees\n\n"
    "SCALE (cleaning_quote)\n"
    "------\n"
    "  below £15         -> tag the ticket clean-waived.\n"
    "  £15 – £40         -> tag the ticket clean-small.\n"
    "  £40.01 – £200     -> tag the ticket clean-charged.\n"
    "                       Reply to the guest with the quote.\n"
    "  above £200        -> assign the ticket to the Housekeeping group.\n"
    "------\n"
)


def test_bare_rungs_under_a_heading_naming_the_field_compare_that_field():
    whens = _whens(_CLEANING_LADDER)
    assert "case.fields.cleaning_quote < 15" in whens
    assert "case.fields.cleaning_quote >= 15 && case.fields.cleaning_quote <= 40" in whens
    assert "case.fields.cleaning_quote > 200" in whens
    assert not any("case.amount" in w for w in whens)


def test_a_rung_starting_a_cent_above_the_last_is_above_that_amount():
    assert "case.fields.cleaning_quote > 40" in " ".join(_whens(_CLEANING_LADDER))
    assert not any("40.01" in w for w in _whens(_CLEANING_LADDER))


def test_the_last_line_of_a_rung_above_a_rule_is_not_a_heading():
    from procedures.compiler.rules.document import Heading, blocks

    found = blocks("Intro\n\n  over 5 -> tag the ticket many.\n                reply to the guest.\n------\n")
    assert not any(isinstance(b, Heading) for b in found)


_ROUTES = (
    "Each ticket has `route_kind` (one of: pickup, drop_off, locker).\n\n"
    "For a pickup, the courier team must approve first. Once approved, tag the ticket pickup-booked and "
    "reply to the customer with the slot.\n\n"
    "For a locker, tag the ticket locker-code.\n"
)


def test_a_paragraph_opening_with_a_listed_case_is_that_case_whole():
    graph = compile_source(_ROUTES, compiler="rules").graph
    decide = next(s for s in graph.steps if isinstance(s, DecideStep) and s.branches)
    assert [b.when for b in decide.branches] == [
        'case.fields.route_kind == "pickup"',
        'case.fields.route_kind == "locker"',
    ]
    case = {"ticket_id": 1, "tags": [], "subject": "Route"}
    locker = walk(graph, {**case, "fields": {"route_kind": "locker"}}, answers={"judge": "proceed"})
    assert locker.ops() == ["zendesk.add_tags"]  # not the pickup's "Once approved, tag … and reply"


_CODES = (
    "## If the fault code is JAM\nAssign the ticket to the Print Floor group.\n\n"
    "## If the fault code is INK\nTag the ticket ink-low.\n\n"
    '## Any other code\nAdd an internal note "Unknown fault code, sent to a technician".\n'
)


def test_any_other_section_is_the_else_of_the_sections_on_that_field():
    graph = compile_source(_CODES, compiler="rules").graph
    decides = [s for s in graph.steps if isinstance(s, DecideStep) and s.branches]
    assert len(decides) == 1
    assert [b.when for b in decides[0].branches] == [
        'case.fields.fault_code == "JAM"',
        'case.fields.fault_code == "INK"',
    ]
    note = {s.key: s for s in graph.steps}[decides[0].otherwise]
    assert note.model_dump().get("operation") == "zendesk.add_note"


def test_a_bold_any_of_the_following_lead_reads_its_criteria():
    source = (
        "Escalate the ticket if **any of the following** is true:\n\n"
        "- the ticket is tagged vip-claim;\n"
        "- the Salesforce risk flag is set.\n"
    )
    assert any("vip-claim" in w and "risk_flag" in w for w in _whens(source))


def test_a_lead_in_wrapped_over_two_lines_still_owns_its_list():
    from procedures.compiler.rules.document import blocks

    found = blocks(
        "Refund the order only when all of the\nfollowing hold:\n- the ticket is tagged paid\n- the plan is Pro\n"
    )
    assert len(found) == 1 and len(found[0].children) == 2


def test_unless_in_which_case_gives_the_exception_its_own_step():
    source = (
        "Refund the order by sending a POST to the billing system, unless the customer is on the Enterprise plan, "
        "in which case assign the ticket to the Key Accounts group.\n"
    )
    graph = compile_source(source, compiler="rules").graph
    decide = next(s for s in graph.steps if isinstance(s, DecideStep) and s.branches)
    assert [b.when for b in decide.branches] == ['account.plan == "Enterprise"']
    by_key = {s.key: s for s in graph.steps}
    assert by_key[decide.branches[0].next].model_dump().get("operation") == "zendesk.update_ticket"
    assert by_key[decide.otherwise].model_dump().get("operation") == "http.request"


def test_a_field_named_in_words_and_values_listed_after_one_of():
    from procedures.compiler.rules.listed_values import more_identifiers

    source = (
        "The form sends channel as a custom field. Each ticket has a `cause` field, one of `fraud` or `error`, too."
    )
    assert "channel" in more_identifiers(source)
    assert _known(source).values["cause"] == ("fraud", "error")


def test_a_bold_label_naming_a_listed_case_opens_that_cases_paragraph():
    source = (
        "Each ticket has a `fault` field, one of `jam`, `ink` or `other`.\n\n"
        "**jam.** The tray is stuck. Assign the ticket to the Print Floor group.\n\n"
        "**ink.** Reply to the customer that ink is on the way. Tag the ticket ink-sent.\n"
    )
    graph = compile_source(source, compiler="rules").graph
    decide = next(s for s in graph.steps if isinstance(s, DecideStep) and s.branches)
    assert [b.when for b in decide.branches] == ['case.fields.fault == "jam"', 'case.fields.fault == "ink"']
    ink = walk(graph, {"ticket_id": 1, "tags": [], "fields": {"fault": "ink"}}, answers={"judge": "proceed"})
    assert ink.ops() == ["zendesk.reply", "zendesk.add_tags"]


_OK_TABLE = (
    "| Refund amount | What to do |\n|---|---|\n"
    "| up to $80 | refund it yourself |\n"
    "| $80.01 to $400 | needs an OK from the Care Team Lead |\n"
    "| over $400 | needs an OK from the Finance Manager |\n"
)


def test_a_table_whose_rows_ask_for_an_ok_is_a_decision():
    whens = _whens(_OK_TABLE)
    assert "case.amount <= 80.0" in whens and "case.amount > 400.0" in whens


def test_a_table_asking_two_people_for_one_ok_stays_for_a_person():
    two = _OK_TABLE.replace("the Finance Manager |", "the Finance Manager and the Head of Care |")
    assert _whens("Tag the ticket refund-request.\n\n" + two) == []


def test_a_percent_table_compares_the_percent_field_the_sop_names():
    source = (
        "The form fills `uplift_pct` with the requested rise.\n\n"
        "| Uplift percentage | What to do |\n|---|---|\n"
        "| up to 10% | tag the ticket uplift-small |\n"
        "| 11% to 40% | tag the ticket uplift-mid |\n"
        "| over 40% | assign the ticket to the Pricing group |\n"
    )
    whens = _whens(source)
    assert "case.fields.uplift_pct <= 10" in whens
    assert "case.fields.uplift_pct > 40" in whens
    assert not any("percentage" in w for w in whens)


def test_values_a_form_sets_a_field_to_name_sections():
    known = _known("The web form sets `topic` to billing_error or late_refund, and the amount.")
    assert known.values["topic"] == ("billing_error", "late_refund")
    assert _cel("Late refunds", known) == 'case.fields.topic == "late_refund"'


def test_a_plain_table_with_a_tag_on_every_row_is_a_decision():
    source = (
        "Fields: `hours_late` on the ticket.\n\n"
        "1. Tag the ticket late-delivery.\n"
        "2. Use the table, and add the tag from the same row:\n\n"
        "       Hours late    What happens       Tag\n"
        "       ----------    ---------------    -----------\n"
        "       under 4       say sorry          late-small\n"
        "       4 to 24       offer a voucher    late-voucher\n"
        "       over 24       refund delivery    late-refund\n"
    )
    whens = " ".join(_whens(source))
    assert "case.fields.hours_late < 4" in whens and "case.fields.hours_late > 24" in whens
    graph = compile_source(source, compiler="rules").graph
    tagged = [str(s.model_dump().get("params", {}).get("tags")) for s in graph.steps]
    assert not any("same" in t or "row" in t for t in tagged)  # "add the tag from the same row" names no tag


def test_a_bold_run_in_scope_label_makes_its_paragraph_reference():
    source = (
        "**Scope.** Tickets from the web form. Wholesale orders are out of scope and go to the Trade desk.\n\n"
        "Tag the ticket web-order.\n"
    )
    graph = compile_source(source, compiler="rules").graph
    assert [s.model_dump().get("operation") for s in graph.steps if s.model_dump().get("operation")] == [
        "zendesk.add_tags"
    ]


def test_an_otherwise_after_no_readable_decision_asks_instead_of_running_for_everyone():
    source = (
        "A return is accepted if the box is still sealed.\n"
        "Otherwise decline it: reply to the customer and set the ticket to solved.\n"
        "Tag the ticket returns-checked.\n"
    )
    graph = compile_source(source, compiler="rules").graph
    asked = [s for s in graph.steps if isinstance(s, DecideStep) and s.judgement and s.key.startswith("otherwise")]
    assert len(asked) == 1
    no = next(o for o in asked[0].judgement.outcomes if o.key == "no")
    assert {s.key: s for s in graph.steps}[no.next].model_dump().get("operation") == "zendesk.add_tags"


def test_a_table_that_only_tags_reads_its_rows_from_the_first_column():
    source = (
        "Tag the ticket for the plan:\n\n"
        "| Plan | Excess | Limit | Tag |\n|---|---|---|---|\n"
        "| Basic | $200 | $2,000 | excess-200 |\n"
        "| Plus | $50 | $9,000 | excess-50 |\n"
    )
    whens = _whens(source)
    assert whens == ['account.plan == "Basic"', 'account.plan == "Plus"']  # never the limit column as an amount


def test_thousands_and_are_in_a_comparison_on_a_field():
    assert _cel("the reward points are more than 20,000") == "case.fields.reward_points > 20000"


def test_a_count_over_a_period_is_the_field_named_with_that_period():
    known = _known("Fields: `returns_60d`, `disputes_this_year`.")
    assert _cel("the shopper made 2 or more returns in the last 60 days", known) == "case.fields.returns_60d >= 2"
    assert _cel("4 or more disputes this year", known) == "case.fields.disputes_this_year >= 4"
    assert _cel("3 or more refunds in the last 60 days", known) is None  # no such field named: a question


def test_up_to_a_count_of_a_named_count_field():
    assert _cel("up to 40 pages", _known("The form has `page_count`.")) == "case.fields.page_count <= 40"


def test_a_bound_is_never_read_as_a_value():
    assert _cel("the uptime is below 99 percent") == "case.fields.uptime < 99"
    assert _cel("the uptime is below par") is None


def test_values_listed_after_the_field_and_one_of():
    known = _known("- **Kind**: the ticket field `visit_kind`, one of `routine`, `urgent` or `follow_up`.")
    assert known.values["visit_kind"] == ("routine", "urgent", "follow_up")
    assert _cel("Routine visits", known) == 'case.fields.visit_kind == "routine"'


def test_bare_money_rungs_after_a_rung_on_a_money_field_stay_on_that_field():
    source = (
        "Fields: `overage_amount`, and `reason` (one of: overage, double_fee).\n\n"
        "- Overage under $5: tag the ticket fee-small.\n"
        "- $5 to $40: tag the ticket fee-mid.\n"
        "- Over $40: tag the ticket fee-big.\n"
    )
    whens = _whens(source)
    assert "case.fields.overage_amount < 5.0" in whens and "case.fields.overage_amount > 40.0" in whens
    assert not any("case.amount" in w for w in whens)


def test_an_account_flagged_as_a_risk_is_the_risk_flag():
    assert _cel("the customer is flagged as high-risk") == "account.risk_flag == true"
    assert _cel("the seller is not flagged") == "account.risk_flag == false"


def test_the_claimed_value_is_the_case_amount():
    assert _cel("the claimed value is at least $300") == "case.amount >= 300.0"
    assert _cel("the resale value is at least $300") is None  # another thing's value: not the case amount


def test_a_lookup_finding_no_account_or_several():
    assert _cel("the search finds no account") == "account.match_count == 0"
    assert _cel("Salesforce returns several matching accounts") == "account.match_count > 1"


def test_an_arrow_is_not_a_greater_than():
    assert _cel("-> amount under $10") == "case.amount < 10.0"

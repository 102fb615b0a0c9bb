"""Sections headed "If X:" whose cases the rules cannot read: each case is an answer a person picks, and the
coverage says so instead of telling the author the section header was lost."""

from __future__ import annotations

from procedures.steps import ActStep, DecideStep
from tests.procedures.rules_support import compile_rules, steps_of

SECTIONS = """# Damaged parcel claims

If the parcel arrived damaged:
1. Ask the customer for photos of the box and the item.
2. Tag the ticket damaged-parcel.

If the parcel is late:
1. Look up the shipment with the carrier.
2. Tag the ticket late-parcel.

In all cases, solve the ticket.
"""


def _entry(result, text: str):
    [entry] = [e for e in result.coverage if e.text.strip() == text]
    return entry


def test_a_later_case_section_is_an_answer_of_the_first_sections_question_not_a_lost_sentence():
    result = compile_rules(SECTIONS)
    [judge] = [s for s in steps_of(result, DecideStep) if s.judgement is not None]
    assert "the parcel is late" in [o.label for o in judge.judgement.outcomes]
    late = _entry(result, "If the parcel is late:")
    assert late.step_keys == (judge.key,)
    assert "a person picks this case" in late.reason
    assert not [w for w in result.warnings if w.code == "not_understood" and "parcel is late" in w.excerpt]


def test_both_case_headers_still_count_as_not_understood_by_the_rules():
    result = compile_rules(SECTIONS)
    statuses = [_entry(result, text).status for text in ("If the parcel arrived damaged:", "If the parcel is late:")]
    assert statuses == ["not_understood", "not_understood"]
    assert [w.code for w in result.warnings if "parcel arrived damaged" in w.excerpt] == ["condition_not_understood"]


RANKED = """# Flood damage claims

1. If the home is uninhabitable, this comes before everything else in the queue:
   - Tag the ticket flood-urgent.
   - Reply to the customer: "We are arranging emergency accommodation today."
2. Add an internal note "flood claim logged".
"""


def test_a_case_that_ranks_before_everything_else_is_a_case_not_an_otherwise():
    result = compile_rules(RANKED)  # used to crash: the header was read as "everything else", an empty else
    [judge] = [s for s in steps_of(result, DecideStep) if s.judgement is not None]
    assert "uninhabitable" in judge.judgement.question
    steps = {s.key: s for s in result.graph.steps}
    yes = steps[judge.judgement.outcomes[0].next]
    assert yes.operation == "zendesk.add_tags"


STOPPED_CASE = """## Procedure

1. Find the customer's account in Salesforce and read the open opportunity to see its stage.
2. If the opportunity is not at the stage "Signed", the customer never committed: this is
   not a renewal matter. Assign the ticket to the Sales Desk group and stop here.
3. Add the tag renewal-request so the weekly report picks the ticket up.
4. Reply to the customer: "We have your renewal request."
"""


def test_a_stop_later_in_a_case_item_ends_that_case_not_the_whole_procedure():
    result = compile_rules(STOPPED_CASE)
    assert not [w for w in result.warnings if w.message.startswith("Never reached")]
    tags = [s for s in steps_of(result, ActStep) if s.operation == "zendesk.add_tags"]
    assert [s.params["tags"] for s in tags] == ['{{ ["renewal-request"] }}']


def test_a_stop_that_opens_a_case_of_its_own_is_not_pulled_into_the_case_before():
    text = STOPPED_CASE.replace(
        "Assign the ticket to the Sales Desk group and stop here.",
        "Partner accounts always go to the Partner desk: assign the ticket to the Partner group and stop here.",
    )
    result = compile_rules(text)
    decide_texts = " ".join(s.title for s in steps_of(result, DecideStep))
    assert "Signed" in decide_texts
    partner = [s for s in steps_of(result, ActStep) if s.params.get("group") == "Partner"]
    assert len(partner) == 1 and "Signed" not in partner[0].title  # the partner case routes, whatever the stage


WRAPPED_CASE = """Look up the creator's account in Salesforce and tag the ticket creator-payout.

**If the account is flagged as a risk**, do not discuss the money at all: assign the ticket to the Trust &
Safety group and add an internal note saying the account is flagged. Stop there.

Reply to the creator: "We are checking your payout."
"""


def test_a_bold_case_with_a_name_wrapped_after_an_ampersand_routes_and_stops_only_that_case():
    result = compile_rules(WRAPPED_CASE)
    assert not [w for w in result.warnings if w.message.startswith("Never reached")]
    routed = [s for s in steps_of(result, ActStep) if s.params.get("group") == "Trust & Safety"]
    assert len(routed) == 1
    assert "zendesk.reply" in [s.operation for s in steps_of(result, ActStep)]
    assert any(b.when == "account.risk_flag == true" for s in steps_of(result, DecideStep) for b in s.branches)

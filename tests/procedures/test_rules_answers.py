"""Answers listed under a wait for the customer's reply ("yes -> …", "no reply -> …"), one of them alone."""

from __future__ import annotations

from procedures.steps import ActStep, DecideStep, WaitStep
from tests.procedures.rules_support import compile_rules, steps_of

ASK = """# Serial number check

1. Reply to the customer: "Please send us the serial number of the unit."
2. Wait 2 business days for the customer to reply.
   - {answer}
3. Add an internal note "serial received".
"""


def _by_key(result):
    return {s.key: s for s in result.graph.steps}


def test_no_reply_alone_runs_when_the_wait_times_out_and_a_reply_goes_on():
    result = compile_rules(ASK.format(answer="no reply -> tag the ticket no-serial and solve the ticket."))
    [wait] = steps_of(result, WaitStep)
    steps = _by_key(result)
    assert steps[wait.next].operation == "zendesk.add_tags"
    assert steps[wait.on_event].operation == "zendesk.add_note"
    assert not [s for s in steps_of(result, DecideStep) if s.judgement]


def test_one_named_answer_alone_is_a_question_with_any_other_answer_going_on():
    result = compile_rules(ASK.format(answer="yes -> tag the ticket serial-sent."))
    [wait] = steps_of(result, WaitStep)
    steps = _by_key(result)
    judge = steps[wait.on_event]
    assert [o.label for o in judge.judgement.outcomes] == ["yes", "Any other answer"]
    tagged, other = (steps[o.next] for o in judge.judgement.outcomes)
    assert isinstance(tagged, ActStep) and tagged.operation == "zendesk.add_tags"
    assert other.operation == "zendesk.add_note"

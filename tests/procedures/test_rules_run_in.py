"""Bold run-in titles ("**2. Analyse.** Open the file …") name a step: a heading, never a question for a person."""

from __future__ import annotations

from procedures.steps import DecideStep
from tests.procedures.rules_support import compile_rules, ops_of, steps_of

RUNBOOK = """## Steps

**1. Acknowledge.** Reply to the reporter: "Thanks, we are looking into it."

**Escalate.** Add the tag phish-report.

**Step 3 - Close.** Solve the ticket.
"""


def _status(result, text: str) -> str:
    return next(e.status for e in result.coverage if e.text.strip() == text)


def test_bold_titles_are_headings_and_their_steps_run():
    result = compile_rules(RUNBOOK)
    assert ops_of(result) == ["zendesk.reply", "zendesk.add_tags", "zendesk.update_ticket"]
    assert not [s for s in steps_of(result, DecideStep) if s.judgement]  # nobody is asked to confirm "**1."
    assert _status(result, "**Escalate.**") == "non_procedural"
    assert _status(result, "**Step 3 - Close.**") == "non_procedural"


def test_a_bold_case_or_boilerplate_label_is_not_taken_for_a_title():
    result = compile_rules(
        "**Purpose.** This page explains how we email customers about refunds.\n\n"
        "**If the refund is over $500.** Add the tag big-refund.\n\n"
        "Solve the ticket.\n"
    )
    assert "email.send" not in ops_of(result)  # the purpose paragraph stays non-procedural
    conditions = [b.when for s in steps_of(result, DecideStep) for b in s.branches]
    assert any("500" in c for c in conditions) or any(s.judgement for s in steps_of(result, DecideStep))

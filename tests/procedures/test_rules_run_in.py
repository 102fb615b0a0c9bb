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


VERDICT = """## Verdict

**If it is spam:**
- Tag the ticket phish-spam.
- Solve the ticket. Done.

**If it is malicious:**

1. Add the tag phish-malicious.
2. If credentials were entered, it's urgent instead:
   a. Reply to the customer: "Please reset your password now."
3. Add an internal note "purged".
"""


def test_a_bold_lead_in_over_a_list_scopes_its_items_and_the_next_case_is_reached():
    result = compile_rules(VERDICT)
    unreached = [w.excerpt for w in result.warnings if w.message.startswith("Never reached")]
    assert unreached in ([], ["Done."])  # the terse "Done." after the solve ends nothing more
    assert {"zendesk.add_tags", "zendesk.reply", "zendesk.add_note"} <= set(ops_of(result))


def test_the_consequence_after_a_case_is_not_part_of_its_condition():
    result = compile_rules(
        "1. Tag the ticket phish.\n"
        "2. If credentials were entered, it's SEV2 instead:\n"
        '   a. Reply to the customer: "Please reset your password now."\n'
        "3. Solve the ticket.\n"
    )
    conditions = [b.when for s in steps_of(result, DecideStep) for b in s.branches]
    assert not [c for c in conditions if "SEV2" in c]  # SEV2 is what the case becomes, not what it tests

"""Twelfth round (issue 11): a read is done once per run, an approval names the whole role of a person or team,
a reply or wait a person decides on stays with the person, and no step acts on a parameter the text never
wrote. Each test is a passage in the shapes real SOPs take, in several wordings."""

from __future__ import annotations

import pytest

from procedures.compiler.rules.parameter_shapes import empty_text, unread_template, unsure_tag
from procedures.steps import ActStep, ApproveStep, DecideStep, GatherStep, WaitStep, successors
from tests.procedures.rules_support import compile_rules, steps_of


def _later(graph, key: str) -> set[str]:
    """Every step a run can go on to after `key`."""
    by_key = {s.key: s for s in graph.steps}
    seen, todo = set(), [key]
    while todo:
        for target in successors(by_key[todo.pop()]):
            if target and target in by_key and target not in seen:
                seen.add(target)
                todo.append(target)
    return seen


def _reads_twice(result, operation: str) -> bool:
    reads = [s.key for s in steps_of(result, GatherStep) if s.operation == operation]
    return any(other in _later(result.graph, key) for key in reads for other in reads)


@pytest.mark.parametrize(
    "later",
    [
        "3. If the account plan is Premier, open a Task in the WAR Jira project with priority High.\n",
        "3. When the account's plan is Premier, raise a Task in the WAR Jira project, priority High.\n",
        "3. If the account plan is Premier, email the account owner that a reseller wrote in.\n",
    ],
)
def test_an_account_read_on_one_branch_is_not_read_again_after_it(later):
    source = (
        "# Warranty claims\n\n1. Tag the ticket warranty.\n"
        "2. If the caller is a reseller, look up the reseller's account in Salesforce from the ticket's organization.\n"
        + later
        + "4. Reply to the customer that we are on it.\n"
    )
    result = compile_rules(source)
    assert steps_of(result, GatherStep), "the account is still read"
    assert not _reads_twice(result, "salesforce.query_account")


@pytest.mark.parametrize(
    "wrapped",
    [
        "Closing an account early needs an OK from the Compliance\nOfficer, then reply to the customer.\n",
        "Closing an account early needs approval from the Risk\nOfficer, and then a reply to the customer.\n",
        "Closing an account early needs sign-off from the Billing\nManager; reply to the customer after that.\n",
    ],
)
def test_an_approver_role_cut_by_a_line_break_is_the_whole_title(wrapped):
    source = "# Early closure\n\n## Steps\n\nTag the ticket early-closure.\n" + wrapped
    roles = [s.role.lower() for s in steps_of(compile_rules(source), ApproveStep)]
    assert roles, "the approval is still read"
    assert all(" " in role for role in roles), roles  # "compliance officer", never "compliance"


@pytest.mark.parametrize(
    "once",
    [
        "Once accepted, tag the ticket detention-accepted and solve the ticket.",
        "Once the carrier agrees, tag the ticket detention-accepted and solve the ticket.",
        "When approved by the depot, tag the ticket detention-accepted and solve the ticket.",
    ],
)
def test_a_decision_someone_makes_is_not_a_wait_for_the_customers_reply(once):
    source = (
        f"# Detention charges\n\n## Steps\n\n1. Reply to the carrier that we are reviewing the invoice.\n2. {once}\n"
    )
    waits = [s for s in steps_of(compile_rules(source), WaitStep) if s.for_event == "customer.replied"]
    assert not waits


def test_a_wait_for_the_customer_to_answer_stays_automated():
    source = (
        "# Detention charges\n\n## Steps\n\n1. Reply to the carrier asking for the gate logs.\n"
        "2. Once the customer replies, tag the ticket logs-received.\n"
    )
    waits = [s for s in steps_of(compile_rules(source), WaitStep) if s.for_event == "customer.replied"]
    assert waits


@pytest.mark.parametrize(
    "sentence",
    [
        "If the renewal risk is high, loop in the account owner: let them know by email with the ticket link.",
        "If the manager has not decided within 3 days, remind them by email.",
        "When the invoice is disputed, bring in the billing team and email them the ticket link.",
    ],
)
def test_a_message_to_them_after_naming_someone_else_is_not_sent_to_the_customer(sentence):
    source = f"# Credits\n\n## Steps\n\n1. Tag the ticket credit-review.\n2. {sentence}\n"
    result = compile_rules(source)
    to_customer = [
        s
        for s in steps_of(result, ActStep)
        if s.operation == "email.send" and "requester_email" in s.params.get("to", "")
    ]
    assert not to_customer


def test_a_message_to_the_customer_named_as_such_is_still_sent():
    source = "# Credits\n\n## Steps\n\n1. Tag the ticket credit-review.\n2. Email the customer the credit note and thank them.\n"
    result = compile_rules(source)
    assert any(s.operation == "email.send" for s in steps_of(result, ActStep))


@pytest.mark.parametrize(
    "sentence",
    [
        "If the customer mentions payments they do not recognise, tell them a dispute will be opened and move the "
        "ticket to the Disputes group.",
        "When the caller says the card was never received, reply that a new card is on its way and move the ticket "
        "to the Disputes group.",
        "If the customer claims the parcel was empty, tell them we are investigating and move the ticket to the "
        "Disputes group.",
    ],
)
def test_a_reply_to_what_a_person_reads_in_the_message_is_the_persons(sentence):
    source = f"# Cards\n\n## Steps\n\n1. Tag the ticket card.\n2. {sentence}\n"
    result = compile_rules(source)
    acts = steps_of(result, ActStep)
    assert not [s for s in acts if s.operation == "zendesk.reply"]
    assert [s for s in acts if s.operation == "zendesk.update_ticket"], "the move stays automated"


def test_a_reply_after_something_the_engine_sees_stays_automated():
    source = (
        "# Cards\n\n## Steps\n\n1. Tag the ticket card.\n2. Should the customer ask why, reply with the fee policy.\n"
    )
    assert [s for s in steps_of(compile_rules(source), ActStep) if s.operation == "zendesk.reply"]


@pytest.mark.parametrize(
    "tagging",
    ["Tag the ticket <category>-issue.", "Add the tag `{{reason}}`.", "Tag it [product]."],
)
def test_a_tag_written_as_a_placeholder_is_not_automated(tagging):
    source = f"# Product issues\n\n## Steps\n\n1. {tagging}\n2. Reply to the customer that we are looking into it.\n"
    result = compile_rules(source)
    assert not [s for s in steps_of(result, ActStep) if s.operation == "zendesk.add_tags"]
    assert any("tag" in w.message for w in result.warnings)


@pytest.mark.parametrize(
    "approval",
    [
        "Discounts over 20% need approval from the discount amount.",
        "Discounts over 40% need sign-off from the plan tier.",
        "Refunds need approval from the requester email.",
    ],
)
def test_an_approver_that_is_a_fact_word_is_asked(approval):
    source = f"# Discounts\n\n## Steps\n\n1. Tag the ticket discount.\n2. {approval}\n"
    result = compile_rules(source)
    assert not steps_of(result, ApproveStep)
    assert any("who approves" in w.message for w in result.warnings)


def test_an_approver_that_is_a_title_stays_automated():
    source = "# Discounts\n\n## Steps\n\n1. Tag the ticket discount.\n2. Discounts over 20% need approval from the Pricing Lead.\n"
    assert [s.role for s in steps_of(compile_rules(source), ApproveStep)]


@pytest.mark.parametrize("empty", ["", "  ", '""', "“ ”"])
def test_an_empty_summary_subject_or_message_is_not_sent(empty):
    assert empty_text("jira.create_issue", {"project": "OPS", "summary": empty})
    assert empty_text("email.send", {"to": "ops@example.com", "subject": empty, "body": "Ticket link"})
    assert empty_text("zendesk.reply", {"body": empty})
    assert empty_text("zendesk.reply", {"body": "We are looking into it."}) is None


def test_a_tag_the_text_gives_is_kept():
    assert unsure_tag("zendesk.add_tags", {"tags": '{{ ["late-delivery"] }}'}, "Tag the ticket late-delivery.") is None
    assert unsure_tag("zendesk.add_tags", {"tags": '{{ ["category"] }}'}, "Tag the ticket <category>.")


@pytest.mark.parametrize(
    "summary",
    [
        "Summary of this procedure: tag the ticket lost-card, reply to the customer, and solve the ticket.",
        "In short: tag it lost-card, reply, and close the ticket.",
        "TL;DR - tag lost-card, reply to the customer, solve the ticket.",
        "Recap for new agents: tag the ticket lost-card and solve the ticket.",
    ],
)
def test_a_summary_above_the_steps_does_not_end_the_run_before_them(summary):
    source = (
        f"# Lost cards\n\n{summary}\n\n## Steps\n\n1. Tag the ticket lost-card.\n"
        "2. Reply to the customer that the card is blocked.\n"
    )
    result = compile_rules(source)
    ops = [s.operation for s in steps_of(result, ActStep)]
    assert ops == ["zendesk.add_tags", "zendesk.reply"]
    assert not any("Never reached" in w.message for w in result.warnings)


_STEPS = (
    "# Refunds\n\n## Steps\n\n1. Tag the ticket refund.\n2. Reply to the customer that the refund is being processed.\n"
)


def _acts_beyond_the_steps(source: str) -> list[str]:
    """The automated actions other than the two the steps ask for."""
    ops = [(s.operation, json_params(s.params)) for s in steps_of(compile_rules(source), ActStep)]
    asked = {("zendesk.add_tags", '["refund"]'), ("zendesk.reply", "The refund is being processed.")}
    return [op for op, params in ops if (op, params) not in asked]


def json_params(params: dict) -> str:
    return (params.get("tags") or params.get("body") or "").replace("{{ ", "").replace(" }}", "")


@pytest.mark.parametrize(
    "side",
    [
        "## The Billing team's side\n\nBilling picks the ticket up the next morning. They set it to pending, email the "
        "bank at ops@bank.example, and once the money lands they reply to the customer and solve the ticket.\n",
        "## Afterwards\n\nThe Finance team checks the payout. They then email treasury@example.com and close the "
        "ticket.\n",
        "## Escalation path\n\nThe duty manager reads the thread, assigns the ticket to the Payments group and adds "
        "an internal note.\n",
    ],
)
def test_what_another_team_does_is_not_a_step_of_this_run(side):
    assert _acts_beyond_the_steps(_STEPS + "\n" + side) == []


def test_an_order_after_another_team_acts_is_still_ours():
    source = _STEPS + "3. Billing approves the refund, then tag the ticket refund-approved.\n"
    assert "zendesk.add_tags" in _acts_beyond_the_steps(source)


@pytest.mark.parametrize(
    "faq",
    [
        "## Frequently asked\n\n- *Can agents close the ticket?* Yes: set the ticket to solved once the refund shows.\n"
        "- *Who handles chargebacks?* Assign the ticket to the Chargebacks group.\n",
        "## Notes\n\n**Do we tag refunds twice?** Tag the ticket refund-reported as well.\n",
        "## Questions agents ask\n\nShould I escalate? Assign the ticket to the Escalations group.\n",
    ],
)
def test_an_answer_to_a_question_acts_on_no_case(faq):
    assert _acts_beyond_the_steps(_STEPS + "\n" + faq) == []


def test_an_answer_that_names_its_case_keeps_the_case():
    source = _STEPS + "\n*What about other refunds?* If the order total is over $500, assign the ticket to Billing.\n"
    result = compile_rules(source)
    assert [b.when for s in steps_of(result, DecideStep) for b in s.branches], "the answer's own condition is checked"


@pytest.mark.parametrize(
    "automation",
    [
        "Tickets tagged refund are set to pending automatically.",
        "Tickets tagged vip are assigned to the VIP group by the system.",
        "Refund tickets from the web form get the tag web-refund automatically.",
    ],
)
def test_what_a_system_does_by_itself_is_neither_a_step_nor_a_check(automation):
    source = _STEPS + "\n## Automations\n\n" + automation + "\n"
    result = compile_rules(source)
    assert _acts_beyond_the_steps(source) == []
    assert not [b.when for s in steps_of(result, DecideStep) for b in s.branches]


@pytest.mark.parametrize(
    "pasted",
    [
        "2. Reply to the customer with {{ closure_form_link }}.",
        "2. Reply to the customer: your form is at {{ form.url }}.",
        "2. Email the customer the link {{ link }} and thank them.",
    ],
)
def test_a_template_that_reads_what_nothing_provides_goes_to_a_person(pasted):
    source = f"# Account closures\n\n## Steps\n\n1. Tag the ticket closure.\n{pasted}\n3. Assign the ticket to the Closures group.\n"
    result = compile_rules(source)  # compiles (it used to fail validation) and asks instead of sending
    assert not [s for s in steps_of(result, ActStep) if s.operation in ("zendesk.reply", "email.send")]
    assert [s for s in steps_of(result, ActStep) if s.operation == "zendesk.update_ticket"]


def test_a_template_over_the_case_or_an_earlier_read_is_kept():
    provided = {"account"}
    assert unread_template({"body": "Plan: {{ account.plan }} for {{ case.subject }}"}, provided) is None
    photos = '{{ case.attachments.filter(a, a.kind == "photo").map(a, a.url) }}'
    assert unread_template({"photos": photos}, provided) is None
    assert unread_template({"body": "{{ closure_form_link }}"}, provided)


@pytest.mark.parametrize(
    "reply",
    [
        "reply asking the customer how they want it paid out.",
        "confirm to the customer.",
        "reply telling the requester which form to use.",
    ],
)
def test_a_reply_that_speaks_of_its_reader_is_not_sent(reply):
    source = f"# Account closures\n\n## Steps\n\n1. Tag the ticket closure.\n2. If the balance is over $0, {reply}\n"
    result = compile_rules(source)
    bodies = [s.params.get("body", "") for s in steps_of(result, ActStep) if s.operation == "zendesk.reply"]
    assert not [b for b in bodies if "customer" in b.lower() or "requester" in b.lower()]


@pytest.mark.parametrize(
    "note",
    [
        '"Other" covers auditors, journalists and anyone we cannot place.',
        "Contractors means anyone paid through a supplier rather than payroll.",
        "Vendors are listed in the supplier register.",
    ],
)
def test_a_table_row_step_stops_at_the_end_of_the_table(note):
    source = (
        "# Site visits\n\n## Steps\n\n1. Tag the ticket site-visit.\n2. Approvals by visitor type:\n\n"
        "   | Visitor type | Who must approve |\n   |---|---|\n   | contractor | Facilities Manager |\n"
        "   | other | Security lead |\n\n   " + note + "\n\n3. Reply to the visitor that the request is logged.\n"
    )
    result = compile_rules(source)
    for step in result.graph.steps:
        if step.span and "|" in source[step.span.start : step.span.end]:
            assert note[:20] not in source[step.span.start : step.span.end]
            assert note[:20] not in step.instruction


@pytest.mark.parametrize(
    "aside",
    [
        "## Example ticket\n\n> Subject: Refund please\n> Hi, please refund me and close this ticket.\n\n"
        "For the example above, we would tag the ticket refund and reply that the refund is being processed.\n",
        "## Contacts\n\n| Team | Contact | When |\n|---|---|---|\n| Billing | billing@example.com | refunds over $500 |\n"
        "| Legal | legal@example.com | any legal threat |\n",
        "## Revision history\n\n- v3: solve the ticket after the reply (removed in v4).\n"
        "- v2: added the Jira escalation to the HW project with priority High.\n"
        "- v1: email the supplier at parts@example.com for every claim.\n",
        "## Why we do it this way\n\nWe used to email the customer the refund form, but they rarely opened it. "
        "Last year we escalated every refund to Tier 2 and created a Jira issue in the FIN project.\n",
    ],
)
def test_examples_contacts_history_and_background_add_no_step(aside):
    assert _acts_beyond_the_steps(_STEPS + "\n" + aside) == []

"""Round 9 (issue 11): actions said in the words teams use — an instruction that names its means ("loop in
Legal by adding the tag legal-review"), routing verbs, tags that stop where the tag list stops — each with the
parameters the text writes, and nothing where the sentence describes, defines, answers a question or forbids."""

from __future__ import annotations

import pytest

from procedures.compiler import compile_source
from procedures.steps import ActStep, WaitStep


def _acts(source: str) -> list[ActStep]:
    result = compile_source(source, compiler="rules")
    return [s for s in result.graph.steps if isinstance(s, ActStep)]


def _only(source: str, operation: str) -> list[dict]:
    return [s.params for s in _acts(source) if s.operation == operation]


# --- the means after "by" ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "sentence, tag",
    [
        ("Loop in the privacy team by adding the tag privacy-check.", "privacy-check"),
        ("Flag the ticket to the fraud desk by tagging it fraud-watch.", "fraud-watch"),
        ("If the order is over $900, notify the warehouse lead by adding the tag big-order.", "big-order"),
        ("keep the account team posted by tagging the ticket am-heads-up", "am-heads-up"),
    ],
)
def test_a_purpose_said_first_and_the_tag_after_by_tags_the_ticket(sentence, tag):
    tags = _only(f"1. {sentence}\n2. Reply to the customer that we are on it.\n", "zendesk.add_tags")
    assert len(tags) == 1 and f'"{tag}"' in tags[0]["tags"]


def test_a_purpose_said_first_and_the_group_after_by_routes_the_ticket():
    updates = _only(
        "1. Escalate to the duty supervisor by assigning the ticket to the Night Desk group.\n"
        "2. Loop in the returns lead by moving the ticket to the Returns Review group.\n",
        "zendesk.update_ticket",
    )
    assert [u["group"] for u in updates] == ["Night Desk", "Returns Review"]


def test_a_means_sopdesk_does_not_know_stays_a_question():
    source = "1. Loop in the landlord by phoning the site office.\n2. Tag the ticket site-call.\n"
    assert [s.operation for s in _acts(source)] == ["zendesk.add_tags"]


@pytest.mark.parametrize(
    "sentence",
    [
        "The privacy team is looped in by adding the tag privacy-check.",
        "The system will loop in the privacy team by adding the tag privacy-check.",
        "We loop in the privacy team by adding the tag privacy-check.",
        "Do not loop in the privacy team by adding the tag privacy-check.",
        "Looping in the privacy team means adding the tag privacy-check.",
    ],
)
def test_the_same_words_that_describe_define_or_forbid_tag_nothing(sentence):
    source = f"1. {sentence}\n2. Reply to the customer that we are on it.\n"
    assert not _only(source, "zendesk.add_tags")


def test_the_means_in_a_faq_answer_or_a_definition_tags_nothing():
    source = (
        "## Steps\n1. Reply to the customer that we are on it.\n\n"
        "## FAQ\n**Q: How do we tell the privacy team?**\nA: Loop in the privacy team by adding the tag privacy-check.\n\n"
        "## Definitions\n- Escalation: loop in the lead by assigning the ticket to the Leads group.\n"
    )
    assert [s.operation for s in _acts(source)] == ["zendesk.reply"]


def test_a_means_that_points_back_keeps_the_target_the_purpose_names():
    updates = _only("1. Escalate to the Disputes Desk group by assigning the ticket there.\n", "zendesk.update_ticket")
    assert [u["group"] for u in updates] == ["Disputes Desk"]


# --- routing: pass, moves, an address as the assignee ----------------------------------------------------------


@pytest.mark.parametrize(
    "sentence",
    [
        "Pass the ticket to the Claims Review group.",
        "pass it to the Claims Review group rather than deciding alone",
        "The ticket moves to the Claims Review group.",
    ],
)
def test_passing_or_moving_the_ticket_to_a_named_group_routes_it(sentence):
    updates = _only(f"1. {sentence}\n2. Reply to the customer that we are on it.\n", "zendesk.update_ticket")
    assert [u.get("group") for u in updates] == ["Claims Review"]


@pytest.mark.parametrize(
    "sentence",
    [
        "Assign the ticket to dock.lead@example.com.",
        "Escalate to the dock lead by assigning the ticket to dock.lead@example.com.",
        "hand it to the dock lead at dock.lead@example.com",
    ],
)
def test_an_address_the_ticket_is_assigned_to_is_its_assignee(sentence):
    updates = _only(f"1. {sentence}\n", "zendesk.update_ticket")
    assert [u.get("assignee_email") for u in updates] == ["dock.lead@example.com"]


@pytest.mark.parametrize(
    "sentence",
    [
        "The ticket moves to the Claims Review group automatically.",
        "Questions about the desk go to dock.lead@example.com.",
        "Never pass the ticket to the Claims Review group.",
    ],
)
def test_routing_words_that_describe_or_forbid_route_nothing(sentence):
    source = f"1. {sentence}\n2. Reply to the customer that we are on it.\n"
    assert not _only(source, "zendesk.update_ticket")


# --- tags stop where the tag list stops ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "sentence, tags",
    [
        ("Tag the ticket port-hold and work out what the carrier wants.", ["port-hold"]),
        ("tag ticket intake-request (reporting counts them, every ticket)", ["intake-request"]),
        ("Tag the ticket `priority-review` and `billing-review`.", ["priority-review", "billing-review"]),
        ("tag the ticket `seat-check` before you solve it", ["seat-check"]),
        ("tag it refund-sent once the money has left", ["refund-sent"]),
        ("tag the ticket follow-up after-hours", ["follow-up", "after-hours"]),
        ("tag it to-do", ["to-do"]),
    ],
)
def test_words_after_the_tags_are_not_tags(sentence, tags):
    found = _only(f"1. {sentence}\n", "zendesk.add_tags")
    assert len(found) == 1
    assert found[0]["tags"] == "{{ [" + ", ".join(f'"{t}"' for t in tags) + "] }}"


# --- a delay written after the instruction -----------------------------------------------------------------------


def _steps(source: str) -> list:
    return list(compile_source(source, compiler="rules").graph.steps)


def _first_after_wait(steps: list) -> tuple[WaitStep, object]:
    by_key = {s.key: s for s in steps}
    wait = next(s for s in steps if isinstance(s, WaitStep))
    return wait, by_key[wait.next]


@pytest.mark.parametrize(
    "sentence, days, operation",
    [
        ("Email ops@example.com after 2 days.", 2, "email.send"),
        ("tag the ticket stale after 5 days", 5, "zendesk.add_tags"),
        ("Email ops@example.com a reminder after 3 business days.", 3, "email.send"),
    ],
)
def test_a_delay_after_the_instruction_waits_before_it_acts(sentence, days, operation):
    steps = _steps(f"1. Reply to the customer that we are on it.\n2. {sentence}\n")
    wait, after = _first_after_wait(steps)
    assert wait.delay.days == days and wait.for_event is None
    assert isinstance(after, ActStep) and after.operation == operation
    first = next(s for s in steps if isinstance(s, ActStep))
    assert first.operation == "zendesk.reply"  # nothing acts before the wait but what comes before it


@pytest.mark.parametrize(
    "sentence",
    [
        "Close the ticket as solved after 7 days without a reply.",
        "Set the ticket to solved if there is no reply after 7 days.",
    ],
)
def test_a_delay_without_a_reply_is_a_wait_for_the_reply(sentence):
    wait, after = _first_after_wait(_steps(f"1. Reply to the customer asking for the receipt.\n2. {sentence}\n"))
    assert wait.delay.days == 7 and wait.for_event == "customer.replied"
    assert isinstance(after, ActStep) and after.params.get("status") == "solved"


def test_chasing_the_customer_later_waits_for_their_reply_and_leaves_the_chase_to_a_person():
    steps = _steps("1. Reply to the customer asking for the receipt.\n2. Chase the customer after 3 days.\n")
    wait, after = _first_after_wait(steps)
    assert wait.delay.days == 3 and wait.for_event == "customer.replied"
    assert not isinstance(after, ActStep)  # what the chase says is not written: a person sends it


def test_only_the_last_instruction_waits():
    steps = _steps("1. Reply to the customer that we are on it and tag the ticket waiting after 2 days.\n")
    kinds = [(type(s).__name__, getattr(s, "operation", None)) for s in steps]
    assert kinds[:3] == [("ActStep", "zendesk.reply"), ("WaitStep", None), ("ActStep", "zendesk.add_tags")]


@pytest.mark.parametrize(
    "sentence",
    [
        "The system emails ops@example.com after 2 days.",
        "Do not email ops@example.com after 2 days.",
        "We usually email ops@example.com after 2 days.",
    ],
)
def test_a_delay_in_a_sentence_that_describes_or_forbids_sends_nothing(sentence):
    assert not _only(f"1. {sentence}\n2. Reply to the customer that we are on it.\n", "email.send")


# --- other words for the same instruction -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "sentence, body",
    [
        ("Drop a note on the ticket saying the courier was called.", "The courier was called."),
        ("Leave a quick note on the ticket saying the courier was called.", "The courier was called."),
        ('note on tkt "courier called, waiting"', "courier called, waiting"),
        ('Drop an internal note saying "courier called, waiting".', "courier called, waiting"),
    ],
)
def test_a_note_dropped_or_left_on_the_ticket_is_an_internal_note(sentence, body):
    notes = _only(f"1. {sentence}\n2. Tag the ticket courier-called.\n", "zendesk.add_note")
    assert [n["body"] for n in notes] == [body]


@pytest.mark.parametrize(
    "sentence, issue_type",
    [
        ("Kick off a Jira bug in project APP.", "Bug"),
        ("Spin up a Jira task in project APP.", "Task"),
        ("cut a bug in the APP Jira project", "Bug"),
    ],
)
def test_a_jira_issue_started_with_another_verb_is_opened_in_the_project_the_text_names(sentence, issue_type):
    issues = _only(f"1. {sentence}\n", "jira.create_issue")
    assert [(i["project"], i["issue_type"]) for i in issues] == [("APP", issue_type)]


def test_a_jira_issue_started_with_another_verb_but_no_project_is_a_question():
    assert not _only("1. Kick off a Jira bug for the app team.\n2. Tag the ticket app-bug.\n", "jira.create_issue")


@pytest.mark.parametrize(
    "sentence",
    [
        "Shoot an email to stock@example.com.",
        "Fire off a quick email to stock@example.com.",
        "Drop stock@example.com an email.",
    ],
)
def test_a_mail_said_with_another_verb_goes_to_the_address_written(sentence):
    mails = _only(f"1. {sentence}\n", "email.send")
    assert [m["to"] for m in mails] == ['{{ ["stock@example.com"] }}']


@pytest.mark.parametrize(
    "sentence",
    [
        "Apply the tag stock-check.",
        "Add the stock-check tag.",
        "Stick the `stock-check` tag on.",
        "Label the ticket stock-check.",
    ],
)
def test_a_tag_said_with_another_verb_or_before_the_word_tag(sentence):
    tags = _only(f"1. {sentence}\n", "zendesk.add_tags")
    assert [t["tags"] for t in tags] == ['{{ ["stock-check"] }}']


@pytest.mark.parametrize(
    "sentence", ["Escalate to the Stock Control queue.", "Move the ticket to the Stock Control queue."]
)
def test_a_named_queue_the_ticket_is_routed_to_is_its_group(sentence):
    updates = _only(f"1. {sentence}\n", "zendesk.update_ticket")
    assert [u["group"] for u in updates] == ["Stock Control"]


@pytest.mark.parametrize(
    "sentence",
    [
        "The agent drops a note on the ticket saying the courier was called.",
        "Do not drop a note on the ticket.",
        "Kick off the weekly call with the courier.",
        "Label the parcel with the return address.",
        "Tickets in the Stock Control queue are answered within a day.",
        "Open a Jira task in project APP and assign it to the Stock Control queue.",
    ],
)
def test_the_other_words_where_they_describe_forbid_or_mean_something_else_do_nothing(sentence):
    acts = _acts(f"1. {sentence}\n2. Reply to the customer that we are on it.\n")
    assert not [a for a in acts if a.operation in ("zendesk.add_note", "zendesk.add_tags", "zendesk.update_ticket")]


# --- a remark after the full stop in rough notes -------------------------------------------------------------------


@pytest.mark.parametrize(
    "line",
    [
        "- big refund -> set tkt solved. not worth chasing",
        "- big refund -> solve. done.",
        "- big refund -> set solved. done",
    ],
)
def test_a_remark_after_the_instruction_is_not_part_of_it(line):
    source = f"{line}\n- anything else -> reply to the customer that we are on it\n"
    statuses = [u.get("status") for u in _only(source, "zendesk.update_ticket")]
    assert statuses == ["solved"]


def test_a_remark_in_plain_words_after_a_tag_leaves_the_tag():
    tags = _only("- medical reason -> tag freeze-medical. no fee\n- other -> tag freeze-other\n", "zendesk.add_tags")
    assert '"freeze-medical"' in tags[0]["tags"]


@pytest.mark.parametrize(
    "line",
    [
        "- tag it vip-hold. not for enterprise accounts",
        "- tag it vip-hold. only for enterprise accounts",
        "- tag it vip-hold. unless they already paid",
    ],
)
def test_words_after_the_full_stop_that_narrow_the_step_make_it_a_question(line):
    assert not _only(f"{line}\n- reply to the customer that we are on it\n", "zendesk.add_tags")


def test_a_lower_case_sentence_that_asks_for_something_is_not_a_remark():
    result = compile_source(
        "- offer a home visit. home visits need OK from the clinic manager, always\n- then tag it home-visit\n",
        compiler="rules",
    )
    assert [s.role for s in result.graph.steps if s.kind == "approve"] == ["Clinic managers"]


# --- a hard wrap after a word no sentence ends on ---------------------------------------------------------------


@pytest.mark.parametrize("indent", [3, 7, 10])
def test_a_line_ending_on_the_goes_on_below_however_deep_the_next_line_is_indented(indent):
    source = (
        "[ ] 1. Reply to the customer that we are on it.\n"
        f"[ ] 2. If the refund is over $500, assign the ticket to the\n{' ' * indent}Refund Desk group.\n"
    )
    assert [u.get("group") for u in _only(source, "zendesk.update_ticket")] == ["Refund Desk"]


def test_a_line_ending_on_a_full_word_is_not_joined_to_a_deeper_line():
    source = "1. Tag the ticket refund-desk.\n          Refund Desk group owns these tickets.\n"
    assert not _only(source, "zendesk.update_ticket")


# --- a mail by another route to an address the sentence writes ------------------------------------------------


@pytest.mark.parametrize(
    "sentence",
    [
        "Escalate to the stock controller by email at stock@example.com.",
        "Escalate by email to stock@example.com.",
        "Flag it to the stock team by email (stock@example.com).",
        "Raise it with the stock team by email at stock@example.com.",
    ],
)
def test_a_step_whose_way_is_a_mail_to_a_written_address_mails_it(sentence):
    mails = _only(f"1. {sentence}\n", "email.send")
    assert [m["to"] for m in mails] == ['{{ ["stock@example.com"] }}']


@pytest.mark.parametrize(
    "sentence",
    [
        "Contact the customer to confirm the address.",
        "Write to the customer explaining the delay.",
        "The agent forwards the ticket to stock@example.com.",
        "Do not forward the ticket to stock@example.com.",
        "Escalate by phone; stock@example.com is for reports only.",
    ],
)
def test_no_mail_without_a_written_address_or_an_instruction_to_send_it(sentence):
    assert not _only(f"1. {sentence}\n2. Tag the ticket stock-check.\n", "email.send")


# --- a value that names its field; a workflow state the text writes ---------------------------------------------


@pytest.mark.parametrize(
    "sentence, priority",
    [
        ("Set the ticket to high.", "high"),
        ("Mark the ticket as urgent.", "urgent"),
        ("set it to urgent instead", "urgent"),
        ("Bump the ticket up to urgent.", "urgent"),
    ],
)
def test_a_ticket_set_to_a_priority_value_sets_its_priority(sentence, priority):
    updates = _only(f"1. {sentence}\n", "zendesk.update_ticket")
    assert [u.get("priority") for u in updates] == [priority]


def test_it_set_to_a_value_a_jira_issue_also_takes_is_a_question():
    source = "1. Open a Jira task in project APP.\n2. Set it to High.\n"
    assert not _only(source, "zendesk.update_ticket")


def test_the_issue_the_run_opened_is_transitioned_to_the_state_the_text_writes():
    source = '1. Open a Jira task in project APP.\n2. When the fix is checked, transition it to "Ready for QA".\n'
    moves = _only(source, "jira.transition_issue")
    assert [m["transition"] for m in moves] == ["Ready for QA"]


@pytest.mark.parametrize(
    "source",
    [
        '1. Transition it to "Ready for QA".\n2. Tag the ticket qa-ready.\n',  # no Jira issue was opened: which one?
        '1. Open a Jira task in project APP.\n2. Move it to "Ready for QA".\n',  # "it" may be the ticket
    ],
)
def test_a_transition_of_an_issue_the_run_did_not_open_is_a_question(source):
    assert not _only(source, "jira.transition_issue")


# --- waits in rough notes ---------------------------------------------------------------------------------------


def _waits(source: str) -> list[WaitStep]:
    return [s for s in _steps(source) if isinstance(s, WaitStep)]


@pytest.mark.parametrize("said, hours", [("wait 24h", 24), ("wait 48 h", 48), ("give them 12h to reply", 12)])
def test_hours_written_as_h_are_hours(said, hours):
    waits = _waits(f"- reply asking for the receipt\n- {said}\n- no receipt -> close it\n")
    assert [w.delay.hours for w in waits] == [hours]


@pytest.mark.parametrize(
    "line",
    [
        "reply asking for the receipt, set pending, wait 2 days",
        "reply asking for the receipt + put on hold + wait 2 days",
    ],
)
def test_a_wait_after_asking_and_setting_the_ticket_pending_waits_for_the_answer(line):
    waits = _waits(f"- {line}\n- no receipt -> close it\n")
    assert [(w.delay.days, w.for_event) for w in waits] == [(2, "customer.replied")]


def test_a_wait_after_a_status_change_without_a_question_waits_for_nothing_said():
    waits = _waits("- tag it parts-ordered, set pending, wait 2 days\n- then reply to the customer that parts are in\n")
    assert [(w.delay.days, w.for_event) for w in waits] == [(2, None)]


def test_a_line_ending_on_a_capital_letter_name_is_not_joined_to_a_deeper_line():
    source = "1. Move the ticket to the Tier 2 group if the customer is on Plan A\n          Reply to the customer that we are on it.\n"
    result = compile_source(source, compiler="rules")
    assert len([c for c in result.coverage if c.status != "non_procedural"]) == 2


# --- ticket status, tags, Jira project and waits said in other common ways -----------------------------------------


@pytest.mark.parametrize(
    "sentence, status",
    [
        ("Set the status to pending.", "pending"),
        ("Change the status to on-hold.", "hold"),
        ("Place the ticket on hold.", "hold"),
        ("Switch the ticket to pending.", "pending"),
        ("Update the ticket status to pending.", "pending"),
    ],
)
def test_the_ticket_status_said_in_other_words(sentence, status):
    updates = _only(f"1. {sentence}\n2. Reply to the customer that we are on it.\n", "zendesk.update_ticket")
    assert [u.get("status") for u in updates] == [status]


@pytest.mark.parametrize(
    "sentence",
    [
        "Set the status to pending in Jira.",
        "Update the order status to pending.",
        "Change the status of the Salesforce account to pending.",
    ],
)
def test_a_status_of_something_else_is_not_the_ticket_status(sentence):
    assert not _only(f"1. {sentence}\n2. Reply to the customer that we are on it.\n", "zendesk.update_ticket")


def test_a_project_key_written_before_jira_names_the_project():
    issues = _only("1. Create an APP Jira ticket.\n", "jira.create_issue")
    assert [i["project"] for i in issues] == ["APP"]


def test_giving_the_ticket_to_a_named_group_routes_it():
    assert [u["group"] for u in _only("1. Give the ticket to the Parts Desk group.\n", "zendesk.update_ticket")] == [
        "Parts Desk"
    ]


@pytest.mark.parametrize(
    "said, days",
    [
        ("Allow 5 business days for the customer to respond.", 5),
        ("Hold off for 2 days.", 2),
        ("give it 3 days", 3),
    ],
)
def test_a_wait_said_as_allowing_time(said, days):
    waits = _waits(f"1. Reply to the customer asking for the receipt.\n2. {said}\n3. Tag the ticket receipt-chased.\n")
    assert [w.delay.days for w in waits] == [days]


def test_time_allowed_for_something_else_to_happen_is_no_wait():
    assert not _waits("1. Reply to the customer that they should allow 5 days for the refund to arrive.\n")


# --- policy wording: the person working the case "shall" do it ---------------------------------------------------


@pytest.mark.parametrize(
    "sentence",
    [
        "The agent shall tag the ticket lost-device.",
        "The assigned agent must tag the ticket lost-device.",
        "If a police report is attached, the agent shall tag the ticket lost-device.",
        "You must tag the ticket lost-device.",
    ],
)
def test_what_the_agent_shall_do_is_the_instruction(sentence):
    tags = _only(f"1. {sentence}\n2. Reply to the customer that we are on it.\n", "zendesk.add_tags")
    assert [t["tags"] for t in tags] == ['{{ ["lost-device"] }}']


@pytest.mark.parametrize(
    "sentence",
    [
        "The carrier shall tag the parcel lost-device.",
        "The system will tag the ticket lost-device.",
        "The agent shall not tag the ticket lost-device.",
        "The school principal must tag the ticket lost-device.",
    ],
)
def test_what_someone_else_shall_do_or_the_agent_shall_not_do_is_no_step(sentence):
    assert not _only(f"1. {sentence}\n2. Reply to the customer that we are on it.\n", "zendesk.add_tags")


@pytest.mark.parametrize(
    "said, days", [("wait ten (10) business days", 10), ("The agent shall wait thirty (30) days.", 30)]
)
def test_a_number_in_words_and_figures_is_read_once(said, days):
    waits = _waits(f"1. Reply to the customer asking for the report.\n2. {said}\n3. Tag the ticket report-chased.\n")
    assert [w.delay.days for w in waits] == [days]


# --- a ticket held until an event sopdesk hears of -----------------------------------------------------------------


@pytest.mark.parametrize(
    "sentence, status",
    [
        ("Put the ticket on hold until the APP issue is done.", "hold"),
        ("Set it to pending until the Jira task is done.", "pending"),
    ],
)
def test_a_ticket_held_until_the_issue_is_done_is_held_then_waits_for_it(sentence, status):
    steps = _steps(f"1. Open a Jira task in project APP.\n2. {sentence}\n3. Tag the ticket app-fixed.\n")
    updates = [s for s in steps if isinstance(s, ActStep) and s.operation == "zendesk.update_ticket"]
    waits = [s for s in steps if isinstance(s, WaitStep)]
    assert [u.params.get("status") for u in updates] == [status]
    assert [(w.for_event, w.delay) for w in waits] == [("issue.done", None)]


def test_a_ticket_held_until_something_sopdesk_does_not_hear_of_waits_for_nothing():
    steps = _steps("1. Put the ticket on hold until the manager is back from leave.\n2. Tag the ticket held.\n")
    assert not [s for s in steps if isinstance(s, WaitStep)]

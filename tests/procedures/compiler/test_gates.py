"""Stage 4b: an automated step stays automated only when the compiler is sure of it; otherwise a person decides.

The checks (`certainty`, `wording`) are plain functions of a step and what the compiler knows; the gate
(`gates.apply`) turns each unsure step into a judgement with a warning saying why, keeping every way out.
"""

from __future__ import annotations

from procedures.compiler.rules import compile_rules
from procedures.compiler.rules.certainty import Sure, unsure_condition
from procedures.compiler.rules.gates import apply
from procedures.compiler.rules.vocabulary import Known
from procedures.compiler.rules.wording import hedged, negated, style_guidance, unsure_params, unsure_role
from procedures.steps import ActStep, ApproveStep, DecideStep, GatherStep, WaitStep, parse

TICKET = "{{ case.ticket_id }}"


def _graph(*steps: dict):
    return parse({"start": steps[0]["key"], "steps": list(steps)})


def _act(key: str, instruction: str, nxt: str | None = "done", **params) -> dict:
    step = {"key": key, "kind": "act", "title": instruction[:60], "instruction": instruction}
    step |= {"operation": params.pop("operation", "zendesk.add_tags"), "params": {"ticket_id": TICKET, **params}}
    return step | ({"next": nxt} if nxt else {})


DONE = {"key": "done", "kind": "end", "title": "Done", "outcome": "resolved"}


# -- facts and values -------------------------------------------------------------------------------


def test_a_condition_on_a_field_nobody_declared_becomes_a_question_naming_it():
    result = compile_rules("If the damage is at least 3, tag the ticket vip-gold.")
    decide = next(s for s in result.graph.steps if isinstance(s, DecideStep))
    assert not decide.branches and decide.judgement is not None
    assert decide.judgement.outcomes[0].next == "add_tags"  # the case still leads to its action
    warning = next(w for w in result.warnings if w.code == "unsure")
    assert "which system tells us the damage" in warning.message
    assert warning.step_key == decide.key


def test_a_field_the_sop_names_as_a_field_is_compared_automatically():
    result = compile_rules(
        "Read the ticket field loyalty_level. If the loyalty level is Gold, tag the ticket vip-gold."
    )
    branches = [b.when for s in result.graph.steps if isinstance(s, DecideStep) for b in s.branches]
    assert branches == ['case.fields.loyalty_level == "Gold"']
    assert not [w for w in result.warnings if w.code == "unsure"]


def test_a_value_the_sentence_does_not_write_is_not_compared():
    why = unsure_condition('case.fields.severity in ["SEV3", "SEV4"]', "SEV3 and below", "", Sure())
    assert why and "SEV4" in why
    assert unsure_condition('case.fields.severity == "SEV3"', "SEV3 and below", "", Sure()) is None


def test_a_state_word_is_not_a_value_and_a_separator_row_is_not_a_case():
    assert "state" in unsure_condition('case.fields.serial_number == "missing"', "the serial is missing", "", Sure())
    assert unsure_condition('case.fields.status == "------"', "------", "", Sure())


def test_numbers_written_as_words_or_in_thousands_are_the_sentence_s_own():
    sure = Sure(identifiers=frozenset({"chargebacks"}))
    assert unsure_condition("case.fields.chargebacks >= 3", "three or more chargebacks", "", sure) is None
    assert unsure_condition("case.amount > 5000.0", "Claims over $5k", "", Sure()) is None
    assert unsure_condition("case.amount > 5000.0", "Claims over $5,000", "", Sure()) is None


def test_a_case_with_more_numbers_than_the_condition_reads_is_not_sure():
    why = unsure_condition("case.amount <= 25.0", "Outage length 4 up to 12 hours and Credit $25", "", Sure())
    assert why and "4, 12" in why
    # one bound of a range may be left to the rung next to it
    assert unsure_condition("case.amount > 250.0", "From $250 to $2,000", "", Sure()) is None


def test_a_case_naming_a_field_of_the_sop_must_read_that_field():
    sure = Sure(identifiers=frozenset({"change_fee"}))
    assert "change_fee" in unsure_condition("case.amount <= 75.0", "Change fee $75 up to $250", "", sure)
    assert unsure_condition("case.fields.change_fee >= 75.0", "Change fee $75 up to $250", "", sure) is None


def test_a_case_about_the_tier_is_not_a_test_of_the_plan():
    sure = Sure(results={"account": ("plan",)})
    assert "tier" in unsure_condition('account.plan == "Gold"', "Gold tier customers", "", sure)
    assert unsure_condition('account.plan == "Gold"', "Gold customers", "", sure) is None


def test_a_documented_field_is_not_read_when_the_sop_names_its_own():
    sure = Sure(identifiers=frozenset({"change_reason"}))
    why = unsure_condition('case.fields.reason == "disruption"', "reason is disruption", "", sure)
    assert why and "change_reason" in why


# -- actions and approvals --------------------------------------------------------------------------


def test_a_tag_cut_short_or_a_priority_the_step_did_not_take_is_not_sure():
    assert unsure_params("zendesk.add_tags", {"tags": '{{ ["port-8"] }}'}, "tag the ticket port-8A", Sure())
    assert unsure_params("zendesk.add_tags", {"tags": '{{ ["port-8a"] }}'}, "tag the ticket port-8A", Sure()) is None
    jira = {"project": "OPS", "issue_type": "Task", "priority": "High"}
    assert "priority" in unsure_params("jira.create_issue", jira, "open a task in OPS, priority P1", Sure())
    assert unsure_params("jira.create_issue", jira, "open a task in OPS, priority High", Sure()) is None


def test_a_subject_the_sentence_quotes_must_be_the_one_sent():
    params = {"to": "{{ [account.owner_email] }}", "subject": "{{ case.subject }}"}
    sure = Sure(results={"account": ("owner_email",)})
    why = unsure_params("email.send", params, 'email the owner, subject "Renewal at risk"', sure)
    assert why and "Renewal at risk" in why


def test_hedges_negations_and_style_guidance_leave_the_action_to_a_person():
    assert hedged("If appropriate, offer a goodwill credit")
    assert hedged("Tag the ticket vip") is None
    assert negated("email.send", "Never email the customer directly; reply on the ticket")
    assert negated("zendesk.reply", "Never email the customer directly; reply on the ticket") is None
    assert style_guidance("zendesk.reply", "Keep it short and use a calm tone when you reply")
    assert style_guidance("zendesk.add_tags", "Keep it short and use a calm tone") is None


def test_an_approver_the_sentence_does_not_name_is_asked_for():
    assert unsure_role("Managers", "Refunds over $500 need the Finance Director's sign-off", Sure())
    assert unsure_role("Finance", "the finance director approves", Sure())
    assert unsure_role("Agent mays", "the agent may approve on their own", Sure())
    assert unsure_role("Billing managers", "a billing manager approves", Sure()) is None


def test_an_unsure_approval_becomes_a_judgement_with_the_same_ways_out():
    approve = {
        "key": "approve",
        "kind": "approve",
        "title": "Approval",
        "instruction": "Refunds over $500 need the Finance Director's sign-off.",
        "role": "Managers",
        "on_approved": "refund",
        "on_rejected": "done",
    }
    graph, issues = apply(
        _graph(approve, _act("refund", "Tag the ticket refunded", tags='{{ ["refunded"] }}'), DONE), Known()
    )
    step = graph.step("approve")
    assert isinstance(step, DecideStep) and step.judgement
    assert {o.key: o.next for o in step.judgement.outcomes} == {"approved": "refund", "rejected": "done"}
    assert [i.code for i in issues] == ["unsure"] and "who approves" in issues[0].message
    named = approve | {
        "role": "Finance directors",
        "instruction": "Every refund needs the Finance Director's sign-off.",
    }
    graph, issues = apply(
        _graph(named, _act("refund", "Tag the ticket refunded", tags='{{ ["refunded"] }}'), DONE), Known()
    )
    assert isinstance(graph.step("approve"), ApproveStep) and not issues


def test_an_unsure_action_becomes_do_it_by_hand_and_the_procedure_goes_on():
    email = _act(
        "mail", "Never email the customer directly.", "done", operation="email.send", to="{{ [case.requester_email] }}"
    )
    email["params"].pop("ticket_id")
    graph, issues = apply(_graph(email, DONE), Known())
    step = graph.step("mail")
    assert isinstance(step, DecideStep) and {o.next for o in step.judgement.outcomes} == {"done"}
    assert "never email" in issues[0].message.lower()


# -- branches, duplicates, reads ---------------------------------------------------------------------


def test_branches_before_an_unsure_one_stay_automated_and_the_rest_go_to_a_person_in_order():
    read = {
        "key": "account",
        "kind": "gather",
        "title": "Find the account",
        "instruction": "Look up the account in Salesforce.",
        "operation": "salesforce.query_account",
        "params": {"email": "{{ case.requester_email }}"},
        "save_as": "account",
        "next": "route",
    }
    decide = {
        "key": "route",
        "kind": "decide",
        "title": "Route",
        "instruction": "Enterprise accounts: tag ent. Mood Gold: tag gold.",
        "branches": [
            {"when": 'account.plan == "Enterprise"', "next": "ent", "label": "Enterprise accounts"},
            {"when": 'case.fields.mood == "Gold"', "next": "gold", "label": "Mood Gold"},
        ],
        "otherwise": "done",
    }
    tags = [_act(k, f"tag {k}", tags=f'{{{{ ["{k}"] }}}}') for k in ("ent", "gold")]
    graph, issues = apply(_graph(read, decide, *tags, DONE), Known())
    route = graph.step("route")
    assert [b.when for b in route.branches] == ['account.plan == "Enterprise"']
    rest = graph.step(route.otherwise)
    assert {o.label: o.next for o in rest.judgement.outcomes} == {"Mood Gold": "gold", "None of these": "done"}
    assert len(issues) == 1 and issues[0].step_key == rest.key


def test_a_second_branch_reading_the_same_as_an_earlier_one_goes_to_a_person():
    decide = {
        "key": "ladder",
        "kind": "decide",
        "title": "Ladder",
        "instruction": "Over $250: tag a. An amount of exactly $250: tag b.",
        "branches": [
            {"when": "case.amount > 250.0", "next": "a", "label": "Over $250"},
            {"when": "case.amount > 250.0", "next": "b", "label": "An amount of exactly $250"},
        ],
        "otherwise": "done",
    }
    tags = [_act(k, f"tag {k}", tags=f'{{{{ ["{k}"] }}}}') for k in ("a", "b")]
    graph, issues = apply(_graph(decide, *tags, DONE), Known())
    assert [b.label for b in graph.step("ladder").branches] == ["Over $250"]
    assert "read the same" in issues[0].message


def test_the_same_action_twice_in_a_row_is_one_step_but_a_follow_up_after_a_wait_stays():
    twice = [
        _act("tag", "Tag the ticket vip.", "tag_2", tags='{{ ["vip"] }}'),
        _act("tag_2", "Tag the ticket vip.", tags='{{ ["vip"] }}'),
    ]
    graph, _ = apply(_graph(*twice, DONE), Known())
    assert [s.key for s in graph.steps] == ["tag", "done"] and graph.step("tag").next == "done"
    wait = {"key": "wait", "kind": "wait", "title": "Wait", "delay": {"days": 7}, "next": "tag_2"}
    again = [twice[0] | {"next": "wait"}, wait, twice[1]]
    graph, _ = apply(_graph(*again, DONE), Known())
    assert sum(isinstance(s, ActStep) for s in graph.steps) == 2


def test_a_read_nothing_uses_and_no_sentence_asks_for_is_dropped():
    read = {
        "key": "tag",
        "kind": "act",
        "title": "Tag",
        "instruction": "Tag the ticket vip.",
        "operation": "zendesk.add_tags",
        "params": {"ticket_id": TICKET, "tags": '{{ ["vip"] }}'},
        "next": "account",
    }
    gather = {
        "key": "account",
        "kind": "gather",
        "title": "Find the account",
        "instruction": "Tag the ticket vip.",
        "operation": "salesforce.query_account",
        "params": {"email": "{{ case.requester_email }}"},
        "save_as": "account",
        "next": "done",
    }
    graph, _ = apply(_graph(read, gather, DONE), Known())
    assert not any(isinstance(s, GatherStep) for s in graph.steps) and graph.step("tag").next == "done"
    asked = gather | {"instruction": "Look up the customer's account in Salesforce."}
    graph, _ = apply(_graph(read, asked, DONE), Known())
    assert any(isinstance(s, GatherStep) for s in graph.steps)


def test_an_exception_in_the_action_s_own_clause_or_a_second_instruction_read_as_a_tag_is_not_sure():
    result = compile_rules("Tag the ticket refund and email finance@example.com, but not for Enterprise accounts.")
    assert [s.operation for s in result.graph.steps if isinstance(s, ActStep)] == ["zendesk.add_tags"]
    assert any(w.code == "unsure" and "but not" in w.message for w in result.warnings)
    tagged = compile_rules("Tag the ticket vip and maybe escalate to Tier 2.")
    assert not any(isinstance(s, ActStep) for s in tagged.graph.steps)


def test_a_description_that_changes_nothing_is_no_automated_check():
    result = compile_rules(
        "Tag the ticket refund.\nCustomers on the Enterprise plan get a dedicated account manager who is emailed."
    )
    assert not any(isinstance(s, DecideStep) and s.branches for s in result.graph.steps)
    assert not any(isinstance(s, GatherStep) for s in result.graph.steps)  # nothing reads the account any more
    described = next(c for c in result.coverage if c.text.startswith("Customers"))
    assert described.status == "not_understood"


def test_a_definitions_or_revision_history_line_is_not_procedure():
    result = compile_rules(
        "Tag the ticket refund.\n\nDefinitions: Escalation means moving the ticket to Tier 2.\n\n"
        "Revision history: v2 added the step to email finance@example.com."
    )
    assert [s.kind for s in result.graph.steps] == ["act", "end"]
    kinds = {c.kind for c in result.coverage if c.status == "non_procedural"}
    assert {"definition", "history"} <= kinds


def test_a_day_count_named_after_the_sentence_s_words_is_asked_for():
    why = unsure_condition("case.fields.pause_length_days > 90", "the member asks for more than 3 months", "", Sure())
    assert why and "named from no words" in why
    result = compile_rules("If the member asks for more than 3 months, tag the ticket long-pause.")
    assert not any(isinstance(s, DecideStep) and s.branches for s in result.graph.steps)
    unnamed = compile_rules("If the item was bought more than 30 days ago, tag the ticket old-order.")
    assert not any(isinstance(s, DecideStep) and s.branches for s in unnamed.graph.steps)  # no field holds it
    named = compile_rules(
        "Inputs: purchase_age_days (days since the purchase).\n\nIf the item was bought more than 30 days ago, tag the ticket old-order."
    )
    branches = [b.when for s in named.graph.steps if isinstance(s, DecideStep) for b in s.branches]
    assert branches == ["case.fields.purchase_age_days > 30"]  # the age the SOP names


def test_the_sure_half_of_a_last_case_stays_automated_and_a_person_answers_the_other_half():
    read = {
        "key": "account",
        "kind": "gather",
        "title": "Find the account",
        "instruction": "Look up the account in Salesforce.",
        "operation": "salesforce.query_account",
        "params": {"email": "{{ case.requester_email }}"},
        "save_as": "account",
        "next": "offer",
    }
    decide = {
        "key": "offer",
        "kind": "decide",
        "title": "Offer",
        "instruction": "Pro customers who are in a bad mood get a retention offer: tag the ticket retain.",
        "branches": [
            {
                "when": '(account.plan == "Pro") && (case.fields.mood == "bad")',
                "next": "retain",
                "label": "Pro customers who are in a bad mood",
            }
        ],
        "otherwise": "done",
    }
    graph, issues = apply(_graph(read, decide, _act("retain", "tag retain", tags='{{ ["retain"] }}'), DONE), Known())
    offer = graph.step("offer")
    assert [b.when for b in offer.branches] == ['account.plan == "Pro"']
    ask = graph.step(offer.branches[0].next)
    assert {o.key: o.next for o in ask.judgement.outcomes} == {"yes": "retain", "no": "done"}
    assert issues[0].step_key == ask.key


def test_an_approval_whose_sentence_has_a_threshold_no_condition_checks_is_asked_for():
    result = compile_rules("For members on the Premium plan, the Retention lead must approve any pause over 1 month.")
    assert not any(isinstance(s, ApproveStep) for s in result.graph.steps)
    assert any(w.code == "unsure" and "over 1" in w.message for w in result.warnings)
    checked = compile_rules("If the refund is over $500, the Billing manager must approve it.")
    assert any(isinstance(s, ApproveStep) for s in checked.graph.steps)


def test_criteria_under_a_lead_in_are_read_where_they_are_written():
    source = "1. Tag the ticket review if any of the following apply:\n   - the amount is over $500\n   - the ticket is tagged vip\n"
    result = compile_rules(source)
    assert not [w for w in result.warnings if w.code == "unsure"]
    assert any(isinstance(s, DecideStep) and s.branches for s in result.graph.steps)


def test_a_case_whose_list_of_alternatives_goes_on_after_the_condition_is_asked_for():
    cel = 'case.subject.matches("(?i)gas smell") || case.description.matches("(?i)gas smell")'
    sentence = "If the customer mentions a gas smell, a CO alarm or scorch marks, do not book anything."
    why = unsure_condition(cel, "the customer mentions a gas smell", sentence, Sure())
    assert why and "a CO alarm or scorch marks" in why
    assert (
        unsure_condition(
            cel, "the customer mentions a gas smell", "If the customer mentions a gas smell, stop.", Sure()
        )
        is None
    )


def test_a_wait_for_an_event_that_only_waits_for_time_is_asked_for():
    wait = {
        "key": "wait",
        "kind": "wait",
        "title": "Wait until 5 business days",
        "instruction": "Wait for the ITOPS issue to be done, for up to 5 business days after the last day.",
        "delay": {"days": 5, "business": True},
        "next": "done",
    }
    graph, issues = apply(_graph(wait, DONE), Known())
    step = graph.step("wait")
    assert isinstance(step, DecideStep) and {o.next for o in step.judgement.outcomes} == {"done"}
    assert "issue.done" in issues[0].message
    timed = wait | {"instruction": "Wait 5 business days, then close the ticket."}
    graph, issues = apply(_graph(timed, DONE), Known())
    assert isinstance(graph.step("wait"), WaitStep) and not issues

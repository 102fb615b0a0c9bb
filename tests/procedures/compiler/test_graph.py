"""Stage 4–5: structure becomes the right graph, and every sentence is accounted for."""

from __future__ import annotations

from collections import Counter

from procedures.compiler import compile_source
from procedures.compiler.validate import graph_warnings
from procedures.steps import ActStep, ApproveStep, Branch, DecideStep, EndStep, Graph
from tests.procedures.graph_walk import walk

CASE = {
    "ticket_id": "1",
    "subject": "Refund",
    "url": "https://t/1",
    "requester_email": "c@x.com",
    "organization": "Acme",
    "description": "",
}


def _compile(source: str):
    return compile_source(source, compiler="rules")


def _ops(result) -> set[str]:
    return {s.operation for s in result.graph.steps if isinstance(s, ActStep)}


def test_a_table_becomes_a_decision_table_whose_rows_are_alternatives():
    source = (
        "| Order value | Action |\n|---|---|\n| Under $50 | Reply to the customer that no return is needed |\n"
        "| $50 to $500 | Tag the ticket return-approved |\n| Over $500 | Needs approval from a returns manager |\n"
    )
    result = _compile(source)
    assert walk(result.graph, {**CASE, "amount": 20.0}).ops() == ["zendesk.reply"]
    assert walk(result.graph, {**CASE, "amount": 200.0}).ops() == ["zendesk.add_tags"]
    big = walk(result.graph, {**CASE, "amount": 900.0})
    assert big.ops() == [] and big.outcome == "waiting"
    [approval] = [s for s in result.graph.steps if isinstance(s, ApproveStep)]
    assert approval.role == "Returns managers"


def test_a_ladder_of_ranges_lets_every_rung_fire():
    result = _compile("- $100–500 team lead approves, over $500 manager approves\n- Tag the ticket refund.\n")
    roles = {s.role for s in result.graph.steps if isinstance(s, ApproveStep)}
    assert roles == {"Team leads", "Managers"}
    small = walk(result.graph, {**CASE, "amount": 300.0}, approvals={"Team leads": True})
    large = walk(result.graph, {**CASE, "amount": 800.0}, approvals={"Managers": True})
    assert small.ops() == large.ops() == ["zendesk.add_tags"]
    assert any(s.key.startswith("approve_team") for s in [result.graph.step(k) for k in small.visited])
    assert any(s.key.startswith("approve_managers") for s in [result.graph.step(k) for k in large.visited])


def test_a_wide_rung_written_first_is_moved_after_the_narrow_one():
    result = _compile("- Refunds of $100 or more: tag the ticket review.\n- Refunds over $500: tag the ticket big.\n")
    big = walk(result.graph, {**CASE, "amount": 800.0})
    assert big.calls("zendesk.add_tags")[0]["tags"] == ["big"]
    assert graph_warnings(result.graph) == []


def test_validation_flags_a_branch_that_can_never_be_taken():
    graph = Graph(
        start="d",
        steps=[
            DecideStep(
                key="d",
                title="Amount",
                branches=[Branch(when="case.amount >= 100.0", next="e"), Branch(when="case.amount > 500.0", next="e")],
                otherwise="e",
            ),
            EndStep(key="e", title="Done"),
        ],
    )
    [warning] = graph_warnings(graph)
    assert warning.code == "branch_never_taken" and "case.amount > 500.0" in warning.message


def test_an_input_list_that_mentions_email_sends_no_email():
    source = "Inputs:\n- customer email\n- order number\n\n1. Reply to the customer that we received the return.\n"
    result = _compile(source)
    assert _ops(result) == {"zendesk.reply"}
    kinds = {c.text: c.kind for c in result.coverage if c.status == "non_procedural"}
    assert kinds.get("customer email") == "io_list"


def test_a_title_line_is_non_procedural_and_not_the_start_step():
    result = _compile("Refund requests\n\n- Tag the ticket refund.\n- Close the ticket.\n")
    assert result.graph.title == "Refund requests"
    assert result.graph.step(result.graph.start).kind == "act"
    assert result.coverage[0].status == "non_procedural" and result.coverage[0].kind == "title"


def test_a_never_rule_is_a_question_for_a_person_not_dropped():
    result = _compile("- Tag the ticket refund.\n- Never refund the same account more than twice in 90 days.\n")
    [rule] = [s for s in result.graph.steps if isinstance(s, DecideStep) and s.judgement]
    assert "more than twice in 90 days" in rule.judgement.question
    entry = next(c for c in result.coverage if "twice" in c.text)
    assert entry.status == "not_understood" and rule.key in entry.step_keys


def test_either_way_is_a_join_not_a_condition():
    source = (
        "- Enterprise plan -> tag the ticket vip\n- for any other plan, reply to the customer that we are on it\n"
        "- either way, tag the ticket refund-requested\n"
    )
    result = _compile(source)
    conditions = [b.when for s in result.graph.steps if isinstance(s, DecideStep) for b in s.branches]
    assert conditions == ['account.plan == "Enterprise"']
    for plan in ("Enterprise", "Free"):
        trace = walk(result.graph, CASE, results={"account": {"plan": plan}})
        assert trace.calls("zendesk.add_tags")[-1]["tags"] == ["refund-requested"]


def test_a_wait_for_a_reply_continues_on_the_reply_and_closes_on_the_timeout():
    source = "1. Ask the customer for the order number.\n2. Wait 3 business days; if the customer hasn't replied by then, close as solved.\n3. Tag the ticket answered.\n"
    result = _compile(source)
    replied = walk(result.graph, CASE, events={"customer.replied": [1]})
    silent = walk(result.graph, CASE)
    assert replied.ops()[-1] == "zendesk.add_tags"
    assert silent.outcome == "resolved" and "zendesk.add_tags" not in silent.ops()
    assert silent.calls("zendesk.update_ticket") == [{"ticket_id": "1", "status": "solved"}]  # Zendesk's ticket too


def test_an_if_section_header_scopes_its_steps():
    source = "## If the refund is over $500\n- Tag the ticket big-refund.\n\n## Everyone\n- Reply to the customer that we are on it.\n"
    result = _compile(source)
    assert walk(result.graph, {**CASE, "amount": 900.0}).ops() == ["zendesk.add_tags", "zendesk.reply"]
    assert walk(result.graph, {**CASE, "amount": 90.0}).ops() == ["zendesk.reply"]


def test_numbered_sub_steps_run_in_sequence():
    source = "1. Open a Bug in the Jira project ENG.\n   a. Add the Jira key to the ticket as an internal note.\n   b. Tag the ticket jira-linked.\n"
    result = _compile(source)
    trace = walk(result.graph, CASE, results={"jira": {"key": "ENG-1", "url": "u"}})
    assert trace.ops() == ["jira.create_issue", "zendesk.add_note", "zendesk.add_tags"]


def test_go_to_step_skips_the_steps_in_between():
    source = "1. If the amount is over $500, go to step 3.\n2. Tag the ticket small.\n3. Reply to the customer that we are on it.\n"
    result = _compile(source)
    assert walk(result.graph, {**CASE, "amount": 900.0}).ops() == ["zendesk.reply"]
    assert walk(result.graph, {**CASE, "amount": 9.0}).ops() == ["zendesk.add_tags", "zendesk.reply"]


def test_any_of_the_following_criteria_become_one_condition_or_a_question():
    source = "1. Tag the ticket review if any of the following apply:\n   - the amount is over $500\n   - the ticket is tagged vip\n"
    result = _compile(source)
    assert walk(result.graph, {**CASE, "amount": 900.0, "tags": []}).ops() == ["zendesk.add_tags"]
    assert walk(result.graph, {**CASE, "amount": 9.0, "tags": ["vip"]}).ops() == ["zendesk.add_tags"]
    assert walk(result.graph, {**CASE, "amount": 9.0, "tags": []}).ops() == []


def test_every_sentence_and_row_is_accounted_for_once_in_order():
    source = (
        "# Returns\n\nPurpose: how we handle returns.\n\n1. Look up the customer's account in Salesforce.\n"
        "2. Do the usual dance with the warehouse people.\n\n| Plan | Action |\n|---|---|\n"
        "| Enterprise | Tag the ticket vip |\n\nRevision history\n- v1 2025-01-01 first version\n"
    )
    result = _compile(source)
    starts = [c.span.start for c in result.coverage]
    assert starts == sorted(starts) and len(set(starts)) == len(starts)
    by_text = {c.text: c for c in result.coverage}
    assert by_text["Returns"].kind == "title"
    assert by_text["Purpose: how we handle returns."].kind == "purpose"
    assert by_text["Look up the customer's account in Salesforce."].status == "automated"
    assert by_text["Do the usual dance with the warehouse people."].status == "not_understood"
    assert by_text["Enterprise | Tag the ticket vip"].status == "automated"
    assert by_text["v1 2025-01-01 first version"].status == "non_procedural"


def test_a_195_kb_sop_compiles_and_accounts_for_every_sentence():
    """The size limit's worst case compiles; how long it takes is measured by tests/procedures/bench_editor.py."""
    section = (
        "## If the refund is over $500\n- Tag the ticket big-refund.\n- Email the account owner about the refund.\n\n"
        "## Notes\nThis part is background text that explains what we do and why we do it.\n\n"
    )
    sections = 195_000 // len(section)
    result = _compile("Big SOP\n\n" + section * sections)
    statuses = Counter(entry.status for entry in result.coverage)
    # Each section: the "If" heading and its two actions are automated; the Notes heading and its text are not steps.
    assert statuses == {"automated": 3 * sections, "non_procedural": 2 * sections + 1}


def test_an_otherwise_after_two_branches_of_one_decision_runs_only_when_neither_applies():
    result = _compile(
        "If the amount is over $500, tag the ticket big. If the amount is over $100, tag the ticket medium. "
        "Otherwise reply to the customer."
    )
    assert walk(result.graph, {**CASE, "amount": 900.0}).ops() == ["zendesk.add_tags"]
    assert walk(result.graph, {**CASE, "amount": 200.0}).ops() == ["zendesk.add_tags"]  # not also the reply
    assert walk(result.graph, {**CASE, "amount": 20.0}).ops() == ["zendesk.reply"]

"""The compiler evaluation: strict scoring of compiled graphs against expectations v2, and the command."""

from __future__ import annotations

import json
import re
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from procedures.compiler.base import CompileIssue, CompileResult, SentenceCoverage
from procedures.compiler.evaluation import (
    ExpectationError,
    expectation_check,
    expectation_parse,
    report_text,
    score_result,
)
from procedures.compiler.evaluation.conditions import atoms, condition_tree
from procedures.steps import (
    ActStep,
    ApproveStep,
    Branch,
    DecideStep,
    EndStep,
    Graph,
    Judgement,
    Outcome,
    Span,
)

EVAL_DIR = Path(__file__).parent / "compiler_eval"


def span(source: str, quote: str) -> Span:
    start = source.index(quote)
    return Span(start=start, end=start + len(quote))


def result(*steps, warnings=(), coverage=()) -> CompileResult:
    graph = Graph(start=steps[0].key, steps=list(steps))
    return CompileResult(graph, "rules", "test", warnings=list(warnings), coverage=list(coverage))


def expectation(items, **rest) -> dict:
    return {"version": 2, "items": items, **rest}


def end(key="done", outcome="resolved") -> EndStep:
    return EndStep(key=key, title="Done", outcome=outcome)


JIRA = "Open a Jira task in project OPS for the outage."


def jira_step(project: str, source: str = JIRA) -> ActStep:
    return ActStep(
        key="create_issue",
        title="Jira task",
        operation="jira.create_issue",
        params={"project": project, "issue_type": "Task", "summary": "{{ case.subject }}"},
        span=span(source, source.strip()),
        next="done",
    )


JIRA_EXPECTED = expectation(
    [
        {
            "id": "a1",
            "kind": "action",
            "operation": "jira.create_issue",
            "params": {"project": "OPS"},
            "text": "Open a Jira task in project OPS",
        }
    ]
)


def test_an_action_with_the_right_parameters_is_right():
    score = score_result("ok", result(jira_step("OPS"), end()), expectation_parse(JIRA_EXPECTED), JIRA)
    assert (score.precision, score.recall, score.params, score.automation) == (1.0, 1.0, 1.0, 1.0)
    assert score.wrong == ()


def test_a_wrong_parameter_lowers_precision_and_is_listed_with_why():
    score = score_result("bad", result(jira_step("IT"), end()), expectation_parse(JIRA_EXPECTED), JIRA)
    assert (score.precision, score.recall, score.params) == (0.0, 0.0, 0.0)
    [wrong] = score.wrong
    assert wrong.step == "create_issue"
    assert "project" in wrong.why and "OPS" in wrong.why and "IT" in wrong.why


def test_a_forbidden_operation_is_a_wrong_automated_step():
    source = "Inputs: order id, customer email.\n1. Tag the ticket refund.\n"
    send = ActStep(
        key="send",
        title="Email",
        operation="email.send",
        params={"to": "{{ [case.requester_email] }}", "subject": "x", "body": "y"},
        span=span(source, "Inputs: order id, customer email."),
        next="done",
    )
    data = expectation(
        [{"id": "a1", "kind": "action", "operation": "zendesk.add_tags", "text": "Tag the ticket refund"}],
        forbidden=[{"operation": "email.send", "why": "the input list mentions email"}],
    )
    score = score_result("trap", result(send, end()), expectation_parse(data), source)
    [wrong] = score.wrong
    assert wrong.step == "send" and "forbidden" in wrong.why and "input list" in wrong.why
    assert score.precision == 0.0


def test_a_step_from_non_procedural_text_is_wrong_even_when_its_operation_is_expected():
    source = "Purpose: this page explains when we tag tickets refund.\n1. Tag the ticket refund.\n"
    tags = {"ticket_id": "{{ case.ticket_id }}", "tags": '{{ ["refund"] }}'}
    from_purpose = ActStep(
        key="tag_purpose",
        title="Tag",
        operation="zendesk.add_tags",
        params=tags,
        span=span(source, "Purpose: this page explains when we tag tickets refund."),
        next="tag",
    )
    from_step = ActStep(
        key="tag",
        title="Tag",
        operation="zendesk.add_tags",
        params=tags,
        span=span(source, "Tag the ticket refund."),
        next="done",
    )
    data = expectation(
        [
            {
                "id": "a1",
                "kind": "action",
                "operation": "zendesk.add_tags",
                "params": {"tags": "refund"},
                "text": "Tag the ticket refund",
            }
        ],
        non_procedural=["Purpose: this page explains"],
    )
    score = score_result("np", result(from_purpose, from_step, end()), expectation_parse(data), source)
    assert [(w.step, w.why) for w in score.wrong] == [
        ("tag_purpose", "comes from non-procedural text ('Purpose: this page explains')")
    ]
    assert (score.precision, score.recall) == (0.5, 1.0)


LADDER = "Refunds of $100 to $500 need a team lead's approval. Refunds over $500 need a manager's approval."
LADDER_EXPECTED = expectation(
    [
        {"id": "c1", "kind": "condition", "fact": ["amount"], "op": ">=", "value": 100, "text": "Refunds of $100"},
        {"id": "c2", "kind": "condition", "fact": ["amount"], "op": ">", "value": 500, "text": "Refunds over $500"},
        {"id": "p1", "kind": "approval", "role": "team lead", "text": "need a team lead's approval"},
        {"id": "p2", "kind": "approval", "role": "manager", "text": "need a manager's approval"},
    ],
    allowed=[{"kind": "condition", "fact": ["amount"], "op": "<=", "value": 500}],
    paths=[
        {"given": {"amount": 750}, "reaches": ["p2", "c2"], "not_reaches": ["p1"]},
        {"given": {"amount": 200}, "reaches": ["p1"], "not_reaches": ["p2"]},
    ],
)


def ladder(*rungs: tuple[str, str]) -> CompileResult:
    decide = DecideStep(
        key="amount",
        title="Amount",
        branches=[Branch(when=when, next=target) for when, target in rungs],
        otherwise="done",
        span=span(LADDER, LADDER),
    )
    lead = ApproveStep(
        key="lead", title="Lead", role="Team leads", on_approved="done", on_rejected="done",
        span=span(LADDER, "Refunds of $100 to $500 need a team lead's approval."),
    )  # fmt: skip
    manager = ApproveStep(
        key="manager", title="Manager", role="Managers", on_approved="done", on_rejected="done",
        span=span(LADDER, "Refunds over $500 need a manager's approval."),
    )  # fmt: skip
    return result(decide, lead, manager, end())


def test_a_shadowed_ladder_rung_fails_its_path():
    shadowed = ladder(("case.amount >= 100.0", "lead"), ("case.amount > 500.0", "manager"))
    score = score_result("shadowed", shadowed, expectation_parse(LADDER_EXPECTED), LADDER)
    assert score.branches == 0.5
    [failure] = score.path_failures
    assert "750" in failure and "does not reach p2, c2" in failure and "reaches p1" in failure
    assert score.precision == 1.0  # every comparison is one the text states: only the walk shows the bug


def test_the_correctly_ordered_ladder_passes_every_path():
    ordered = ladder(("case.amount > 500.0", "manager"), ("case.amount >= 100.0 && case.amount <= 500.0", "lead"))
    score = score_result("ordered", ordered, expectation_parse(LADDER_EXPECTED), LADDER)
    assert (score.branches, score.path_failures, score.precision, score.recall) == (1.0, (), 1.0, 1.0)


def test_a_condition_on_a_fact_the_text_does_not_name_is_wrong():
    invented = ladder(("case.amount > 500.0", "manager"), ('case.status == "open"', "lead"))
    score = score_result("invented", invented, expectation_parse(LADDER_EXPECTED), LADDER)
    [wrong] = score.wrong
    assert wrong.step == "amount[2]" and "case.status" in wrong.why


def test_an_approval_by_the_default_role_instead_of_the_named_one_is_wrong_and_says_so():
    wrong_role = ladder(("case.amount > 500.0", "manager"), ("case.amount >= 100.0", "lead"))
    data = json.loads(json.dumps(LADDER_EXPECTED))
    data["items"][2]["role"] = "support lead"
    score = score_result("role", wrong_role, expectation_parse(data), LADDER)
    [wrong] = score.wrong
    assert wrong.step == "lead" and "p1 asks (approval by support lead)" in wrong.why and "Team leads" in wrong.why


def test_an_in_list_split_over_rungs_to_one_step_is_found():
    source = "Critical and high severity reports page the on-call engineer."
    decide = DecideStep(
        key="severity",
        title="Severity",
        branches=[
            Branch(when='case.fields.severity == "critical"', next="done"),
            Branch(when='case.fields.severity == "high"', next="done"),
        ],
        otherwise="done",
        span=span(source, source),
    )
    item = {"id": "c1", "kind": "condition", "fact": ["severity"], "op": "in", "value": ["critical", "high"]}
    data = expectation([{**item, "text": "Critical and high severity reports"}])
    score = score_result("in", result(decide, end()), expectation_parse(data), source)
    assert (score.precision, score.recall) == (1.0, 1.0)


RULE = "Check the order. Never refund the same account more than twice in 90 days."
RULE_EXPECTED = expectation(
    [
        {
            "id": "j1",
            "kind": "person",
            "text": "Never refund the same account more than twice",
            "why": "needs the refund history",
        }
    ]
)


def judgement_over(source: str, quote: str) -> DecideStep:
    return DecideStep(
        key="judge",
        title="Judge",
        judgement=Judgement(
            question=quote,
            outcomes=[Outcome(key="yes", label="Yes", next="done"), Outcome(key="no", label="No", next="done")],
        ),
        span=span(source, quote),
    )


def test_a_sentence_no_step_warning_or_coverage_entry_accounts_for_is_a_silent_drop():
    only_check = DecideStep(
        key="judge",
        title="Check",
        judgement=Judgement(
            question="?", outcomes=[Outcome(key="a", label="A", next="done"), Outcome(key="b", label="B", next="done")]
        ),
        span=span(RULE, "Check the order."),
    )  # fmt: skip
    score = score_result("drop", result(only_check, end()), expectation_parse(RULE_EXPECTED), RULE)
    assert score.silent_drops == ("j1",)
    assert score.recall == 0.0


def test_a_judgement_step_over_the_sentence_is_not_a_drop_and_counts_as_found():
    step = judgement_over(RULE, "Never refund the same account more than twice in 90 days.")
    score = score_result("asked", result(step, end()), expectation_parse(RULE_EXPECTED), RULE)
    assert (score.silent_drops, score.recall, score.questions) == ((), 1.0, 1)
    assert score.precision is None  # nothing automated


def test_a_warning_over_the_sentence_is_not_a_drop():
    warning = CompileIssue("not understood", span=span(RULE, "Never refund the same account"))
    score = score_result("warned", result(end(), warnings=[warning]), expectation_parse(RULE_EXPECTED), RULE)
    assert (score.silent_drops, score.questions, score.recall) == ((), 1, 1.0)


def test_a_non_procedural_coverage_entry_is_not_a_drop_but_not_found_either():
    entry = SentenceCoverage(span=span(RULE, "Never refund the same account"), text="...", status="non_procedural")
    score = score_result("covered", result(end(), coverage=[entry]), expectation_parse(RULE_EXPECTED), RULE)
    assert (score.silent_drops, score.recall) == ((), 0.0)


def test_a_person_item_turned_into_an_automated_action_is_wrong():
    reply = ActStep(
        key="reply",
        title="Reply",
        operation="zendesk.reply",
        params={"ticket_id": "{{ case.ticket_id }}", "body": "Never refund the same account more than twice."},
        span=span(RULE, "Never refund the same account more than twice in 90 days."),
        next="done",
    )
    score = score_result("acted", result(reply, end()), expectation_parse(RULE_EXPECTED), RULE)
    [wrong] = score.wrong
    assert wrong.step == "reply" and wrong.why.startswith("j1 is for a person")
    assert (score.precision, score.recall) == (0.0, 0.0)


def test_conditions_are_read_as_comparisons_with_negation_and_presence():
    found = atoms(condition_tree('!(account.plan == "Enterprise") && !has(case.fields.region) || "vip" in case.tags'))
    assert [(a.fact, a.op, a.value) for a in found] == [
        ("account.plan", "!=", "Enterprise"),
        ("case.fields.region", "exists", False),
        ("case.tags", "contains", "vip"),
    ]


def test_an_expectation_with_mistakes_is_refused_with_every_problem_named():
    with pytest.raises(ExpectationError) as error:
        expectation_parse(
            expectation(
                [{"id": "c1", "kind": "condition", "fact": ["amount"], "op": "~", "text": "x"}],
                paths=[{"given": {}, "reaches": ["zz"]}],
            )
        )
    assert "op '~'" in str(error.value) and "zz" in str(error.value)
    parsed = expectation_parse(JIRA_EXPECTED)
    problems = expectation_check(parsed, "Some other SOP.")
    assert problems == ["item a1: text 'Open a Jira task in project OPS' is not in the SOP"]


def test_the_report_ends_with_pooled_precision_and_recall_overall_and_held_out():
    dev = score_result("01-ok", result(jira_step("OPS"), end()), expectation_parse(JIRA_EXPECTED), JIRA)
    held = score_result(
        "02-bad", result(jira_step("IT"), end()), expectation_parse(JIRA_EXPECTED), JIRA, group="heldout"
    )
    lines = report_text([dev, held]).splitlines()
    assert lines[-2:] == ["overall: precision 0.50 recall 0.50", "held-out: precision 0.00 recall 0.00"]
    assert any("02-bad  create_issue" in line and "project" in line for line in lines)


def _write(directory: Path, name: str, sop: str, data: dict) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / f"{name}.md").write_text(sop)
    (directory / f"{name}.expected.json").write_text(json.dumps(data))


TAG_SOP = "1. Tag the ticket refund-issued.\n2. Close the ticket.\n"


def tag_expected(tag: str) -> dict:
    tag_item = {"id": "a1", "kind": "action", "operation": "zendesk.add_tags", "params": {"tags": tag}}
    return expectation(
        [
            {**tag_item, "text": "Tag the ticket refund-issued"},
            {"id": "e1", "kind": "end", "outcome": "closed", "text": "Close the ticket"},
        ]
    )


TAG_EXPECTED = tag_expected("refund-issued")
WRONG_TAG = tag_expected("other")


@pytest.mark.django_db
def test_evaluate_compiler_prints_the_table_the_wrong_steps_and_the_two_final_lines(tmp_path):
    _write(tmp_path, "01-tag", TAG_SOP, TAG_EXPECTED)
    _write(tmp_path / "heldout", "01-tag-other", TAG_SOP, WRONG_TAG)
    out = StringIO()
    call_command("evaluate_compiler", "--compiler", "rules", "--set", str(tmp_path), stdout=out)
    lines = out.getvalue().strip().splitlines()
    assert lines[-2:] == ["overall: precision 0.50 recall 0.75", "held-out: precision 0.00 recall 0.50"]
    assert any(re.match(r"01-tag\s+1\.00\s+1\.00", line) for line in lines)
    assert any("01-tag-other  add_tags" in line and "wants 'other'" in line for line in lines)


@pytest.mark.django_db
def test_evaluate_compiler_only_dev_reports_held_out_as_not_available(tmp_path):
    _write(tmp_path, "01-tag", TAG_SOP, TAG_EXPECTED)
    _write(tmp_path / "heldout", "01-tag-other", TAG_SOP, WRONG_TAG)
    out = StringIO()
    options = ["--compiler", "rules", "--set", str(tmp_path), "--only", "dev", "--format", "json"]
    call_command("evaluate_compiler", *options, stdout=out)
    report = json.loads(out.getvalue())
    assert [s["name"] for s in report["sops"]] == ["01-tag"]
    assert report["overall"]["precision"] == 1.0 and report["heldout"]["precision"] is None


@pytest.mark.django_db
def test_evaluate_compiler_names_the_expectation_file_with_a_bad_quote(tmp_path):
    bad = expectation([{"id": "a1", "kind": "action", "operation": "zendesk.add_tags", "text": "Tag it with another"}])
    _write(tmp_path, "01-tag", TAG_SOP, bad)
    with pytest.raises(CommandError, match=r"01-tag\.expected\.json: item a1: text 'Tag it with another'"):
        call_command("evaluate_compiler", "--compiler", "rules", "--set", str(tmp_path))


def test_every_evaluation_sop_has_a_valid_v2_expectation_whose_quotes_are_in_the_sop():
    sops = sorted(EVAL_DIR.glob("[0-9]*.md")) + sorted((EVAL_DIR / "heldout").glob("[0-9]*.md"))
    assert len(sops) >= 24
    for sop in sops:
        parsed = expectation_parse(json.loads(sop.with_name(sop.stem + ".expected.json").read_text()))
        assert parsed.items, sop.name
        assert expectation_check(parsed, sop.read_text()) == [], sop.name


# --- repeats of a matched step: exclusive branches vs acting twice ------------------------------------

PLANS = (
    "Ask which plan the customer is on.\n"
    "Enterprise customers get a call back, Pro customers a reply, anyone else the help article.\n"
    "In all cases, solve the ticket.\n"
    "Our office is closed on Sundays.\n"
)
SOLVE_EXPECTED = expectation(
    [
        {
            "id": "a1",
            "kind": "action",
            "operation": "zendesk.update_ticket",
            "params": {"status": "solved"},
            "text": "In all cases, solve the ticket.",
        }
    ]
)


def solve(key: str, quote: str = "In all cases, solve the ticket.", then: str = "done") -> ActStep:
    return ActStep(
        key=key,
        title="Solve",
        operation="zendesk.update_ticket",
        params={"ticket_id": "{{ case.ticket_id }}", "status": "solved"},
        span=span(PLANS, quote),
        next=then,
    )


def three_plans(*targets: str) -> DecideStep:
    """A person says which plan: each outcome leads to its own branch, so no run takes two of them."""
    return DecideStep(
        key="which_plan",
        title="Which plan?",
        judgement=Judgement(
            question="Which plan is the customer on?",
            outcomes=[Outcome(key=f"plan_{n}", label=target, next=target) for n, target in enumerate(targets)],
        ),
        span=span(PLANS, "Ask which plan the customer is on."),
    )


def test_the_same_step_at_the_end_of_each_exclusive_branch_is_right():
    graph = result(
        three_plans("solve_a", "solve_b", "solve_c"), solve("solve_a"), solve("solve_b"), solve("solve_c"), end()
    )
    score = score_result("exclusive", graph, expectation_parse(SOLVE_EXPECTED), PLANS)
    assert score.wrong == ()
    assert (score.automated, score.precision, score.recall) == (3, 1.0, 1.0)


def test_the_same_step_twice_in_one_run_is_a_duplicate():
    graph = result(three_plans("solve_a", "done"), solve("solve_a", then="solve_b"), solve("solve_b"), end())
    score = score_result("twice", graph, expectation_parse(SOLVE_EXPECTED), PLANS)
    [wrong] = score.wrong
    assert wrong.step == "solve_b"
    assert "duplicate" in wrong.why and "a run can execute both" in wrong.why
    assert score.precision == 0.5


def test_a_repeat_that_follows_the_other_after_a_judgement_loops_back_is_a_duplicate():
    """An outcome that leads back counts as an edge: the repeat can run after the first one."""
    ask_again = DecideStep(
        key="ask_again",
        title="Solved?",
        judgement=Judgement(
            question="Did that solve it?",
            outcomes=[Outcome(key="yes", label="Yes", next="done"), Outcome(key="no", label="No", next="which_plan")],
        ),
        span=span(PLANS, "Ask which plan the customer is on."),
    )
    graph = result(
        three_plans("solve_a", "solve_b"), solve("solve_a", then="ask_again"), solve("solve_b"), ask_again, end()
    )
    score = score_result("loop", graph, expectation_parse(SOLVE_EXPECTED), PLANS)
    assert [w.step for w in score.wrong] == ["solve_b"]
    assert "a run can execute both" in score.wrong[0].why


def test_a_repeat_on_an_exclusive_branch_from_a_sentence_that_asks_for_no_such_step_is_wrong():
    graph = result(
        three_plans("solve_a", "solve_b"),
        solve("solve_a"),
        solve("solve_b", quote="Our office is closed on Sundays."),
        end(),
    )
    score = score_result("unrelated", graph, expectation_parse(SOLVE_EXPECTED), PLANS)
    [wrong] = score.wrong
    assert wrong.step == "solve_b"
    assert "duplicate" in wrong.why and "sentence that asks for no such step" in wrong.why
    assert score.precision == 0.5


def test_a_repeat_over_another_sentence_quoted_by_an_item_with_the_same_expectation_is_right():
    source = PLANS + "Once the call back is done, solve the ticket.\n"
    data = expectation(
        [
            *SOLVE_EXPECTED["items"],
            {
                "id": "a2",
                "kind": "action",
                "operation": "zendesk.update_ticket",
                "params": {"status": "solved"},
                "text": "Once the call back is done, solve the ticket.",
            },
        ]
    )
    later = "Once the call back is done, solve the ticket."
    callback_solves = [solve(key).model_copy(update={"span": span(source, later)}) for key in ("solve_b", "solve_c")]
    graph = result(three_plans("solve_a", "solve_b", "solve_c"), solve("solve_a"), *callback_solves, end())
    score = score_result("quoted", graph, expectation_parse(data), source)
    assert score.wrong == ()
    assert (score.automated, score.precision, score.recall) == (3, 1.0, 1.0)


def test_an_approval_by_the_same_role_on_two_exclusive_rungs_is_right():
    source = "Refunds of $100 to $500 need the team lead's approval; over $500 the team lead and the manager approve.\n"
    data = expectation(
        [
            {"id": "c1", "kind": "condition", "fact": "amount", "op": ">", "value": 500, "text": "over $500"},
            {"id": "c2", "kind": "condition", "fact": "amount", "op": ">=", "value": 100, "text": "$100 to $500"},
            {"id": "p1", "kind": "approval", "role": "team lead", "text": "need the team lead's approval"},
            {"id": "p2", "kind": "approval", "role": "manager", "text": "the team lead and the manager approve"},
        ]
    )
    whole = span(source, source.strip())
    decide = DecideStep(
        key="amount",
        title="Amount",
        branches=[
            Branch(when="case.fields.amount > 500", next="lead_high"),
            Branch(when="case.fields.amount >= 100", next="lead_low"),
        ],
        otherwise="done",
        span=whole,
    )
    lead_low = ApproveStep(key="lead_low", title="Lead", role="Team lead", on_approved="done", span=whole)
    lead_high = ApproveStep(key="lead_high", title="Lead", role="Team lead", on_approved="manager", span=whole)
    manager = ApproveStep(key="manager", title="Manager", role="Manager", on_approved="done", span=whole)
    score = score_result("rungs", result(decide, lead_low, lead_high, manager, end()), expectation_parse(data), source)
    assert score.wrong == ()
    assert (score.automated, score.precision) == (5, 1.0)


def _note(key: str, body: str, source: str, sentence: str, next_key: str = "done") -> ActStep:
    return ActStep(
        key=key,
        title="Note",
        operation="zendesk.add_note",
        params={"ticket_id": "{{ case.ticket_id }}", "body": body},
        instruction=sentence,
        span=span(source, sentence),
        next=next_key,
    )


def test_a_message_that_is_the_sops_own_sentence_is_a_wrong_automated_step():
    pasted = "Add an internal note with the old and new ICCID."
    quoted = 'Add an internal note: "Customer verified by SMS code."'
    source = f"1. {pasted}\n2. {quoted}\n"
    data = expectation(
        [
            {"id": "a1", "kind": "action", "operation": "zendesk.add_note", "text": pasted[:-1]},
            {"id": "a2", "kind": "action", "operation": "zendesk.add_note", "text": quoted},
        ]
    )
    graph = result(
        _note("note", pasted, source, pasted, next_key="note_2"),
        _note("note_2", "Customer verified by SMS code.", source, quoted),
        end(),
    )
    score = score_result("pasted", graph, expectation_parse(data), source)
    [wrong] = score.wrong
    assert wrong.step == "note" and "SOP's own sentence as its body" in wrong.why
    assert score.right == 1, "a note carrying the text the SOP quotes is right"


RUNGS = "Days overdue: under 2 days, no action. 2 to 5 days, send a reminder. 15 or more days, call the customer."
RUNGS_EXPECTED = expectation(
    [
        {"id": "c1", "kind": "condition", "fact": ["days"], "op": "<", "value": 2, "text": "under 2 days"},
        {"id": "c2", "kind": "condition", "fact": ["days"], "op": "<=", "value": 5, "text": "2 to 5 days"},
        {"id": "c3", "kind": "condition", "fact": ["days"], "op": ">", "value": 14, "text": "15 or more days"},
    ]
)


def rungs(*conditions: str) -> CompileResult:
    decide = DecideStep(
        key="days",
        title="Days overdue",
        branches=[Branch(when=when, next="done") for when in conditions],
        otherwise="done",
        span=span(RUNGS, RUNGS),
    )
    return result(decide, end())


def test_a_rung_bound_written_as_the_complement_of_the_rung_before_is_a_stated_condition():
    compiled = rungs("case.fields.days >= 15", "case.fields.days >= 2 && case.fields.days <= 5")
    score = score_result("complements", compiled, expectation_parse(RUNGS_EXPECTED), RUNGS)
    assert score.wrong == () and score.precision == 1.0


def test_a_bound_the_text_does_not_state_is_still_wrong_on_either_side():
    compiled = rungs("case.fields.days >= 3", "case.fields.days > 16")
    score = score_result("unstated", compiled, expectation_parse(RUNGS_EXPECTED), RUNGS)
    assert [w.step for w in score.wrong] == ["days[1]", "days[2]"]
    assert "`case.fields.days >= 3` matches no expected condition" in score.wrong[0].why


def test_an_equality_test_gets_no_complement_licence():
    compiled = rungs('case.fields.days != "2"')
    data = expectation(
        [{"id": "c1", "kind": "condition", "fact": ["days"], "op": "==", "value": "2", "text": "under 2 days"}]
    )
    score = score_result("equality", compiled, expectation_parse(data), RUNGS)
    assert [w.step for w in score.wrong] == ["days[1]"]

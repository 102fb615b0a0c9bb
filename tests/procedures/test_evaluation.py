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
    Judgement,
    Outcome,
)
from tests.procedures.evaluation_support import end, expectation, result, span

EVAL_DIR = Path(__file__).parent / "compiler_eval"


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

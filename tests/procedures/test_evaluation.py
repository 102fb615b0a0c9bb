"""The compiler evaluation: scoring against hand-checked expectations, and the command's table."""

from __future__ import annotations

import json
import re
from io import StringIO
from pathlib import Path

from django.core.management import call_command

from procedures.compiler.evaluation import atoms_of, condition_matches, score_graph, table
from procedures.steps import parse

EVAL_DIR = Path(__file__).parent / "compiler_eval"

GRAPH = parse(
    {
        "start": "account",
        "steps": [
            {
                "kind": "gather",
                "key": "account",
                "title": "Account",
                "operation": "salesforce.query_account",
                "params": {"email": "{{ case.requester_email }}"},
                "save_as": "account",
                "next": "is_free",
            },
            {
                "kind": "decide",
                "key": "is_free",
                "title": "Free?",
                "branches": [{"when": 'account.plan == "Free"', "next": "reply"}],
                "otherwise": "bug",
            },
            {
                "kind": "act",
                "key": "reply",
                "title": "Reply",
                "operation": "zendesk.reply",
                "params": {"ticket_id": "{{ case.ticket_id }}", "body": "Logged."},
                "next": "stop",
            },
            {"kind": "end", "key": "stop", "title": "Stop", "outcome": "stopped"},
            {
                "kind": "act",
                "key": "bug",
                "title": "Bug",
                "operation": "jira.create_issue",
                "params": {"project": "ENG", "summary": "{{ case.subject }}"},
                "next": "done",
            },
            {"kind": "end", "key": "done", "title": "Done"},
        ],
    }
)

FREE = {"fact": ["plan"], "op": "==", "value": "Free"}


def test_atoms_are_read_from_cel_conditions():
    atoms = atoms_of('case.amount > 5000.0 && "vip" in case.tags && account.plan in ["Pro", "Enterprise"]')
    assert {(a.fact, a.op, a.values) for a in atoms} == {
        ("case.amount", ">", (5000.0,)),
        ("case.tags", "contains", ("vip",)),
        ("account.plan", "in", ("Pro", "Enterprise")),
    }


def test_condition_needs_the_right_fact_operator_and_value():
    [atom] = atoms_of("case.amount > 5000.0")
    assert condition_matches({"fact": ["amount"], "op": ">", "value": 5000}, atom)
    assert not condition_matches({"fact": ["amount"], "op": ">=", "value": 5000}, atom)
    assert not condition_matches({"fact": ["amount"], "op": ">", "value": 500}, atom)
    assert not condition_matches({"fact": ["plan"], "op": ">", "value": 5000}, atom)


def test_a_graph_that_meets_every_expectation_scores_one():
    expected = {
        "gathers": [{"operation": "salesforce.query_account"}],
        "conditions": [FREE],
        "actions": [{"operation": "jira.create_issue", "params": {"project": "ENG"}}, {"operation": "zendesk.reply"}],
        "ends": ["stopped"],
        "branches": [
            {
                "if": FREE,
                "then": ["zendesk.reply", "end:stopped"],
                "not_then": ["jira.create_issue"],
                "else": ["jira.create_issue"],
            }
        ],
    }
    score = score_graph("ok", GRAPH, expected)
    assert (score.steps, score.conditions, score.actions, score.branches, score.total) == (1.0, 1.0, 1.0, 1.0, 1.0)


def test_missing_and_wrong_elements_lower_each_score():
    expected = {
        "conditions": [FREE, {"fact": ["plan"], "op": "==", "value": "Enterprise"}],
        "actions": [{"operation": "jira.create_issue", "params": {"project": "OPS"}}, {"operation": "email.send"}],
        "waits": [{"delay": {"days": 7}}],
        "branches": [{"if": FREE, "then": ["jira.create_issue"]}],
    }
    score = score_graph("bad", GRAPH, expected)
    assert score.conditions == 0.5
    assert score.actions == 0.25  # right operation with wrong project: half; missing email: nothing
    assert score.steps == 0.5 / 3  # half for the Jira issue, nothing for the email or the wait
    assert score.branches == 0.0


def test_table_ends_with_the_overall_line():
    scores = [score_graph("a", GRAPH, {"conditions": [FREE]}), score_graph("b", GRAPH, {"ends": ["closed"]})]
    assert table(scores).splitlines()[-1] == "overall: 0.50"


def test_every_evaluation_sop_has_a_valid_expectation_file():
    sops = sorted(EVAL_DIR.glob("[0-9]*.md"))
    assert len(sops) >= 20
    for sop in sops:
        expected = json.loads(sop.with_name(sop.stem + ".expected.json").read_text())
        assert expected.get("actions") or expected.get("conditions"), sop.name
        assert "## Must find" not in sop.read_text()


def test_evaluate_compiler_prints_a_row_per_sop_and_the_overall_score():
    out = StringIO()
    call_command("evaluate_compiler", "--compiler", "rules", stdout=out)
    lines = out.getvalue().strip().splitlines()
    assert re.fullmatch(r"overall: [01]\.\d\d", lines[-1])
    assert len(lines) == 1 + len(list(EVAL_DIR.glob("*.expected.json"))) + 1
    assert any(line.startswith("11-escalation") and line.rstrip().endswith("1.00") for line in lines)


def test_evaluate_compiler_scores_a_set_from_another_directory(tmp_path):
    (tmp_path / "01-x.md").write_text("1. Reply to the customer that we are on it.\n2. Close the ticket.\n")
    (tmp_path / "01-x.expected.json").write_text(
        json.dumps({"actions": [{"operation": "zendesk.reply"}], "ends": ["closed"]})
    )
    out = StringIO()
    call_command("evaluate_compiler", "--compiler", "rules", "--set", str(tmp_path), stdout=out)
    assert out.getvalue().strip().splitlines()[-1] == "overall: 1.00"

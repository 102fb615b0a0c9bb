"""Scoring repeats of a matched step, messages that are the SOP's own sentence, and ladder bounds."""

from __future__ import annotations

from procedures.compiler.base import CompileResult
from procedures.compiler.evaluation import (
    expectation_parse,
    score_result,
)
from procedures.steps import (
    ActStep,
    ApproveStep,
    Branch,
    DecideStep,
    Judgement,
    Outcome,
)
from tests.procedures.evaluation_support import end, expectation, result, span

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

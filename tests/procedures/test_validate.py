"""validate_graph: every error names the step and carries its source span."""

from __future__ import annotations

from procedures.compiler.validate import expression_roots, validate_graph
from procedures.steps import parse

SOURCE = "1. Look up the account.\n2. If Enterprise, email the owner.\n"


def _graph(*steps, start=None):
    return parse({"start": start or steps[0]["key"], "steps": list(steps)})


def _gather(key="account_lookup", next_=None, **extra):
    step = {
        "kind": "gather",
        "key": key,
        "title": "Find the account",
        "operation": "salesforce.query_account",
        "params": {"email": "{{ case.requester_email }}"},
        "save_as": "account",
        "span": {"start": 3, "end": 23},
    }
    if next_:
        step["next"] = next_
    return {**step, **extra}


def _end(key="done"):
    return {"kind": "end", "key": key, "title": "Done"}


def _decide(key, when, next_, otherwise="done"):
    return {
        "kind": "decide",
        "key": key,
        "title": "Check",
        "branches": [{"when": when, "next": next_}],
        "otherwise": otherwise,
        "span": {"start": 27, "end": 58},
    }


def _codes(errors):
    return sorted(e.code for e in errors)


def test_sound_graph_has_no_errors():
    graph = _graph(
        _gather(next_="is_enterprise"), _decide("is_enterprise", 'account.plan == "Enterprise"', "done"), _end()
    )
    assert validate_graph(graph, source=SOURCE) == []


def test_bad_cel_condition_is_an_error_naming_the_step_and_its_sentence():
    graph = _graph(_gather(next_="is_enterprise"), _decide("is_enterprise", "account.plan ==", "done"), _end())
    [error] = validate_graph(graph, source=SOURCE)
    assert error.code == "cel_syntax"
    assert error.step_key == "is_enterprise"
    assert error.span.start == 27
    assert error.excerpt == SOURCE[27:58] == "If Enterprise, email the owner."
    assert "is_enterprise" in error.message


def test_bad_cel_in_a_parameter_template_is_an_error():
    act = {"kind": "act", "key": "reply", "title": "Reply", "operation": "zendesk.reply", "next": "done"}
    act["params"] = {"ticket_id": "{{ case.ticket_id }}", "body": "Hello {{ case.requester_name + }}"}
    assert _codes(validate_graph(_graph(act, _end()))) == ["cel_syntax"]


def test_fact_read_before_any_step_gathers_it_is_an_error():
    graph = _graph(_decide("is_enterprise", 'account.plan == "Enterprise"', "done"), _end())
    [error] = validate_graph(graph)
    assert error.code == "unknown_fact"
    assert "'account'" in error.message


def test_fact_gathered_on_only_one_branch_is_not_visible_after_the_join():
    steps = [
        _decide("big", "case.amount > 5000.0", "account_lookup", otherwise="reply"),
        _gather(next_="reply"),
        {
            "kind": "act",
            "key": "reply",
            "title": "Reply",
            "operation": "zendesk.reply",
            "params": {"ticket_id": "{{ case.ticket_id }}", "body": "Plan {{ account.plan }}"},
            "next": "done",
        },
        _end(),
    ]
    errors = validate_graph(_graph(*steps))
    assert _codes(errors) == ["unknown_fact"]
    assert errors[0].step_key == "reply"
    assert "only produced on some paths" in errors[0].message


def test_attribute_the_operation_does_not_return_is_an_error():
    graph = _graph(
        _gather(next_="is_enterprise"), _decide("is_enterprise", 'account.tier_level == "x"', "done"), _end()
    )
    [error] = validate_graph(graph)
    assert error.code == "unknown_fact"
    assert "account.tier_level" in error.message


def test_unknown_case_fact_is_an_error_but_custom_fields_are_free():
    ok = _graph(_decide("check", 'case.fields.anything == "x"', "done"), _end())
    bad = _graph(_decide("check", 'case.colour == "red"', "done"), _end())
    assert validate_graph(ok) == []
    assert _codes(validate_graph(bad)) == ["unknown_fact"]


def test_comprehension_variables_are_not_facts():
    assert expression_roots('case.attachments.filter(a, a.kind == "photo").map(a, a.url)') == {"case"}


def test_unknown_operation_and_bad_params_are_errors():
    unknown = {"kind": "act", "key": "fax", "title": "Fax it", "operation": "fax.send", "next": "done"}
    bad = {
        "kind": "act",
        "key": "reply",
        "title": "Reply",
        "operation": "zendesk.reply",
        "params": {"ticket": "{{ case.ticket_id }}"},
        "next": "done",
    }
    errors = validate_graph(_graph(unknown, bad, _end(), start="fax"))
    assert ("fax", "unknown_operation") in [(e.step_key, e.code) for e in errors]
    messages = [e.message for e in errors if e.step_key == "reply"]
    assert any("unknown parameter 'ticket'" in m for m in messages)
    assert any("missing required parameter 'body'" in m for m in messages)


def test_branch_to_a_missing_step_is_an_error():
    graph = _graph(_decide("check", "case.amount > 1.0", "nowhere"), _end())
    [error] = validate_graph(graph)
    assert (error.code, error.step_key) == ("missing_target", "check")


def test_unreachable_step_is_an_error():
    graph = _graph(_end(), _end("orphan"))
    [error] = validate_graph(graph)
    assert (error.code, error.step_key) == ("unreachable", "orphan")


def test_loop_without_a_wait_is_an_error_and_with_a_wait_is_allowed():
    spin = _graph(_gather(next_="check"), _decide("check", 'account.plan == "Free"', "account_lookup"), _end())
    assert "loop_without_wait" in _codes(validate_graph(spin))
    wait = {"kind": "wait", "key": "pause", "title": "Wait", "delay": {"days": 1}, "next": "account_lookup"}
    ok = _graph(_gather(next_="check"), _decide("check", 'account.plan == "Free"', "pause"), wait, _end())
    assert validate_graph(ok) == []


def test_duplicate_step_keys_are_an_error():
    graph = _graph(_gather(next_="done"), _end(), _end())
    assert "duplicate_key" in _codes(validate_graph(graph))


def test_wait_anchored_to_a_step_that_never_runs_before_it_is_an_error():
    wait = {"kind": "wait", "key": "pause", "title": "Wait", "delay": {"days": 7}, "anchor": "done", "next": "done"}
    [error] = validate_graph(_graph(wait, _end()))
    assert (error.code, error.step_key) == ("bad_anchor", "pause")


def test_judgement_facts_must_be_visible():
    judge = {
        "kind": "decide",
        "key": "ask",
        "title": "Ask",
        "judgement": {
            "question": "Is the customer upset?",
            "outcomes": [{"key": "yes", "label": "Yes", "next": "done"}, {"key": "no", "label": "No", "next": "done"}],
            "facts": ["account.plan", "case.description"],
        },
    }
    [error] = validate_graph(_graph(judge, _end()))
    assert error.code == "unknown_fact" and "account.plan" in error.message

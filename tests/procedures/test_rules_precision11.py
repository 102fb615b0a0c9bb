"""Eleventh round (issue 11): a name-like parameter (group, tag, project, status) must be the name the sentence
writes — not a number from a table row, a word of a longer name, an abbreviation written out or a negated
word — and a ticket update must set what its sentence sets. Otherwise a person is asked."""

from __future__ import annotations

from procedures.compiler import compile_source
from procedures.compiler.rules.exact_names import field_left_out, not_as_written
from procedures.steps import ActStep


def _automated(source: str, operation: str) -> list[ActStep]:
    result = compile_source(source, compiler="rules")
    return [s for s in result.graph.steps if isinstance(s, ActStep) and s.operation == operation]


def test_a_number_is_not_a_group_name():
    why = not_as_written("group", "3", "2–3 | Send the ticket to the Claims Desk group.")
    assert why and "number" in why


def test_a_word_of_a_longer_group_name_is_not_the_group():
    why = not_as_written("group", "Desk", "If the caller disputes it, route the ticket to Level 3 Desk.")
    assert why and "Level 3 Desk" in why
    assert not_as_written("group", "Claims Desk", "Route the ticket to the Claims Desk group.") is None
    assert not_as_written("group", "Claims", "Assign it to Claims. Then wait.") is None


def test_a_tag_must_be_written_as_the_sentence_writes_it():
    why = not_as_written("tag", "replacement-unit", "tag repl-unit and reply with the courier label")
    assert why and "not written" in why
    assert not_as_written("tag", "repl-unit", "tag repl-unit and reply with the courier label") is None


def test_a_negated_word_is_not_a_tag():
    why = not_as_written("tag", "refund", "tag late-delivery, no refund, reply w/ apology")
    assert why and "negates" in why
    assert not_as_written("tag", "refund", "tag refund and reply") is None


def test_a_ticket_update_must_set_what_its_sentence_sets():
    assert field_left_out("zendesk.update_ticket", {"ticket_id": "{{ case.ticket_id }}"}, "update the ticket")
    why = field_left_out("zendesk.update_ticket", {"group": "Returns"}, "move to Returns, set the ticket to pending")
    assert why and "pending" in why
    assert field_left_out("zendesk.update_ticket", {"status": "pending"}, "set the ticket to pending") is None


def test_a_configured_group_inside_a_longer_name_goes_to_a_person():
    source = "1. If the customer asks to cancel, set the ticket to pending and assign it to Level 3 Support.\n"
    result = compile_source(source, compiler="rules")
    groups = [s.params.get("group") for s in result.graph.steps if isinstance(s, ActStep)]
    assert "Support" not in groups
    assert any("Level 3 Support" in w.message for w in result.warnings)


def test_rows_of_a_band_table_keep_their_group_names():
    source = (
        "1. Route by band:\n\n| Band | Action |\n|---|---|\n"
        "| 1–2 | Assign the ticket to the Standard Lending group. |\n"
        "| 3–4 | Assign the ticket to the Credit Review group. |\n"
    )
    groups = [s.params.get("group") for s in _automated(source, "zendesk.update_ticket")]
    assert groups == ["Standard Lending", "Credit Review"]


def test_an_abbreviated_tag_is_not_written_out():
    source = "Abbreviations: rpl = replacement\n\n1. If the unit is dead on arrival, tag rpl-needed and reply.\n"
    tags = [s.params.get("tags", "") for s in _automated(source, "zendesk.add_tags")]
    assert not [t for t in tags if "replacement" in t]


def test_a_priority_set_after_a_sentence_that_runs_over_a_line_goes_to_a_person():
    source = (
        "1. Create a Jira issue in project OPS, issue type Outage, with the ticket subject as\n"
        "   the summary. Set the priority by the number of sites down:\n"
        "   - one site: Medium\n   - more than one: High\n"
    )
    result = compile_source(source, compiler="rules")
    assert not [s for s in result.graph.steps if isinstance(s, ActStep) and s.operation == "jira.create_issue"]
    assert any("sets its priority" in w.message for w in result.warnings)

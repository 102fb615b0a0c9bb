"""Stage 2: sentences and what kind of text each one is."""

from __future__ import annotations

import pytest

from procedures.compiler.rules.document import Segment, section_kind
from procedures.compiler.rules.sentences import is_title, kind_of, split


def test_abbreviations_and_amounts_do_not_cut_a_sentence():
    text = "Use a tag, e.g. VIP. Refund $1.50 now! Then close it."
    assert [s.text for s in split(Segment(text, 10, 10 + len(text)))] == [
        "Use a tag, e.g. VIP.",
        "Refund $1.50 now!",
        "Then close it.",
    ]


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("Inputs: customer email, order number", "io_list"),
        ("Purpose: how we handle refunds", "purpose"),
        ("This document describes how the support team handles returns.", "purpose"),
        ("RPO means the recovery point objective.", "definition"),
        ("Be friendly and use plain language.", "tone"),
        ('{"alert": "db-primary-down"}', "code"),
        ("Page view analytics are reviewed weekly by the product team.", "note"),
        ("Check the order value against the table below.", "reference"),
    ],
)
def test_non_procedural_sentences_are_recognised(text, kind):
    assert kind_of(text) == kind


@pytest.mark.parametrize(
    "text",
    ["Email the customer the return label.", "If the amount is over $500, ask a manager.", "Never refund twice."],
)
def test_procedure_is_not_classified_away(text):
    assert kind_of(text) == ""


def test_section_headings_give_their_kind_to_the_section():
    assert section_kind("Revision history") == "history"
    assert section_kind("## Inputs and outputs") == "io_list"
    assert section_kind("Example alert") == "example"
    assert section_kind("Escalation") == ""


def test_a_short_name_is_a_title_and_a_condition_is_not():
    assert is_title("Refund requests (rough notes)")
    assert not is_title("If the order is late")


def test_a_bold_sentence_ends_at_its_closing_marks():
    from procedures.compiler.rules.document import Segment
    from procedures.compiler.rules.sentences import split

    text = "**Confirm it is an IP report.** If the ticket is not tagged ip-report, stop."
    assert [s.text for s in split(Segment(text, 0, len(text)))] == [
        "**Confirm it is an IP report.**",
        "If the ticket is not tagged ip-report, stop.",
    ]

"""Issue 11: a range of the case amount keeps both bounds, or asks; never one wrong bound."""

from __future__ import annotations

import pytest

from procedures.compiler.rules.conditions import condition
from procedures.compiler.rules.vocabulary import Known


@pytest.mark.parametrize(
    ("text", "cel"),
    [
        ("amount is more than 12 and up to 24", "case.amount > 12.0 && case.amount <= 24.0"),
        ("the amount is over 12 and up to 24", "case.amount > 12.0 && case.amount <= 24.0"),
        ("amount is above 12 but no more than 24", "case.amount > 12.0 && case.amount <= 24.0"),
        ("amount is between 12 and 24", "case.amount >= 12.0 && case.amount <= 24.0"),
        ("amount is 12 to 24", "case.amount >= 12.0 && case.amount <= 24.0"),
        ("the order amount is between 1,000 and 2,500", "case.amount >= 1000.0 && case.amount <= 2500.0"),
        ("amount is more than $12 and up to $24", "case.amount > 12.0 && case.amount <= 24.0"),
        ("over $12 but no more than $24", "case.amount > 12.0 && case.amount <= 24.0"),
        ("between $12 and $24", "case.amount >= 12.0 && case.amount <= 24.0"),
        ("$12 to $24", "case.amount >= 12.0 && case.amount <= 24.0"),
        ("from $25 up to and including $500", "case.amount >= 25.0 && case.amount <= 500.0"),
    ],
)
def test_a_written_amount_range_keeps_both_bounds(db, text, cel):
    found = condition(text, Known())
    assert found is not None and found.cel == cel


@pytest.mark.parametrize(
    "text",
    [
        "amount is more than 12 kg and up to 24 kg",  # a unit that is not money: not the case amount
        "more than 12 and up to 24 days",
        "over 12 and up to 24",  # nothing says these numbers are the amount
    ],
)
def test_a_range_the_rules_cannot_read_for_certain_is_a_question(db, text):
    assert condition(text, Known()) is None


def test_a_single_bound_still_reads_as_one_comparison(db):
    assert condition("amount is over 500", Known()).cel == "case.amount > 500.0"

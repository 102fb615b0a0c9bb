"""A reply the SOP quotes is sent whole: full stops inside the quotation do not end the sentence, curly quotes
end it like straight ones, and an apostrophe ("We're") is not a quotation mark."""

from __future__ import annotations

import pytest

from procedures.compiler import compile_source
from procedures.steps import ActStep


def _compiled(source: str):
    result = compile_source(source, compiler="rules")
    acts = {s.operation: s for s in result.graph.steps if isinstance(s, ActStep)}
    return acts, [entry.text for entry in result.coverage]


@pytest.mark.parametrize(
    ("open_", "close"),
    [('"', '"'), ("\u201c", "\u201d")],
    ids=["straight", "curly"],
)
def test_a_quoted_reply_of_two_sentences_is_sent_whole_and_the_next_sentence_still_runs(open_, close):
    acts, sentences = _compiled(
        "1. Tag the ticket damaged.\n"
        f"2. Reply to the customer: {open_}We're sorry it arrived damaged. A replacement is on its way.{close}\n"
        "   Then solve the ticket.\n"
    )
    assert acts["zendesk.reply"].params["body"] == "We're sorry it arrived damaged. A replacement is on its way."
    assert acts["zendesk.update_ticket"].params["status"] == "solved"
    assert "Then solve the ticket." in sentences
    assert not any(s.startswith("A replacement") for s in sentences), "the quote is not cut into two sentences"


def test_a_reply_written_after_a_colon_sends_what_follows_the_colon():
    acts, _ = _compiled("1. Tag the ticket vip.\n2. Otherwise reply to the customer: Thanks, we are on it.\n")
    assert acts["zendesk.reply"].params["body"].startswith("Thanks, we are on it")

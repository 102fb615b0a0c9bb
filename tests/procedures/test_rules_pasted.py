"""A note, comment or email whose text would be its own SOP sentence is a person's step (issue 11: message
bodies are composed or quoted, never the SOP sentence pasted in)."""

from __future__ import annotations

from procedures.compiler import compile_source
from procedures.steps import ActStep


def _notes(source: str) -> tuple[list[ActStep], object]:
    result = compile_source(source, compiler="rules")
    return [s for s in result.graph.steps if isinstance(s, ActStep) and s.operation == "zendesk.add_note"], result


def test_a_note_that_would_be_its_own_sentence_is_written_by_a_person():
    notes, result = _notes("1. Tag the ticket sim-swap.\n2. Add an internal note with the old and new SIM numbers.\n")
    assert notes == []
    assert any("word for word" in w.message for w in result.warnings)


def test_a_note_the_sop_quotes_is_still_automated():
    notes, _ = _notes('1. Tag the ticket sim-swap.\n2. Add an internal note: "Customer verified by SMS code."\n')
    [note] = notes
    assert "Customer verified by SMS code" in note.params["body"]

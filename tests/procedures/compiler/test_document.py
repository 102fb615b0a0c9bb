"""Stage 1: the document's structure, with exact spans."""

from __future__ import annotations

from procedures.compiler.rules.document import Code, Heading, Item, Section, Table, blocks, outline


def test_a_markdown_table_becomes_rows_of_cells_without_the_separator_row():
    source = "| Plan | Action |\n|---|---|\n| Enterprise | Tag the ticket vip |\n| Pro | Reply to the customer |\n"
    [table] = blocks(source)
    assert isinstance(table, Table)
    assert [c.text for c in table.header] == ["Plan", "Action"]
    assert [[c.text for c in row] for row in table.rows] == [
        ["Enterprise", "Tag the ticket vip"],
        ["Pro", "Reply to the customer"],
    ]
    for row in table.rows:
        for cell in row:
            assert source[cell.start : cell.end] == cell.text


def test_a_plain_text_table_with_aligned_columns_is_a_table():
    source = "Severity   Action\nSEV1       Page the on-call\nSEV2       Post on the status page\n"
    [table] = blocks(source)
    assert isinstance(table, Table)
    assert [c.text for c in table.rows[1]] == ["SEV2", "Post on the status page"]


def test_lettered_sub_steps_are_children_of_their_numbered_step_in_order():
    source = "1. Open a Jira bug in project ENG.\n   a. Add the key as a note.\n   b. Tag the ticket jira-linked.\n2. Close.\n"
    first, second = blocks(source)
    assert [c.number for c in first.children] == ["a", "b"]
    assert [c.segment.text for c in first.children] == ["Add the key as a note.", "Tag the ticket jira-linked."]
    assert second.number == "2"


def test_a_lead_in_line_owns_the_bullets_after_it():
    source = "If the customer is on Enterprise:\n- tag the ticket vip\n- email the account owner\nClose the ticket.\n"
    found = blocks(source)
    assert found[0].segment.text == "If the customer is on Enterprise:"
    assert [c.segment.text for c in found[0].children][:1] == ["tag the ticket vip"]


def test_hard_wrapped_prose_is_one_sentence_but_rough_note_lines_stay_apart():
    wrapped = (
        "When a customer asks for a refund on an order that was delivered more than thirty days ago\n"
        "and the order was paid by card, reply that we cannot refund it.\n"
    )
    [item] = blocks(wrapped)
    assert item.segment.text.endswith("reply that we cannot refund it.")
    notes = "check the order\nreply to the customer\n"
    assert [b.segment.text for b in blocks(notes)] == ["check the order", "reply to the customer"]


def test_fenced_code_is_one_code_block_and_headings_group_sections():
    source = '# Returns\n\n## Example\n```\n{"email": "a@b.c"}\n```\n\n## Steps\n1. Reply.\n'
    found = blocks(source)
    assert isinstance(found[0], Heading) and found[0].level == 1
    assert any(isinstance(b, Code) and "a@b.c" in b.segment.text for b in found)
    [top] = outline(found)
    assert isinstance(top, Section)
    assert [s.heading.segment.text for s in top.blocks if isinstance(s, Section)] == ["Example", "Steps"]
    assert isinstance(top.blocks[-1].blocks[0], Item)

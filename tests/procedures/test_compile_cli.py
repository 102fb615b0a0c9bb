"""`manage.py compile_sop`: readable text, the documented JSON, and a clear non-zero exit on failure."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from procedures.steps import parse

ESCALATION = Path(__file__).parent / "compiler_eval" / "11-escalation.md"


def _run(*args) -> str:
    out = StringIO()
    call_command("compile_sop", *args, stdout=out)
    return out.getvalue()


def test_text_format_lists_numbered_steps_with_operations_branches_and_source_lines():
    text = _run(str(ESCALATION), "--compiler", "rules")
    assert " 1. [gather] query_account" in text
    assert "operation: jira.create_issue" in text
    assert 'if account.plan == "Free" →' in text
    assert "source line 3:" in text
    assert "end: stopped" in text


def test_text_format_quotes_the_sentence_of_each_warning(tmp_path):
    sop = tmp_path / "sop.md"
    sop.write_text("1. Reply to the customer that we are on it.\n2. Consider the vibe of the conversation.\n")
    text = _run(str(sop), "--compiler", "rules")
    assert "line 2: Not understood by the rules compiler" in text
    assert '"Consider the vibe of the conversation."' in text


def test_json_format_is_the_documented_graph_schema_plus_warnings():
    data = json.loads(_run(str(ESCALATION), "--compiler", "rules", "--format", "json"))
    graph = parse(data["graph"])
    assert graph.start == "query_account"
    assert data["warnings"] == []
    assert data["compiler"] == "rules"


def test_text_format_reads_each_step_back_in_plain_language():
    text = _run(str(ESCALATION), "--compiler", "rules")
    lines = text.splitlines()
    heading = next(i for i, line in enumerate(lines) if "] create_issue:" in line)
    assert lines[heading + 1].startswith(
        "      reads: If the account plan is not Free → create a Bug in Jira project ENG"
    )
    assert text.count("      reads: ") == len(
        parse(json.loads(_run(str(ESCALATION), "--format", "json"))["graph"]).steps
    )


def test_json_format_carries_read_backs_and_coverage_consistent_with_the_text():
    data = json.loads(_run(str(ESCALATION), "--compiler", "rules", "--format", "json"))
    graph = parse(data["graph"])
    assert set(data["readback"]) == {s.key for s in graph.steps} and all(data["readback"].values())
    text = _run(str(ESCALATION), "--compiler", "rules")
    if data["coverage"]:  # the compiler reports what became of each sentence
        assert sum(data["coverage_summary"].values()) == len(data["coverage"])
        assert f"Coverage: {len(data['coverage'])} sentences:" in text
    else:  # nothing is made up when it does not
        assert data["coverage_summary"] is None
        assert "Coverage: not available" in text and "sentences:" not in text


def test_coverage_listing_names_each_sentence_with_its_status_and_line():
    from procedures.publishing import coverage_line, coverage_listing

    source = "Refund policy\n1. Reply to the customer.\n2. Consider the vibe.\n"
    coverage = [
        {"span": {"start": 0, "end": 13}, "text": "Refund policy", "status": "non_procedural", "kind": "title"},
        {"span": {"start": 17, "end": 39}, "text": "Reply to the customer.", "status": "automated"},
        {"span": {"start": 43, "end": 61}, "text": "Consider the vibe.", "status": "not_understood"},
    ]
    assert coverage_line(coverage) == "3 sentences: 1 automated, 0 needs a person, 1 not understood, 1 non-procedural"
    assert coverage_listing(coverage, source) == [
        "  line    1  [non-procedural (title)]  “Refund policy”",
        "  line    2  [automated]  “Reply to the customer.”",
        "  line    3  [not understood]  “Consider the vibe.”",
    ]


def test_empty_file_exits_non_zero_with_a_clear_message(tmp_path):
    sop = tmp_path / "empty.md"
    sop.write_text("  \n")
    with pytest.raises(CommandError, match="The SOP is empty: paste the procedure text"):
        _run(str(sop), "--compiler", "rules")


def test_binary_file_exits_non_zero(tmp_path):
    sop = tmp_path / "blob.bin"
    sop.write_bytes(bytes(range(256)) * 10)
    with pytest.raises(CommandError, match=r"not text|binary"):
        _run(str(sop), "--compiler", "rules")


def test_missing_file_exits_non_zero():
    with pytest.raises(CommandError, match="No such file"):
        _run("/nonexistent/sop.md", "--compiler", "rules")


def test_command_line_exit_status_is_non_zero_for_an_sop_that_does_not_compile(tmp_path):
    import subprocess
    import sys

    sop = tmp_path / "german.md"
    sop.write_text("1. Wenn der Kunde kündigen möchte, prüfe den Vertrag.\n")
    manage = Path(__file__).resolve().parents[2] / "manage.py"
    done = subprocess.run(
        [sys.executable, str(manage), "compile_sop", str(sop), "--compiler", "rules"],
        capture_output=True,
        text=True,
        env={**__import__("os").environ, "SOPDESK_DATA_DIR": str(tmp_path)},
    )
    assert done.returncode != 0
    assert "does not look like English" in done.stderr

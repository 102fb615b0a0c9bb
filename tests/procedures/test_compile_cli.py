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

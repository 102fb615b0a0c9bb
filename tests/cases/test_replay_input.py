"""Malformed replay files: one clear error line with where it went wrong; nothing replayed, not even half."""

from __future__ import annotations

import json

import pytest
from django.core.management import CommandError, call_command

from cases.models import Case, Run
from tests.cases.test_replay import version  # noqa: F401 - the escalation procedure fixture

pytestmark = pytest.mark.django_db

GOOD = {
    "id": 1,
    "subject": "Crash",
    "requester": {"email": "alice@acme.example", "name": "Alice"},
    "tags": ["product-bug"],
}

MALFORMED = {
    "bad-json.json": (b'{"tickets": [{"id": 1,}]}', "line 1, column"),
    "list-of-numbers.json": (b"[1, 2, 3]", "item 1: expected a ticket"),
    "object-without-tickets.json": (b'{"results": []}', "got a object without 'id' or 'tickets'"),
    "ticket-without-id.json": (json.dumps({"tickets": [GOOD, {"subject": "no id"}]}).encode(), "ticket 2: the ticket has no 'id'"),
    "ndjson-bad-third-line.json": (
        (json.dumps(GOOD) + "\n" + json.dumps({**GOOD, "id": 2}) + "\n{not json}\n").encode(), "line 3: not JSON"
    ),
    "nul.json": (json.dumps({"tickets": [GOOD]}).encode().replace(b"Crash", b"Cr\x00sh"), "line 1: contains a NUL"),
    "latin1.json": ('{"tickets": [{"id": 1, "subject": "Caf\u00e9"}]}'.encode("latin-1"), "not UTF-8"),
    "huge-field.json": (json.dumps({"tickets": [{**GOOD, "description": "x" * 200_000}]}).encode(), "'description' is 200,000"),
    "deep.json": (b'{"tickets": [' + b"[" * 5000 + b"]" * 5000 + b"]}", "nested more than"),
    "empty.json": (b"", "not JSON"),
    "unclosed-quote.csv": (b'id,subject,requester email\n1,"Crash,alice@acme.example\n2,Slow,bob@globex.example\n', "line"),
    "extra-values.csv": (b"id,subject\n1,Crash,oops,more\n2,Slow\n", "line 2: 4 values for 2 columns"),
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(MALFORMED))
def test_a_malformed_file_is_one_clear_error_and_nothing_is_replayed(name, version, tmp_path):  # noqa: F811
    body, expected = MALFORMED[name]
    path = tmp_path / name
    path.write_bytes(body)
    with pytest.raises(CommandError) as raised:
        call_command("replay", "escalation", str(path), "--no-progress", "--no-lookup")
    message = str(raised.value)
    assert "\n" not in message and str(path) in message and expected in message, message
    assert not Case.objects.exists() and not Run.objects.exists()


def test_an_unclosed_quote_refuses_the_whole_csv_instead_of_replaying_one_row(version, tmp_path):  # noqa: F811
    path = tmp_path / "tickets.csv"
    path.write_bytes(MALFORMED["unclosed-quote.csv"][0])
    with pytest.raises(CommandError, match="unclosed quote"):
        call_command("replay", "escalation", str(path), "--no-progress", "--no-lookup")

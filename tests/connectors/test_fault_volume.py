"""The issue's acceptance figure: at a 30% 5xx rate, 200 writes make exactly 200 remote objects."""

from __future__ import annotations

from connectors.registry import get

WRITES = 200


def test_200_jira_creates_at_30_percent_5xx_make_exactly_200_issues(sandbox, settings):
    settings.CONNECTOR_RETRY = {"attempts": 10, "base_delay": 0.0, "max_delay": 0.0}
    create = get("jira.create_issue").load_handler()
    create({"project": "OPS", "summary": "connect"}, idempotency_key="connect")  # client set up before faults
    # Half the injected errors come after the write was applied: lost responses, not just refusals.
    sandbox.faults("jira", error_rate=0.3, error_status=503, when="random", seed=20261124)

    keys = [
        create(
            {"project": "ENG", "issue_type": "Bug", "summary": f"Bug {n}", "priority": "High"},
            idempotency_key=f"run-{n}:open-bug",
        )["key"]
        for n in range(WRITES)
    ]
    # The engine retrying every step once more (a redelivered webhook) must change nothing.
    replayed = [
        create(
            {"project": "ENG", "issue_type": "Bug", "summary": f"Bug {n}", "priority": "High"},
            idempotency_key=f"run-{n}:open-bug",
        )["key"]
        for n in range(WRITES)
    ]

    state = sandbox.inspect("jira")
    eng = [issue for key, issue in state["issues"].items() if key.startswith("ENG-")]
    labels = [label for issue in eng for label in issue["fields"]["labels"]]
    print(
        f"\n[fault figure] {WRITES} jira.create_issue at 30% 503 (half after commit): "
        f"{len(eng)} issues, {len(set(keys))} distinct keys, {len(set(labels))} distinct idempotency labels, "
        f"{state['requests']} HTTP requests, {state['faults']['injected']} injected faults; "
        f"{WRITES} replays returned the same keys: {replayed == keys}"
    )
    assert len(eng) == WRITES
    assert len(set(keys)) == WRITES
    assert len(set(labels)) == WRITES
    assert replayed == keys


def test_200_mixed_writes_at_30_percent_5xx_lose_and_duplicate_nothing(sandbox, settings, db):
    settings.CONNECTOR_RETRY = {"attempts": 10, "base_delay": 0.0, "max_delay": 0.0}
    note = get("zendesk.add_note").load_handler()
    claim = get("carrier.file_claim").load_handler()
    for system in ("zendesk", "carrier"):
        sandbox.faults(system, error_rate=0.3, when="random", seed=7)

    for n in range(100):
        note({"ticket_id": "2", "body": f"note {n}"}, idempotency_key=f"note-{n}")
        claim(
            {"carrier": "UPS", "tracking_number": "1Z0000000000001200", "amount": 1 + n}, idempotency_key=f"claim-{n}"
        )

    comments = sandbox.inspect("zendesk")["tickets"][2]["comments"][1:]
    claims = sandbox.inspect("carrier")["claims"]
    print(
        f"\n[fault figure] 100 zendesk.add_note + 100 carrier.file_claim at 30% 5xx: {len(comments)} notes, "
        f"{len(claims)} claims; injected faults zendesk={sandbox.inspect('zendesk')['faults']['injected']} "
        f"carrier={sandbox.inspect('carrier')['faults']['injected']}"
    )
    assert sorted(c["body"] for c in comments) == sorted(f"note {n}" for n in range(100))
    assert sorted(c["amount"] for c in claims.values()) == [float(1 + n) for n in range(100)]

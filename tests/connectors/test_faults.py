"""Failure classification through the real libraries: timeouts, refused connections, 4xx, fault knobs."""

from __future__ import annotations

import subprocess
import sys

import pytest

from connectors.base import PermanentError, RetryableError
from connectors.registry import get
from tests.support.processes import ROOT, free_port


def op(name):
    return get(name).load_handler()


def test_a_slow_system_times_out_as_retryable_after_the_attempts(sandbox, settings):
    settings.CONNECTOR_TIMEOUT = 0.2
    settings.CONNECTOR_RETRY = {"attempts": 2, "base_delay": 0.0, "max_delay": 0.0}
    sandbox.faults("carrier", latency=0.5)
    with pytest.raises(RetryableError, match="Timeout"):
        op("carrier.lookup_shipment")({"carrier": "UPS", "tracking_number": "1Z0000000000001200"})
    assert sandbox.requests("carrier") == 2


@pytest.mark.parametrize(
    ("name", "params"),
    [
        ("salesforce.query_account", {"email": "alice@acme.example"}),
        ("jira.get_issue", {"issue_key": "ENG-1"}),
        ("zendesk.get_ticket", {"ticket_id": "1"}),
        ("carrier.claim_status", {"carrier": "UPS", "claim_id": "CLM-1"}),
        ("http.request", {"endpoint": "status_page", "method": "GET"}),
    ],
)
def test_a_refused_connection_is_retryable(name, params, sandbox, settings):
    settings.SANDBOX_URL = f"http://127.0.0.1:{free_port()}"  # nothing listens at these ports
    settings.CONNECTOR_RETRY = {"attempts": 2, "base_delay": 0.0, "max_delay": 0.0}
    with pytest.raises(RetryableError, match="unreachable"):
        op(name)(params)


def test_an_injected_4xx_is_permanent_and_not_retried(sandbox):
    sandbox.faults("zendesk", script=[403])
    with pytest.raises(PermanentError) as caught:
        op("zendesk.get_ticket")({"ticket_id": "1"})
    assert caught.value.status == 403
    assert sandbox.requests("zendesk") == 1


def test_a_child_process_reaches_the_sandbox_with_env_alone(sandbox, tmp_path):
    code = (
        "from connectors.registry import get;"
        "print(get('jira.create_issue').load_handler()({'project': 'ENG', 'summary': 'from a child'},"
        " idempotency_key='child')['key'])"
    )
    env = {"PATH": "/usr/bin:/bin", "SOPDESK_DATA_DIR": str(tmp_path), **sandbox.env()}
    done = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "shell", "-c", code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().endswith("ENG-1")
    assert sandbox.inspect("jira")["issues"]["ENG-1"]["fields"]["summary"] == "from a child"

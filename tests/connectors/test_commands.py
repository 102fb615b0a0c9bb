"""`manage.py sandbox` and `manage.py connectors check`."""

from __future__ import annotations

import io

import pytest
import requests
from django.core.management import CommandError, call_command

from connectors.config import OFFSETS
from tests.support.processes import free_block, start_manage, stop, wait_for


def test_connectors_check_reports_every_sandbox_account_reachable_and_authorized(sandbox):
    out = io.StringIO()
    call_command("connectors", "check", stdout=out)
    lines = out.getvalue().splitlines()
    assert [line.split()[0] for line in lines] == ["salesforce", "jira", "zendesk", "carrier", "email", "http"]
    assert all(" ok " in line for line in lines), out.getvalue()
    assert "sandbox-" not in out.getvalue()  # no credential is printed


def test_connectors_check_names_an_unauthorized_and_an_unconfigured_account(sandbox, settings):
    settings.SANDBOX_URL = ""
    settings.CONNECTORS = {
        **{name: {} for name in ("salesforce", "zendesk")},
        "jira": {"url": sandbox.urls["jira"], "user": "sopdesk@sandbox.local", "token": "wrong-token"},
        "carrier": {"url": sandbox.urls["carrier"], "token": "sandbox-carrier-token"},
        "http": {"endpoints": {}},
    }
    out = io.StringIO()
    with pytest.raises(CommandError, match="jira"):
        call_command("connectors", "check", stdout=out)
    text = out.getvalue()
    assert "unauthorized" in text and "not configured" in text
    assert "wrong-token" not in text
    assert next(line for line in text.splitlines() if line.startswith("carrier")).split()[1] == "ok"


def test_sandbox_command_serves_every_system_until_stopped(tmp_path):
    port = free_block(len(OFFSETS))
    process = start_manage(["sandbox", "--port", str(port)], env={}, log_path=tmp_path / "sandbox.log")
    try:
        wait_for(
            lambda: "export SOPDESK_SANDBOX_URL" in (tmp_path / "sandbox.log").read_text(),
            timeout=20,
            what="the sandbox to start",
        )
        answer = requests.get(f"http://127.0.0.1:{port + 1}/_sandbox/state", timeout=5).json()
        assert answer["issues"] == {}
        requests.post(f"http://127.0.0.1:{port + 3}/_sandbox/faults", json={"script": [503]}, timeout=5)
        assert requests.get(f"http://127.0.0.1:{port + 3}/api/v1/shipments/x", timeout=5).status_code == 503
    finally:
        stop(process)
    assert "sandbox stopped" in (tmp_path / "sandbox.log").read_text()

"""The demo's env file: commands in another terminal agree with the running demo without exporting anything."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import urllib.request

import pytest
from django.core.exceptions import ImproperlyConfigured

from cases.sla.models import SlaPolicy
from connectors.config import OFFSETS
from procedures.models import Procedure
from sopdesk import env
from sopdesk.demo import demo_load
from tests.support.processes import ROOT, free_block, free_port, start_manage, stop, wait_for

DEMO_VARIABLES = ("ZENDESK_WEBHOOK_SECRET", "SOPDESK_SANDBOX_URL", "SOPDESK_SITE_URL")


@pytest.fixture
def env_file(tmp_path):
    path = tmp_path / "sopdesk.env"
    yield path
    env.env_file_use(None)


def test_the_env_file_fills_in_what_the_environment_lacks_and_never_overrides_it(env_file, monkeypatch):
    env.env_file_write(env_file, {"SOPDESK_TEST_A": "from-file", "SOPDESK_TEST_B": "from-file", "SOPDESK_TEST_N": "7"})
    assert oct(env_file.stat().st_mode & 0o777) == "0o600"
    monkeypatch.setenv("SOPDESK_TEST_B", "from-environment")
    monkeypatch.delenv("SOPDESK_TEST_A", raising=False)
    env.env_file_use(env_file)
    assert env.env_str("SOPDESK_TEST_A") == "from-file"
    assert env.env_str("SOPDESK_TEST_B") == "from-environment"
    assert env.env_int("SOPDESK_TEST_N", 1) == 7
    assert env.env_str("SOPDESK_TEST_MISSING", "default") == "default"
    env.env_file_use(None)
    assert env.env_str("SOPDESK_TEST_A") == ""


def test_a_malformed_env_file_fails_naming_the_line(env_file):
    env_file.write_text("# comment\nSOPDESK_OK=1\nthis is not a setting\n")
    with pytest.raises(ImproperlyConfigured, match=r"line 3: expected NAME=value"):
        env.env_file_read(env_file)
    assert env.env_file_read(env_file.parent / "absent.env") == {}


@pytest.mark.django_db
def test_readme_says_what_the_demo_loads_published_or_active_as_sla_policies():
    demo_load()
    intro = (ROOT / "README.md").read_text().split("## Quick start")[0]
    assert "three\nreference SOPs as published" not in intro
    claims = dict(re.findall(r"\*([^*]+)\*\s+\((published|active as SLA policies)", intro))
    procedures = {p.name: p for p in Procedure.objects.all()}
    assert set(claims) == set(procedures), claims
    for name, claim in claims.items():
        procedure = procedures[name]
        if claim == "published":
            assert procedure.published_version is not None, name
        else:
            assert procedure.published_version is None and procedure.status == Procedure.Status.ACTIVE, name
            assert "SLA policies" in procedure.description
            assert SlaPolicy.objects.filter(enabled=True).exists()


def _get(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status
    except OSError:
        return 0


@pytest.mark.e2e
def test_demo_ticket_runs_as_the_readme_shows_it_without_exported_variables(tmp_path, monkeypatch):
    for name in DEMO_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    port, sandbox_port = free_port(), free_block(len(OFFSETS))
    data = tmp_path / "data"
    env = {"SOPDESK_DATA_DIR": str(data), "DATABASE_URL": ""}
    demo = start_manage(
        ["demo", "--port", str(port), "--sandbox-port", str(sandbox_port)], env=env, log_path=tmp_path / "demo.log"
    )
    try:
        try:
            wait_for(lambda: _get(f"http://127.0.0.1:{port}/accounts/login/") == 200, timeout=120, what="the web")
        except AssertionError as exc:
            raise AssertionError(f"{exc}; demo log:\n{(tmp_path / 'demo.log').read_text()[-3000:]}") from None
        log = (tmp_path / "demo.log").read_text()
        assert "  .venv/bin/python manage.py demo_ticket --plan enterprise" in log, "the printed command as is"
        assert "ZENDESK_WEBHOOK_SECRET=" not in log
        written = (data / "sopdesk.env").read_text()
        assert f"SOPDESK_SANDBOX_URL=http://127.0.0.1:{sandbox_port}" in written

        child_env = {k: v for k, v in os.environ.items() if k not in DEMO_VARIABLES}
        result = subprocess.run(
            [sys.executable, str(ROOT / "manage.py"), "demo_ticket", "--plan", "enterprise", "--timeout", "90"],
            cwd=ROOT,
            env={**child_env, **env},
            capture_output=True,
            text=True,
            timeout=150,
        )
        output = result.stdout + result.stderr
        assert result.returncode == 0, output
        assert "Webhook delivered: HTTP 202" in output
        assert "jira.create_issue" in output
        assert f"http://127.0.0.1:{sandbox_port + 1}/browse/ENG-" in output, "Jira links on the emulator"
        assert "sandbox.zendesk.com" not in output
    finally:
        stop(demo, timeout=30)

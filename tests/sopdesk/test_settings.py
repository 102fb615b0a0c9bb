"""Settings come from the environment, with safe defaults and a clean production check."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from django.core.exceptions import ImproperlyConfigured

from sopdesk.env import env_bool, env_int, env_list
from tests.support.processes import ROOT

PRODUCTION = {
    "SOPDESK_SECRET_KEY": "x" * 20 + "a-long-random-production-secret-key-0123456789",
    "SOPDESK_ALLOWED_HOSTS": "sopdesk.example.com",
    "SOPDESK_HTTPS": "true",
    "SOPDESK_DEBUG": "false",
}


def _manage(*args: str, env: dict[str, str], tmp_path) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("SOPDESK_", "DJANGO_")) and k != "DATABASE_URL"}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, "SOPDESK_DATA_DIR": str(tmp_path), **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_is_clean_with_production_variables(tmp_path):
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION, tmp_path=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_check_deploy_warns_without_production_variables(tmp_path):
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env={}, tmp_path=tmp_path)
    assert result.returncode != 0
    assert "SECURE_SSL_REDIRECT" in result.stderr or "security.W008" in result.stderr


def test_bad_boolean_names_the_variable(monkeypatch):
    monkeypatch.setenv("SOPDESK_DEBUG", "maybe")
    with pytest.raises(ImproperlyConfigured, match="SOPDESK_DEBUG must be true or false"):
        env_bool("SOPDESK_DEBUG")


def test_bad_number_names_the_variable(monkeypatch):
    monkeypatch.setenv("SOPDESK_WORKERS", "two")
    with pytest.raises(ImproperlyConfigured, match="SOPDESK_WORKERS must be a whole number"):
        env_int("SOPDESK_WORKERS", 2)


def test_list_variables_split_on_commas(monkeypatch):
    monkeypatch.setenv("SOPDESK_ALLOWED_HOSTS", "a.example.com, b.example.com,")
    assert env_list("SOPDESK_ALLOWED_HOSTS", []) == ["a.example.com", "b.example.com"]


def test_secret_key_is_generated_once_and_kept(tmp_path):
    code = "from django.conf import settings; print(settings.SECRET_KEY)"
    first = _manage("shell", "-c", code, env={}, tmp_path=tmp_path)
    second = _manage("shell", "-c", code, env={}, tmp_path=tmp_path)
    assert first.returncode == 0, first.stderr
    assert first.stdout.strip() and first.stdout.strip() == second.stdout.strip()
    assert oct((tmp_path / "secret_key").stat().st_mode & 0o777) == "0o600"


def test_redis_url_switches_the_task_broker(tmp_path):
    code = "from django.conf import settings; print(settings.Q_CLUSTER.get('redis'), settings.Q_CLUSTER.get('orm'))"
    result = _manage("shell", "-c", code, env={"REDIS_URL": "redis://127.0.0.1:6379/3"}, tmp_path=tmp_path)
    assert result.stdout.split()[-2:] == ["redis://127.0.0.1:6379/3", "None"]
    default = _manage("shell", "-c", code, env={}, tmp_path=tmp_path)
    assert default.stdout.split()[-2:] == ["None", "default"]

"""SOPDESK_PUBLISH_CHECKS: a bad entry is refused at start-up with a message naming it."""

from __future__ import annotations

import subprocess
import sys

import pytest
from django.core.exceptions import ImproperlyConfigured

from procedures.services import publish_checks


def test_a_bad_entry_names_itself(settings):
    settings.SOPDESK_PUBLISH_CHECKS = ["reviews.insights.regression.no_such_check"]
    with pytest.raises(ImproperlyConfigured, match="no_such_check"):
        publish_checks()


def test_start_up_stops_on_a_bad_entry(tmp_path):
    env = {"SOPDESK_PUBLISH_CHECKS": "nowhere.check", "SOPDESK_DATA_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"}
    done = subprocess.run(
        [sys.executable, "manage.py", "check"], env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode != 0
    assert "SOPDESK_PUBLISH_CHECKS: cannot import 'nowhere.check'" in done.stderr

"""The quick start: `manage.py demo` sets everything up and runs it until stopped."""

from __future__ import annotations

import datetime as dt
import re
import signal
import urllib.request

import pytest

from cases.sla.models import SlaPolicy
from connectors.config import OFFSETS
from procedures.models import Procedure
from sopdesk.demo import SCENARIOS, demo_load
from tests.support.processes import free_block, free_port, start_manage, stop, wait_for


@pytest.mark.django_db
def test_demo_load_publishes_the_three_reference_sops_once():
    first = demo_load()
    assert len(first) == 3
    assert sorted(Procedure.objects.values_list("slug", flat=True)) == sorted(s.slug for s in SCENARIOS)
    published = Procedure.objects.filter(published_version__isnull=False)
    assert sorted(published.values_list("slug", flat=True)) == ["freight-claims", "product-bug-escalation"]
    assert all(p.published_version.steps.exists() for p in published)
    # The SLA SOP becomes SLA policies (watched by the sweep), compiled for the editor but not run per case.
    sla = Procedure.objects.get(slug="sla-routing")
    assert sla.versions.get().steps.exists()
    targets = {p.name: (p.match_tiers, p.first_response_target) for p in SlaPolicy.objects.all()}
    assert targets == {
        "Enterprise customers": (["enterprise"], dt.timedelta(hours=2)),
        "Pro customers": (["pro"], dt.timedelta(hours=8)),
        "Everyone else": ([], dt.timedelta(hours=24)),
    }
    again = demo_load()
    assert again == [f"{s.name}: already loaded" for s in SCENARIOS]
    assert Procedure.objects.count() == 3


def _get(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status
    except OSError:
        return 0


@pytest.mark.e2e
def test_demo_serves_the_admin_and_stops_everything_on_ctrl_c(tmp_path):
    # The sandbox listens on its port and the next ones (one per emulated system and the mail sink).
    port, sandbox_port = free_port(), free_block(len(OFFSETS))
    # The quick start's own database: SQLite in a fresh data directory, whatever this test session uses.
    env = {"SOPDESK_DATA_DIR": str(tmp_path / "data"), "DATABASE_URL": ""}
    demo = start_manage(
        ["demo", "--port", str(port), "--sandbox-port", str(sandbox_port)], env=env, log_path=tmp_path / "demo.log"
    )
    try:
        try:
            wait_for(lambda: _get(f"http://127.0.0.1:{port}/admin/login/") == 200, timeout=90, what="the admin")
        except AssertionError as exc:
            raise AssertionError(f"{exc}; demo log:\n{(tmp_path / 'demo.log').read_text()[-3000:]}") from None
        log = (tmp_path / "demo.log").read_text()
        assert re.search(r"Login:\s+admin / \S+", log), log
        assert "Traceback" not in log, log[-4000:]
        demo.send_signal(signal.SIGINT)
        demo.wait(timeout=30)
        assert "Stopped." in (tmp_path / "demo.log").read_text()
        assert _get(f"http://127.0.0.1:{port}/admin/login/") == 0
    finally:
        stop(demo)

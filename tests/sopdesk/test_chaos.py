"""`manage.py chaos --quick` against a real stack: nothing lost, duplicated, answered 5xx or half-stored."""

from __future__ import annotations

import os
import re
import subprocess
import sys

from tests.support.processes import ROOT


def test_quick_chaos_run_loses_and_duplicates_nothing_and_recovers_within_the_lease():
    lease = 5
    finished = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "chaos", "--quick", "--lease", str(lease)],
        cwd=ROOT,
        env={**os.environ},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert finished.returncode == 0, finished.stdout[-3000:] + finished.stderr[-3000:]
    last = finished.stdout.strip().splitlines()[-1]
    match = re.fullmatch(
        r"chaos: lost (\d+), duplicated (\d+), 5xx (\d+), half-stored (\d+), recovery ([\d.]+) s", last
    )
    assert match, finished.stdout
    lost, duplicated, errors, half_stored = map(int, match.groups()[:4])
    assert (lost, duplicated, errors, half_stored) == (0, 0, 0, 0), finished.stdout
    assert float(match.group(5)) <= lease + 30, finished.stdout

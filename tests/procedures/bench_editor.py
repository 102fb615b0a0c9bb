"""Benchmark (not a test, not collected by default): how long the SOP editor takes to open for a 195 KB SOP.

    .venv/bin/python -m pytest tests/procedures/bench_editor.py -s -q -p no:cacheprovider

Compiles `big_sop(2500)` (195 KB) with the rules compiler, then opens its editor in Chromium
(`/usr/bin/chromium`) three times and prints the page's size, the step cards rendered, the
compile time and the load times (navigation to the `load` event). Figures are printed, not
asserted: machines differ; the bounded page is asserted in test_editor_big_sop.py.
"""

from __future__ import annotations

import json
import statistics
import time

import pytest

from tests.procedures.big_sop import big_sop
from tests.support.browser import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_editor_load_time_for_a_195_kb_sop(live_server, browser_page, ops_manager):
    from procedures import services
    from procedures.models import ProcedureVersion

    source = big_sop(2500)
    started = time.perf_counter()
    procedure = services.procedure_create_and_compile(name="Big runbook", source=source, compiler="rules")
    compile_s = time.perf_counter() - started
    version = procedure.versions.get()
    assert version.status == ProcedureVersion.Status.COMPILED
    ops_manager.is_staff = True
    ops_manager.save()

    page = browser_page
    url = f"/procedures/versions/{version.pk}/"
    log_in(page, live_server.url, ops_manager, next_url=url)
    loads, server, phases = [], [], []
    for _ in range(3):
        started = time.perf_counter()
        response = page.goto(f"{live_server.url}{url}", wait_until="load")
        loads.append(time.perf_counter() - started)
        timing = page.evaluate("JSON.stringify(performance.getEntriesByType('navigation')[0])")
        timing = json.loads(timing)
        server.append(timing["responseStart"] / 1000)
        phases.append({k: round(timing[k]) for k in ("responseStart", "responseEnd", "domInteractive", "loadEventEnd")})
    body = response.body()
    cards = page.locator(".sop-card").count()
    marks = page.locator(".sop-source mark").count()
    nodes = page.evaluate("document.getElementsByTagName('*').length")
    small = services.procedure_create_and_compile(
        name="Small", source="1. Reply to the customer.\n2. Tag the ticket done.\n", compiler="rules"
    ).versions.get()
    small_loads = []
    for _ in range(3):
        started = time.perf_counter()
        page.goto(f"{live_server.url}/procedures/versions/{small.pk}/", wait_until="load")
        small_loads.append(time.perf_counter() - started)
    print(
        f"\nSOP {len(source.encode()) / 1000:.1f} KB, {version.steps.count()} steps, compiled in {compile_s:.1f} s\n"
        f"editor page {len(body) / 1000:.0f} KB, {cards} step cards, {marks} source marks, {nodes} DOM elements\n"
        f"Chromium load: {', '.join(f'{s:.2f}' for s in loads)} s (median {statistics.median(loads):.2f} s), "
        f"of which waiting for the server's first byte: median {statistics.median(server):.2f} s\n"
        f"navigation timing (ms): {phases}\n"
        f"reference, a 2-step SOP's editor on the same machine: median {statistics.median(small_loads):.2f} s"
    )

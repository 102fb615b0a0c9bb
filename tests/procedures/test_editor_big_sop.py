"""A big SOP keeps the editor usable: one page of step cards, details on demand, a light source pane.

The load time in Chromium is measured by `tests/procedures/bench_editor.py` (a benchmark, not a test).
"""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from procedures import services
from procedures.editor import STEPS_PER_PAGE
from tests.procedures.big_sop import big_sop

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def big_graph():
    """The rules compiler's graph of a 1,500-step SOP, compiled once for the module."""
    from procedures.compiler import compile_source

    source = services.source_clean(big_sop(1500))
    result = compile_source(source, compiler="rules")
    return source, result.graph.to_json(), [w.to_json() for w in result.warnings]


@pytest.fixture
def version(big_graph):
    from tests.factories import ProcedureVersionFactory

    source, graph, warnings = big_graph
    return ProcedureVersionFactory(
        procedure__name="Big runbook", source=source, graph=graph, warnings=warnings, status="compiled"
    )


@pytest.fixture
def ops(client, ops_manager):
    ops_manager.is_staff = True
    ops_manager.save()
    client.force_login(ops_manager)
    return client


def _cards(html: str) -> list[str]:
    return re.findall(r'<article class="sop-card[^"]*" id="step-([a-z0-9_]+)"', html)


def test_the_editor_of_a_big_sop_renders_one_bounded_page_of_cards(ops, version):
    steps = version.graph["steps"]
    assert len(steps) >= 1500
    response = ops.get(reverse("procedures:editor", args=[version.pk]))
    html = response.content.decode()
    assert response.status_code == 200
    assert _cards(html) == [s["key"] for s in steps[:STEPS_PER_PAGE]]
    assert f"1–{STEPS_PER_PAGE} of {len(steps)}" in html
    assert len(response.content) < 1_500_000, f"{len(response.content):,} bytes"  # it was 10.4 MB
    # The correction forms (each the step as JSON) are loaded when opened, not sent with the page.
    assert html.count('name="fields_json"') == 0 and html.count("hx-get=") == STEPS_PER_PAGE
    # The source pane: one mark per step piece, no keyword colouring per word.
    source = html[html.index('id="sop-source"') : html.index("</pre>")]
    assert "sop-kw" not in source
    assert source.count("<mark ") <= 3 * len(steps)


def test_a_later_page_and_a_step_on_it(ops, version):
    steps = version.graph["steps"]
    pages = -(-len(steps) // STEPS_PER_PAGE)
    html = ops.get(reverse("procedures:editor", args=[version.pk]) + f"?steps={pages}").content.decode()
    assert _cards(html) == [s["key"] for s in steps[(pages - 1) * STEPS_PER_PAGE :]]

    key = steps[10 * STEPS_PER_PAGE + 3]["key"]  # on page 11
    response = ops.get(reverse("procedures:step_locate", args=[version.pk, key]))
    assert response.status_code == 302
    assert response["Location"] == reverse("procedures:editor", args=[version.pk]) + f"?steps=11#step-{key}"
    assert key in _cards(ops.get(response["Location"]).content.decode())


def test_a_step_correction_form_loads_on_demand(ops, version):
    step = version.graph["steps"][700]
    response = ops.get(reverse("procedures:step_correction", args=[version.pk, step["key"]]))
    html = response.content.decode()
    assert response.status_code == 200 and 'name="fields_json"' in html and step["title"] in html
    assert ops.get(reverse("procedures:step_correction", args=[version.pk, "no_such_step"])).status_code == 404


def test_a_page_number_out_of_range_shows_the_nearest_page(ops, version):
    html = ops.get(reverse("procedures:editor", args=[version.pk]) + "?steps=99999").content.decode()
    assert _cards(html)[-1] == version.graph["steps"][-1]["key"]
    html = ops.get(reverse("procedures:editor", args=[version.pk]) + "?steps=abc").content.decode()
    assert _cards(html)[0] == version.graph["steps"][0]["key"]


@pytest.mark.parametrize("order", [("check", "reply", "tag"), ("tag", "check", "reply")])
def test_steps_on_the_same_sentence_nest_in_graph_order_every_time(order):
    from procedures.editor import source_segments

    source = "1. If Free, reply and tag it.\n2. Close."
    spans = dict.fromkeys(order, (3, 29)) | {"close": (33, 39)}
    segments = source_segments(source=source, spans=spans, warnings=[])
    assert [s.step_keys for s in segments if s.step_keys] == [order, ("close",)]
    assert "".join(s.text for s in segments) == source

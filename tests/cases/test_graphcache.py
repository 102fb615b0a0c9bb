"""Parsed graphs cached per published version; one CEL context per step."""

from __future__ import annotations

import pytest

from cases import graphcache
from cases.expressions import MissingFact, evaluate, render, scope
from tests.cases.test_webhooks import WAIT_GRAPH
from tests.factories import ProcedureVersionFactory

END_GRAPH = {"start": "done", "steps": [{"kind": "end", "key": "done", "title": "Done"}]}


@pytest.fixture(autouse=True)
def empty_cache():
    graphcache.version_forget()
    yield
    graphcache.version_forget()


@pytest.mark.django_db
def test_a_published_version_is_parsed_once_per_process():
    version = ProcedureVersionFactory(graph=WAIT_GRAPH, status="published")
    first = graphcache.version_graph(version)
    assert first.start == "wait"
    assert graphcache.version_graph(version) is first
    assert graphcache.cached_count() == 1


@pytest.mark.django_db
def test_a_version_corrected_in_place_is_not_served_stale():
    version = ProcedureVersionFactory(graph=WAIT_GRAPH, status="compiled")
    assert graphcache.version_graph(version).start == "wait"
    version.graph = END_GRAPH  # a step correction on a compiled version keeps its id and compiled_at
    version.save()
    assert graphcache.version_graph(version).start == "done"


@pytest.mark.django_db
def test_the_cache_is_bounded_and_forgets_the_least_recently_used():
    cache = graphcache.GraphCache(max_graphs=2)
    versions = [ProcedureVersionFactory(graph=WAIT_GRAPH, status="published") for _ in range(3)]
    first = cache.graph(versions[0])
    cache.graph(versions[1])
    cache.graph(versions[2])
    assert len(cache) == 2
    assert cache.graph(versions[0]) is not first  # parsed again after eviction


def test_one_scope_serves_every_expression_and_template_of_a_step():
    names = scope({"case": {"subject": "Export crashes", "amount": 8400}, "account": {"plan": "Enterprise"}})
    assert evaluate("case.amount > 5000 && account.plan == 'Enterprise'", names) is True
    assert render({"summary": "{{ case.subject }} ({{ account.plan }})", "n": "{{ case.amount }}"}, names) == {
        "summary": "Export crashes (Enterprise)",
        "n": 8400,
    }
    names.set("found", {"tier": "gold"})
    assert evaluate("found.tier", names) == "gold"
    with pytest.raises(MissingFact) as missing:
        evaluate("account.owner == 'x'", names)
    assert missing.value.fact == "owner"


def test_a_scope_finds_standard_library_functions_after_expressions_that_used_none():
    names = scope({"case": {"amount": 95, "subject": "Export crashes"}, "tags": ["a", "b", "a"]})
    assert evaluate("case.amount > 50", names) is True  # no library function called yet
    assert evaluate("math.least(case.amount + 10, 100)", names) == 100
    assert evaluate("case.subject.charAt(1)", names) == "x"
    assert render("{{ tags.distinct() }}", names) == ["a", "b"]

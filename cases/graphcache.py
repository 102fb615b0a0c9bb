"""Parsed step graphs, cached per procedure version (bounded LRU, per process).

Parsing a graph (pydantic validation of every step) costs far more than a step
does, and the engine needs the graph on every pass. A published or retired
version never changes, so it is keyed by id and creation time (a row id reused
after a rolled-back transaction is another key) and parsed once per process. A
draft or compiled version can be corrected in place (a step edit keeps
`compiled_at`), so its key adds a digest of the graph JSON. Each worker process has its own cache, so nothing is shared across
workers. The cached Graph is shared by callers and must not be mutated.

The CEL programs of a graph's conditions and templates are cached beside it,
in `cases.expressions`, by expression text: a text always compiles to the same
program, so those entries are shared by every version that uses them and no
version can make one stale (bounded LRU, per process as well).
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from typing import Any

from procedures.steps import Graph, parse

MAX_GRAPHS = 256
IMMUTABLE = ("published", "retired")  # procedures.services.LOCKED_STATUSES


def _key(version: Any) -> tuple[int, str]:
    created = version.created_at.isoformat() if getattr(version, "created_at", None) else ""
    if getattr(version, "status", "") in IMMUTABLE:
        return version.id, created
    text = json.dumps(version.graph, sort_keys=True, separators=(",", ":"))
    return version.id, created + hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


class GraphCache:
    """A bounded LRU of parsed graphs; thread-safe. The process uses one (`version_graph` and friends)."""

    def __init__(self, max_graphs: int = MAX_GRAPHS):
        self.max_graphs = max_graphs
        self._lock = threading.Lock()
        self._graphs: OrderedDict[tuple[int, str], Graph] = OrderedDict()

    def graph(self, version: Any) -> Graph:
        """The parsed graph of a ProcedureVersion, from the cache when this version was parsed before."""
        if version.id is None:
            return parse(version.graph)
        key = _key(version)
        with self._lock:
            graph = self._graphs.get(key)
            if graph is not None:
                self._graphs.move_to_end(key)
                return graph
        graph = parse(version.graph)
        with self._lock:
            self._graphs[key] = graph
            self._graphs.move_to_end(key)
            while len(self._graphs) > self.max_graphs:
                self._graphs.popitem(last=False)
        return graph

    def forget(self, version_id: int | None = None) -> None:
        """Drop one version's graphs (all when `version_id` is None)."""
        with self._lock:
            for key in [k for k in self._graphs if version_id is None or k[0] == version_id]:
                del self._graphs[key]

    def __len__(self) -> int:
        return len(self._graphs)


_cache = GraphCache()


def version_graph(version: Any) -> Graph:
    """The parsed graph of a ProcedureVersion, from this process's cache when this version was parsed before."""
    return _cache.graph(version)


def version_forget(version_id: int | None = None) -> None:
    """Drop one version's graphs from this process's cache (all when `version_id` is None)."""
    _cache.forget(version_id)


def cached_count() -> int:
    return len(_cache)

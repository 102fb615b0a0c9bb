"""Declarations → `registry.Operation`s, cached per process and reloaded when any declaration changes.

Staleness is checked with one indexed read of `RegistryState.token`, which
every change to a declaration replaces (`declarations_changed`). A token is
random, never a counter, so a rolled-back change can never leave two
processes agreeing on a stale version. Without database access (a unit test
of the engine core, a check before migrate) the declared set is empty.

Inside a transaction the token is read once and kept until that transaction
ends (an engine pass looks operations up several times): a change committed
by another process is seen by the next transaction, and one made by this
transaction at once. Outside a transaction every lookup reads the token.
"""

from __future__ import annotations

import logging
import re
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from typing import Any

from connectors.registry import OPERATIONS, Operation

log = logging.getLogger(__name__)
_lock = threading.Lock()
_cache: tuple[str, dict[str, Operation]] | None = None
_held = threading.local()  # a token read once for a block of calls on this thread (`declarations_held`)
_in_transaction = threading.local()  # (marker, token): the token as read in the current transaction


@contextmanager
def declarations_held() -> Iterator[None]:
    """Read the declarations' token once for the block (this thread): a replay of 10,000 tickets asks once, not per call.

    Declarations changed during the block are seen after it.
    """
    outer = getattr(_held, "token", None)
    _held.token = outer if outer is not None else _read_token()
    try:
        yield
    finally:
        _held.token = outer


def _token() -> str | None:
    held = getattr(_held, "token", None)
    return held if held is not None else _transaction_token()


def _transaction_token() -> str | None:
    """The token, read once per transaction on this thread's connection (every time outside one).

    The token is kept beside a marker registered with `on_commit`: Django drops a
    transaction's commit hooks when it commits or rolls back (and a savepoint's
    when that rolls back), so a marker still among the hooks means the same transaction.
    """
    from django.db import connection, transaction

    if not connection.in_atomic_block:
        return _read_token()
    kept = getattr(_in_transaction, "kept", None)
    if kept is not None and _still_registered(kept[0], connection):
        return kept[1]
    token = _read_token()
    if token is not None and not connection.needs_rollback:

        def marker() -> None:
            """Marks the transaction the kept token was read in; nothing to do on commit."""

        transaction.on_commit(marker)
        _in_transaction.kept = (marker, token)
    return token


def _still_registered(marker, connection) -> bool:
    return any(item is marker for entry in connection.run_on_commit for item in entry)


def _read_token() -> str | None:
    from connectors.declared.models import RegistryState

    try:
        return RegistryState.objects.filter(pk=1).values_list("token", flat=True).first() or ""
    except Exception:  # no database here: blocked in a unit test, not migrated, async context
        return None


def declared_operations() -> dict[str, Operation]:
    global _cache
    token = _token()
    if token is None:
        return {}
    cached = _cache
    if cached is not None and cached[0] == token:
        return cached[1]
    with _lock:
        try:
            built = _build()
        except Exception:  # a bad row must not take the built-in registry down
            log.exception("declared operations could not be loaded")
            return {}
        _cache = (token, built)
        return built


def declarations_changed() -> None:
    """Call after any change to a declaration (in the same transaction): every process reloads."""
    global _cache
    from connectors.declared.models import RegistryState

    RegistryState.objects.update_or_create(pk=1, defaults={"token": uuid.uuid4().hex})
    _cache = None
    _in_transaction.kept = None  # this transaction reads the new token


def keywords_for(name: str, synonyms: str, outputs: list[str]) -> tuple[str, ...]:
    words = [s.strip().lower() for s in re.split(r"[,\n;]", synonyms or "") if s.strip()]
    system, _, action = name.partition(".")
    words += [system, action.replace("_", " ")]
    words += [o.replace("_", " ") for o in outputs]
    return tuple(dict.fromkeys(w for w in words if w))


def _idempotency_text(row) -> str:
    if not row.writes:
        return ""
    if row.kind == "http":
        if row.idempotency_header:
            return f"A {row.idempotency_header} header carries the key; the receiver must honour it."
        return "No idempotency header: a retried call may repeat the write."
    note = "Each write is recorded under its key and not repeated by sopdesk"
    if row.idempotency_header:
        return f"{note}; the key is also passed as argument {row.idempotency_header!r}."
    return note + "."


def spec_for(row) -> Any:
    from connectors.declared.spec import Auth, EndpointSpec, Mock, OperationSpec, outputs_from_rows

    endpoint = server = None
    if row.endpoint_id:
        e = row.endpoint
        endpoint = EndpointSpec(
            name=e.name,
            base_url=e.base_url,
            credentials=Auth(e.name, e.auth, e.auth_header, e.secret_env, e.secret_sealed),
            version=e.updated_at.isoformat() if e.updated_at else "",
        )
    if row.mcp_server_id:
        server = spec_for_server(row.mcp_server)
    return OperationSpec(
        name=row.name,
        kind=row.kind,
        writes=row.writes,
        input_schema=row.input_schema or {},
        outputs=outputs_from_rows(row.outputs or []),
        endpoint=endpoint,
        method=row.method or "GET",
        path=row.path,
        query=row.query or {},
        body=row.body,
        idempotency_header=row.idempotency_header,
        server=server,
        tool=row.mcp_tool,
        timeout=row.timeout,
        retry_attempts=row.retry_attempts,
        mocks=tuple(Mock(dict(m.match or {}), dict(m.result or {}), m.error) for m in row.mocks.all()),
    )


def spec_for_server(m) -> Any:
    from connectors.declared.spec import Auth, ServerSpec

    return ServerSpec(
        name=m.name,
        transport=m.transport,
        command=m.command,
        env_names=tuple(n.strip() for n in m.env_names.split(",") if n.strip()),
        url=m.url,
        credentials=Auth(m.name, m.auth, m.auth_header, m.secret_env, m.secret_sealed),
        timeout=m.timeout,
    )


def operation_for(row) -> Operation:
    from connectors.declared import http, mcp, mocks
    from connectors.declared.spec import params_from_schema

    spec = spec_for(row)
    executor = http.execute if row.kind == "http" else mcp.execute
    returns = tuple(o.name for o in spec.outputs)
    return Operation(
        name=row.name,
        summary=row.summary.strip(),
        params=params_from_schema(row.input_schema or {}),
        returns=returns,
        writes=row.writes,
        idempotency=_idempotency_text(row),
        handler="",
        keywords=keywords_for(row.name, row.synonyms, list(returns)),
        origin=f"declared {row.kind}",
        call=partial(executor, spec),
        mock=partial(mocks.respond, spec) if spec.mocks else None,
    )


def outputs_of(op: Operation) -> tuple:
    """The declared output facts (`spec.Output`: name, path, type, allowed values) of a declared operation; () otherwise."""
    from connectors.declared.spec import OperationSpec

    call = op.call
    spec = call.args[0] if isinstance(call, partial) and call.args else None
    return spec.outputs if isinstance(spec, OperationSpec) else ()


def _build() -> dict[str, Operation]:
    from connectors.declared import fields
    from connectors.declared.models import DeclaredOperation

    built: dict[str, Operation] = {}
    rows = DeclaredOperation.objects.filter(enabled=True).select_related("endpoint", "mcp_server")
    for row in rows.prefetch_related("mocks"):
        if row.name in OPERATIONS:
            log.warning("declared operation %s shadows a built-in one and is ignored", row.name)
            continue
        built[row.name] = operation_for(row)
    for op in fields.field_operations():
        if op.name not in OPERATIONS and op.name not in built:
            built[op.name] = op
    return built


__all__ = ["declarations_changed", "declared_operations", "keywords_for", "operation_for", "outputs_of", "spec_for"]

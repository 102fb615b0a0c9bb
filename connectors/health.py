"""Is each configured account reachable and authorized? One cheap authenticated read per system.

Used by `manage.py connectors check`. A check makes a single attempt (no
retry loop: the operator wants to know now) and reports the remote message,
never a credential.
"""

from __future__ import annotations

import contextlib
import smtplib
from dataclasses import dataclass
from typing import Any

from connectors import config, retry
from connectors.base import ConnectorError, NotConfigured

OK, UNAUTHORIZED, UNREACHABLE, FAILING, NOT_CONFIGURED = (
    "ok",
    "unauthorized",
    "unreachable",
    "failing",
    "not configured",
)


@dataclass(frozen=True)
class Check:
    system: str
    status: str
    detail: str = ""


def _verdict(system: str, error: ConnectorError) -> Check:
    if error.status in (401, 403):
        return Check(system, UNAUTHORIZED, error.remote_message or str(error))
    if error.status is None and error.retryable:
        return Check(system, UNREACHABLE, str(error))
    return Check(system, FAILING, str(error))


def _salesforce() -> str:
    from connectors.salesforce import client

    sf = client.connect()
    client.call(lambda s: s.restful("limits/"), retried=False)
    return f"instance {sf.sf_instance}"


def _jira() -> str:
    from connectors.jira import client

    me = client.call(lambda j: j.myself(), retried=False)
    return f"as {me.get('displayName') or me.get('emailAddress')}"


def _zendesk() -> str:
    from connectors.zendesk import client

    me = client.call(lambda z: z.users.me(), retried=False)
    return f"as {me.email}"


def _carrier() -> str:
    from connectors.base import NotFound
    from connectors.carrier import client

    with contextlib.suppress(NotFound):  # an authorized "no such shipment" is the answer we want
        client.request("GET", "/shipments/SOPDESK-CONNECTIVITY-CHECK")
    return "portal answered"


def _email() -> str:
    from connectors.email.operations import mail_connection

    connection = mail_connection()
    try:
        connection.open()
        smtp = getattr(connection, "connection", None)
        if smtp is None:
            return f"backend {type(connection).__module__} (no server to check)"
        smtp.noop()
    except (smtplib.SMTPException, OSError) as exc:
        from connectors.base import RetryableError

        raise RetryableError(f"mail server unreachable: {exc}", system="email") from exc
    finally:
        connection.close()
    return "SMTP server answered"


def _http() -> str:
    from django.conf import settings

    if config.in_sandbox():
        return "sandbox hooks"
    names = sorted(settings.CONNECTORS.get("http", {}).get("endpoints", {}))
    if not names:
        raise NotConfigured("no endpoints in SOPDESK_HTTP_ENDPOINTS", system="http")
    return f"endpoints: {', '.join(names)} (not called: they may have side effects)"


CHECKS = {
    "salesforce": _salesforce,
    "jira": _jira,
    "zendesk": _zendesk,
    "carrier": _carrier,
    "email": _email,
    "http": _http,
}


def check(system: str) -> Check:
    try:
        with retry.policy_override(retry.RetryPolicy(attempts=1)):
            return Check(system, OK, CHECKS[system]())
    except NotConfigured as exc:
        return Check(system, NOT_CONFIGURED, str(exc))
    except ConnectorError as exc:
        return _verdict(system, exc)


def check_all() -> list[Check]:
    return [check(system) for system in CHECKS]


def declared_checks() -> list[tuple[Check, str]]:
    """Each declared endpoint and MCP server (connectors.declared), with where it is."""
    from connectors.declared.health import targets

    results = []
    for label, where, probe in targets():
        try:
            with retry.policy_override(retry.RetryPolicy(attempts=1)):
                results.append((Check(label, OK, probe()), where))
        except NotConfigured as exc:
            results.append((Check(label, NOT_CONFIGURED, str(exc)), where))
        except ConnectorError as exc:
            results.append((_verdict(label, exc), where))
    return results


def summary() -> list[dict[str, Any]]:
    """Safe, JSON-able: the account description (no secrets) and the check result."""
    rows = [{**config.describe(c.system), "status": c.status, "detail": c.detail} for c in check_all()]
    rows += [
        {"system": c.system, "configured": True, "url": where, "status": c.status, "detail": c.detail}
        for c, where in declared_checks()
    ]
    return rows

"""Where a person opens a Zendesk ticket: the agent page of the configured account.

Real account: `https://{subdomain}.zendesk.com/agent/tickets/{id}` (what
Zendesk's `{{ticket.link}}` placeholder renders). Sandbox mode: the same path
on the local emulator, which serves a read-only ticket page there, so links
stay on this machine like the Jira and Salesforce ones.
"""

from __future__ import annotations

import re

from connectors import config
from connectors.base import NotConfigured

_API_TICKET = re.compile(r"/api/v2/tickets/(\d+)(?:\.json)?/?$")


def ticket_url(ticket_id: str | int) -> str:
    """The agent page of ticket `ticket_id`, or "" when Zendesk is not configured or the id is not a number."""
    ticket = str(ticket_id).strip().lstrip("#")
    if not ticket.isdigit():
        return ""
    try:
        account = config.account("zendesk")
    except NotConfigured:
        return ""
    base = account["url"] if account["sandbox"] else f"https://{account['subdomain']}.zendesk.com"
    return f"{base.rstrip('/')}/agent/tickets/{ticket}"


def ticket_id_from_url(url: str) -> str:
    """The ticket id in an API URL (`.../api/v2/tickets/12.json`, as exports carry) or an agent URL; else ""."""
    match = _API_TICKET.search(url or "") or re.search(r"/agent/tickets/(\d+)/?$", url or "")
    return match.group(1) if match else ""

"""Which parser reads which source's stored bodies: used to process a kept event again (`events retry`)."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings

from cases.casefacts import NormalisedEvent
from cases.webhooks import generic, jira, salesforce, zendesk

Parser = Callable[[dict[str, str], bytes], list[NormalisedEvent]]


def parser_for(source: str) -> Parser:
    """The parser for a stored event's source; KeyError for a source that has none (e.g. `schedule`)."""
    org_id = settings.WEBHOOK_SECRETS.get("salesforce_org_id", "")
    parsers: dict[str, Parser] = {
        "zendesk": zendesk.parse,
        "jira": jira.parse,
        "salesforce": lambda headers, body: salesforce.parse(headers, body, org_id=org_id),
        "api": generic.parse,
    }
    return parsers[source]

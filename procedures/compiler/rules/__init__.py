"""The rules compiler: deterministic, no model, the default when no key is configured.

`compile_rules(source)` reads numbered/bulleted steps, note lines with arrows
and prose; "if/when … then/otherwise", "unless", "for X customers", money
thresholds, durations and schedules, approvals with evidence, "stop"/"close".
Every step carries the span of the sentence it came from and that sentence as
its `instruction`. What it cannot understand becomes a judgement step plus a
warning quoting the sentence — never a silent drop.

Case facts (provided by the engine; the validator checks against this list)
  case.subject, case.description, case.tags (list of strings, lower case),
  case.requester_email, case.requester_name, case.organization,
  case.ticket_id, case.url (link to the ticket), case.amount (number: the
  money amount of the claim/order/charge), case.fields (map of custom fields:
  case.fields.tracking_number, .carrier, .ship_date, .declared_value,
  .severity, .system, .reason, .serial_number, .<name>_days for ages and
  delays, ...), case.attachments (list of {kind, name, url}; kind "photo" for
  photos), case.group, case.priority, case.tier, case.status,
  case.assignee_email.

Results of earlier steps (save_as)
  account (salesforce.query_account), opportunity
  (salesforce.query_open_opportunity), shipment (carrier.lookup_shipment),
  claim (carrier.file_claim), settlement (carrier.claim_status), jira
  (jira.create_issue), issue (jira.get_issue), ticket (zendesk.get_ticket);
  attributes are the operation's declared `returns`.

Events a wait listens for (`for_event`)
  customer.replied   the requester answered on the ticket
  claim.settled      the carrier settled a filed claim
  approval.decided   an approver decided an approval step
  warehouse.scanned  a returned item was scanned at the warehouse
  meeting.booked     a kickoff or call was booked
  issue.done         a linked Jira issue was done
  incident.resolved  the incident was resolved
  payment.received   a payment arrived
  sla.first_response_due  the SLA clock's first-response warning time was reached
  sla.breached       the SLA clock's resolution window passed
"""

from __future__ import annotations

import re

from procedures.compiler.base import CompileError, CompileIssue, CompileResult
from procedures.compiler.rules.builder import Builder
from procedures.compiler.rules.segment import Item, Segment, items, sentences
from procedures.compiler.rules.walker import Walker

RULES_VERSION = "1"
_ENGLISH = re.compile(
    r"\b(?:the|a|an|if|and|or|to|of|in|on|out|is|are|for|with|when|then|after|no|yes|not|reply|send|email|"
    r"check|ticket|customer|close|tag|wait|days?|hours?)\b",
    re.I,
)
# Common words of other languages written in Latin script (German, French, Spanish, Portuguese, Italian, Dutch).
_FOREIGN = re.compile(
    r"\b(?:der|die|das|und|nicht|wenn|mit|für|ist|le|la|les|et|pas|si|avec|pour|est|el|los|las|y|que|para|con|"
    r"es|não|com|il|di|che|non|het|een|niet|voor)\b",
    re.I,
)


def compile_rules(source: str) -> CompileResult:
    """Compile SOP text into a graph, deterministically. Raises CompileError when no step is recognisable."""
    found = items(source)
    builder = Builder(source, sentences=_all_sentences(found))
    if found and _is_title(found[0], len(found)):
        builder.title = found[0].segment.text
        found = found[1:]
    _require_english(source)
    walker = Walker(builder)
    for item in found:
        walker.item(item)
    if walker.understood == 0:
        raise CompileError(
            "No step recognised: the rules compiler reads English procedures written as steps "
            "(numbered or bulleted), 'if … then …' rules, thresholds and waits. Rewrite the SOP as steps, "
            "or configure a model for free-form text.",
            [CompileIssue("nothing recognised", code="nothing_recognised")],
        )
    walker.finish_constraints()
    end = len(source.rstrip())
    graph = builder.finish(Segment("", end, end))
    return CompileResult(graph=graph, compiler="rules", compiler_version=RULES_VERSION, warnings=builder.warnings)


def _all_sentences(found: list[Item]) -> list[Segment]:
    result: list[Segment] = []
    for item in found:
        result += sentences(item.segment)
        result += _all_sentences(item.children)
    return result


def _is_title(item: Item, count: int) -> bool:
    text = item.segment.text
    return (
        count > 1
        and not item.marked
        and not item.children
        and len(text.split()) <= 8
        and not re.search(r"[.!?:;,]$|->|→|\$|\d", text)
        and not re.match(r"(?:if|when|for|once)\b", text, re.I)
    )


def _require_english(source: str) -> None:
    """Refuse text that is clearly not English: mostly non-Latin script, or more foreign than English function words."""
    words = re.findall(r"[^\W\d_]+", source)
    if not words:
        raise CompileError(
            "The SOP has no words in it: paste the procedure text.", [CompileIssue("no words", code="no_words")]
        )
    non_latin = sum(1 for w in words if not re.fullmatch(r"[A-Za-zÀ-ÿ'-]+", w))
    english, foreign = len(_ENGLISH.findall(source)), len(_FOREIGN.findall(source))
    if non_latin > len(words) / 2 or (foreign >= 2 and foreign > english) or english == 0:
        raise CompileError(
            "The SOP does not look like English: the rules compiler reads English procedures only. "
            "Translate it, or configure a model compiler.",
            [CompileIssue("too few English words", code="not_english")],
        )

"""The rules compiler: deterministic, no model, the default when no key is configured.

A pipeline of one-way stages, each importable and testable alone:
  document   text → blocks (headings, items with numbering and nesting, tables, code, paragraphs), spans
  sentences  blocks → sentences, classified procedural or non-procedural (title, purpose, io_list, ...)
  candidates clause → typed step candidates (actions, conditions, waits, approvals, ends)
             (`actions`, `operations`, `conditions` with `fields` and `comparisons`, `timing`, `vocabulary`,
             `quantities`; ordinary phrasings in `ticket_states`, `jira_followups`, `http_bodies`,
             `lead_ins` ("<statement>: <step>"), `same_request` ("the same POST as above"), `priority_rules`
             ("Priority High when …, otherwise Medium"), `approvals` (an approval said again))
  graph      candidates + structure → Graph (`walker`, `shapes`, `sections`, `tables`, `ladders`, `builder`)
  gates      Graph → Graph: every automated step the compiler is not sure of becomes a judgement with a
             warning (`gates`, with the checks in `certainty` and `wording`)
  coverage   every sentence / row → automated, person, not_understood or non_procedural
Validation (`procedures.compiler.validate`) runs after, in `compile_source`.

Limits: the source is at most `MAX_SOURCE_BYTES` (200 KB) and `document.MAX_LINES`
(20,000) lines; every pattern is linear in the line or sentence it reads, so a
195 KB SOP compiles in a few seconds.

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
from procedures.compiler.rules.coverage import coverage
from procedures.compiler.rules.document import blocks
from procedures.compiler.rules.graph import build

RULES_VERSION = "2"
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
    _require_english(source)
    found = blocks(source)
    graph, builder, understood = build(source, found)
    if understood == 0:
        raise CompileError(
            "No step recognised: the rules compiler reads English procedures written as steps "
            "(numbered or bulleted), 'if … then …' rules, thresholds and waits. Rewrite the SOP as steps, "
            "or configure a model for free-form text.",
            [CompileIssue("nothing recognised", code="nothing_recognised")],
        )
    entries, extra = coverage(source, found, graph, builder.warnings, builder.marks)
    return CompileResult(
        graph=graph,
        compiler="rules",
        compiler_version=RULES_VERSION,
        warnings=builder.warnings + extra,
        coverage=entries,
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

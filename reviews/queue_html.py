"""The inbox queue's rows and the claim cell as HTML, built with `format_html` (every value escaped).

A queue page shows 50 rows of 8 cells. Through the template engine a row cost
about 0.15 ms on an idle machine (25 variable lookups, a dozen conditions, an
include), and the page at 10,000 open items rendered 50 rows where the page at
10 renders 10: that difference was most of the inbox's growth with the queue
(issue 16). The markup lives here, next to the values it shows
(`reviews.selectors.InboxRow.cells`); `templates/reviews/_results.html` places
the rows. The claim cell is the same on the item page and in the answer to a claim.
"""

from __future__ import annotations

import html
from typing import Any

from django.template.loader import get_template
from django.utils.safestring import SafeString, mark_safe

MUTED_DASH = mark_safe('<span class="muted">—</span>')


def _format_html(template: str, *args: Any, **kwargs: Any) -> SafeString:
    """Django's `format_html` (every value escaped unless already safe) without its per-value overhead.

    A page formats about 1,000 values; Django's escape goes through its lazy-string wrapper for each.
    """
    return mark_safe(template.format(*map(_escaped, args), **{k: _escaped(v) for k, v in kwargs.items()}))


def _escaped(value: Any) -> str:
    return value.__html__() if hasattr(value, "__html__") else html.escape(str(value))


def claim_html(claim: dict[str, Any]) -> SafeString:
    """Who has the item, with Claim / Release (`reviews.selectors.claim_cell`)."""
    state = claim["state"]
    if state == "decided":
        inner = _format_html('<span class="muted">{}</span>', claim["name"])
    elif state == "mine":
        inner = _format_html(
            '<span class="owner owner-me">You</span> <button type="button" class="btn btn-xs btn-ghost" '
            'data-unclaim hx-post="{}" hx-target="#claim-{}" hx-swap="outerHTML">Release</button>',
            claim["unclaim_url"],
            claim["id"],
        )
    elif state == "taken":
        inner = _format_html('<span class="owner">{}</span>', claim["name"])
    else:
        inner = _format_html(
            '<button type="button" class="btn btn-xs" data-claim hx-post="{}" hx-target="#claim-{}" '
            'hx-swap="outerHTML">Claim</button>',
            claim["claim_url"],
            claim["id"],
        )
    return _format_html('<span class="claim" id="claim-{}">{}</span>', claim["id"], inner)


def _proposal(c: dict[str, Any]) -> SafeString:
    if not c["open"]:
        return _format_html('<span class="decided">✓ {}</span>', c["outcome"])
    if c["proposal_outcome"]:
        confidence = "precedent" if c["proposal_source"] == "precedent" else c["proposal_confidence"]
        return _format_html(
            '<span class="proposal">{}</span> <span class="conf" title="{}">{}</span>',
            c["proposal_outcome"],
            c["proposal_source"],
            confidence,
        )
    return MUTED_DASH


def _due(c: dict[str, Any]) -> SafeString:
    if not c["due_text"]:
        return MUTED_DASH
    return _format_html('<span class="due {}" data-due="{}">{}</span>', c["due_class"], c["due_iso"], c["due_text"])


def _sla(c: dict[str, Any]) -> SafeString:
    if not c["case_sla"]:
        return MUTED_DASH
    return get_template("sla/_countdown.html").render({"countdown": c["case_sla"]})


def row_html(c: dict[str, Any]) -> SafeString:
    """One `<tr>` of the queue from `InboxRow.cells`."""
    classes = "queue-row" + (" is-overdue" if c["overdue"] else "") + ("" if c["open"] else " is-decided")
    account = _format_html(" · {}", c["account_name"]) if c["account_name"] else ""
    role = _format_html('<div class="sub">for {}</div>', c["required_role"]) if c["required_role"] else ""
    return _format_html(
        '<tr class="{classes}" data-href="{url}" data-item="{id}" tabindex="-1">'
        '<td class="col-id muted">{id}</td>'
        '<td class="col-case"><a href="{url}" class="case-link">{subject}</a>'
        '<div class="sub"><a href="{case_url}" class="case-ref">case #{case_id}</a> · {procedure} · '
        '<code>{step}</code>{account} · <span class="why">{why}</span></div></td>'
        '<td class="col-reason"><span class="chip chip-{reason}">{reason_label}</span>{role}</td>'
        '<td class="col-proposal">{proposal}</td>'
        '<td class="col-age" data-since="{created}">{age}</td>'
        '<td class="col-due">{due}</td>'
        '<td class="col-sla">{sla}</td>'
        '<td class="col-owner">{claim}</td>'
        "</tr>",
        classes=classes,
        url=c["url"],
        id=c["id"],
        subject=c["subject"],
        case_url=c["case_url"],
        case_id=c["case_id"],
        procedure=c["procedure_name"],
        step=c["step_key"],
        account=account,
        why=c["why"],
        reason=c["reason"],
        reason_label=c["reason_label"],
        role=role,
        proposal=_proposal(c),
        created=c["created_iso"],
        age=c["age_text"],
        due=_due(c),
        sla=_sla(c),
        claim=claim_html(c["claim"]),
    )


def rows_html(cells: list[dict[str, Any]]) -> SafeString:
    return mark_safe("\n".join(row_html(c) for c in cells))

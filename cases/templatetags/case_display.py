"""Template tags for case data in plain language (see cases/display.py).

{% load case_display %}
{{ entry.decision|decision_text }}          one sentence
{{ value|value_text }}                      yes/no, lists joined, — for empty
{% facts_table case.facts %}                a two-column table of dotted paths
{% request_block entry.request %}           operation, parameter table, long text
"""

from __future__ import annotations

from django import template

from cases import display

register = template.Library()

register.filter("decision_text", display.decision_text)
register.filter("value_text", display.value_text)
register.filter("outcomes_text", display.outcomes_text)
register.filter("entry_links", display.entry_links)


@register.inclusion_tag("cases/_facts.html")
def facts_table(facts, caption: str = "", empty: str = "No facts recorded."):
    return {"rows": display.facts_rows(facts), "caption": caption, "empty": empty}


@register.inclusion_tag("cases/_request.html")
def request_block(request, idempotency_key: str = "", label: str = ""):
    return {"view": display.request_view(request), "idempotency_key": idempotency_key, "label": label}

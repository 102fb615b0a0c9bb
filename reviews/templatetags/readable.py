"""`{% load readable %}`: `value|readable` (text) and `value|rows` ((name, text) pairs) for facts and decisions."""

from __future__ import annotations

from django import template

from cases.readable import readable_text, table_rows

register = template.Library()


@register.filter
def readable(value):
    return readable_text(value)


@register.filter
def rows(value):
    return table_rows(value)

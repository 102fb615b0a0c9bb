"""Filters shared by the API's FilterSets."""

from __future__ import annotations

import datetime as dt

import django_filters
from django import forms

MAX_ID = 2**63 - 1  # the largest id any supported database stores; larger numbers are a 400, not a crash


class IdFilter(django_filters.NumberFilter):
    """An object id in a query parameter: a whole number from 1 to MAX_ID."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(*args, **kwargs)


class _UtcIsoDateTimeField(django_filters.fields.IsoDateTimeField):
    """An ISO 8601 time converted to UTC here, so no database sees an offset it cannot represent (±16 h)."""

    def to_python(self, value):
        parsed = super().to_python(value)
        if parsed is None:
            return None
        try:
            return parsed.astimezone(dt.UTC)
        except (OverflowError, ValueError):
            raise forms.ValidationError(
                "Give a time between years 1 and 9999, e.g. 2026-11-27T08:00:00Z.", code="out_of_range"
            ) from None


class TimeFilter(django_filters.IsoDateTimeFilter):
    """A date-time query parameter in ISO 8601 with any UTC offset; out-of-range values are a 400 naming it."""

    field_class = _UtcIsoDateTimeField

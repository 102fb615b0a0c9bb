"""Filters shared by the API's FilterSets."""

from __future__ import annotations

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

"""Decisions (precedents) in the admin: read-only, searchable, linked to the inbox item."""

from __future__ import annotations

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html

from cases.models import Decision


@admin.register(Decision)
class DecisionAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "procedure",
        "step_key",
        "reason",
        "outcome",
        "source",
        "proposed_outcome",
        "decided_by",
        "decided_at",
        "inbox",
    ]
    list_filter = ["source", "reason", "procedure"]
    search_fields = ["step_key", "outcome", "note", "case_text", "signature"]
    list_select_related = ["procedure", "decided_by"]
    date_hierarchy = "decided_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description="Item")
    def inbox(self, obj: Decision) -> str:
        return format_html('<a href="{}">#{}</a>', reverse("reviews:item", args=[obj.item_id]), obj.item_id)

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


# --- Insights, regression cases and the weekly report (issue 13) -------------------------------

from reviews.models import Insight, MiningCursor, RegressionCase, RegressionRun, ReportSchedule  # noqa: E402


@admin.register(Insight)
class InsightAdmin(admin.ModelAdmin):
    list_display = ["title", "procedure", "kind", "evidence_count", "impact", "status", "active", "page"]
    list_filter = ["kind", "status", "active", "procedure"]
    search_fields = ["title", "key", "note"]
    readonly_fields = ["procedure", "kind", "key", "title", "detail", "evidence", "evidence_count", "impact",
                       "amendment", "amended_source", "draft_version", "simulated_impact", "decided_by", "decided_at",
                       "evidence_at_decision"]  # fmt: skip

    def has_add_permission(self, request):
        return False

    @admin.display(description="Insights page")
    def page(self, obj: Insight) -> str:
        return format_html('<a href="{}">open</a>', reverse("reviews:insight", args=[obj.id]))


@admin.register(RegressionCase)
class RegressionCaseAdmin(admin.ModelAdmin):
    list_display = ["case", "procedure", "source", "step_key", "expected", "created_by", "created_at"]
    list_filter = ["source", "procedure"]
    raw_id_fields = ["case", "decision"]


@admin.register(RegressionRun)
class RegressionRunAdmin(admin.ModelAdmin):
    list_display = ["version", "passed", "failed", "held", "created_at"]
    readonly_fields = ["version", "results", "passed", "failed", "held"]


@admin.register(ReportSchedule)
class ReportScheduleAdmin(admin.ModelAdmin):
    list_display = ["__str__", "recipients", "enabled", "last_sent_at"]
    list_editable = ["enabled"]


@admin.register(MiningCursor)
class MiningCursorAdmin(admin.ModelAdmin):
    list_display = ["name", "position", "last_pass_at", "last_pass_cases", "last_pass_seconds"]

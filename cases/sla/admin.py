"""Admin: ops managers edit policies (with their escalation chain), calendars, queues and contacts.

Clocks and fires are read-only: they are what happened.
"""

from __future__ import annotations

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from cases.sla.models import BusinessCalendar, EscalationRule, SlaClock, SlaContact, SlaFire, SlaPolicy, SlaQueue


class EscalationRuleInline(admin.TabularInline):
    model = EscalationRule
    extra = 0
    fields = ("position", "key", "clock", "anchor", "offset", "action", "roles", "addresses", "instruction")


@admin.register(SlaPolicy)
class SlaPolicyAdmin(SimpleHistoryAdmin):
    list_display = (
        "name",
        "enabled",
        "position",
        "match_tiers",
        "first_response_target",
        "assignment_target",
        "resolution_target",
        "calendar",
    )
    list_filter = ("enabled",)
    search_fields = ("name",)
    inlines = [EscalationRuleInline]
    fieldsets = (
        (None, {"fields": ("name", "enabled", "position", "source_text")}),
        ("Which cases", {"fields": ("match_tiers", "match_priorities", "match_queues", "match_sources")}),
        (
            "Targets",
            {
                "fields": (
                    ("first_response_target", "first_response_business_hours"),
                    ("assignment_target", "assignment_business_hours"),
                    ("resolution_target", "resolution_business_hours"),
                    "calendar",
                )
            },
        ),
    )


@admin.register(BusinessCalendar)
class BusinessCalendarAdmin(SimpleHistoryAdmin):
    list_display = ("name", "time_zone")
    search_fields = ("name",)


@admin.register(SlaQueue)
class SlaQueueAdmin(SimpleHistoryAdmin):
    list_display = ("name", "calendar", "time_zone")
    search_fields = ("name",)


@admin.register(SlaContact)
class SlaContactAdmin(SimpleHistoryAdmin):
    list_display = ("role", "queue", "name", "email")
    list_filter = ("role",)
    search_fields = ("role", "queue", "name", "email")


class SlaFireInline(admin.TabularInline):
    model = SlaFire
    extra = 0
    can_delete = False
    fields = ("rule_key", "at", "due_at", "fired_at", "cancelled_at", "attempts", "result", "error")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(SlaClock)
class SlaClockAdmin(admin.ModelAdmin):
    list_display = ("case", "kind", "policy", "started_at", "due_at", "paused_at", "stopped_at", "breached_at")
    list_filter = ("kind", "policy")
    list_select_related = ("case", "policy")
    raw_id_fields = ("case",)
    inlines = [SlaFireInline]
    readonly_fields = (
        "case",
        "policy",
        "kind",
        "target",
        "business_hours",
        "started_at",
        "resumed_at",
        "consumed",
        "due_at",
        "paused_at",
        "paused_seconds",
        "stopped_at",
        "breached_at",
    )

    def has_add_permission(self, request) -> bool:
        return False

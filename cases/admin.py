from django.contrib import admin
from django.db import models
from simple_history.admin import SimpleHistoryAdmin

from cases.models import Case, InboundEvent, ReviewItem, Run, StepExecution, Timer


@admin.register(InboundEvent)
class InboundEventAdmin(admin.ModelAdmin):
    list_display = ["id", "source", "event_type", "status", "verification", "received_at", "case"]
    list_filter = ["source", "status", "verification"]
    search_fields = ["dedupe_key", "event_type", "body"]
    raw_id_fields = ["duplicate_of", "case"]
    readonly_fields = ["received_at"]


class RunInline(admin.TabularInline):
    model = Run
    fields = ["version", "mode", "status", "current_step", "started_at"]
    readonly_fields = ["started_at"]
    raw_id_fields = ["version"]
    extra = 0
    show_change_link = True


@admin.register(Case)
class CaseAdmin(SimpleHistoryAdmin):
    list_display = ["id", "subject", "source", "status", "priority", "assignee", "queue", "opened_at"]
    list_filter = ["status", "source", "priority", "queue"]
    search_fields = ["subject", "description", "external_id", "requester_email", "account_name"]
    raw_id_fields = ["assignee"]
    date_hierarchy = "opened_at"
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    inlines = [RunInline]


class StepExecutionInline(admin.TabularInline):
    model = StepExecution
    fields = ["sequence", "step_key", "status", "attempt", "idempotency_key", "started_at", "finished_at"]
    readonly_fields = ["started_at"]
    extra = 0
    show_change_link = True


@admin.register(Run)
class RunAdmin(admin.ModelAdmin):
    list_display = ["id", "case", "version", "mode", "status", "current_step", "started_at"]
    list_filter = ["status", "mode"]
    raw_id_fields = ["case", "version"]
    inlines = [StepExecutionInline]


@admin.register(StepExecution)
class StepExecutionAdmin(admin.ModelAdmin):
    list_display = ["id", "run", "sequence", "step_key", "status", "attempt", "started_at"]
    list_filter = ["status"]
    search_fields = ["step_key", "idempotency_key"]
    raw_id_fields = ["run"]


@admin.register(Timer)
class TimerAdmin(admin.ModelAdmin):
    list_display = ["id", "run", "step_key", "kind", "due_at", "fired_at", "cancelled_at"]
    list_filter = ["kind"]
    raw_id_fields = ["run"]


@admin.register(ReviewItem)
class ReviewItemAdmin(SimpleHistoryAdmin):
    list_display = ["id", "case", "step_key", "reason", "status", "required_role", "assignee", "created_at"]
    list_filter = ["status", "reason", "required_role"]
    search_fields = ["summary", "step_key", "note"]
    raw_id_fields = ["run", "case", "assignee", "decided_by"]

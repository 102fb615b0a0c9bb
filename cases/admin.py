from django.contrib import admin, messages
from django.db import models
from django.urls import reverse
from django.utils.html import format_html
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
    list_display = ["id", "subject", "source", "status", "priority", "assignee", "queue", "opened_at", "timeline"]
    list_filter = ["status", "source", "priority", "queue"]
    search_fields = ["subject", "description", "external_id", "requester_email", "account_name"]
    raw_id_fields = ["assignee"]
    date_hierarchy = "opened_at"
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    inlines = [RunInline]
    readonly_fields = ["timeline"]

    def save_model(self, request, obj, form, change):
        """A person changing the status moves the SLA clocks with it (`cases.services.case_status_set`)."""
        if not (change and "status" in form.changed_data):
            return super().save_model(request, obj, form, change)
        from cases.services import case_status_set

        status, obj.status = obj.status, form.initial["status"]
        super().save_model(request, obj, form, change)
        case_status_set(case=obj, status=status)
        obj.refresh_from_db()

    @admin.display(description="Timeline")
    def timeline(self, obj):
        if not obj.pk:
            return ""
        return format_html('<a href="{}">timeline</a>', reverse("cases:timeline", args=[obj.pk]))


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
    actions = ["decide_approve", "decide_reject", "decide_retry", "decide_skip", "decide_stop"]

    def save_model(self, request, obj, form, change):
        """An open item saved with an outcome is a decision: it goes through hold_resolve and resumes the run."""
        from cases.services import RunError, hold_resolve

        original = ReviewItem.objects.get(pk=obj.pk) if change else None
        if original and original.status == ReviewItem.Status.OPEN and obj.outcome:
            try:
                hold_resolve(
                    item=original,
                    outcome=obj.outcome,
                    params=obj.decision_params or {},
                    user=request.user,
                    note=obj.note,
                )
            except RunError as exc:
                self.message_user(request, str(exc), messages.ERROR)
            return
        super().save_model(request, obj, form, change)

    def _decide(self, request, queryset, outcome):
        from cases.services import RunError, hold_resolve

        done = 0
        for item in queryset.filter(status=ReviewItem.Status.OPEN):
            try:
                hold_resolve(item=item, outcome=outcome, user=request.user)
                done += 1
            except RunError as exc:
                self.message_user(request, f"#{item.pk}: {exc}", messages.WARNING)
        self.message_user(request, f"{done} item(s) decided: {outcome}; their runs resume.")

    @admin.action(description="Decide: approve", permissions=["change"])
    def decide_approve(self, request, queryset):
        self._decide(request, queryset, "approve")

    @admin.action(description="Decide: reject", permissions=["change"])
    def decide_reject(self, request, queryset):
        self._decide(request, queryset, "reject")

    @admin.action(description="Decide: try again", permissions=["change"])
    def decide_retry(self, request, queryset):
        self._decide(request, queryset, "retry")

    @admin.action(description="Decide: treat as done and go on", permissions=["change"])
    def decide_skip(self, request, queryset):
        self._decide(request, queryset, "skip")

    @admin.action(description="Decide: stop the run", permissions=["change"])
    def decide_stop(self, request, queryset):
        self._decide(request, queryset, "stop")

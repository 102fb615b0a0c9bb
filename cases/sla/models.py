"""SLA policies, business calendars, the people escalations go to, clocks per case and their fires.

An SlaPolicy (compiled from an SOP or edited in the admin) matches cases and
sets targets per clock kind; its EscalationRules say what happens when. When
a case opens, one SlaClock per target starts, and one SlaFire per (clock,
rule) is written with its due time. The sweep fires due SlaFire rows, each
exactly once (a unique (clock, rule_key) row claimed with a compare-and-set
UPDATE). A built-in `breach` fire per clock marks the breach itself.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import models
from simple_history.models import HistoricalRecords

from cases.sla.calendars import Calendar, CalendarError, calendar_parse

BREACH_RULE = "breach"


class ClockKind(models.TextChoices):
    FIRST_RESPONSE = "first_response", "First response"
    ASSIGNMENT = "assignment", "Assignment"
    RESOLUTION = "resolution", "Resolution"


def _weekdays_9_to_5() -> dict:
    return {day: [["09:00", "17:00"]] for day in ("mon", "tue", "wed", "thu", "fri")}


class BusinessCalendar(models.Model):
    name = models.CharField(max_length=100, unique=True)
    time_zone = models.CharField(max_length=64, default="UTC", help_text="IANA name, e.g. Europe/Berlin.")
    weekly_hours = models.JSONField(
        default=_weekdays_9_to_5, help_text='Local opening hours per weekday: {"mon": [["09:00", "17:00"]], …}.'
    )
    holidays = models.JSONField(default=list, blank=True, help_text='Local dates closed all day: ["2026-12-25"].')
    history = HistoricalRecords()

    def __str__(self) -> str:
        return f"{self.name} ({self.time_zone})"

    def clean(self) -> None:
        try:
            self.spec()
        except CalendarError as exc:
            raise ValidationError(str(exc)) from None

    def spec(self, *, time_zone: str = "") -> Calendar:
        return calendar_parse(
            time_zone=time_zone or self.time_zone, weekly_hours=self.weekly_hours or {}, holidays=self.holidays
        )


class SlaQueue(models.Model):
    """A queue's business calendar and time zone (the SOP's "in the queue's time zone")."""

    name = models.CharField(max_length=100, unique=True, help_text="Case.queue value.")
    calendar = models.ForeignKey(
        BusinessCalendar,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="queues",
        help_text="Overrides the policy's calendar for business-hours targets.",
    )
    time_zone = models.CharField(max_length=64, blank=True, help_text="Empty: the calendar's time zone.")
    history = HistoricalRecords()

    class Meta:
        verbose_name = "SLA queue"

    def __str__(self) -> str:
        return self.name


class SlaContact(models.Model):
    """Who a role in an escalation means: "team_lead" of a queue, "vp_customer_success", …"""

    role = models.SlugField(max_length=64, help_text="team_lead, vp_customer_success, … (assignee is built in).")
    queue = models.CharField(max_length=100, blank=True, help_text="Empty: every queue without its own.")
    name = models.CharField(max_length=200, blank=True)
    email = models.EmailField()
    history = HistoricalRecords()

    class Meta:
        verbose_name = "SLA contact"
        constraints = [models.UniqueConstraint(fields=["role", "queue"], name="sla_unique_contact_role_queue")]

    def __str__(self) -> str:
        return f"{self.role} ({self.queue or 'all queues'}): {self.email}"


class SlaPolicy(models.Model):
    name = models.CharField(max_length=200, unique=True)
    enabled = models.BooleanField(default=True)
    position = models.PositiveIntegerField(default=100, help_text="Policies are tried in this order; first match wins.")
    match_tiers = models.JSONField(default=list, blank=True, help_text='e.g. ["enterprise"]; empty: any tier.')
    match_priorities = models.JSONField(default=list, blank=True, help_text="Case priorities; empty: any.")
    match_queues = models.JSONField(default=list, blank=True, help_text="Case queues; empty: any.")
    match_sources = models.JSONField(default=list, blank=True, help_text="zendesk, jira, salesforce, api; empty: any.")
    first_response_target = models.DurationField(null=True, blank=True)
    first_response_business_hours = models.BooleanField(default=False)
    assignment_target = models.DurationField(null=True, blank=True)
    assignment_business_hours = models.BooleanField(default=False)
    resolution_target = models.DurationField(null=True, blank=True)
    resolution_business_hours = models.BooleanField(default=False)
    calendar = models.ForeignKey(
        BusinessCalendar,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="policies",
        help_text="Business hours for targets counted in business hours (a queue's calendar overrides it).",
    )
    source_text = models.TextField(blank=True, help_text="The SOP sentence(s) this policy was compiled from.")
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["position", "id"]
        verbose_name = "SLA policy"
        verbose_name_plural = "SLA policies"

    def __str__(self) -> str:
        return self.name

    def target(self, kind: str):
        return getattr(self, f"{kind}_target")

    def business_hours(self, kind: str) -> bool:
        return getattr(self, f"{kind}_business_hours")


class EscalationRule(models.Model):
    class Anchor(models.TextChoices):
        DUE = "due", "Relative to the due time"
        START = "start", "After the clock started"

    class Action(models.TextChoices):
        NOTIFY = "notify", "Notify by email"
        REASSIGN = "reassign", "Reassign to the queue's team lead"
        RISK_FLAG = "risk_flag", "Set the Salesforce account risk flag"

    policy = models.ForeignKey(SlaPolicy, on_delete=models.CASCADE, related_name="rules")
    key = models.SlugField(max_length=64, help_text="Unique within the policy; fires once per case clock.")
    position = models.PositiveIntegerField(default=0)
    clock = models.CharField(max_length=20, choices=ClockKind.choices)
    anchor = models.CharField(max_length=10, choices=Anchor.choices, default=Anchor.DUE)
    offset = models.DurationField(
        default=dt.timedelta(0),
        help_text="Due anchor: -00:15:00 is 15 minutes before due. Start anchor: 00:30:00 after start.",
    )
    action = models.CharField(max_length=20, choices=Action.choices)
    roles = models.JSONField(default=list, blank=True, help_text='Notify: ["assignee", "team_lead", …].')
    addresses = models.JSONField(default=list, blank=True, help_text="Notify: extra email addresses.")
    instruction = models.TextField(blank=True, help_text="The SOP sentence this rule came from.")
    history = HistoricalRecords()

    class Meta:
        ordering = ["policy", "position", "id"]
        constraints = [models.UniqueConstraint(fields=["policy", "key"], name="sla_unique_rule_key")]

    def __str__(self) -> str:
        return f"{self.policy}: {self.key}"

    def clean(self) -> None:
        if self.key == BREACH_RULE:
            raise ValidationError({"key": f"{BREACH_RULE!r} is reserved for the built-in breach marker."})
        if self.action == self.Action.NOTIFY and not (self.roles or self.addresses):
            raise ValidationError("A notify rule needs at least one role or address.")


class SlaClock(models.Model):
    """One target on one case. `consumed` is clock time used before `resumed_at` (pauses excluded)."""

    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="sla_clocks")
    policy = models.ForeignKey(SlaPolicy, on_delete=models.PROTECT, related_name="clocks")
    kind = models.CharField(max_length=20, choices=ClockKind.choices)
    target = models.DurationField()
    business_hours = models.BooleanField(default=False)
    started_at = models.DateTimeField()
    resumed_at = models.DateTimeField(help_text="Start of the current running stretch.")
    consumed = models.DurationField(default=dt.timedelta(0))
    due_at = models.DateTimeField(null=True, blank=True, help_text="Empty while paused.")
    paused_at = models.DateTimeField(null=True, blank=True)
    paused_seconds = models.PositiveIntegerField(default=0, help_text="Wall-clock seconds spent paused.")
    stopped_at = models.DateTimeField(null=True, blank=True)
    breached_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["case", "kind"]
        constraints = [models.UniqueConstraint(fields=["case", "kind"], name="sla_unique_clock_per_case_kind")]
        indexes = [
            models.Index(fields=["due_at"], name="sla_clock_running_due_idx", condition=models.Q(stopped_at=None)),
            models.Index(fields=["stopped_at"], name="sla_clock_stopped_idx"),
            models.Index(fields=["breached_at"], name="sla_clock_breached_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on case {self.case_id}"

    @property
    def running(self) -> bool:
        return self.stopped_at is None and self.paused_at is None


class SlaFire(models.Model):
    """One escalation rule (or the breach marker) on one clock: due once, fired at most once."""

    clock = models.ForeignKey(SlaClock, on_delete=models.CASCADE, related_name="fires")
    rule = models.ForeignKey(EscalationRule, null=True, blank=True, on_delete=models.SET_NULL, related_name="fires")
    rule_key = models.CharField(max_length=64)
    at = models.DurationField(help_text="Clock time (pauses excluded) at which it is due.")
    due_at = models.DateTimeField(null=True, blank=True, help_text="Empty while the clock is paused.")
    fired_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    result = models.JSONField(null=True, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["clock", "at"]
        constraints = [models.UniqueConstraint(fields=["clock", "rule_key"], name="sla_unique_fire_per_rule")]
        indexes = [
            models.Index(
                fields=["due_at"],
                name="sla_fire_pending_due_idx",
                condition=models.Q(fired_at=None, cancelled_at=None),
            ),
            models.Index(
                fields=["fired_at"],
                name="sla_fire_unrecorded_idx",
                condition=models.Q(fired_at__isnull=False, result__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.rule_key} on clock {self.clock_id}"

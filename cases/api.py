"""REST API for cases, runs and inbound events. Thin: writes go through cases.intake / services / cancellation / tryout.

GET  /api/v1/cases/                 list (filters: status, priority, source, queue, external_id,
                                    assignee, opened_after, opened_before; search: q)
POST /api/v1/cases/                 create a case from an event — the same intake as POST /api/events/:
                                    stored as an InboundEvent, deduplicated on Idempotency-Key,
                                    matching published procedures start
GET  /api/v1/cases/{id}/            one case
GET  /api/v1/cases/{id}/timeline/   what happened: events, steps (with their SOP sentence), waits, holds
GET  /api/v1/runs/  /runs/{id}/     runs (filters: case, procedure, version, status, mode)
POST /api/v1/runs/                  start a procedure on a case (live, dry_run or shadow)
POST /api/v1/runs/dry-run/          try a version on a sample case, synchronously; nothing is written outside
GET  /api/v1/events/  /events/{id}/ inbound events as received (read-only)
"""

from __future__ import annotations

import json
import math
import re

import django_filters
from django.db.models import Q
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema, extend_schema_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from cases import cancellation, intake, selectors, services, tryout
from cases.models import Case, InboundEvent, Run, Source
from cases.webhooks import generic
from cases.webhooks.base import WebhookRejected
from procedures.models import Procedure, ProcedureVersion
from sopdesk.api_auth import Rule
from sopdesk.api_errors import Conflict, Invalid, Unavailable
from sopdesk.api_filters import IdFilter, TimeFilter

SECRET_HEADER = re.compile(r"auth|token|secret|signature|cookie|key", re.IGNORECASE)

# --- Serializers ---------------------------------------------------------------------------


class CaseSerializer(serializers.ModelSerializer):
    assignee = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    # Plain strings: they may be blank, which an "email"/"uri" format would not allow.
    requester_email = serializers.CharField(read_only=True)
    external_url = serializers.CharField(read_only=True)

    class Meta:
        model = Case
        fields = [
            "id", "source", "external_id", "external_url", "subject", "description", "requester_name",
            "requester_email", "account_name", "facts", "status", "priority", "queue", "assignee",
            "opened_at", "first_response_at", "resolved_at", "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = fields


class FiniteFloatField(serializers.FloatField):
    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        if math.isnan(value) or math.isinf(value):
            self.fail("invalid")
        return value


class RequesterSerializer(serializers.Serializer):
    email = serializers.EmailField(required=False, allow_blank=True)
    name = serializers.CharField(required=False, allow_blank=True, max_length=200)


class AttachmentSerializer(serializers.Serializer):
    kind = serializers.CharField(required=False, max_length=50, help_text="e.g. 'photo'.")
    name = serializers.CharField(required=False, max_length=300)
    url = serializers.URLField(required=False, max_length=1000)


class CaseInSerializer(serializers.Serializer):
    """The `case` object, exactly as POST /api/events/ takes it."""

    external_id = serializers.CharField(
        required=False, allow_blank=True, max_length=255, help_text="Id in your system."
    )
    source = serializers.ChoiceField(choices=Source.choices, default="api", help_text="Where the case lives.")
    subject = serializers.CharField(required=False, allow_blank=True, max_length=500)
    description = serializers.CharField(required=False, allow_blank=True)
    requester = RequesterSerializer(required=False)
    organization = serializers.CharField(required=False, allow_blank=True, max_length=200)
    amount = FiniteFloatField(required=False, allow_null=True)
    tags = serializers.ListField(child=serializers.CharField(max_length=100), required=False, max_length=100)
    group = serializers.CharField(required=False, allow_blank=True, max_length=100)
    priority = serializers.ChoiceField(choices=Case.Priority.values, required=False)
    status = serializers.ChoiceField(
        choices=["new", "open", "pending", "hold", "waiting", "solved", "resolved", "closed"],
        required=False,
        help_text="The case's status in your system; solved/resolved/closed stops its SLA clocks, open again restarts them.",
    )
    tier = serializers.CharField(required=False, allow_blank=True, max_length=100)
    url = serializers.URLField(required=False, allow_blank=True, max_length=500)
    fields = serializers.DictField(required=False, help_text="Any further facts the SOP reads as case.fields.")
    attachments = AttachmentSerializer(many=True, required=False)


@extend_schema_serializer(
    examples=[
        OpenApiExample(
            "claim",
            summary="A freight claim from your claims form",
            request_only=True,
            value={
                "event": "claim.submitted",
                "case": {
                    "external_id": "CLM-1042",
                    "subject": "Crushed pallet on delivery",
                    "description": "Two of six cartons crushed; photos attached.",
                    "requester": {"email": "dana@acme.example", "name": "Dana Diaz"},
                    "organization": "Acme Corp",
                    "amount": 8400,
                    "tags": ["freight-claim"],
                    "priority": "high",
                    "fields": {"tracking_number": "1Z999AA10123456784", "carrier": "UPS"},
                    "attachments": [
                        {"kind": "photo", "name": "crushed.jpg", "url": "https://files.example.com/crushed.jpg"}
                    ],
                },
            },
        )
    ]
)
class CaseEventSerializer(serializers.Serializer):
    event = serializers.RegexField(
        r"^[\w.:-]+$",
        max_length=100,
        default="case.created",
        help_text="The event name procedures' triggers match, e.g. 'case.created' or 'claim.submitted'.",
    )
    case = CaseInSerializer()
    data = serializers.DictField(required=False, help_text="Anything else; kept with the event.")


class CaseCreatedSerializer(serializers.Serializer):
    event = serializers.IntegerField(help_text="The InboundEvent recorded for this request.")
    duplicate = serializers.BooleanField(help_text="True when the Idempotency-Key was seen before.")
    case = CaseSerializer()
    runs_started = serializers.ListField(child=serializers.IntegerField())
    runs_resumed = serializers.ListField(child=serializers.IntegerField())


class TimelineEntrySerializer(serializers.Serializer):
    at = serializers.DateTimeField()
    kind = serializers.ChoiceField(choices=selectors.TIMELINE_KINDS)
    title = serializers.CharField()
    status = serializers.CharField(allow_blank=True)
    run_id = serializers.IntegerField(allow_null=True)
    mode = serializers.CharField(allow_blank=True)
    step_key = serializers.CharField(allow_blank=True)
    step_kind = serializers.CharField(allow_blank=True)
    instruction = serializers.CharField(allow_blank=True, help_text="The SOP sentence the step came from.")
    facts_used = serializers.DictField()
    decision = serializers.JSONField(allow_null=True)
    request = serializers.JSONField(allow_null=True)
    result = serializers.JSONField(allow_null=True)
    error = serializers.CharField(allow_blank=True)
    attempt = serializers.IntegerField()
    idempotency_key = serializers.CharField(allow_blank=True)
    links = serializers.ListField(child=serializers.ListField(child=serializers.CharField()))


class TimelineSerializer(serializers.Serializer):
    case = serializers.IntegerField()
    entries = TimelineEntrySerializer(many=True)


class RunSerializer(serializers.ModelSerializer):
    procedure = serializers.IntegerField(source="version.procedure_id", read_only=True)
    version_number = serializers.IntegerField(source="version.number", read_only=True)

    class Meta:
        model = Run
        fields = [
            "id", "case", "procedure", "version", "version_number", "mode", "status", "current_step",
            "outcome", "error", "started_at", "updated_at", "finished_at",
        ]  # fmt: skip
        read_only_fields = fields


@extend_schema_serializer(
    examples=[
        OpenApiExample(
            "start",
            summary="Run a procedure's published version on a case",
            request_only=True,
            value={"case": 1, "procedure": 1, "mode": "live"},
        )
    ]
)
class RunStartSerializer(serializers.Serializer):
    case = serializers.PrimaryKeyRelatedField(queryset=Case.objects.all())
    procedure = serializers.PrimaryKeyRelatedField(
        queryset=Procedure.objects.all(), required=False, help_text="Runs its published version."
    )
    version = serializers.PrimaryKeyRelatedField(
        queryset=ProcedureVersion.objects.all(), required=False, help_text="A specific compiled version instead."
    )
    mode = serializers.ChoiceField(choices=Run.Mode.values, default=Run.Mode.LIVE)

    def validate(self, attrs):
        version = attrs.get("version")
        procedure = attrs.get("procedure")
        if version is None and procedure is None:
            raise serializers.ValidationError({"procedure": ["Give a procedure (or a version) to run."]})
        if version is None:
            version = procedure.published_version
            if version is None:
                raise serializers.ValidationError({"procedure": ["This procedure has no published version yet."]})
        if not version.graph:
            raise serializers.ValidationError({"version": ["This version has not compiled. Compile it first."]})
        if attrs["mode"] == Run.Mode.LIVE and version.status != ProcedureVersion.Status.PUBLISHED:
            raise serializers.ValidationError({"mode": ["Only a published version runs live; use dry_run."]})
        attrs["version"] = version
        return attrs


class DryRunAnswerSerializer(serializers.Serializer):
    outcome = serializers.CharField(max_length=100, help_text="One key of `question.outcomes`.")
    params = serializers.DictField(
        required=False, help_text='e.g. {"facts": {"plan": "Pro"}} for a missing fact (names from `question.asks`).'
    )


@extend_schema_serializer(
    examples=[
        OpenApiExample(
            "try",
            summary="Try a version on a sample case",
            request_only=True,
            value={
                "version": 1,
                "case": {
                    "subject": "Export to CSV crashes",
                    "tags": ["product-bug"],
                    "requester": {"email": "alice@acme.example", "name": "Alice Adams"},
                    "organization": "Acme Corp",
                },
            },
        )
    ]
)
class DryRunSerializer(serializers.Serializer):
    version = serializers.PrimaryKeyRelatedField(queryset=ProcedureVersion.objects.all())
    case = CaseInSerializer(required=False, help_text="A sample case, as in POST /cases/. Never stored.")
    token = serializers.CharField(
        required=False, max_length=200_000, help_text="To continue: the `token` of the answer that asked a question."
    )
    answer = DryRunAnswerSerializer(required=False, help_text="To continue: your answer to `question`.")

    def validate(self, attrs):
        if attrs.get("token"):
            if not attrs.get("answer"):
                raise serializers.ValidationError({"answer": ["Give an answer to continue a dry run."]})
        elif attrs.get("case") is None:
            raise serializers.ValidationError({"case": ["Give a sample case (or a token and an answer to continue)."]})
        return attrs


class DryRunStepSerializer(serializers.Serializer):
    step_key = serializers.CharField()
    kind = serializers.CharField()
    title = serializers.CharField()
    status = serializers.CharField(help_text="done, read, would write, skipped, failed, waiting, asked or ended.")
    instruction = serializers.CharField(allow_blank=True)
    summary = serializers.CharField(allow_blank=True)
    operation = serializers.CharField(allow_blank=True)
    request = serializers.DictField(help_text="The rendered request (a would-be write is never sent).")
    result = serializers.DictField()
    decision = serializers.DictField()


class DryRunQuestionSerializer(serializers.Serializer):
    step_key = serializers.CharField()
    kind = serializers.ChoiceField(choices=["hold", "wait"])
    reason = serializers.CharField()
    summary = serializers.CharField()
    outcomes = serializers.ListField(child=serializers.DictField())
    asks = serializers.ListField(child=serializers.DictField(), help_text="Facts to enter: name, path, type, choices.")
    details = serializers.DictField()


class DryRunResultSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=["completed", "held", "waiting"])
    outcome = serializers.CharField(allow_blank=True)
    steps = DryRunStepSerializer(many=True, help_text="The path taken.")
    writes = serializers.ListField(child=serializers.DictField(), help_text="Every write it would make.")
    question = DryRunQuestionSerializer(allow_null=True, help_text="What to answer to go on (null when it ended).")
    token = serializers.CharField(allow_blank=True, help_text="Send it back with `answer` to continue.")


class InboundEventSerializer(serializers.ModelSerializer):
    headers = serializers.SerializerMethodField(help_text="The headers kept, without any credential.")

    class Meta:
        model = InboundEvent
        fields = [
            "id", "source", "event_type", "dedupe_key", "received_at", "headers", "body",
            "verification", "status", "error", "duplicate_of", "case",
        ]  # fmt: skip
        read_only_fields = fields

    def get_headers(self, obj: InboundEvent) -> dict[str, str]:
        return {k: v for k, v in (obj.headers or {}).items() if not SECRET_HEADER.search(k)}


# --- Filters ---------------------------------------------------------------------------------


class CaseFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", help_text="Search subject, description, ids, requester, account.")
    assignee = django_filters.CharFilter(field_name="assignee__username", help_text="Username.")
    opened_after = TimeFilter(field_name="opened_at", lookup_expr="gte")
    opened_before = TimeFilter(field_name="opened_at", lookup_expr="lt")

    class Meta:
        model = Case
        fields = ["status", "priority", "source", "queue", "external_id", "assignee"]

    def search(self, queryset, name, value):
        terms = Q()
        for field in ("subject", "description", "external_id", "requester_email", "requester_name", "account_name"):
            terms |= Q(**{f"{field}__icontains": value})
        return queryset.filter(terms)


class RunFilter(django_filters.FilterSet):
    procedure = IdFilter(field_name="version__procedure", help_text="Procedure id.")

    class Meta:
        model = Run
        fields = ["case", "procedure", "version", "status", "mode"]


class EventFilter(django_filters.FilterSet):
    received_after = TimeFilter(field_name="received_at", lookup_expr="gte")
    received_before = TimeFilter(field_name="received_at", lookup_expr="lt")

    class Meta:
        model = InboundEvent
        fields = ["source", "event_type", "status", "verification", "case"]


# --- Views ------------------------------------------------------------------------------------


class CaseViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Cases: the unit of work. Create one from your system; read its status and timeline."""

    queryset = Case.objects.select_related("assignee")
    serializer_class = CaseSerializer
    filterset_class = CaseFilter
    access = {
        "list": Rule("cases:read", "cases.view_case"),
        "retrieve": Rule("cases:read", "cases.view_case"),
        "timeline": Rule("cases:read", "cases.view_case"),
        "create": Rule("cases:write", "cases.add_case"),
    }

    @extend_schema(
        request=CaseEventSerializer,
        responses={201: CaseCreatedSerializer, 200: CaseCreatedSerializer},
        parameters=[
            OpenApiParameter(
                "Idempotency-Key",
                str,
                OpenApiParameter.HEADER,
                description="Send the same key again and the earlier case is returned (200); nothing is created twice.",
            )
        ],
    )
    def create(self, request):
        """Create (or update) a case from an event; published procedures whose trigger matches start on it."""
        serializer = CaseEventSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        body = json.dumps(serializer.validated_data, default=str).encode()
        key = request.headers.get("Idempotency-Key", "")[:255]
        headers = {"Idempotency-Key": key, "Content-Type": "application/json"}
        try:
            result = intake.event_receive(source="api", headers=headers, body=body, parse=generic.parse, verified=False)
        except WebhookRejected as exc:
            raise Invalid(exc.message, code=exc.code) from None
        if result.failed or not result.cases:
            raise Unavailable(
                f"The event was stored (event {result.event.id}) but could not be processed: "
                f"{result.event.error or 'no case in it'}. It is retried by `manage.py events retry`."
            )
        data = {
            "event": result.event.id,
            "duplicate": result.duplicate,
            "case": CaseSerializer(result.cases[0]).data,
            "runs_started": result.runs_started,
            "runs_resumed": result.runs_woken,
        }
        return Response(data, status=status.HTTP_200_OK if result.duplicate else status.HTTP_201_CREATED)

    @extend_schema(responses={200: TimelineSerializer})
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def timeline(self, request, pk=None):
        """The case's ordered trace: events received, each step with its SOP sentence and facts used, holds."""
        case = self.get_object()
        entries = selectors.case_timeline(case=case)
        return Response({"case": case.id, "entries": TimelineEntrySerializer(entries, many=True).data})


@extend_schema_serializer(
    examples=[
        OpenApiExample(
            "cancel",
            summary="Cancel with a reason",
            request_only=True,
            value={"reason": "Customer withdrew the claim by phone."},
        )
    ]
)
class RunCancelSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, max_length=2000)


class RunViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Runs: one procedure version executing on one case."""

    queryset = Run.objects.select_related("version")
    serializer_class = RunSerializer
    filterset_class = RunFilter
    access = {
        "list": Rule("cases:read", "cases.view_run"),
        "retrieve": Rule("cases:read", "cases.view_run"),
        "create": Rule("runs:write", "cases.change_run"),
        "dry_run": Rule("runs:write", "cases.change_run"),
        "cancel": Rule("runs:write", "cases.change_run"),
    }

    @extend_schema(request=RunStartSerializer, responses={201: RunSerializer})
    def create(self, request):
        """Start a procedure on a case. A procedure runs once per case and mode (409 if it already has)."""
        serializer = RunStartSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        run = services.run_start(case=data["case"], version=data["version"], mode=data["mode"])
        if run is None:
            raise Conflict("This procedure has already run on this case in this mode.", code="run_exists")
        return Response(RunSerializer(run).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=RunCancelSerializer, responses={200: RunSerializer})
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def cancel(self, request, pk=None):
        """Cancel a run that has not finished: no further step runs, its timers and open review items are withdrawn."""
        run = self.get_object()
        serializer = RunCancelSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            run = cancellation.run_cancel(run_id=run.id, reason=serializer.validated_data.get("reason", ""))
        except cancellation.RunNotCancellable as exc:
            raise Conflict(str(exc), code=exc.code) from exc
        return Response(RunSerializer(run).data)

    @extend_schema(request=DryRunSerializer, responses={200: DryRunResultSerializer})
    @action(detail=False, methods=["post"], url_path="dry-run", filter_backends=[], pagination_class=None)
    def dry_run(self, request):
        """Walk a compiled version on a sample case now: reads are real, writes are only shown, nothing is stored.

        Where a live run would stop (a judgement, an approval, a missing fact, a wait) the answer carries a
        `question`; POST again with its `token` and an `answer` to walk that branch.
        """
        serializer = DryRunSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        version = data["version"]
        if not version.graph:
            raise Conflict("This version has not compiled. Compile it first.", code="version_not_compiled")
        if data.get("token"):
            answer = data["answer"]
            outcome = tryout.version_try_continue(
                version=version, token=data["token"], outcome=answer["outcome"], params=answer.get("params") or {}
            )
            if outcome.error:
                raise Invalid(outcome.error, code="answer_invalid", fields={"answer": [outcome.error]})
        else:
            outcome = tryout.version_try(version=version, sample=json.loads(json.dumps(data["case"], default=str)))
            if outcome.error:
                raise Invalid(outcome.error, code="sample_invalid", fields={"case": [outcome.error]})
        return Response(outcome.to_json())


class EventHealthSerializer(serializers.Serializer):
    window_hours = serializers.IntegerField()
    by_status = serializers.DictField(child=serializers.IntegerField(), help_text="Last 24 hours, by final state.")
    failed = serializers.IntegerField(help_text="Failed on our side and not yet retried (`manage.py events retry`).")
    stuck = serializers.IntegerField(help_text="Stored over 5 minutes ago and still 'received'.")
    oldest_failed_at = serializers.DateTimeField(allow_null=True)


class InboundEventViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Every webhook and API event as received, with what became of it. Read-only."""

    queryset = InboundEvent.objects.all()
    serializer_class = InboundEventSerializer
    filterset_class = EventFilter
    access = {
        "list": Rule("cases:read", "cases.view_inboundevent"),
        "retrieve": Rule("cases:read", "cases.view_inboundevent"),
        "health": Rule("cases:read", "cases.view_inboundevent"),
    }

    @extend_schema(responses={200: EventHealthSerializer})
    @action(detail=False, methods=["get"], filter_backends=[], pagination_class=None)
    def health(self, request):
        """Intake health: events by final state over the last 24 hours, and those that need attention now."""
        return Response(EventHealthSerializer(selectors.event_health()).data)


def register(router) -> None:
    router.register("cases", CaseViewSet, basename="case")
    router.register("runs", RunViewSet, basename="run")
    router.register("events", InboundEventViewSet, basename="event")

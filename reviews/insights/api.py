"""REST API for insights, regression cases and the weekly report preview. Thin over the services.

    GET  /api/v1/insights/                    ranked insights (filters: procedure slug, kind, status)
    GET  /api/v1/insights/{id}/               one insight, with its evidence, amendment and diff
    POST /api/v1/insights/{id}/accept/        accept with a note
    POST /api/v1/insights/{id}/dismiss/       dismiss with a note (comes back only if the evidence grows materially)
    POST /api/v1/insights/{id}/draft/         the amendment as a compiled draft version, with its simulated impact
    GET  /api/v1/insights/report/             the weekly report's figures (preview)
    GET  /api/v1/regression-cases/            regression cases (filter: procedure slug)
    POST /api/v1/regression-cases/            pin a case as a regression case
    POST /api/v1/regression-cases/check/      replay them through a version: right / wrong / still held

Insights are for ops managers: reading needs the permission to change procedures.
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from cases.models import Case
from procedures.models import Procedure, ProcedureVersion
from procedures.services import version_checks_run
from reviews.insights import selectors, services
from reviews.models import Insight, RegressionCase
from reviews.report.figures import report_build
from sopdesk.api_auth import Rule
from sopdesk.api_errors import Conflict, Invalid

READ = Rule("procedures:read", "procedures.change_procedure")
WRITE = Rule("procedures:write", "procedures.change_procedure")


class InsightSerializer(serializers.ModelSerializer):
    procedure = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    draft_version = serializers.SerializerMethodField()
    diff = serializers.SerializerMethodField()

    class Meta:
        model = Insight
        fields = [
            "id", "procedure", "kind", "key", "title", "detail", "evidence", "evidence_count", "impact",
            "amendment", "diff", "status", "note", "decided_at", "draft_version", "simulated_impact", "updated_at",
        ]  # fmt: skip
        read_only_fields = fields

    def get_draft_version(self, obj: Insight) -> int | None:
        return obj.draft_version.number if obj.draft_version else None

    def get_diff(self, obj: Insight) -> str:
        return selectors.insight_diff(insight=obj)


class NoteSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, max_length=5000, help_text="Why; shown later.")


class RegressionCaseSerializer(serializers.ModelSerializer):
    procedure = serializers.SlugRelatedField(slug_field="slug", queryset=Procedure.objects.all())
    case = serializers.PrimaryKeyRelatedField(queryset=Case.objects.all())
    expected = serializers.JSONField(
        required=False, help_text='Optional: {"outcome": "...", "actions": [...]}; default: what its live run did.'
    )

    class Meta:
        model = RegressionCase
        fields = ["id", "procedure", "case", "source", "step_key", "expected", "note", "created_at"]
        read_only_fields = ["id", "source", "step_key", "created_at"]


class CheckSerializer(serializers.Serializer):
    version = serializers.PrimaryKeyRelatedField(
        queryset=ProcedureVersion.objects.all(), help_text="The version id to replay the regression cases through."
    )


NOTE_ACCEPT = OpenApiExample("accept", summary="Accept", request_only=True, value={"note": "Rewriting step 2."})
NOTE_DISMISS = OpenApiExample(
    "dismiss", summary="Dismiss", request_only=True, value={"note": "Seasonal; ENG already knows."}
)


def _raise(exc: services.InsightError):
    cls = Conflict if exc.code in ("not_finished", "not_published") else Invalid
    raise cls(exc.message, code=exc.code)


class InsightViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Patterns mined from the cases, ranked by expected impact."""

    serializer_class = InsightSerializer
    access = {"list": READ, "retrieve": READ, "report": READ, "accept": WRITE, "dismiss": WRITE, "draft": WRITE}

    def get_queryset(self):
        procedure = self.request.query_params.get("procedure")
        insights = selectors.insights_list(include_dismissed=True)
        if procedure:
            insights = insights.filter(procedure__slug=procedure)
        for name in ("kind", "status"):
            if self.request.query_params.get(name):
                insights = insights.filter(**{name: self.request.query_params[name]})
        return insights

    @extend_schema(
        parameters=[
            OpenApiParameter("procedure", str, description="Procedure slug."),
            OpenApiParameter("kind", str, enum=Insight.Kind.values),
            OpenApiParameter("status", str, enum=Insight.Status.values),
        ]
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(request=NoteSerializer, responses={200: InsightSerializer}, examples=[NOTE_ACCEPT])
    @action(detail=True, methods=["post"])
    def accept(self, request, pk=None):
        """Accept the insight (someone will act on it)."""
        note = NoteSerializer(data=request.data)
        note.is_valid(raise_exception=True)
        insight = services.insight_accept(
            insight=self.get_object(), user=request.user, note=note.validated_data.get("note", "")
        )
        return Response(InsightSerializer(insight).data)

    @extend_schema(request=NoteSerializer, responses={200: InsightSerializer}, examples=[NOTE_DISMISS])
    @action(detail=True, methods=["post"])
    def dismiss(self, request, pk=None):
        """Dismiss: hidden until its evidence grows materially."""
        note = NoteSerializer(data=request.data)
        note.is_valid(raise_exception=True)
        insight = services.insight_dismiss(
            insight=self.get_object(), user=request.user, note=note.validated_data.get("note", "")
        )
        return Response(InsightSerializer(insight).data)

    @extend_schema(request=None, responses={200: InsightSerializer})
    @action(detail=True, methods=["post"])
    def draft(self, request, pk=None):
        """Turn the proposed amendment into a compiled draft version and simulate its impact on recent cases."""
        try:
            insight = services.insight_draft(insight=self.get_object(), user=request.user)
        except services.InsightError as exc:
            _raise(exc)
        return Response(InsightSerializer(insight).data)

    @extend_schema(
        parameters=[OpenApiParameter("procedure", str, description="Procedure slug; default: all.")],
        responses={200: dict},
    )
    @action(detail=False, methods=["get"])
    def report(self, request):
        """The weekly report's figures for the last 7 days (what the mail would say)."""
        slug = request.query_params.get("procedure")
        procedure = Procedure.objects.filter(slug=slug).first() if slug else None
        if slug and procedure is None:
            raise Invalid(f"No procedure with the slug {slug!r}.", code="procedure", fields={"procedure": ["unknown"]})
        report = report_build(procedure=procedure)
        return Response(
            {
                "start": report.start,
                "end": report.end,
                "procedures": [
                    {
                        "procedure": p.slug,
                        "cases": p.cases,
                        "unattended": p.unattended,
                        "unattended_share": round(p.unattended_share, 4),
                        "holds_by_reason": p.holds_by_reason,
                        "reviewer_agreement": p.agreement,
                        "sla_attainment": p.sla_attainment,
                        "model_calls": p.model_calls,
                        "model_tokens": p.model_tokens,
                        "cost": round(p.cost, 6),
                        "top_insights": [i.id for i in p.insights],
                    }
                    for p in report.procedures
                ],
            }
        )


class RegressionCaseViewSet(mixins.ListModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet):
    """Cases whose right answer a person fixed; every publish replays them first."""

    serializer_class = RegressionCaseSerializer
    access = {"list": READ, "create": WRITE, "check": WRITE}

    def get_queryset(self):
        cases = RegressionCase.objects.select_related("procedure").order_by("-created_at", "-id")
        if self.request.query_params.get("procedure"):
            cases = cases.filter(procedure__slug=self.request.query_params["procedure"])
        return cases

    @extend_schema(
        examples=[
            OpenApiExample(
                "pin",
                summary="Keep a case as a regression case",
                request_only=True,
                value={"procedure": "billing-disputes", "case": 1234, "note": "The typical refund dispute"},
            )
        ]
    )
    def create(self, request, *args, **kwargs):
        """Pin a case as a regression case of a procedure."""
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            item = services.regression_case_pin(
                case=data["case"], procedure=data["procedure"], user=request.user, note=data.get("note", ""),
                expected=data.get("expected"),
            )  # fmt: skip
        except services.InsightError as exc:
            _raise(exc)
        return Response(RegressionCaseSerializer(item).data, status=201)

    @extend_schema(
        request=CheckSerializer,
        responses={200: dict},
        examples=[OpenApiExample("check", summary="Replay through version 7", request_only=True, value={"version": 7})],
    )
    @action(detail=False, methods=["post"])
    def check(self, request):
        """Replay the procedure's regression cases through a version: which it gets right, wrong, or still holds."""
        serializer = CheckSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return Response({"checks": version_checks_run(version=serializer.validated_data["version"])})


def register(router) -> None:
    router.register("insights", InsightViewSet, basename="insight")
    router.register("regression-cases", RegressionCaseViewSet, basename="regression-case")

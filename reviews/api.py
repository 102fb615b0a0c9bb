"""REST API for review items (the design's holds): list, claim, release, decide. Thin over reviews.services.

    GET  /api/v1/review-items/               list (filters: status, reason, case, run, procedure, assignee)
    GET  /api/v1/review-items/{id}/          one item, with its proposal and allowed outcomes
    POST /api/v1/review-items/{id}/claim/    take it (409 if someone else has)
    POST /api/v1/review-items/{id}/unclaim/  give it back
    POST /api/v1/review-items/{id}/decide/   choose an outcome; the run resumes through the queue

Lives in reviews/ (not cases/) because deciding goes through the inbox's
services: reviews → cases is the direction dependencies point.
Who may claim and decide is the inbox's rule (reviews.access), the same in the
inbox pages and here.
"""

from __future__ import annotations

import django_filters
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_field, extend_schema_serializer
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from cases.models import ReviewItem
from reviews import services
from sopdesk.api_auth import Rule
from sopdesk.api_filters import IdFilter


class OutcomeSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    params = serializers.ListField(child=serializers.CharField(), help_text="Parameters the reviewer may fill in.")
    next = serializers.CharField(allow_null=True, help_text="The step the run continues at.")


class ReviewItemSerializer(serializers.ModelSerializer):
    assignee = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    decided_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    allowed_outcomes = serializers.SerializerMethodField()

    class Meta:
        model = ReviewItem
        fields = [
            "id", "case", "run", "step_key", "reason", "summary", "proposal", "allowed_outcomes",
            "required_role", "status", "assignee", "claimed_at", "due_at", "outcome", "decision_params",
            "note", "decided_by", "decided_at", "created_at",
        ]  # fmt: skip
        read_only_fields = fields

    @extend_schema_field(OutcomeSerializer(many=True))
    def get_allowed_outcomes(self, obj: ReviewItem) -> list[dict]:
        return services.outcome_choices(obj)


@extend_schema_serializer(
    examples=[
        OpenApiExample(
            "approve",
            summary="Approve with a note",
            request_only=True,
            value={"outcome": "approve", "note": "Photos show the damage; amount matches the invoice."},
        )
    ]
)
class DecideSerializer(serializers.Serializer):
    outcome = serializers.CharField(max_length=100, help_text="One of the item's allowed outcome keys.")
    params = serializers.DictField(required=False, help_text="Values for the outcome's open parameters.")
    note = serializers.CharField(required=False, allow_blank=True, max_length=5000, help_text="Why; shown later.")


class ReviewItemFilter(django_filters.FilterSet):
    procedure = IdFilter(field_name="run__version__procedure", help_text="Procedure id.")
    assignee = django_filters.CharFilter(method="by_assignee", help_text="A username, 'me', or 'unassigned'.")

    class Meta:
        model = ReviewItem
        fields = ["status", "reason", "case", "run", "procedure", "assignee"]

    def by_assignee(self, queryset, name, value):
        if value == "me":
            return queryset.filter(assignee=self.request.user)
        if value == "unassigned":
            return queryset.filter(assignee__isnull=True)
        return queryset.filter(assignee__username=value)


class ReviewItemViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """What the SOP could not decide, waiting for a person."""

    queryset = ReviewItem.objects.select_related("assignee", "decided_by")
    serializer_class = ReviewItemSerializer
    filterset_class = ReviewItemFilter
    access = {
        "list": Rule("reviews:read", "cases.view_reviewitem"),
        "retrieve": Rule("reviews:read", "cases.view_reviewitem"),
        "claim": Rule("reviews:write", "cases.change_reviewitem"),
        "unclaim": Rule("reviews:write", "cases.change_reviewitem"),
        "decide": Rule("reviews:write", "cases.change_reviewitem"),
    }

    @extend_schema(request=None, responses={200: ReviewItemSerializer})
    @action(detail=True, methods=["post"])
    def claim(self, request, pk=None):
        """Make yourself the item's assignee (409 if someone else holds it or it is decided)."""
        item = services.review_claim(item_id=self.get_object().id, user=request.user)
        return Response(ReviewItemSerializer(item).data)

    @extend_schema(request=None, responses={200: ReviewItemSerializer})
    @action(detail=True, methods=["post"])
    def unclaim(self, request, pk=None):
        """Give the item back to the queue (its assignee, or an ops manager)."""
        item = services.review_unclaim(item_id=self.get_object().id, user=request.user)
        return Response(ReviewItemSerializer(item).data)

    @extend_schema(request=DecideSerializer, responses={200: ReviewItemSerializer})
    @action(detail=True, methods=["post"])
    def decide(self, request, pk=None):
        """Decide: choose one of the allowed outcomes. The run resumes through the queue, not in this request."""
        serializer = DecideSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        item = services.review_decide(
            item_id=self.get_object().id,
            user=request.user,
            outcome=data["outcome"],
            params=data.get("params"),
            note=data.get("note", ""),
        )
        return Response(ReviewItemSerializer(item).data)


def register(router) -> None:
    router.register("review-items", ReviewItemViewSet, basename="review-item")

"""Answering the compiler's "which system tells us X?" questions: the editor's pick-list form and the API.

    POST /procedures/versions/{id}/questions/answer/   (editor form: phrase, answer → back to the editor)
    GET  /api/v1/questions/?version={id}               open questions with their pick lists
    POST /api/v1/questions/answer/  {"version": id, "phrase": "the customer's segment", "answer": "case.tier"}

Both call `procedures.questions.question_answer`: the answer becomes the procedure's vocabulary and the draft is
compiled again. `"answer": "person"` keeps the sentence a judgement step and closes the question.
"""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect
from django.views.decorators.http import require_POST
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from procedures import questions, views
from procedures.errors import ProcedureError
from procedures.models import ProcedureVersion
from sopdesk.api_auth import Rule


@require_POST
@views._permission(edit=True)
def question_answer(request, version_id: int):
    version = get_object_or_404(ProcedureVersion, pk=version_id)
    phrase, answer = request.POST.get("phrase", ""), request.POST.get("answer", "")
    if not answer:
        messages.error(request, f"Choose what “{phrase}” means from the list, or “a person decides”.")
        return views._editor(request, version, status=400)
    try:
        version = questions.question_answer(version=version, phrase=phrase, answer=answer, user=request.user)
    except ProcedureError as exc:
        messages.error(request, exc.message)
        return views._editor(request, version, status=409 if exc.code == "version_locked" else 400)
    meaning = "a person decides" if answer == questions.PERSON else answer
    messages.success(request, f"“{phrase}” now means {meaning} in this procedure; v{version.number} compiled again.")
    return redirect(views.editor_url(version))


def _version(pk: int) -> ProcedureVersion:
    version = ProcedureVersion.objects.filter(pk=pk).first()
    if version is None:
        raise serializers.ValidationError({"version": [f"There is no version {pk}: give the id of a compiled draft."]})
    return version


class AnswerSerializer(serializers.Serializer):
    version = serializers.IntegerField(
        min_value=1, max_value=2**31 - 1, help_text="The draft version whose question this answers."
    )
    phrase = serializers.CharField(max_length=200, help_text="The question's phrase, e.g. “the customer's segment”.")
    answer = serializers.CharField(
        max_length=300,
        help_text="An option's value from the pick list (operation, operation:output, case.…) or 'person'.",
    )


class QuestionViewSet(viewsets.ViewSet):
    """The "which system tells us X?" questions of compiled versions, and their answers."""

    access = {
        "list": Rule("procedures:read", "procedures.view_procedureversion"),
        "answer": Rule("procedures:write", "procedures.change_procedureversion"),
    }

    @extend_schema(
        parameters=[OpenApiParameter("version", int, required=True, description="Version id.")],
        responses={200: dict},
    )
    def list(self, request):
        """Open questions of one version, each with its pick list (candidates first)."""
        raw = request.query_params.get("version", "")
        if not raw.isdigit() or len(raw) > 9:
            raise serializers.ValidationError({"version": ["Give the version id: ?version=12."]})
        version = _version(int(raw))
        return Response(
            {"version": version.pk, "questions": [q.to_json() for q in questions.version_questions(version=version)]}
        )

    @extend_schema(
        request=AnswerSerializer,
        responses={200: dict},
        examples=[
            OpenApiExample(
                "fact",
                request_only=True,
                value={"version": 12, "phrase": "the customer's segment", "answer": "case.fields.customer_segment"},
            )
        ],
    )
    @action(detail=False, methods=["post"])
    def answer(self, request):
        """Record what the phrase means for the procedure and compile the draft again (its new warnings and steps)."""
        serializer = AnswerSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        version = questions.question_answer(
            version=_version(data["version"]), phrase=data["phrase"], answer=data["answer"], user=request.user
        )
        return Response(
            {
                "version": version.pk,
                "status": version.status,
                "warnings": version.warnings,
                "questions": [q.to_json() for q in questions.version_questions(version=version)],
                "steps": version.graph.get("steps", []),
            }
        )

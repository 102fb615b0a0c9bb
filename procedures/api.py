"""REST API for procedures, their versions and steps. Thin: every write is a call to procedures.services.

GET  /api/v1/procedures/                      list (filters: status, slug, name)
POST /api/v1/procedures/                      create (v1, a draft; "compile": true compiles it too)
GET  /api/v1/procedures/{id}/                 one procedure
POST /api/v1/procedures/{id}/source/          edit the source: a new draft version
POST /api/v1/procedures/{id}/rollback/        publish an earlier version again, as a new version
GET  /api/v1/procedures/{id}/diff/?old=&new=  what changed between two version numbers
GET  /api/v1/versions/  /versions/{id}/       versions (filters: procedure, status, number)
POST /api/v1/versions/{id}/compile/           compile a draft
POST /api/v1/versions/{id}/publish/           publish a compiled version ("confirm_warnings": true when it has
                                              open questions or gets regression cases wrong: the 400 answer
                                              lists them)
GET  /api/v1/steps/  /steps/{id}/             compiled steps (filters: version, procedure, kind)
POST /api/v1/steps/{id}/correct/              correct one step by hand
"""

from __future__ import annotations

import django_filters
from django.db.models import OuterRef, Subquery
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema, extend_schema_serializer
from pydantic import ValidationError as PydanticValidationError
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from procedures import publishing, regression_panel, selectors, services
from procedures.errors import PublishNeedsConfirmation
from procedures.models import Procedure, ProcedureVersion, Step
from procedures.publishing import coverage_counts
from procedures.selectors import version_readbacks
from procedures.steps import Trigger
from sopdesk.api_auth import Rule
from sopdesk.api_filters import IdFilter

COMPILERS = ("rules", "llm")
READ = "procedures:read"
WRITE = "procedures:write"

# --- Serializers ---------------------------------------------------------------------------


class ProcedureSerializer(serializers.ModelSerializer):
    owner = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    latest_version = serializers.SerializerMethodField(help_text="Id of the newest version.")

    class Meta:
        model = Procedure
        fields = [
            "id", "name", "slug", "description", "status", "trigger", "owner",
            "published_version", "latest_version", "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = fields

    def get_latest_version(self, obj: Procedure) -> int | None:
        if hasattr(obj, "latest_version_id"):  # annotated by ProcedureViewSet's queryset: no query per row
            return obj.latest_version_id
        return obj.versions.order_by("-number").values_list("id", flat=True).first()


def _trigger(value):
    if value is None:
        return {}
    try:
        Trigger.model_validate(value)
    except PydanticValidationError as exc:
        raise serializers.ValidationError(
            {".".join(str(p) for p in e["loc"]) or "trigger": [e["msg"]] for e in exc.errors(include_url=False)}
        ) from None
    return value


@extend_schema_serializer(
    examples=[
        OpenApiExample(
            "refunds",
            summary="A short SOP, compiled with the rules compiler",
            request_only=True,
            value={
                "name": "Refund requests",
                "source": "Refund requests\n\n1. Reply to the customer that we received the request.\n2. Add the tag refund-requested.\n3. Close the ticket.\n",
                "trigger": {"source": "api", "events": ["case.created"], "tags": ["refund"]},
                "compile": True,
                "compiler": "rules",
            },
        )
    ]
)
class ProcedureCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200, help_text="e.g. 'Product bug escalation'.")
    source = serializers.CharField(
        trim_whitespace=False, help_text="The SOP as written: numbered steps, bullets, 'if … then …'."
    )
    trigger = serializers.JSONField(
        required=False,
        validators=[_trigger],
        help_text='What starts a run, e.g. {"source": "api", "events": ["case.created"], "tags": ["refund"]}.',
    )
    slug = serializers.SlugField(max_length=100, required=False, help_text="Default: from the name.")
    compile = serializers.BooleanField(default=False, help_text="Compile v1 now; if it fails nothing is stored.")
    compiler = serializers.ChoiceField(choices=COMPILERS, required=False, help_text="Default: 'llm' when configured.")


@extend_schema_serializer(
    examples=[
        OpenApiExample(
            "edit",
            summary="A new draft from edited text",
            request_only=True,
            value={
                "source": "Refund requests\n\n1. Add the tag refund-requested.\n2. Reply to the customer that we received the request.\n3. Close the ticket.\n",
                "compile": True,
            },
        )
    ]
)
class SourceSerializer(serializers.Serializer):
    source = serializers.CharField(trim_whitespace=False, help_text="The whole new SOP text.")
    compile = serializers.BooleanField(
        default=False, help_text="Compile the new version now; nothing stored if it fails."
    )
    compiler = serializers.ChoiceField(choices=COMPILERS, required=False)


@extend_schema_serializer(
    examples=[OpenApiExample("back", summary="Publish version 1 again", request_only=True, value={"to_version": 1})]
)
class RollbackSerializer(serializers.Serializer):
    to_version = serializers.IntegerField(min_value=1, help_text="The version number to publish again.")
    confirm_warnings = serializers.BooleanField(
        default=False, help_text="Needed only for a version never published before that has open questions."
    )


@extend_schema_serializer(
    examples=[
        OpenApiExample(
            "confirmed",
            summary="Publish, having checked the open questions a first attempt listed",
            request_only=True,
            value={"confirm_warnings": True},
        )
    ]
)
class PublishSerializer(serializers.Serializer):
    confirm_warnings = serializers.BooleanField(
        default=False,
        help_text="Publish although the version has open questions (sentences not understood, compile warnings, "
        "roles to create) or gets regression cases wrong. Without it such a publish is refused with 400 listing "
        "them.",
    )


@extend_schema_serializer(
    examples=[
        OpenApiExample(
            "rules", summary="Compile with the rules compiler", request_only=True, value={"compiler": "rules"}
        )
    ]
)
class CompileSerializer(serializers.Serializer):
    compiler = serializers.ChoiceField(choices=COMPILERS, required=False)


def _readbacks(context: dict, version: ProcedureVersion | int) -> dict[str, str]:
    """Read-backs of a version's steps by key (given the version or its id), computed once per response."""
    cache = context.setdefault("_readbacks", {})
    pk = version if isinstance(version, int) else version.pk
    if pk not in cache:
        if isinstance(version, int):
            version = ProcedureVersion.objects.only("id", "graph").get(pk=pk)
        cache[pk] = version_readbacks(version=version)
    return cache[pk]


class VersionSerializer(serializers.ModelSerializer):
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    coverage = serializers.JSONField(
        read_only=True,
        help_text="Each sentence of the source and what became of it: status automated, person, not_understood or "
        "non_procedural, with span, text, step_keys. Empty when the compiler did not report it.",
    )
    coverage_summary = serializers.SerializerMethodField(
        help_text="Sentences by status (automated, person, not_understood, non_procedural); null without coverage."
    )
    readbacks = serializers.SerializerMethodField(help_text="Each step's plain-language read-back, by step key.")

    class Meta:
        model = ProcedureVersion
        fields = [
            "id", "procedure", "number", "status", "source", "source_hash", "graph", "compiler",
            "compiler_version", "warnings", "errors", "coverage", "coverage_summary", "readbacks", "based_on",
            "created_by", "created_at", "compiled_at", "published_at",
        ]  # fmt: skip
        read_only_fields = fields

    def get_coverage_summary(self, obj: ProcedureVersion) -> dict[str, int] | None:
        return coverage_counts(obj.coverage) if obj.coverage else None

    def get_readbacks(self, obj: ProcedureVersion) -> dict[str, str]:
        return _readbacks(self.context, obj)


class StepSerializer(serializers.ModelSerializer):
    readback = serializers.SerializerMethodField(help_text="What the step does, in one plain sentence.")

    class Meta:
        model = Step
        fields = [
            "id", "version", "key", "position", "kind", "title", "instruction", "readback",
            "span_start", "span_end", "spec", "hand_edited",
        ]  # fmt: skip
        read_only_fields = fields

    def get_readback(self, obj: Step) -> str:
        return _readbacks(self.context, obj.version_id).get(obj.key, "")


@extend_schema_serializer(
    examples=[
        OpenApiExample(
            "retitle",
            summary="Change a step's title",
            request_only=True,
            value={"changes": {"title": "Tag the ticket refund-requested"}},
        )
    ]
)
class StepCorrectSerializer(serializers.Serializer):
    changes = serializers.DictField(
        help_text='Step fields to change, as in the graph JSON, e.g. {"title": "…", "params": {…}}. '
        "Key, kind and span cannot change."
    )


class DiffLineSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=["header", "hunk", "add", "remove", "context"])
    text = serializers.CharField()


class FieldChangeSerializer(serializers.Serializer):
    name = serializers.CharField()
    old = serializers.CharField()
    new = serializers.CharField()


class StepChangeSerializer(serializers.Serializer):
    key = serializers.CharField()
    title = serializers.CharField()
    fields = FieldChangeSerializer(many=True)


class DiffSerializer(serializers.Serializer):
    old = serializers.IntegerField(source="old.number", help_text="Version number.")
    new = serializers.IntegerField(source="new.number", help_text="Version number.")
    unified = serializers.CharField(help_text="Unified diff of the two sources.")
    lines = DiffLineSerializer(many=True)
    added = serializers.ListField(child=serializers.DictField(), help_text="Steps only in the new version.")
    removed = serializers.ListField(child=serializers.DictField(), help_text="Steps only in the old version.")
    changed = StepChangeSerializer(many=True)
    moved = serializers.ListField(child=serializers.CharField(), help_text="Keys of steps whose position changed.")


# --- Filters ---------------------------------------------------------------------------------


class ProcedureFilter(django_filters.FilterSet):
    name = django_filters.CharFilter(lookup_expr="icontains", help_text="Part of the name.")

    class Meta:
        model = Procedure
        fields = ["status", "slug", "name"]


class VersionFilter(django_filters.FilterSet):
    class Meta:
        model = ProcedureVersion
        fields = ["procedure", "status", "number"]


class StepFilter(django_filters.FilterSet):
    procedure = IdFilter(field_name="version__procedure", help_text="Procedure id.")

    class Meta:
        model = Step
        fields = ["version", "procedure", "kind", "key"]


# --- Views ------------------------------------------------------------------------------------


class ProcedureViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """SOPs: create one, edit its source (each edit is a new version), roll back, diff versions."""

    queryset = Procedure.objects.select_related("owner").annotate(
        latest_version_id=Subquery(
            ProcedureVersion.objects.filter(procedure=OuterRef("pk")).order_by("-number").values("id")[:1]
        )
    )
    serializer_class = ProcedureSerializer
    filterset_class = ProcedureFilter
    access = {
        "list": Rule(READ, "procedures.view_procedure"),
        "retrieve": Rule(READ, "procedures.view_procedure"),
        "diff": Rule(READ, "procedures.view_procedureversion"),
        "create": Rule(WRITE, "procedures.add_procedure"),
        "source": Rule(WRITE, "procedures.add_procedureversion"),
        "rollback": Rule(WRITE, "procedures.change_procedure"),
    }

    @extend_schema(request=ProcedureCreateSerializer, responses={201: ProcedureSerializer})
    def create(self, request):
        data = _valid(ProcedureCreateSerializer, request)
        create = services.procedure_create_and_compile if data["compile"] else services.procedure_create
        kwargs = {"compiler": data.get("compiler")} if data["compile"] else {}
        procedure = create(
            name=data["name"],
            source=data["source"],
            trigger=data.get("trigger"),
            owner=request.user,
            slug=data.get("slug"),
            **kwargs,
        )
        return Response(ProcedureSerializer(procedure).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=SourceSerializer, responses={201: VersionSerializer, 200: VersionSerializer})
    @action(detail=True, methods=["post"])
    def source(self, request, pk=None):
        """Edit the SOP text: makes a new draft version (or returns the latest if the text is unchanged)."""
        procedure = self.get_object()
        data = _valid(SourceSerializer, request)
        latest = procedure.versions.order_by("-number").values_list("id", flat=True).first()
        if data["compile"]:
            version = services.version_create_and_compile(
                procedure=procedure, source=data["source"], created_by=request.user, compiler=data.get("compiler")
            )
        else:
            version = services.version_create(procedure=procedure, source=data["source"], created_by=request.user)
        created = version.id != latest  # the same text again returns the latest version
        return Response(VersionSerializer(version).data, status=201 if created else 200)

    @extend_schema(request=RollbackSerializer, responses={201: VersionSerializer})
    @action(detail=True, methods=["post"])
    def rollback(self, request, pk=None):
        """Publish an earlier version again, as a new version (history stays linear)."""
        procedure = self.get_object()
        data = _valid(RollbackSerializer, request)
        target = procedure.versions.filter(number=data["to_version"]).first()
        if target is None:
            raise serializers.ValidationError({"to_version": [f"This procedure has no version {data['to_version']}."]})
        version = services.version_rollback(
            procedure=procedure, to_version=target, user=request.user, confirm_warnings=data["confirm_warnings"]
        )
        return Response(VersionSerializer(version).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        parameters=[
            OpenApiParameter("old", int, description="Old version number (default: the one before `new`)."),
            OpenApiParameter("new", int, description="New version number (default: the latest)."),
        ],
        responses={200: DiffSerializer},
    )
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def diff(self, request, pk=None):
        """Source and step changes between two versions of this procedure."""
        procedure = self.get_object()
        new = _version_param(procedure, request, "new") or procedure.versions.order_by("-number").first()
        old = _version_param(procedure, request, "old") or (new and selectors.version_previous(version=new))
        if new is None or old is None:
            raise serializers.ValidationError({"old": ["There is only one version: nothing to compare it with."]})
        return Response(DiffSerializer(selectors.version_diff(old=old, new=new)).data)


def _version_param(procedure: Procedure, request, name: str) -> ProcedureVersion | None:
    raw = request.query_params.get(name)
    if raw in (None, ""):
        return None
    if not raw.isdigit() or len(raw) > 9:
        raise serializers.ValidationError({name: ["Give a version number, e.g. 2."]})
    version = procedure.versions.filter(number=int(raw)).first()
    if version is None:
        raise serializers.ValidationError({name: [f"This procedure has no version {raw}."]})
    return version


def _refuse_failing_regression_cases(version: ProcedureVersion) -> None:
    """PublishNeedsConfirmation naming the regression cases the version gets wrong, with its open questions."""
    panel = regression_panel.version_regression_panel(version=version)
    if panel is None or not panel.wrong:
        return
    wrong = [
        {"case": row.case_id, "subject": row.subject, "step": row.step, "expected": row.expected, "got": row.got}
        for row in panel.wrong
    ]
    issues = [{"kind": "regression_cases", "summary": panel.summary, "wrong": wrong}]
    questions = publishing.version_open_questions(version=version)
    if questions:
        issues.append({"kind": "open_questions", **questions.to_json()})
    cases = ", ".join(f"#{row['case']}" for row in wrong[:5]) + (" …" if len(wrong) > 5 else "")
    raise PublishNeedsConfirmation(
        f"v{version.number} gets {len(wrong)} regression case{'' if len(wrong) == 1 else 's'} wrong ({cases}): "
        f"{panel.summary} Publish again confirming (confirm_warnings: true) to go ahead anyway.",
        issues=issues,
    )


def _valid(serializer_class, request) -> dict:
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


class VersionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Versions of procedures: compile a draft, publish a compiled one. Published versions never change."""

    queryset = ProcedureVersion.objects.select_related("created_by")
    serializer_class = VersionSerializer
    filterset_class = VersionFilter
    access = {
        "list": Rule(READ, "procedures.view_procedureversion"),
        "retrieve": Rule(READ, "procedures.view_procedureversion"),
        "compile": Rule(WRITE, "procedures.change_procedureversion"),
        "publish": Rule(WRITE, "procedures.change_procedureversion"),
    }

    @extend_schema(request=CompileSerializer, responses={200: VersionSerializer})
    @action(detail=True, methods=["post"], url_path="compile")
    def compile(self, request, pk=None):
        """Compile the version's source into steps. A failed compile answers 200 with status 'failed' and `errors`."""
        version = self.get_object()
        data = _valid(CompileSerializer, request)
        version = services.version_compile(version=version, compiler=data.get("compiler"))
        return Response(VersionSerializer(version).data)

    @extend_schema(request=PublishSerializer, responses={200: VersionSerializer})
    @action(detail=True, methods=["post"])
    def publish(self, request, pk=None):
        """Make this compiled version the one new cases run; the previous published version is retired.

        A version with open questions is refused (400, code `confirmation_required`, `issues` listing the
        sentences not understood, the warnings and the roles that would be created) unless the body says
        `"confirm_warnings": true`. So is one that gets regression cases wrong (cases whose right answer a
        reviewer fixed, replayed through the version first, as the editor does): the issue of kind
        `regression_cases` names each with what it expects and what this version does. Roles the graph names
        that no group has yet are created.
        """
        version = self.get_object()
        data = _valid(PublishSerializer, request)
        if not data["confirm_warnings"]:
            _refuse_failing_regression_cases(version)
        version = services.version_publish(
            version=version, user=request.user, confirm_warnings=data["confirm_warnings"]
        )
        return Response(VersionSerializer(version).data)


class StepViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Compiled steps, each with the SOP sentence it came from and its source span."""

    queryset = Step.objects.all()
    serializer_class = StepSerializer
    filterset_class = StepFilter
    access = {
        "list": Rule(READ, "procedures.view_step"),
        "retrieve": Rule(READ, "procedures.view_step"),
        "correct": Rule(WRITE, "procedures.change_step"),
    }

    @extend_schema(request=StepCorrectSerializer, responses={200: StepSerializer})
    @action(detail=True, methods=["post"])
    def correct(self, request, pk=None):
        """Correct one step by hand. On a published version the correction goes into a new draft copy."""
        data = _valid(StepCorrectSerializer, request)
        step = services.step_edit(step=self.get_object(), changes=data["changes"], user=request.user)
        return Response(StepSerializer(step).data)


def register(router) -> None:
    router.register("procedures", ProcedureViewSet, basename="procedure")
    router.register("versions", VersionViewSet, basename="version")
    router.register("steps", StepViewSet, basename="step")
    from procedures.question_views import QuestionViewSet  # the compiler's "which system tells us X?" questions

    router.register("questions", QuestionViewSet, basename="question")

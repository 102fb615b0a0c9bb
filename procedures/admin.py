"""Admin pages for procedures. Versions and steps are changed through the SOP editor (procedures.views),
which goes through the services; the admin shows them and links to the editor."""

from django.contrib import admin
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.html import format_html
from simple_history.admin import SimpleHistoryAdmin

from procedures.models import Procedure, ProcedureVersion, Step


def _editor_link(url: str, label: str = "Open editor") -> str:
    return format_html('<a class="button" href="{}">{}</a>', url, label)


class VersionInline(admin.TabularInline):
    model = ProcedureVersion
    fields = ["number", "status", "compiler", "created_at", "published_at", "editor"]
    readonly_fields = fields
    extra = 0
    show_change_link = True
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    @admin.display(description="Editor")
    def editor(self, obj):
        return _editor_link(reverse("procedures:editor", args=[obj.pk])) if obj.pk else ""


@admin.register(Procedure)
class ProcedureAdmin(SimpleHistoryAdmin):
    list_display = ["name", "slug", "status", "published_version", "owner", "updated_at", "editor"]
    list_filter = ["status"]
    search_fields = ["name", "slug", "description"]
    prepopulated_fields = {"slug": ["name"]}
    raw_id_fields = ["owner"]
    readonly_fields = ["published_version", "editor"]
    inlines = [VersionInline]

    def add_view(self, request, form_url="", extra_context=None):
        """A procedure starts from its SOP text: the editor's "Add SOP" form creates and compiles v1."""
        return redirect("procedures:create")

    @admin.display(description="Editor")
    def editor(self, obj):
        return _editor_link(reverse("procedures:procedure_editor", args=[obj.pk])) if obj.pk else ""


class StepInline(admin.TabularInline):
    model = Step
    fields = ["position", "key", "kind", "title", "hand_edited"]
    readonly_fields = fields
    extra = 0
    show_change_link = True
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(ProcedureVersion)
class ProcedureVersionAdmin(SimpleHistoryAdmin):
    """Read-only here: a version's source never changes (edit it in the editor to make a new version)."""

    list_display = ["__str__", "status", "compiler", "created_at", "published_at", "editor"]
    list_filter = ["status", "compiler"]
    search_fields = ["procedure__name", "source"]
    readonly_fields = [
        "procedure",
        "number",
        "status",
        "source",
        "source_hash",
        "graph",
        "compiler",
        "compiler_version",
        "warnings",
        "errors",
        "usage",
        "based_on",
        "created_by",
        "created_at",
        "compiled_at",
        "published_at",
        "editor",
    ]
    fields = readonly_fields
    inlines = [StepInline]

    def has_add_permission(self, request):
        return False

    @admin.display(description="Editor")
    def editor(self, obj):
        return _editor_link(reverse("procedures:editor", args=[obj.pk])) if obj.pk else ""


@admin.register(Step)
class StepAdmin(SimpleHistoryAdmin):
    """Read-only here: correct a step in the editor, where the whole graph is validated."""

    list_display = ["key", "kind", "title", "version", "position", "hand_edited"]
    list_filter = ["kind", "hand_edited"]
    search_fields = ["key", "title", "instruction"]
    readonly_fields = [
        "version",
        "key",
        "position",
        "kind",
        "title",
        "instruction",
        "span_start",
        "span_end",
        "spec",
        "hand_edited",
        "editor",
    ]
    fields = readonly_fields

    def has_add_permission(self, request):
        return False

    @admin.display(description="Editor")
    def editor(self, obj):
        if not obj.pk:
            return ""
        return _editor_link(
            reverse("procedures:editor", args=[obj.version_id]) + f"#step-{obj.key}", "Correct in editor"
        )

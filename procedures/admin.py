"""Admin pages for procedures. Versions and steps are changed through the SOP editor (procedures.views),
which goes through the services; the admin shows them and links to the editor."""

from django.contrib import admin, messages
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html
from simple_history.admin import SimpleHistoryAdmin

from procedures import services
from procedures.errors import ProcedureError, PublishNeedsConfirmation
from procedures.forms import ProcedureAdminForm
from procedures.models import Procedure, ProcedureVersion, Step
from procedures.publishing import version_open_questions


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
    form = ProcedureAdminForm
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
    actions = ["publish_version"]

    def has_add_permission(self, request):
        return False

    @admin.display(description="Editor")
    def editor(self, obj):
        return _editor_link(reverse("procedures:editor", args=[obj.pk])) if obj.pk else ""

    @admin.action(description="Publish the selected version", permissions=["change"])
    def publish_version(self, request, queryset):
        """Publish one version; one with open questions first gets a page naming them to confirm."""
        if queryset.count() != 1:
            self.message_user(request, "Select exactly one version to publish.", messages.ERROR)
            return None
        version = queryset.select_related("procedure").get()
        questions = version_open_questions(version=version)
        confirmed = request.POST.get("confirm_warnings") == "yes"
        try:
            services.version_publish(version=version, user=request.user, confirm_warnings=confirmed)
        except PublishNeedsConfirmation:
            context = {
                **self.admin_site.each_context(request),
                "title": f"Publish {version.procedure.name} v{version.number}?",
                "opts": self.model._meta,
                "version": version,
                "questions": questions,
                "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
            }
            return TemplateResponse(request, "admin/procedures/publish_confirmation.html", context)
        except ProcedureError as exc:
            self.message_user(request, exc.message, messages.ERROR)
            return None
        created = ""
        if questions.missing_roles:
            created = (
                " Created the group(s) "
                + ", ".join(f"“{r}”" for r in questions.missing_roles)
                + ": add the people who approve to them in Authentication → Groups."
            )
        self.message_user(request, f"Published {version.procedure.name} v{version.number}.{created}", messages.SUCCESS)
        return None


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

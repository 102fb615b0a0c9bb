from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from procedures.models import Procedure, ProcedureVersion, Step


class VersionInline(admin.TabularInline):
    model = ProcedureVersion
    fields = ["number", "status", "compiler", "created_at", "published_at"]
    readonly_fields = fields
    extra = 0
    show_change_link = True
    can_delete = False


@admin.register(Procedure)
class ProcedureAdmin(SimpleHistoryAdmin):
    list_display = ["name", "slug", "status", "published_version", "owner", "updated_at"]
    list_filter = ["status"]
    search_fields = ["name", "slug", "description"]
    prepopulated_fields = {"slug": ["name"]}
    raw_id_fields = ["owner", "published_version"]
    inlines = [VersionInline]


class StepInline(admin.TabularInline):
    model = Step
    fields = ["position", "key", "kind", "title", "hand_edited"]
    readonly_fields = ["hand_edited"]
    extra = 0
    show_change_link = True


@admin.register(ProcedureVersion)
class ProcedureVersionAdmin(SimpleHistoryAdmin):
    list_display = ["__str__", "status", "compiler", "created_at", "published_at"]
    list_filter = ["status", "compiler"]
    search_fields = ["procedure__name", "source"]
    raw_id_fields = ["procedure", "based_on", "created_by"]
    readonly_fields = ["source_hash", "created_at", "compiled_at", "published_at"]
    inlines = [StepInline]


@admin.register(Step)
class StepAdmin(SimpleHistoryAdmin):
    list_display = ["key", "kind", "title", "version", "position", "hand_edited"]
    list_filter = ["kind", "hand_edited"]
    search_fields = ["key", "title", "instruction"]
    raw_id_fields = ["version"]

"""Admin for declared tools: endpoints and MCP servers (secrets write-only), operations with their mock
table, custom fields, and two import pages (an OpenAPI document; an MCP server's tools).

Every save goes through the same checks as the API (`validation`) and ends with
`catalog.declarations_changed()`, so the registry reloads in every process.
"""

from __future__ import annotations

import json

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from simple_history.admin import SimpleHistoryAdmin

from connectors.base import ConnectorError
from connectors.declared import catalog, mcp, openapi, secrets, validation
from connectors.declared.errors import DeclarationError
from connectors.declared.models import CustomField, DeclaredOperation, Endpoint, McpServer, MockResponse


class SecretForm(forms.ModelForm):
    secret = forms.CharField(
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text="Stored encrypted and never shown again. Leave empty to keep the stored one.",
    )
    clear_secret = forms.BooleanField(required=False, help_text="Remove the stored secret.")


class SecretAdmin(SimpleHistoryAdmin):
    form = SecretForm

    def save_model(self, request, obj, form, change):
        if form.cleaned_data.get("clear_secret"):
            obj.secret_sealed = ""
        elif form.cleaned_data.get("secret"):
            obj.secret_sealed = secrets.seal(form.cleaned_data["secret"])
        super().save_model(request, obj, form, change)
        catalog.declarations_changed()

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        catalog.declarations_changed()


@admin.register(Endpoint)
class EndpointAdmin(SecretAdmin):
    list_display = ["name", "base_url", "auth", "secret_env", "updated_at"]
    fields = ["name", "base_url", "auth", "auth_header", "secret_env", "secret", "clear_secret"]


@admin.register(McpServer)
class McpServerAdmin(SecretAdmin):
    list_display = ["name", "transport", "command", "url", "timeout"]
    fields = ["name", "transport", "command", "env_names", "url", "auth", "auth_header", "secret_env", "secret",
              "clear_secret", "timeout"]  # fmt: skip


class MockInlineForm(forms.ModelForm):
    class Meta:
        model = MockResponse
        fields = ["position", "match", "result", "error", "recorded"]

    def clean(self):
        data = super().clean()
        parent = getattr(self, "parent_data", None) or {}
        if not parent or data.get("DELETE"):
            return data
        inputs = set(((parent.get("input_schema") or {}).get("properties") or {}).keys())
        outputs = {o.get("name") for o in parent.get("outputs") or [] if isinstance(o, dict)}
        try:
            validation.check_mock(
                inputs=inputs, outputs=outputs, match=data.get("match", {}), result=data.get("result", {}),
                error=data.get("error") or "", values=validation.output_values(parent.get("outputs")),
            )  # fmt: skip
        except DeclarationError as exc:
            raise ValidationError({k: v for k, v in exc.fields.items() if k in self.fields} or exc.message) from None
        return data


class MockFormSet(forms.BaseInlineFormSet):
    def _construct_form(self, i, **kwargs):
        form = super()._construct_form(i, **kwargs)
        form.parent_data = getattr(self, "parent_data", None)
        return form


class MockInline(admin.TabularInline):
    model = MockResponse
    form = MockInlineForm
    formset = MockFormSet
    extra = 1
    verbose_name = "mock answer"
    verbose_name_plural = "Mock answers (used by dry runs, try on a sample case, replay and tests)"


class DeclaredOperationForm(forms.ModelForm):
    class Meta:
        model = DeclaredOperation
        fields = [
            "name", "kind", "summary", "synonyms", "writes", "enabled", "input_schema", "outputs", "endpoint",
            "method", "path", "query", "body", "idempotency_header", "mcp_server", "mcp_tool", "timeout",
            "retry_attempts",
        ]  # fmt: skip

    def clean(self):
        data = super().clean()
        candidate = {**data, "endpoint": data.get("endpoint"), "mcp_server": data.get("mcp_server")}
        try:
            validation.check_operation(
                candidate, endpoint_known=bool(data.get("endpoint")), server_known=bool(data.get("mcp_server"))
            )
        except DeclarationError as exc:
            errors = {k: v for k, v in exc.fields.items() if k in self.fields}
            raise ValidationError(errors or exc.message) from None
        return data


@admin.register(DeclaredOperation)
class DeclaredOperationAdmin(SimpleHistoryAdmin):
    form = DeclaredOperationForm
    inlines = [MockInline]
    list_display = ["name", "kind", "writes", "enabled", "endpoint", "mcp_server", "updated_at"]
    list_filter = ["kind", "writes", "enabled"]
    search_fields = ["name", "summary", "synonyms"]
    fieldsets = [
        (None, {"fields": ["name", "kind", "summary", "synonyms", "writes", "enabled"]}),
        ("Inputs and output facts", {"fields": ["input_schema", "outputs"]}),
        ("HTTP", {"fields": ["endpoint", "method", "path", "query", "body", "idempotency_header"]}),
        ("MCP", {"fields": ["mcp_server", "mcp_tool"]}),
        ("Policy", {"fields": ["timeout", "retry_attempts"]}),
    ]
    change_list_template = "admin/connectors/declaredoperation/change_list.html"

    def _create_formsets(self, request, obj, change):
        formsets, inline_instances = super()._create_formsets(request, obj, change)
        if request.method == "POST":
            parent = {
                "input_schema": _json(request.POST.get("input_schema")),
                "outputs": _json(request.POST.get("outputs")),
            }
            for formset in formsets:
                formset.parent_data = parent
                for form in formset.forms:
                    form.parent_data = parent
        return formsets, inline_instances

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        catalog.declarations_changed()

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        catalog.declarations_changed()

    def delete_queryset(self, request, queryset):
        super().delete_queryset(request, queryset)
        catalog.declarations_changed()

    def get_urls(self):
        own = [
            path("import-openapi/", self.admin_site.admin_view(self.import_openapi), name="declared_import_openapi"),
            path("import-mcp/", self.admin_site.admin_view(self.import_mcp), name="declared_import_mcp"),
        ]
        return own + super().get_urls()

    def import_openapi(self, request):
        form = OpenApiImportForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            pick = [p.strip() for p in form.cleaned_data["pick"].split(",") if p.strip()] or None
            try:
                ops = openapi.openapi_import(
                    document=form.cleaned_data["document"],
                    system=form.cleaned_data["system"],
                    endpoint=form.cleaned_data["endpoint"].name,
                    pick=pick,
                )
            except DeclarationError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, f"Declared {len(ops)}: {', '.join(o.name for o in ops)}.")
                return redirect(reverse("admin:connectors_declaredoperation_changelist"))
        return self._page(request, form, "Import operations from an OpenAPI 3 document")

    def import_mcp(self, request):
        form = McpImportForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                ops = mcp.mcp_import(
                    server=form.cleaned_data["server"],
                    system=form.cleaned_data["system"],
                    writes=form.cleaned_data["writes"],
                )
            except (DeclarationError, ConnectorError) as exc:
                form.add_error(None, getattr(exc, "message", str(exc)))
            else:
                messages.success(request, f"Declared {len(ops)}: {', '.join(o.name for o in ops)}.")
                return redirect(reverse("admin:connectors_declaredoperation_changelist"))
        return self._page(request, form, "Use an MCP server's tools")

    def _page(self, request, form, title):
        context = {**self.admin_site.each_context(request), "form": form, "title": title, "opts": self.model._meta}
        return TemplateResponse(request, "admin/connectors/declaredoperation/import.html", context)


def _json(text):
    try:
        return json.loads(text or "null")
    except ValueError:
        return None


class OpenApiImportForm(forms.Form):
    document = forms.CharField(widget=forms.Textarea(attrs={"rows": 16, "cols": 100}), help_text="JSON or YAML.")
    system = forms.RegexField(r"^[a-z][a-z0-9_]*$", help_text="Your system's name, e.g. billing.")
    endpoint = forms.ModelChoiceField(Endpoint.objects.all(), help_text="Where the operations are called.")
    pick = forms.CharField(required=False, help_text="Comma-separated operationIds; empty: all of them.")


class McpImportForm(forms.Form):
    server = forms.ModelChoiceField(McpServer.objects.all())
    system = forms.RegexField(r"^[a-z][a-z0-9_]*$", help_text="The name SOPs use, e.g. outage.")
    tools = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text="One tool a line: '<tool> read' or '<tool> write'. Say which for every tool; none is assumed.",
    )

    def clean(self):
        data = super().clean()
        writes = {}
        for line in (data.get("tools") or "").splitlines():
            if not line.strip():
                continue
            parts = line.split()
            if len(parts) != 2 or parts[1] not in ("read", "write"):
                raise ValidationError(f"{line.strip()!r}: write '<tool> read' or '<tool> write'.")
            writes[parts[0]] = parts[1] == "write"
        if not writes:
            raise ValidationError("Name at least one tool.")
        data["writes"] = writes
        return data


@admin.register(CustomField)
class CustomFieldAdmin(SimpleHistoryAdmin):
    list_display = ["fact", "system", "sobject", "title", "field_id", "type", "enabled"]
    list_filter = ["system", "sobject", "enabled"]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        catalog.declarations_changed()

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        catalog.declarations_changed()

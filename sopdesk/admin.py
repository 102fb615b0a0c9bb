"""Admin for API tokens: create (the token is shown once), list, revoke.

The full token exists only in the message shown right after "Save"; the
database keeps its prefix and a SHA-256 of its secret.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.utils import timezone

from sopdesk.models import INTEGRATION_SCOPES, ApiToken, Scope
from sopdesk.tokens import token_revoke, token_save_new


class ApiTokenForm(forms.ModelForm):
    scopes = forms.MultipleChoiceField(
        choices=Scope.choices,
        widget=forms.CheckboxSelectMultiple,
        initial=[str(s) for s in INTEGRATION_SCOPES],
        help_text="A token never does more than the person who creates it may do.",
    )

    class Meta:
        model = ApiToken
        fields = ["name", "scopes", "expires_at"]


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    form = ApiTokenForm
    list_display = ["name", "shown_prefix", "scope_list", "created_by", "created_at", "last_used_at", "state"]
    list_filter = ["revoked_at"]
    search_fields = ["name", "prefix"]
    readonly_fields = ["shown_prefix", "created_by", "created_at", "last_used_at", "revoked_at"]
    actions = ["revoke"]

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["name", "scopes", "expires_at"]
        return [
            "name",
            "shown_prefix",
            "scopes",
            "expires_at",
            "created_by",
            "created_at",
            "last_used_at",
            "revoked_at",
        ]

    @admin.display(description="Token")
    def shown_prefix(self, obj: ApiToken) -> str:
        return f"sd_{obj.prefix}_…" if obj.prefix else ""

    @admin.display(description="Scopes")
    def scope_list(self, obj: ApiToken) -> str:
        return ", ".join(obj.scopes or [])

    @admin.display(description="State")
    def state(self, obj: ApiToken) -> str:
        if obj.revoked_at:
            return f"revoked {timezone.localtime(obj.revoked_at):%Y-%m-%d %H:%M}"
        if obj.expires_at and obj.expires_at <= timezone.now():
            return "expired"
        return "active"

    def save_model(self, request, obj: ApiToken, form, change) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        obj.created_by = request.user
        raw = token_save_new(token=obj)
        messages.warning(
            request,
            f"Copy this token now — it will not be shown again: {raw}  (send it as 'Authorization: Bearer <token>').",
        )

    @admin.action(description="Revoke selected tokens")
    def revoke(self, request, queryset) -> None:
        revoked = sum(token_revoke(token=token) for token in queryset)
        self.message_user(request, f"Revoked {revoked} token(s). They stop working at once.", messages.SUCCESS)

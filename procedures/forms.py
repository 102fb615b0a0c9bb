"""Forms of the SOP editor. They check shape only; services decide what is allowed."""

from __future__ import annotations

import json

from django import forms
from django.core.validators import ProhibitNullCharactersValidator

from procedures.errors import ProcedureError
from procedures.models import Procedure
from procedures.services import source_clean

_SOURCE_WIDGET = forms.Textarea(attrs={"rows": 18, "spellcheck": "true", "class": "sop-textarea"})


def _clean_source(value: str) -> str:
    try:
        return source_clean(value)
    except ProcedureError as exc:
        raise forms.ValidationError(exc.message, code=exc.code) from exc


class SourceForm(forms.Form):
    source = forms.CharField(
        label="SOP text",
        widget=_SOURCE_WIDGET,
        strip=False,
        required=False,
        help_text="Saving makes a new draft version and compiles it. The current version is not changed.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # source_clean explains NUL bytes (binary data) better than Django's generic validator.
        field = self.fields["source"]
        field.validators = [v for v in field.validators if not isinstance(v, ProhibitNullCharactersValidator)]

    def clean_source(self) -> str:
        return _clean_source(self.cleaned_data["source"])


class ProcedureCreateForm(SourceForm):
    name = forms.CharField(max_length=200, help_text="What the team calls this procedure.")
    slug = forms.SlugField(max_length=100, required=False, help_text="Optional; made from the name when empty.")
    trigger = forms.JSONField(
        required=False,
        initial=dict,
        widget=forms.Textarea(attrs={"rows": 2, "class": "sop-json"}),
        help_text='What starts a run, e.g. {"source": "zendesk", "events": ["ticket.created"], "tags": ["product-bug"]}.',
    )
    field_order = ["name", "slug", "trigger", "source"]

    def clean_trigger(self) -> dict:
        value = self.cleaned_data.get("trigger") or {}
        if not isinstance(value, dict):
            raise forms.ValidationError('The trigger must be a JSON object, e.g. {"source": "api"}.')
        return value


class StepCorrectForm(forms.Form):
    title = forms.CharField(max_length=300)
    fields_json = forms.CharField(
        label="Step fields (JSON)",
        widget=forms.Textarea(attrs={"rows": 10, "class": "sop-json", "spellcheck": "false"}),
        help_text="Conditions, branches, operation, params, waits, ... as in the compiled graph.",
    )

    def clean_fields_json(self) -> dict:
        try:
            value = json.loads(self.cleaned_data["fields_json"])
        except json.JSONDecodeError as exc:
            raise forms.ValidationError(f"This is not valid JSON: {exc.msg} (line {exc.lineno}).") from exc
        if not isinstance(value, dict):
            raise forms.ValidationError("Give the step's fields as a JSON object: { ... }.")
        return value

    def changes(self, *, current: dict) -> dict:
        """The edit as `step_edit` takes it: a field left out of the JSON is removed from the step."""
        submitted = self.cleaned_data["fields_json"]
        removed = {name: None for name in current if name not in submitted}
        return {**removed, **submitted, "title": self.cleaned_data["title"]}


class ProcedureAdminForm(forms.ModelForm):
    """The admin's procedure form: renaming to the name of another procedure is refused, as creating one is."""

    class Meta:
        model = Procedure
        fields = [
            "name", "slug", "description", "owner", "status", "trigger",
            "judgement_confidence_threshold", "precedent_auto_apply_after",
        ]  # fmt: skip

    def clean_name(self) -> str:
        name = (self.cleaned_data.get("name") or "").strip()
        other = Procedure.objects.filter(name__iexact=name).exclude(pk=self.instance.pk).first()
        if other is not None:
            raise forms.ValidationError(
                f"A procedure named '{other.name}' already exists. Choose another name.", code="name_taken"
            )
        return name

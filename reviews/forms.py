"""Forms: the inbox filters and the decision form built from an item's allowed outcomes."""

from __future__ import annotations

import json

from django import forms

from cases.graphreads import ask_coerce
from cases.models import ReviewItem
from reviews.selectors import (
    AGE_CHOICES,
    ASSIGNEE_CHOICES,
    DUE_CHOICES,
    KIND_CHOICES,
    STATUS_CHOICES,
    InboxFilters,
)


class InboxFilterForm(forms.Form):
    procedure = forms.IntegerField(required=False, min_value=1)
    reason = forms.ChoiceField(required=False, choices=[("", "Any reason"), *ReviewItem.Reason.choices])
    age = forms.ChoiceField(required=False, choices=AGE_CHOICES)
    assignee = forms.ChoiceField(required=False, choices=ASSIGNEE_CHOICES)
    due = forms.ChoiceField(required=False, choices=DUE_CHOICES, label="SLA due")
    status = forms.ChoiceField(required=False, choices=STATUS_CHOICES)
    kind = forms.ChoiceField(required=False, choices=KIND_CHOICES)
    page = forms.IntegerField(required=False, min_value=1)

    def filters(self) -> InboxFilters:
        """The valid filters; an invalid value is ignored rather than failing the page."""
        self.is_valid()
        data = {name: self.cleaned_data.get(name) for name in self.fields if name not in self.errors}
        return InboxFilters(
            procedure=data.get("procedure") or None,
            reason=data.get("reason") or "",
            age=data.get("age") or "",
            assignee=data.get("assignee") or "",
            due=data.get("due") or "",
            status=data.get("status") or "open",
            kind=data.get("kind") or "",
            page=data.get("page") or 1,
        )


def parse_facts(text: str) -> dict:
    """`name = value` lines (or a JSON object) into a dict; numbers stay numbers."""
    text = (text or "").strip()
    if not text:
        return {}
    if text.startswith("{"):
        try:
            value = json.loads(text)
        except ValueError as exc:
            raise forms.ValidationError(f"Not valid JSON: {exc}") from exc
        if not isinstance(value, dict):
            raise forms.ValidationError("Give a JSON object, or one `name = value` per line.")
        return value
    facts = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        if "=" not in line and ":" not in line:
            raise forms.ValidationError(f"Line {number}: write `name = value`.")
        sep = "=" if "=" in line else ":"
        name, value = (part.strip() for part in line.split(sep, 1))
        if not name:
            raise forms.ValidationError(f"Line {number}: the name is missing.")
        try:
            facts[name] = json.loads(value) if value and value[0] in '-0123456789[{tfn"' else value
        except ValueError:
            facts[name] = value
    return facts


class DecisionForm(forms.Form):
    """Pick one allowed outcome, fill the parameters it leaves open, add a note.

    When the hold asks for facts (`asks`: every fact the rest of the run reads
    from the gather, from `cases.graphreads.facts_to_ask`), the `facts`
    parameter is one typed field per fact, with the values the SOP's
    conditions compare against offered as choices: one form, one decision.
    """

    outcome = forms.ChoiceField(widget=forms.RadioSelect)
    note = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 2, "placeholder": "Why (kept with the precedent)"})
    )

    def __init__(
        self, *args, outcomes: list[dict], initial_params: dict | None = None, asks: list | None = None, **kwargs
    ):
        super().__init__(*args, **kwargs)
        self.outcomes = outcomes
        self.fields["outcome"].choices = [(o["key"], o["label"]) for o in outcomes]
        self.param_fields: list[tuple[str, str]] = []
        self.asks = [a for a in (asks or []) if isinstance(a, dict) and a.get("name")]
        self.fact_fields: list[tuple[dict, str]] = []
        seen = set()
        if self.asks and any("facts" in o["params"] for o in outcomes):
            seen.add("facts")
            known = (initial_params or {}).get("facts") or {}
            for ask in self.asks:
                field_name = f"fact_{ask['name']}"
                attrs = {"list": f"choices-{ask['name']}", "data-fact": ask["name"], "autocomplete": "off"}
                if ask.get("type") == "number":
                    attrs["inputmode"] = "decimal"
                initial = known.get(ask["name"], "")
                self.fields[field_name] = forms.CharField(
                    required=False,
                    initial="" if isinstance(initial, (dict, list)) else initial,
                    label=ask.get("path") or ask["name"],
                    widget=forms.TextInput(attrs=attrs),
                )
                self.fact_fields.append((ask, field_name))
        for outcome in outcomes:
            for name in outcome["params"]:
                if name in seen:
                    continue
                seen.add(name)
                field_name = f"param_{name}"
                initial = (initial_params or {}).get(name, "")
                if isinstance(initial, dict):
                    initial = "\n".join(f"{k} = {v}" for k, v in initial.items())
                self.fields[field_name] = forms.CharField(
                    required=False,
                    initial=initial,
                    label=name.replace("_", " ").capitalize(),
                    widget=forms.Textarea(attrs={"rows": 3, "data-param-for": name, "placeholder": "name = value"}),
                )
                self.param_fields.append((name, field_name))

    def clean(self):
        data = super().clean()
        chosen = next((o for o in self.outcomes if o["key"] == data.get("outcome")), None)
        params = {}
        if chosen:
            for name in chosen["params"]:
                if name == "facts" and self.fact_fields:
                    params["facts"] = self._typed_facts(data)
                    continue
                raw = data.get(f"param_{name}", "")
                try:
                    params[name] = parse_facts(raw) if name == "facts" else raw.strip()
                except forms.ValidationError as exc:
                    self.add_error(f"param_{name}", exc)
        data["params"] = {k: v for k, v in params.items() if v not in ("", {}, None)}
        return data

    def _typed_facts(self, data: dict) -> dict:
        typed = {ask["name"]: (data.get(field_name) or "").strip() for ask, field_name in self.fact_fields}
        values, problems = ask_coerce(self.asks, typed)
        for problem in problems:
            name = problem.split(" ", 1)[0]
            self.add_error(f"fact_{name}", problem)
        return values

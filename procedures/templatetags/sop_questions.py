"""The editor's "which system tells us X?" pick lists (`{% question_picklists version %}`)."""

from __future__ import annotations

from django import template

from procedures.questions import PERSON, version_questions

register = template.Library()


@register.inclusion_tag("procedures/_question_picklist.html", takes_context=True)
def question_picklists(context, version) -> dict:
    found = version_questions(version=version) if version.status in ("compiled", "draft") else []
    return {
        "questions": found,
        "version": version,
        "can_edit": context.get("can_edit", False),
        "csrf_token": context.get("csrf_token"),
        "person": PERSON,
    }

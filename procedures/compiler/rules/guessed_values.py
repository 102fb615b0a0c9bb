"""Values the compiler filled in that the sentence does not give: a record field set to `true` by a sentence that
changes it to no value it names. "Update the plan in Salesforce" names the field, not its new value:
`Plan__c: true` is a guess ("apply the discount", "mark it as verified", "update it to Gold" give one).
"""

from __future__ import annotations

import re

_TRUE_FIELD = re.compile(r'"(\w+)"\s*:\s*true\b')
_UPDATE_ONLY = re.compile(  # "update the plan in Salesforce": a verb of change, and no new value after it
    r"\b(?:update|change|edit|amend|correct|adjust)\s+(?:the\s+|their\s+|its\s+|his\s+|her\s+)?(?:\w+['’]s\s+)?\w+"
    r"(?![^.;]*\b(?:to|with|as|from|into)\b)",
    re.I,
)


def flag_not_given(operation: str, params: dict, instruction: str) -> str | None:
    """A record field set to true by a sentence that says to update or change it and gives no new value."""
    if operation != "salesforce.update_record":
        return None
    found = _TRUE_FIELD.search(str(params.get("fields", "")))
    if found and _UPDATE_ONLY.search(instruction):
        return f"the sentence gives no new value for {found.group(1)}; `true` is a guess"
    return None

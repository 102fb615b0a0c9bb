"""Steps on the Jira issue this run opened: "comment on the Jira issue asking for an update", "move the Jira
issue to Done". The issue is the one an earlier step created (`jira.key`); "the existing issue" or an issue the
run did not open is a question (which issue?), and a comment whose words the SOP does not give ("with the
outcome", "with the timeline") is written by a person."""

from __future__ import annotations

import re

from procedures.compiler.rules.candidates import Act
from procedures.compiler.rules.vocabulary import Known

_ISSUE = r"(?:the\s+)?(?:(?:jira|[A-Z]{2,10})\s+)?(?:jira\s+)?(?:issue|incident|task|bug)"
_COMMENT = re.compile(
    rf"(?:(?:add|post|leave|write|put)\s+(?:a\s+|an\s+)?(?:\w+\s+)?comment\s+(?:on|to|in)|comment\s+on)\s+({_ISSUE})\b\s*(.*)$",
    re.I,
)
# a workflow state the text writes: a usual one, or one in quotes ("Verified"): projects have their own workflows
_TRANSITION = re.compile(
    rf"(?:move|transition|set|mark)\s+({_ISSUE}|it)\s+(?:to|as)\s+"
    r"(?:[\"“]([A-Z][\w-]*(?:\s+[\w-]+){0,3})[\"”]|[\"“]?(done|resolved|closed|in progress)\b)",
    re.I,
)
_NOT_OURS = re.compile(r"\b(?:existing|other|previous|original|old|parent|linked|their)\b", re.I)


def _ours(issue: str, text: str, known: Known) -> bool:
    named = re.search(r"\bjira\b", text, re.I) or re.match(r"(?:the\s+)?[A-Z]{2,10}\s", issue)  # not "the issue"
    return known.has("jira") and not _NOT_OURS.search(issue) and bool(named)


def comment(text: str, known: Known) -> Act | None:
    m = _COMMENT.match(text)
    if not m or not _ours(m.group(1), text, known):
        return None
    rest = m.group(2).strip(" .")
    quoted = re.search(r"[\"“]([^\"”]{3,300})[\"”]", rest)
    if quoted:
        body = quoted.group(1)
    elif re.match(r"asking (?:for|about) (?:an? )?(?:update|status|progress)\b", rest, re.I):
        body = "Could you give us an update on this? Ticket: {{ case.url }}"
    else:
        return None  # "with the outcome", "with the timeline": words only a person can write
    return Act("jira.add_comment", {"issue_key": "{{ jira.key }}", "body": body}, "Comment on the Jira issue")


def transition(text: str, known: Known) -> Act | None:
    """ "move the Jira issue to Done", "transition it to "Verified"" (only Jira issues are transitioned, so "it" is
    the issue the run opened)."""
    m = _TRANSITION.match(text)
    if not m:
        return None
    if m.group(1).lower() == "it":
        if not (text.lower().startswith("transition") and known.has("jira")):
            return None  # "move it to Done": "it" may be the ticket
    elif not _ours(m.group(1), text, known):
        return None
    said = m.group(2) or m.group(3)
    target = said if m.group(2) else said.title() if said.lower() != "in progress" else "In Progress"
    return Act(
        "jira.transition_issue",
        {"issue_key": "{{ jira.key }}", "transition": target},
        f"Move the Jira issue to {target}",
    )

"""Rendering the SOP source with each step's sentence marked, for the side-by-side editor."""

from __future__ import annotations

import re
from html import escape as _escape

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from procedures.editor import EditorPage

register = template.Library()

# Words and quantities that carry an SOP's logic, coloured lightly in the source pane.
_KEYWORDS = re.compile(
    r"\b(?P<kw>[Ii]f|[Oo]therwise|[Uu]nless|[Ww]hen|[Tt]hen|[Ee]lse|[Ss]top|[Nn]ever|[Aa]bove|[Bb]elow|[Oo]ver|[Uu]nder)\b"
    r"|(?P<num>[$€£]?\d+(?:[.,]\d+)*%?(?:\s+(?:business\s+)?(?:days?|hours?|minutes?|weeks?))?)"
)


def _colour(text: str) -> str:
    out, last = [], 0
    for match in _KEYWORDS.finditer(text):
        out.append(_escape(text[last : match.start()]))
        css = "sop-kw" if match.group("kw") else "sop-num"
        out.append(f'<span class="{css}">{_escape(match.group(0))}</span>')
        last = match.end()
    out.append(_escape(text[last:]))
    return "".join(out)


# Above this size the source is shown without keyword colouring (one element per step, not per
# word) and in chunks of lines the browser lays out only when scrolled to (content-visibility).
COLOUR_LIMIT = 20_000
CHUNK_SEGMENTS = 200
_COVERAGE_CSS = {"not_understood": "sop-cov sop-cov-not-understood", "non_procedural": "sop-cov sop-cov-non-procedural"}


@register.simple_tag
def sop_source(page: EditorPage) -> SafeString:
    """The source text, escaped, with `<mark data-step="key">` around each step's span (nested when spans overlap).

    Sentences the compiler did not understand are highlighted and non-procedural ones greyed
    (from the version's coverage); the first piece of a not-understood sentence carries id="cov-N".
    """
    issues = page.span_issues
    errors = {number for number, _ in page.errors.by_span}
    warned_steps = {key for key, items in page.warnings.by_step.items() if items}
    entries = page.coverage.entries
    big = len(page.version.source) > COLOUR_LIMIT
    colour = _escape if big else _colour
    parts = ['<span class="sop-chunk">'] if big else []
    in_chunk = 0
    for segment in page.segments:
        html = colour(segment.text)
        if segment.coverage is not None:
            entry = entries[segment.coverage]
            css = _COVERAGE_CSS.get(entry.get("status", ""))
            if css:
                anchor = f' id="cov-{segment.coverage}"' if segment.coverage_starts else ""
                label = _escape(entry.get("kind") or entry.get("reason") or "")
                title = f' title="{label}"' if label and segment.coverage_starts else ""
                html = f'<span class="{css}"{anchor}{title}>{html}</span>'
        if segment.warnings:
            numbers = " ".join(str(i) for i in segment.warnings)
            html = f'<span class="sop-warned" data-warnings="{numbers}">{html}</span>'
        for key in reversed(segment.step_keys):  # innermost first, so the widest span ends up outside
            css = "sop-mark has-warning" if key in warned_steps else "sop-mark"
            html = f'<mark class="{css}" data-step="{_escape(key)}">{html}</mark>'
        plain = not (segment.step_keys or segment.warnings or segment.coverage is not None)
        if big and in_chunk >= CHUNK_SEGMENTS and plain and "\n" in segment.text:
            cut = segment.text.index("\n") + 1  # end the chunk at a line end, so no line is cut in two
            html = f'{_escape(segment.text[:cut])}</span><span class="sop-chunk">{_escape(segment.text[cut:])}'
            in_chunk = 0
        parts.append(html)
        for number in segment.warnings_ending:
            issue = issues.get(number, {})
            kind = "error" if number in errors else "warning"
            parts.append(
                format_html(
                    '<span class="sop-note sop-note-{}" id="issue-{}" role="note">{} {}</span>',
                    kind,
                    number,
                    "✖" if kind == "error" else "⚠",
                    issue.get("message", ""),
                )
            )
        in_chunk += 1
    if big:
        parts.append("</span>")
    return mark_safe("".join(parts))  # every piece of text above is escaped


@register.filter
def pretty(value) -> str:
    """A template or value as a person reads it: strings as they are, the rest as compact JSON."""
    import json

    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


@register.filter
def get(mapping, key):
    """`mapping|get:key` — a dict lookup with a variable key."""
    return mapping.get(key) if hasattr(mapping, "get") else None

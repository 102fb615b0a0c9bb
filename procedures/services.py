"""Writes on procedures: create, revise, compile, publish, roll back, correct a step.

Every function here is keyword-only and owns its transaction. Versions are the
unit of change:

- Editing the source never changes a version: it makes a new draft version
  (`version_create`). A version's source is fixed for its whole life.
- `version_compile` turns a version's source into a graph and Step rows, or
  records why it could not (status FAILED, errors, and no graph or steps).
- `version_publish` makes one compiled version the procedure's published one;
  the previous published version is retired. Runs point at the version they
  started on, so publishing never changes a running case.
- `version_rollback` publishes an earlier version *as a new version*: history
  stays linear (v1, v2, v3 = copy of v1), nothing is ever un-retired.
- `step_edit` is a person correcting one compiled step by hand. A hand edit
  survives recompiling the same version (same source); a new source means a
  new version, which starts from a fresh compile.
"""

from __future__ import annotations

import hashlib
import unicodedata
from typing import Any

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.text import slugify

from connectors.declared import answers as vocabulary_answers
from procedures import steps as graph_schema
from procedures.compiler import CompileError, compile_source, default_compiler
from procedures.errors import (
    ProcedureInvalid,
    ProcedureNameTaken,
    PublishNeedsConfirmation,
    RollbackInvalid,
    SourceDidNotCompile,
    SourceEmpty,
    SourceNotText,
    SourceTooLarge,
    StepEditRejected,
    VersionLocked,
    VersionNotCompiled,
    VersionNotPublishable,
)
from procedures.models import Procedure, ProcedureVersion, Step
from procedures.publishing import version_open_questions

MAX_SOURCE_BYTES = 200_000  # the same limit as procedures.compiler.check_source
LOCKED_STATUSES = (ProcedureVersion.Status.PUBLISHED, ProcedureVersion.Status.RETIRED)
# Fields of a step that are not kind-specific; everything else goes into Step.spec.
_COMMON_FIELDS = ("key", "kind", "title", "instruction", "span")


def _now():
    return timezone.now()


def source_hash(source: str) -> str:
    return hashlib.sha256(source.encode("utf-8")).hexdigest()


def source_clean(source: Any) -> str:
    """The SOP text as it will be stored, or a ProcedureError saying what is wrong with it.

    Line endings are normalised (a browser's textarea sends CRLF) and outer
    whitespace is trimmed, so step spans index the stored text exactly.
    """
    if isinstance(source, bytes):
        try:
            source = source.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise SourceNotText("This is not text (it is not valid UTF-8). Paste the SOP as plain text.") from exc
    if not isinstance(source, str):
        raise SourceNotText("The SOP must be text.")
    text = source.replace("\r\n", "\n").replace("\r", "\n").strip()
    if not text:
        raise SourceEmpty("The SOP is empty. Paste the procedure's text: one step per line or numbered steps.")
    size = len(text.encode("utf-8", errors="replace"))
    if size > MAX_SOURCE_BYTES:
        raise SourceTooLarge(
            f"The SOP is {size // 1000:,} KB; the limit is {MAX_SOURCE_BYTES // 1000} KB. "
            "Split it into several procedures, one per kind of case."
        )
    suspicious = sum(
        1 for ch in text if ch == "\ufffd" or (unicodedata.category(ch) in ("Cc", "Cs", "Co") and ch not in "\n\t")
    )
    has_surrogates = any(0xD800 <= ord(ch) <= 0xDFFF for ch in text)  # not storable, never typed text
    if "\x00" in text or has_surrogates or suspicious > max(3, len(text) // 100):
        raise SourceNotText(
            "This looks like binary data, not text (it contains control or undecodable characters). "
            "Paste the SOP as plain text."
        )
    return text


def _name_free(*, name: str, slug: str | None) -> str:
    """The slug the new procedure gets, or ProcedureNameTaken naming the procedure that has the name already.

    Two procedures with one name would be told apart only by a `-2` in a URL, and cases
    would be routed to whichever a person happened to publish: refuse instead.
    """
    same_name = Procedure.objects.filter(name__iexact=name).first()
    if same_name is not None:
        raise ProcedureNameTaken(
            f"A procedure named '{same_name.name}' already exists. Open it and edit its source to make a new "
            "version, or give this one another name."
        )
    slug = slug or slugify(name)[:90] or "procedure"
    same_slug = Procedure.objects.filter(slug=slug).first()
    if same_slug is not None:
        raise ProcedureNameTaken(
            f"The procedure '{same_slug.name}' already has the slug '{slug}'. Choose another name or slug."
        )
    return slug


def _step_row_fields(step: graph_schema.Step, position: int) -> dict:
    data = step.model_dump(mode="json", exclude_none=True)
    return {
        "position": position,
        "kind": step.kind,
        "title": step.title,
        "instruction": step.instruction,
        "span_start": step.span.start if step.span else None,
        "span_end": step.span.end if step.span else None,
        "spec": {k: v for k, v in data.items() if k not in _COMMON_FIELDS},
    }


def _steps_sync(*, version: ProcedureVersion, graph: graph_schema.Graph, hand_edited: set[str] = frozenset()) -> None:
    """Make the version's Step rows match `graph`, updating rows in place by key so their history continues."""
    existing = {s.key: s for s in version.steps.all()}
    keys = {s.key for s in graph.steps}
    for key, row in existing.items():
        if key not in keys:
            row.delete()
    for position, step in enumerate(graph.steps):
        fields = _step_row_fields(step, position)
        fields["hand_edited"] = step.key in hand_edited
        row = existing.get(step.key)
        if row is None:
            Step.objects.create(version=version, key=step.key, **fields)
            continue
        if any(getattr(row, name) != value for name, value in fields.items()):
            for name, value in fields.items():
                setattr(row, name, value)
            row.save()


def _graph_issues(graph_json: dict, *, source: str) -> list[dict]:
    """Problems that make `graph_json` unusable: schema errors, then validation errors. Empty means valid."""
    try:
        graph = graph_schema.parse(graph_json)
    except graph_schema.GraphError as exc:
        return [
            {"code": "graph_invalid", "message": f"{'.'.join(str(p) for p in e['loc']) or '(graph)'}: {e['msg']}"}
            for e in exc.errors
        ]
    from procedures.compiler.validate import validate_graph

    return [issue.to_json() for issue in validate_graph(graph, source=source)]


def _with_hand_edits(*, fresh: dict, previous: dict, keys: set[str], source: str) -> tuple[dict, set[str], list[dict]]:
    """Carry hand-edited steps from the previous graph into a fresh compile of the same source.

    Returns the merged graph, the keys kept, and warnings about edits that could not be kept
    (a hand-edited step whose key the new compile no longer has, or a merge that fails validation).
    """
    old_steps = {s["key"]: s for s in previous.get("steps", [])}
    merged_steps, kept, warnings = [], set(), []
    for step in fresh["steps"]:
        if step["key"] in keys and step["key"] in old_steps:
            merged_steps.append(old_steps[step["key"]])
            kept.add(step["key"])
        else:
            merged_steps.append(step)
    for key in sorted(keys - kept):
        warnings.append(
            {
                "code": "hand_edit_dropped",
                "step_key": key,
                "message": f"Your hand edit of step {key} was dropped: "
                "the new compile has no step with that key. Correct the new step again if needed.",
            }
        )
    merged = {**fresh, "steps": merged_steps}
    if kept and _graph_issues(merged, source=source):
        warnings.append(
            {
                "code": "hand_edit_dropped",
                "message": "Hand edits of steps "
                f"{', '.join(sorted(kept))} no longer fit the recompiled graph and were dropped. Correct them again.",
            }
        )
        return fresh, set(), warnings
    return merged, kept, warnings


@transaction.atomic
def procedure_create(
    *, name: str, source: str, trigger: dict | None = None, owner=None, slug: str | None = None
) -> Procedure:
    """Create a procedure with its first version (v1, a draft). Rejects bad text before storing anything."""
    name = (name or "").strip()
    if not name:
        raise ProcedureInvalid("Give the procedure a name, e.g. 'Product bug escalation'.")
    text = source_clean(source)
    slug = _name_free(name=name[:200], slug=slug)
    procedure = Procedure(name=name[:200], slug=slug, trigger=trigger or {}, owner=owner)
    procedure._history_user = owner
    procedure.save()
    _version_insert(procedure=procedure, source=text, created_by=owner)
    return procedure


def _version_insert(*, procedure: Procedure, source: str, created_by=None, based_on=None, **fields) -> ProcedureVersion:
    """A new version numbered after the procedure's latest. Call inside a transaction."""
    number = (procedure.versions.aggregate(n=Max("number"))["n"] or 0) + 1
    version = ProcedureVersion(
        procedure=procedure,
        number=number,
        source=source,
        source_hash=source_hash(source),
        created_by=created_by,
        based_on=based_on,
        **fields,
    )
    version._history_user = created_by
    version.save()
    return version


@transaction.atomic
def version_create(*, procedure: Procedure, source: str, created_by=None) -> ProcedureVersion:
    """A new draft version with this source, or the latest version if its source is the same text."""
    text = source_clean(source)
    Procedure.objects.select_for_update().get(pk=procedure.pk)
    latest = procedure.versions.order_by("-number").first()
    if latest is not None and latest.source_hash == source_hash(text) and latest.source == text:
        return latest
    return _version_insert(procedure=procedure, source=text, created_by=created_by, based_on=latest)


@transaction.atomic
def version_compile(*, version: ProcedureVersion, compiler: str | None = None) -> ProcedureVersion:
    """Compile the version's source; store the graph and Step rows, or the errors (status FAILED, no graph/steps).

    A published or retired version is never recompiled (runs depend on it).
    Recompiling a version keeps its hand-edited steps when the source is
    unchanged and the edited step's key is still there.
    """
    version = ProcedureVersion.objects.select_for_update().get(pk=version.pk)
    if version.status in LOCKED_STATUSES:
        raise VersionLocked(
            f"v{version.number} is {version.get_status_display().lower()} and cannot be recompiled. "
            "Edit the source to make a new draft version."
        )
    hand_edited = set(version.steps.filter(hand_edited=True).values_list("key", flat=True))
    if version.source_hash != source_hash(version.source):
        hand_edited = set()  # the text changed under us: edits no longer refer to it
        version.source_hash = source_hash(version.source)
    compiler_name = compiler or default_compiler()
    try:
        with vocabulary_answers.for_procedure(version.procedure_id):  # people's answers to its questions
            result = compile_source(version.source, compiler=compiler)
    except CompileError as exc:
        version.status = ProcedureVersion.Status.FAILED
        issues = [e.to_json() for e in exc.errors]
        summary = {"code": exc.code, "message": str(exc)}
        version.errors = issues if any(i["message"] == str(exc) for i in issues) else [summary, *issues]
        version.graph, version.warnings, version.coverage = {}, [], []
        version.compiler, version.compiler_version = compiler_name, ""
        version.usage = exc.usage
        version.compiled_at = _now()
        version.steps.all().delete()
        version.save()
        return version
    graph_json = result.graph.to_json()
    warnings = [w.to_json() for w in result.warnings]
    kept: set[str] = set()
    if hand_edited and version.graph:
        graph_json, kept, dropped = _with_hand_edits(
            fresh=graph_json, previous=version.graph, keys=hand_edited, source=version.source
        )
        warnings += dropped
    graph = graph_schema.parse(graph_json)
    version.graph = graph.to_json()
    version.compiler, version.compiler_version = result.compiler, result.compiler_version
    version.warnings, version.errors, version.usage = warnings, [], result.usage
    version.coverage = [entry.to_json() for entry in result.coverage]
    version.status, version.compiled_at = ProcedureVersion.Status.COMPILED, _now()
    version.save()
    _steps_sync(version=version, graph=graph, hand_edited=kept)
    return version


@transaction.atomic
def version_create_and_compile(
    *, procedure: Procedure, source: str, created_by=None, compiler: str | None = None
) -> ProcedureVersion:
    """The editor's "save source": a new version, compiled at once; if it fails, nothing is stored.

    Raises SourceDidNotCompile (with the compiler's issues) and rolls the new version back.
    """
    version = version_create(procedure=procedure, source=source, created_by=created_by)
    if version.status in LOCKED_STATUSES or version.status == ProcedureVersion.Status.COMPILED:
        return version
    version = version_compile(version=version, compiler=compiler)
    if version.status == ProcedureVersion.Status.FAILED:
        raise SourceDidNotCompile(_compile_failure_message(version), issues=version.errors)
    return version


@transaction.atomic
def procedure_create_and_compile(
    *,
    name: str,
    source: str,
    trigger: dict | None = None,
    owner=None,
    slug: str | None = None,
    compiler: str | None = None,
) -> Procedure:
    """The "Add SOP" form: a procedure and a compiled v1, or SourceDidNotCompile and nothing stored."""
    procedure = procedure_create(name=name, source=source, trigger=trigger, owner=owner, slug=slug)
    version = version_compile(version=procedure.versions.get(), compiler=compiler)
    if version.status == ProcedureVersion.Status.FAILED:
        raise SourceDidNotCompile(_compile_failure_message(version), issues=version.errors)
    return procedure


def _compile_failure_message(version: ProcedureVersion) -> str:
    summary = (version.errors[0]["message"] if version.errors else "no reason given").rstrip(".")
    return f"The SOP did not compile: {summary}. Nothing was saved; fix the text and try again."


@transaction.atomic
def version_publish(*, version: ProcedureVersion, user=None, confirm_warnings: bool = False) -> ProcedureVersion:
    """Make a compiled version the procedure's one published version; retire the previous one.

    A version with open questions (sentences not understood, compile warnings,
    approval/hand-off roles no group has yet) is refused with
    PublishNeedsConfirmation naming them unless `confirm_warnings` is true: a
    person must have seen them. The missing roles are created as (empty) groups.

    Holds a row lock on the procedure, so of two concurrent publishes one waits
    for the other and exactly one version ends up published. Runs keep the
    version they started on.
    """
    procedure = Procedure.objects.select_for_update().get(pk=version.procedure_id)
    version = ProcedureVersion.objects.select_for_update().get(pk=version.pk)
    if version.status == ProcedureVersion.Status.PUBLISHED:
        raise VersionNotPublishable(f"v{version.number} is already the published version.")
    if version.status != ProcedureVersion.Status.COMPILED:
        raise VersionNotPublishable(
            f"v{version.number} is {version.get_status_display().lower()}; only a compiled version can be "
            "published. Compile it first (or fix its errors)."
        )
    issues = _graph_issues(version.graph, source=version.source)
    if issues:
        raise VersionNotPublishable(f"v{version.number}'s graph is not valid: {issues[0]['message']}", issues=issues)
    questions = version_open_questions(version=version)
    if questions and not confirm_warnings:
        raise PublishNeedsConfirmation(questions.message(version.number), issues=[questions.to_json()])
    for role in questions.missing_roles:
        Group.objects.get_or_create(name=role)
    now = _now()
    for previous in procedure.versions.filter(status=ProcedureVersion.Status.PUBLISHED).exclude(pk=version.pk):
        previous.status = ProcedureVersion.Status.RETIRED
        previous._history_user = user
        previous.save()
    checks = version_checks_run(version=version)  # SOPDESK_PUBLISH_CHECKS (issue 13)
    version.status, version.published_at = ProcedureVersion.Status.PUBLISHED, now
    version._history_user = user
    version.save()
    procedure.published_version, procedure.status = version, Procedure.Status.ACTIVE
    procedure._history_user = user
    procedure.save()
    version.check_results = checks
    return version


# --- Publish checks (issue 13): SOPDESK_PUBLISH_CHECKS, dotted paths of functions called with the version.
# An inversion so that procedures never imports reviews or cases: e.g. reviews' regression cases.


def publish_checks() -> list:
    """The configured check functions, imported on first use; ImproperlyConfigured names a bad entry."""
    checks = []
    for dotted in settings.SOPDESK_PUBLISH_CHECKS:
        try:
            checks.append(import_string(dotted))
        except ImportError as exc:
            raise ImproperlyConfigured(f"SOPDESK_PUBLISH_CHECKS: cannot import {dotted!r} ({exc}).") from exc
    return checks


def version_checks_run(*, version: ProcedureVersion) -> list[dict]:
    """Run every publish check on `version` (also before publishing, to preview); returns their results."""
    return [check(version=version) for check in publish_checks()]


@transaction.atomic
def version_rollback(
    *, procedure: Procedure, to_version: ProcedureVersion, user=None, confirm_warnings: bool = False
) -> ProcedureVersion:
    """Publish an earlier version again, as a NEW version (history stays linear; nothing is un-retired).

    The new version copies the earlier one's source, compiled graph and steps
    (hand edits included), records `based_on=to_version`, and is published. A
    version that was published before had its open questions confirmed then;
    one that never was needs `confirm_warnings` like any publish.
    """
    procedure = Procedure.objects.select_for_update().get(pk=procedure.pk)
    to_version = ProcedureVersion.objects.get(pk=to_version.pk)
    if to_version.procedure_id != procedure.pk:
        raise RollbackInvalid(f"v{to_version.number} belongs to another procedure.")
    if procedure.published_version_id == to_version.pk:
        raise RollbackInvalid(f"v{to_version.number} is already the published version.")
    if not to_version.graph or to_version.status in (ProcedureVersion.Status.DRAFT, ProcedureVersion.Status.FAILED):
        raise RollbackInvalid(f"v{to_version.number} never compiled; only a compiled version can be rolled back to.")
    copy = _version_copy(version=to_version, created_by=user)
    confirmed = confirm_warnings or to_version.published_at is not None
    return version_publish(version=copy, user=user, confirm_warnings=confirmed)


def _version_copy(*, version: ProcedureVersion, created_by=None) -> ProcedureVersion:
    """A new COMPILED version with the same source, graph and steps. Call inside a transaction."""
    copy = _version_insert(
        procedure=version.procedure,
        source=version.source,
        created_by=created_by,
        based_on=version,
        status=ProcedureVersion.Status.COMPILED,
        graph=version.graph,
        compiler=version.compiler,
        compiler_version=version.compiler_version,
        warnings=version.warnings,
        coverage=version.coverage,
        usage={},
        compiled_at=version.compiled_at or _now(),
    )
    for step in version.steps.all():
        row = Step(
            version=copy,
            key=step.key,
            position=step.position,
            kind=step.kind,
            title=step.title,
            instruction=step.instruction,
            span_start=step.span_start,
            span_end=step.span_end,
            spec=step.spec,
            hand_edited=step.hand_edited,
        )
        row._history_user = created_by
        row.save()
    return copy


_FIXED_FIELDS = {"key": "its key (other steps point at it)", "kind": "its kind", "span": "its source span"}


@transaction.atomic
def step_edit(*, step: Step, changes: dict, user=None) -> Step:
    """Correct one compiled step by hand; validated as a whole graph, recorded in history with `user`.

    `changes` maps step fields (title, instruction, branches, otherwise, params,
    operation, delay, ...) to new values, as in the graph JSON. The key, kind
    and span cannot change. On a published or retired version the correction
    goes into a new draft copy of it (returned step belongs to that copy).
    The edit is kept when the same version is recompiled; a new source starts fresh.
    """
    if not isinstance(changes, dict) or not changes:
        raise StepEditRejected("Nothing to change: give at least one field of the step.")
    current = {"key": step.key, "kind": step.kind}
    for name, why in _FIXED_FIELDS.items():
        if name in changes and (name == "span" or changes[name] != current[name]):
            raise StepEditRejected(f"A correction cannot change {why}. Edit the source instead.")
    changes = {k: v for k, v in changes.items() if k not in _FIXED_FIELDS}
    version = ProcedureVersion.objects.select_for_update().get(pk=step.version_id)
    if not version.graph:
        raise VersionNotCompiled(f"v{version.number} has no compiled steps. Compile it first.")
    step_json = next((s for s in version.graph["steps"] if s["key"] == step.key), None)
    if step_json is None:
        raise StepEditRejected(f"Step {step.key} is not in v{version.number}'s graph.")
    edited = {**step_json, **changes}
    edited = {k: v for k, v in edited.items() if v is not None}
    graph_json = {**version.graph, "steps": [edited if s["key"] == step.key else s for s in version.graph["steps"]]}
    issues = _graph_issues(graph_json, source=version.source)
    if issues:
        raise StepEditRejected(
            f"That correction would make the procedure invalid: {issues[0]['message']}", issues=issues
        )
    if version.status in LOCKED_STATUSES:  # published versions never change: correct a copy
        version = _version_copy(version=version, created_by=user)
    graph = graph_schema.parse(graph_json)
    version.graph = graph.to_json()
    version._history_user = user
    version.save()
    row = version.steps.get(key=step.key)
    position = row.position
    for name, value in _step_row_fields(graph.step(step.key), position).items():
        setattr(row, name, value)
    row.hand_edited = True
    row._history_user = user
    row.save()
    return row

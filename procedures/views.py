"""The SOP editor: source on the left, compiled steps on the right, and the buttons that change versions.

Views parse the request, call one service or selector, and render. Ops managers
(and superusers) may change procedures; anyone who may view versions (Reviewers)
sees the editor read-only.
"""

from __future__ import annotations

from functools import wraps

from django.contrib import admin, messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from procedures import editor as editor_page
from procedures import publishing, regression_panel, selectors, services
from procedures.errors import ProcedureError, ProcedureNameTaken, PublishNeedsConfirmation
from procedures.forms import ProcedureCreateForm, SourceForm, StepCorrectForm
from procedures.models import Procedure, ProcedureVersion

VIEW_PERMISSION = "procedures.view_procedureversion"
EDIT_PERMISSIONS = ("procedures.change_procedureversion", "procedures.add_procedureversion")


def can_edit(user) -> bool:
    return user.has_perms(EDIT_PERMISSIONS)


def _permission(*, edit: bool):
    def decorator(view):
        @login_required
        @wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs):
            allowed = can_edit(request.user) if edit else request.user.has_perm(VIEW_PERMISSION)
            if not allowed:
                raise PermissionDenied("You may not " + ("change" if edit else "view") + " procedures.")
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


def _render(request: HttpRequest, template: str, context: dict, status: int = 200) -> HttpResponse:
    base = admin.site.each_context(request)
    base["is_nav_sidebar_enabled"] = False
    return render(request, template, {**base, "can_edit": can_edit(request.user), **context}, status=status)


def editor_url(version: ProcedureVersion) -> str:
    return reverse("procedures:editor", args=[version.pk])


def _step_page_number(request: HttpRequest) -> int:
    raw = request.GET.get("steps", "1")
    return int(raw) if raw.isdigit() and len(raw) < 7 else 1


def _editor(request, version, *, source_form=None, correct_forms=None, status=200) -> HttpResponse:
    page = editor_page.version_editor(version=version, page=_step_page_number(request))
    return _render(
        request,
        "procedures/editor.html",
        {
            "title": f"{version.procedure.name} v{version.number}",
            "page": page,
            "version": version,
            "procedure": version.procedure,
            "source_form": source_form or SourceForm(initial={"source": version.source}),
            "correct_forms": correct_forms or {},
            "sample_case_url": f"/cases/try/{version.pk}/",
            "regression": regression_panel.version_regression_panel(version=version),
        },
        status=status,
    )


@require_GET
@_permission(edit=False)
def editor(request: HttpRequest, version_id: int) -> HttpResponse:
    version = get_object_or_404(ProcedureVersion.objects.select_related("procedure"), pk=version_id)
    return _editor(request, version)


@require_GET
@_permission(edit=False)
def procedure_editor(request: HttpRequest, procedure_id: int) -> HttpResponse:
    """The editor for a procedure's latest version."""
    procedure = get_object_or_404(Procedure, pk=procedure_id)
    latest = selectors.version_list(procedure=procedure).first()
    if latest is None:
        messages.info(request, "This procedure has no versions yet: paste its SOP text to make v1.")
        return redirect("procedures:create")
    return redirect(editor_url(latest))


@_permission(edit=True)
def procedure_create(request: HttpRequest) -> HttpResponse:
    form = ProcedureCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            procedure = services.procedure_create_and_compile(
                name=data["name"],
                source=data["source"],
                trigger=data["trigger"],
                owner=request.user,
                slug=data["slug"] or None,
            )
        except ProcedureNameTaken as exc:
            form.add_error("name", exc.message)
            return _render(request, "procedures/create.html", {"form": form, "title": "Add an SOP"}, status=400)
        except ProcedureError as exc:
            form.add_error(None, exc.message)
            source = form.cleaned_data.get("source", "")
            issues = [_issue_line(i, source) for i in _pointed(exc.issues)]
            return _render(
                request, "procedures/create.html", {"form": form, "issues": issues, "title": "Add an SOP"}, status=400
            )
        version = procedure.versions.get()
        messages.success(request, f"{procedure.name} v1 compiled into {version.steps.count()} steps.")
        return redirect(editor_url(version))
    status = 400 if request.method == "POST" else 200
    return _render(request, "procedures/create.html", {"form": form, "title": "Add an SOP"}, status=status)


@require_POST
@_permission(edit=True)
def source_save(request: HttpRequest, version_id: int) -> HttpResponse:
    """Save edited source as a new version, compiled at once. A compile failure stores nothing."""
    version = get_object_or_404(ProcedureVersion.objects.select_related("procedure"), pk=version_id)
    form = SourceForm(request.POST)
    if form.is_valid():
        try:
            new = services.version_create_and_compile(
                procedure=version.procedure, source=form.cleaned_data["source"], created_by=request.user
            )
        except ProcedureError as exc:
            form.add_error("source", exc.message)
            for issue in _pointed(exc.issues):
                form.add_error("source", _issue_line(issue, form.cleaned_data.get("source", "")))
        else:
            if new.pk == version.pk or new.number < version.number:
                messages.info(request, f"The source is unchanged from v{new.number}; nothing new was saved.")
            else:
                messages.success(request, f"Saved v{new.number} and compiled it into {new.steps.count()} steps.")
            return redirect(editor_url(new))
    return _editor(request, version, source_form=form, status=400)


def _pointed(issues: list[dict], limit: int = 10) -> list[dict]:
    """The issues that point at a sentence or step; the summary message already says the rest."""
    return [i for i in issues if i.get("span") or i.get("step_key")][:limit]


def _issue_line(issue: dict, source: str) -> str:
    where = ""
    span = issue.get("span")
    if span and source:
        line = source.count("\n", 0, span.get("start", 0)) + 1
        where = f"line {line}: "
    excerpt = f" (“{issue['excerpt']}”)" if issue.get("excerpt") else ""
    return f"{where}{issue.get('message', '')}{excerpt}"


@require_POST
@_permission(edit=True)
def version_compile(request: HttpRequest, version_id: int) -> HttpResponse:
    version = get_object_or_404(ProcedureVersion, pk=version_id)
    try:
        version = services.version_compile(version=version)
    except ProcedureError as exc:
        messages.error(request, exc.message)
        return redirect(editor_url(version))
    if version.status == ProcedureVersion.Status.FAILED:
        messages.error(request, f"v{version.number} did not compile; the errors are shown below.")
    else:
        messages.success(request, f"Compiled v{version.number} with {version.compiler}: {version.steps.count()} steps.")
    return redirect(editor_url(version))


def _confirmed(request: HttpRequest) -> bool:
    return request.POST.get("confirm_warnings") == "yes"


def _roles_created(roles: list[str]) -> str:
    if not roles:
        return ""
    names = ", ".join(f"“{r}”" for r in roles)
    return (
        f" Created the group{'s' if len(roles) > 1 else ''} {names} for its approvals: add the people who "
        "decide them in Authentication → Groups (they also need the Reviewers or Ops managers role)."
    )


def _publish(request: HttpRequest, version: ProcedureVersion, *, action: str, publish, success: str) -> HttpResponse:
    """Run a publish (or roll back); open questions or failing regression cases get a page naming them to confirm."""
    questions = publishing.version_open_questions(version=version)
    confirmed = _confirmed(request)
    regression = None if confirmed else regression_panel.version_regression_panel(version=version)

    def confirmation() -> HttpResponse:
        return _render(
            request,
            "procedures/publish_confirm.html",
            {
                "title": f"Publish {version.procedure.name} v{version.number}?",
                "version": version,
                "procedure": version.procedure,
                "questions": questions,
                "regression": regression,
                "action": action,
            },
        )

    if regression and regression.wrong:
        return confirmation()
    try:
        result = publish(confirmed)
    except PublishNeedsConfirmation:
        return confirmation()
    except ProcedureError as exc:
        messages.error(request, exc.message)
        return redirect(editor_url(version))
    messages.success(request, success.format(v=result) + _roles_created(questions.missing_roles))
    return redirect(editor_url(result))


@require_POST
@_permission(edit=True)
def version_publish(request: HttpRequest, version_id: int) -> HttpResponse:
    version = get_object_or_404(ProcedureVersion.objects.select_related("procedure"), pk=version_id)
    return _publish(
        request,
        version,
        action=reverse("procedures:publish", args=[version.pk]),
        publish=lambda confirmed: services.version_publish(
            version=version, user=request.user, confirm_warnings=confirmed
        ),
        success="Published v{v.number}. New cases use it; running cases keep their version.",
    )


@require_POST
@_permission(edit=True)
def version_rollback(request: HttpRequest, version_id: int) -> HttpResponse:
    version = get_object_or_404(ProcedureVersion.objects.select_related("procedure"), pk=version_id)
    return _publish(
        request,
        version,
        action=reverse("procedures:rollback", args=[version.pk]),
        publish=lambda confirmed: services.version_rollback(
            procedure=version.procedure, to_version=version, user=request.user, confirm_warnings=confirmed
        ),
        success="Rolled back: v{v.number} is a copy of v" + str(version.number) + " and is now published.",
    )


@require_GET
@_permission(edit=False)
def step_locate(request: HttpRequest, version_id: int, step_key: str) -> HttpResponse:
    """The editor page that shows this step's card (steps are paged), scrolled to it."""
    version = get_object_or_404(ProcedureVersion, pk=version_id)
    number = editor_page.step_page(version=version, key=step_key)
    if number is None:
        raise Http404(f"v{version.number} has no step {step_key}.")
    return redirect(f"{editor_url(version)}?steps={number}#step-{step_key}")


@require_GET
@_permission(edit=True)
def step_correction(request: HttpRequest, version_id: int, step_key: str) -> HttpResponse:
    """The "Correct this step" form of one card, loaded when a person opens it (htmx)."""
    version = get_object_or_404(ProcedureVersion.objects.select_related("procedure"), pk=version_id)
    card = editor_page.version_step_card(version=version, key=step_key)
    if card is None:
        raise Http404(f"v{version.number} has no step {step_key}.")
    locked = version.status in (ProcedureVersion.Status.PUBLISHED, ProcedureVersion.Status.RETIRED)
    return render(
        request, "procedures/_step_correct.html", {"card": card, "version": version, "locked": locked, "form": None}
    )


@require_POST
@_permission(edit=True)
def step_correct(request: HttpRequest, version_id: int, step_key: str) -> HttpResponse:
    version = get_object_or_404(ProcedureVersion.objects.select_related("procedure"), pk=version_id)
    step = get_object_or_404(version.steps, key=step_key)
    form = StepCorrectForm(request.POST)
    if form.is_valid():
        current = {**step.spec, "instruction": step.instruction}
        try:
            edited = services.step_edit(step=step, changes=form.changes(current=current), user=request.user)
        except ProcedureError as exc:
            form.add_error(None, exc.message)
            for issue in exc.issues[1:6]:
                form.add_error(None, issue.get("message", ""))
        else:
            where = "" if edited.version_id == version.pk else f" in a new draft v{edited.version.number}"
            messages.success(request, f"Corrected step {step_key}{where}. The change is kept in its history.")
            return redirect(editor_url(edited.version) + f"#step-{step_key}")
    return _editor(request, version, correct_forms={step_key: form}, status=400)


@require_GET
@_permission(edit=False)
def version_diff(request: HttpRequest, old_id: int, new_id: int) -> HttpResponse:
    old = get_object_or_404(ProcedureVersion.objects.select_related("procedure"), pk=old_id)
    new = get_object_or_404(ProcedureVersion.objects.select_related("procedure"), pk=new_id)
    if old.procedure_id != new.procedure_id:
        raise PermissionDenied("Both versions must belong to the same procedure.")
    diff = selectors.version_diff(old=old, new=new)
    return _render(
        request,
        "procedures/diff.html",
        {"title": f"{new.procedure.name}: v{old.number} → v{new.number}", "diff": diff, "procedure": new.procedure},
    )

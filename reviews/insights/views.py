"""The insights page for ops managers: ranked insights, one insight with evidence and amendment, regression panel.

Each view parses the request, calls one selector or service, and renders.
"""

from __future__ import annotations

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from procedures.models import Procedure, ProcedureVersion
from procedures.services import version_checks_run
from reviews.access import is_ops_manager
from reviews.insights import selectors, services
from reviews.insights.amendments import diff_lines
from reviews.insights.charts import insight_png
from reviews.models import Insight


def ops_manager_required(view):
    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs):
        if not is_ops_manager(request.user):
            raise PermissionDenied("Insights are for Ops managers.")
        return view(request, *args, **kwargs)

    return wrapper


@require_GET
@ops_manager_required
def insight_list(request: HttpRequest) -> HttpResponse:
    slug = request.GET.get("procedure") or ""
    procedure = Procedure.objects.filter(slug=slug).first() if slug else None
    insights = selectors.insights_list(procedure=procedure, include_dismissed=request.GET.get("dismissed") == "1")
    context = {
        "insights": insights,
        "procedures": Procedure.objects.filter(published_version__isnull=False).order_by("name"),
        "procedure": procedure,
        "costs": selectors.procedure_costs(),
        "is_ops_manager": True,
    }
    return render(request, "insights/list.html", context)


@require_GET
@ops_manager_required
def insight_detail(request: HttpRequest, insight_id: int) -> HttpResponse:
    insight = get_object_or_404(Insight.objects.select_related("procedure", "draft_version"), id=insight_id)
    context = {
        "insight": insight,
        "diff_lines": diff_lines(selectors.insight_diff(insight=insight)),
        "cases": selectors.evidence_cases(insight=insight),
        "is_ops_manager": True,
    }
    return render(request, "insights/detail.html", context)


@require_GET
@ops_manager_required
def insight_chart(request: HttpRequest, insight_id: int) -> HttpResponse:
    insight = get_object_or_404(Insight, id=insight_id)
    return HttpResponse(insight_png(insight), content_type="image/png")


@require_POST
@ops_manager_required
def insight_decide(request: HttpRequest, insight_id: int, action: str) -> HttpResponse:
    insight = get_object_or_404(Insight, id=insight_id)
    note = request.POST.get("note", "")[:5000]
    try:
        if action == "accept":
            services.insight_accept(insight=insight, user=request.user, note=note)
            messages.success(request, "Accepted.")
        elif action == "dismiss":
            services.insight_dismiss(insight=insight, user=request.user, note=note)
            messages.success(request, "Dismissed: it comes back only if its evidence grows materially.")
        else:
            insight = services.insight_draft(insight=insight, user=request.user)
            impact = insight.simulated_impact
            messages.success(
                request,
                f"Draft v{insight.draft_version.number} compiled: {impact['changed_path']} of {impact['cases']} "
                f"recent matching cases would take another path, {impact['holds_removed']} fewer holds.",
            )
    except services.InsightError as exc:
        messages.error(request, exc.message)
    return redirect("reviews:insight", insight_id=insight.id)


@ops_manager_required
def regression_panel(request: HttpRequest, version_id: int) -> HttpResponse:
    """A version's regression cases: what it gets right and wrong (POST: replay them now)."""
    version = get_object_or_404(ProcedureVersion.objects.select_related("procedure"), id=version_id)
    if request.method == "POST":
        version_checks_run(version=version)
        return redirect("reviews:regression", version_id=version.id)
    context = {
        "version": version,
        "run": selectors.regression_latest(version=version),
        "cases": selectors.regression_cases(procedure=version.procedure),
        "is_ops_manager": True,
    }
    return render(request, "insights/regression.html", context)

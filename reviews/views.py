"""The inbox pages. Each view parses the request, calls one selector or service, and renders.

htmx requests get partials (the queue rows, a row after claiming, the run's
status); everything also works as plain GET/POST with redirects.
"""

from __future__ import annotations

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from cases import clock
from cases.models import ReviewItem
from reviews import selectors, services
from reviews.access import can_decide, can_use_inbox, is_ops_manager
from reviews.forms import DecisionForm, InboxFilterForm
from reviews.queue_html import claim_html, rows_html


def inbox_required(view):
    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs):
        if not can_use_inbox(request.user):
            raise PermissionDenied("The inbox is for Reviewers and Ops managers.")
        return view(request, *args, **kwargs)

    return wrapper


def _error(request: HttpRequest, exc: services.ReviewError) -> HttpResponse:
    if request.htmx:
        return render(request, "reviews/_error.html", {"message": exc.message}, status=exc.status)
    messages.error(request, exc.message)
    return redirect(request.POST.get("next") or reverse("reviews:inbox"))


@require_GET
@inbox_required
def inbox(request: HttpRequest) -> HttpResponse:
    form = InboxFilterForm(request.GET)
    filters = form.filters()
    now = clock.now()
    results_only = request.htmx and request.htmx.target == "inbox-results"
    counts = None if results_only else selectors.inbox_counts(user=request.user, now=now)
    page = selectors.inbox_page(
        user=request.user, filters=filters, now=now, open_total=counts.open if counts is not None else None
    )
    query = request.GET.copy()
    query.pop("page", None)
    rows = rows_html([row.cells(request.user) for row in page.rows])
    context = {"page": page, "rows_html": rows, "filters": filters, "form": form, "query": query.urlencode()}
    if results_only:
        return render(request, "reviews/_results.html", context)
    return render(
        request,
        "reviews/inbox.html",
        {
            **context,
            "counts": counts,
            "cap": f"{selectors.COUNT_CAP:,}",
            "is_ops_manager": is_ops_manager(request.user),
        },
    )


@require_GET
@inbox_required
def item_detail(request: HttpRequest, item_id: int) -> HttpResponse:
    return _detail(request, item_id)


def _detail(request: HttpRequest, item_id: int, form: DecisionForm | None = None, status: int = 200) -> HttpResponse:
    detail = selectors.review_detail(user=request.user, item_id=item_id, now=clock.now())
    if detail is None:
        raise Http404("No such review item.")
    if form is None:
        agent = detail.agent
        form = DecisionForm(
            outcomes=detail.outcomes,
            initial={"outcome": agent.get("outcome")} if agent.get("outcome") else None,
            initial_params=agent.get("params") or _missing_params(detail),
            asks=detail.hold_details.get("ask"),
        )
    now = clock.now()
    context = {
        "d": detail,
        "form": form,
        "is_ops_manager": is_ops_manager(request.user),
        "overdue": bool(detail.item.due_at and detail.item.due_at < now),
        "claim_html": claim_html(selectors.claim_cell(detail.item, request.user)),
    }
    return render(request, "reviews/detail.html", context, status=status)


def _missing_params(detail: selectors.ReviewDetail) -> dict:
    """Prefill the facts editor with the names the SOP is missing, so the reviewer types only values."""
    missing = detail.hold_details.get("missing")
    names = missing if isinstance(missing, list) else ([missing] if missing else [])
    required = getattr(detail.step, "required", None) or []
    names = [n.split(".")[-1] for n in (names or required)]
    found = detail.hold_details.get("found") or {}
    return {
        "facts": {**{k: v for k, v in found.items() if isinstance(v, (str, int, float))}, **dict.fromkeys(names, "")}
    }


@require_POST
@inbox_required
def item_decide(request: HttpRequest, item_id: int) -> HttpResponse:
    item = ReviewItem.objects.filter(id=item_id).first()
    if item is None:
        raise Http404("No such review item.")
    if not can_decide(request.user, item):
        raise PermissionDenied(f"Only {item.required_role or 'Reviewers and Ops managers'} can decide this item.")
    form = DecisionForm(request.POST, outcomes=services.outcome_choices(item), asks=(item.proposal or {}).get("ask"))
    if not form.is_valid():
        return _detail(request, item_id, form=form, status=400)
    try:
        services.review_decide(
            item_id=item_id,
            user=request.user,
            outcome=form.cleaned_data["outcome"],
            params=form.cleaned_data["params"],
            note=form.cleaned_data["note"],
        )
    except services.ReviewError as exc:
        form.add_error(None, exc.message)
        return _detail(request, item_id, form=form, status=exc.status)
    messages.success(request, f"Decided #{item_id}: {form.cleaned_data['outcome']}. The run is resuming.")
    return redirect("reviews:item", item_id=item_id)


@require_POST
@inbox_required
def item_claim(request: HttpRequest, item_id: int) -> HttpResponse:
    return _claim(request, item_id, services.review_claim)


@require_POST
@inbox_required
def item_unclaim(request: HttpRequest, item_id: int) -> HttpResponse:
    return _claim(request, item_id, services.review_unclaim)


def _claim(request: HttpRequest, item_id: int, service) -> HttpResponse:
    try:
        item = service(item_id=item_id, user=request.user)
    except services.ReviewError as exc:
        return _error(request, exc)
    if request.htmx:
        return HttpResponse(claim_html(selectors.claim_cell(item, request.user)))
    return redirect(request.POST.get("next") or reverse("reviews:item", args=[item_id]))


@require_GET
@inbox_required
def item_run_status(request: HttpRequest, item_id: int) -> HttpResponse:
    item = ReviewItem.objects.select_related("run").filter(id=item_id).first()
    if item is None:
        raise Http404("No such review item.")
    return render(request, "reviews/_run_status.html", {"item": item, "run": item.run})


@require_GET
@inbox_required
def agreement(request: HttpRequest) -> HttpResponse:
    if not is_ops_manager(request.user):
        raise PermissionDenied("Agreement figures are for Ops managers.")
    rows = selectors.agreement_figures()
    return render(request, "reviews/agreement.html", {"rows": rows, "is_ops_manager": True})

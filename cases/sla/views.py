"""Pages: cases breaching soon (with countdowns) and SLA attainment per queue. Staff, reviewers, ops managers."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from cases import clock as case_clock
from cases.sla.models import ClockKind
from cases.sla.selectors import sla_attainment, sla_breaching_soon
from procedures.roles import OPS_MANAGERS, REVIEWERS

WINDOWS = {"1h": 1, "2h": 2, "4h": 4, "8h": 8, "24h": 24}


def _allowed(request: HttpRequest) -> None:
    user = request.user
    if not (user.is_staff or user.groups.filter(name__in=[OPS_MANAGERS, REVIEWERS]).exists()):
        raise PermissionDenied("SLA pages are for staff, reviewers and ops managers.")


@login_required
def breaching_soon(request: HttpRequest) -> HttpResponse:
    _allowed(request)
    window = request.GET.get("within", "2h")
    hours = WINDOWS.get(window, 2)
    queue = request.GET.get("queue", "")[:100]
    now = case_clock.now()
    rows = sla_breaching_soon(now=now, within=dt.timedelta(hours=hours), queue=queue)
    return render(
        request,
        "sla/breaching_soon.html",
        {
            "rows": rows,
            "now": now,
            "window": window,
            "windows": list(WINDOWS),
            "queue": queue,
        },
    )


@login_required
def attainment(request: HttpRequest) -> HttpResponse:
    _allowed(request)
    now = case_clock.now()
    week = {(r.queue, r.kind): r for r in sla_attainment(days=7, now=now)}
    month = {(r.queue, r.kind): r for r in sla_attainment(days=30, now=now)}
    keys = sorted(set(week) | set(month))
    labels = dict(ClockKind.choices)
    rows = [
        {"queue": q or "(no queue)", "kind": labels.get(k, k), "periods": [week.get((q, k)), month.get((q, k))]}
        for q, k in keys
    ]
    return render(request, "sla/attainment.html", {"rows": rows, "now": now})

"""HTTP endpoints: webhooks in, the case timeline and the "try on a sample case" page out.

Webhook views parse the request, call the intake services and answer; they
are the only csrf-exempt views. Everything they decide lives in
`cases.webhooks.*` and `cases.intake`.
"""

from __future__ import annotations

import json

from django.conf import settings
from django.contrib.admin.views.decorators import staff_member_required
from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from cases import clock, conf
from cases.intake import event_receive, event_record, event_reject
from cases.models import Case
from cases.selectors import case_timeline
from cases.webhooks import generic, jira, salesforce, zendesk
from cases.webhooks.base import WebhookRejected


def _headers(request: HttpRequest) -> dict[str, str]:
    return dict(request.headers.items())


def _too_large(request: HttpRequest) -> bool:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0) > settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    except ValueError:
        return False


def _receive(request: HttpRequest, source: str, verify, parse, *, ack=None) -> HttpResponse:
    headers = _headers(request)
    if _too_large(request):
        event = event_record(source=source, headers=headers, body=b"")
        event_reject(event=event, code="too_large", message="The body is larger than the accepted size.")
        return JsonResponse(
            {"error": "too_large", "message": f"Send at most {settings.DATA_UPLOAD_MAX_MEMORY_SIZE} bytes."},
            status=413,
        )
    try:
        result = event_receive(source=source, headers=headers, body=request.body, verify=verify, parse=parse)
    except WebhookRejected as exc:
        return JsonResponse({"error": exc.code, "message": exc.message}, status=exc.status)
    except DatabaseError:
        return JsonResponse(
            {"error": "unavailable", "message": "The event could not be stored right now; send it again."},
            status=503,
            headers={"Retry-After": "5"},
        )
    if result.failed:  # stored and kept; retried on our side, so the sender must not resend
        return JsonResponse(
            {"event": result.event.id, "status": "failed", "message": "Stored; processing failed and will be retried."},
            status=202,
        )
    if ack:
        return ack(result)
    return JsonResponse(
        {
            "event": result.event.id,
            "duplicate": result.duplicate,
            "cases": [c.id for c in result.cases],
            "runs_started": result.runs_started,
            "runs_resumed": result.runs_woken,
        },
        status=202,
    )


@csrf_exempt
@require_POST
def zendesk_hook(request: HttpRequest) -> HttpResponse:
    secret = settings.WEBHOOK_SECRETS.get("zendesk", "")
    return _receive(
        request,
        "zendesk",
        lambda h, b: zendesk.verify(h, b, secret=secret, now=clock.now()),
        zendesk.parse,
    )


@csrf_exempt
@require_POST
def jira_hook(request: HttpRequest) -> HttpResponse:
    secret = settings.WEBHOOK_SECRETS.get("jira", "")
    return _receive(request, "jira", lambda h, b: jira.verify(h, b, secret=secret), jira.parse)


@csrf_exempt
@require_POST
def salesforce_hook(request: HttpRequest) -> HttpResponse:
    org_id = settings.WEBHOOK_SECRETS.get("salesforce_org_id", "")
    token = conf.api_events_token()

    def verify(headers, body):
        if salesforce.is_json(headers):  # relayed platform events: same bearer secret as /api/events/
            generic.verify(headers, token=token)

    def ack(result):
        if salesforce.is_json(request.headers):
            return JsonResponse({"event": result.event.id, "duplicate": result.duplicate}, status=202)
        return HttpResponse(salesforce.ACK, content_type="text/xml; charset=utf-8")

    return _receive(request, "salesforce", verify, lambda h, b: salesforce.parse(h, b, org_id=org_id), ack=ack)


@csrf_exempt
@require_POST
def api_events(request: HttpRequest) -> HttpResponse:
    token = conf.api_events_token()
    return _receive(request, "api", lambda h, b: generic.verify(h, token=token), generic.parse)


@staff_member_required
def timeline(request: HttpRequest, case_id: int) -> HttpResponse:
    case = get_object_or_404(Case, id=case_id)
    return render(request, "cases/timeline.html", {"case": case, "entries": case_timeline(case=case)})


@staff_member_required
def try_version(request: HttpRequest, version_id: int) -> HttpResponse:
    from cases.tryout import SAMPLE_CASE, version_try
    from procedures.models import ProcedureVersion

    version = get_object_or_404(ProcedureVersion, id=version_id)
    context = {"version": version, "sample": json.dumps(SAMPLE_CASE, indent=2), "error": "", "entries": None}
    if request.method == "POST":
        context["sample"] = request.POST.get("sample", "")
        outcome = version_try(version=version, sample=context["sample"])
        context.update(error=outcome.error, entries=outcome.entries, run=outcome.run, case=outcome.case)
    return render(request, "cases/try.html", context, status=400 if context["error"] else 200)

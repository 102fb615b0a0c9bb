"""The weekly report in the browser, its chart, and a download of the mail exactly as sent (.eml)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from reviews.insights.views import ops_manager_required
from reviews.report.chart import chart_png
from reviews.report.figures import report_build
from reviews.report.mail import report_context, report_message


@require_GET
@ops_manager_required
def report_page(request: HttpRequest) -> HttpResponse:
    report = report_build()
    context = {**report_context(report, chart_src="chart.png"), "is_ops_manager": True}
    return render(request, "reports/page.html", context)


@require_GET
@ops_manager_required
def report_chart(request: HttpRequest) -> HttpResponse:
    return HttpResponse(chart_png(report_build()), content_type="image/png")


@require_GET
@ops_manager_required
def report_download(request: HttpRequest) -> HttpResponse:
    message = report_message(report=report_build(), to=[request.user.email or "you@example.com"])
    response = HttpResponse(message.message().as_bytes(), content_type="message/rfc822")
    response["Content-Disposition"] = 'attachment; filename="sopdesk-weekly-report.eml"'
    return response

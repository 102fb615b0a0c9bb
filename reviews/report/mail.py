"""The weekly report as an HTML + plain-text mail with the chart inline (multipart/related, `cid:chart`)."""

from __future__ import annotations

from email.mime.image import MIMEImage

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string

from cases import clock
from reviews.models import ReportSchedule
from reviews.report.chart import chart_png
from reviews.report.figures import Report, report_build

CHART_CID = "chart"


def report_context(report: Report, *, chart_src: str) -> dict:
    return {"report": report, "chart_src": chart_src, "site_url": settings.SITE_URL.rstrip("/")}


def report_message(*, report: Report, to: list[str]) -> EmailMultiAlternatives:
    subject = f"sopdesk weekly report, {report.start:%d %b} – {report.end:%d %b %Y}"
    text = render_to_string("reports/weekly.txt", report_context(report, chart_src=""))
    html = render_to_string("reports/weekly.html", report_context(report, chart_src=f"cid:{CHART_CID}"))
    message = EmailMultiAlternatives(subject, text, settings.DEFAULT_FROM_EMAIL, to)
    message.mixed_subtype = "related"
    message.attach_alternative(html, "text/html")
    image = MIMEImage(chart_png(report), "png")
    image.add_header("Content-ID", f"<{CHART_CID}>")
    image.add_header("Content-Disposition", "inline", filename="weekly.png")
    message.attach(image)
    return message


def recipients(schedule: ReportSchedule) -> list[str]:
    listed = [a.strip() for a in schedule.recipients.split(",") if a.strip()]
    if listed:
        return listed
    if schedule.procedure_id and schedule.procedure.owner and schedule.procedure.owner.email:
        return [schedule.procedure.owner.email]
    return list(settings.SOPDESK_REPORT_TO)


def report_send(*, schedule: ReportSchedule) -> int:
    """Send one schedule's report now. Returns the number of messages sent (0 without recipients)."""
    to = recipients(schedule)
    if not to:
        return 0
    report = report_build(procedure=schedule.procedure)
    sent = report_message(report=report, to=to).send()
    ReportSchedule.objects.filter(pk=schedule.pk).update(last_sent_at=clock.now())
    return sent


def global_schedule() -> ReportSchedule:
    schedule = ReportSchedule.objects.filter(procedure__isnull=True).order_by("id").first()
    if schedule is None:
        schedule = ReportSchedule.objects.create(
            weekday=settings.SOPDESK_REPORT_WEEKDAY, hour=settings.SOPDESK_REPORT_HOUR
        )
    return schedule


def reports_due(*, now=None) -> int:
    """Send every enabled schedule whose weekday and hour are now and that has not been sent in the last 6 days."""
    from django.utils import timezone

    now = timezone.localtime(now or clock.now())
    global_schedule()
    sent = 0
    for schedule in ReportSchedule.objects.filter(enabled=True, weekday=now.weekday(), hour=now.hour):
        if schedule.last_sent_at and (now - schedule.last_sent_at).days < 6:
            continue
        sent += report_send(schedule=schedule)
    return sent

"""The weekly report reaches a real SMTP server (aiosmtpd) as HTML + text with the chart inline, and the figures."""

from __future__ import annotations

import email
import email.policy

import pytest
from aiosmtpd.controller import Controller

from cases.models import Case
from reviews.models import ReportSchedule
from reviews.report.mail import report_send, reports_due
from tests.reviews.insights.factories import planted_history
from tests.support.processes import free_port

pytestmark = pytest.mark.django_db


class Sink:
    def __init__(self):
        self.messages: list[email.message.EmailMessage] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 OK"


@pytest.fixture
def smtp(settings):
    sink = Sink()
    controller = Controller(sink, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", controller.port
    try:
        yield sink
    finally:
        controller.stop()


def test_weekly_mail_arrives_with_the_inline_chart_and_the_figures(smtp, ops_manager):
    planted_history(days=6)
    schedule = ReportSchedule.objects.create(recipients="olivia@example.com, ops@example.com")

    assert report_send(schedule=schedule) == 1

    [message] = smtp.messages
    assert message["To"] == "olivia@example.com, ops@example.com"
    assert message["Subject"].startswith("sopdesk weekly report")
    assert message.get_content_type() == "multipart/related"
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    assert "== Billing disputes ==" in text
    assert "Cases handled:        250" in text
    refunds = sum("refund-approved" in c.facts["tags"] for c in Case.objects.all())
    assert 10 < refunds < 40
    assert f"Unattended end to end: {refunds} ({round(100 * refunds / 250)}%)" in text  # nobody involved
    assert f"Holds by reason:      judgement {250 - refunds}" in text
    assert "40% of cases tagged billing-dispute were rerouted to Engineering" in text
    assert '<img src="cid:chart"' in html
    [image] = [part for part in message.walk() if part.get_content_type() == "image/png"]
    assert image["Content-ID"] == "<chart>"
    assert image.get_content()[:8] == b"\x89PNG\r\n\x1a\n"
    schedule.refresh_from_db()
    assert schedule.last_sent_at is not None


def test_the_due_check_sends_once_on_the_scheduled_hour(smtp, settings, time_machine):
    settings.SOPDESK_REPORT_TO = ["ops@example.com"]
    time_machine.move_to("2026-11-23 07:10:00+00:00")  # a Monday, 07:xx: the global default
    planted_history(cases=30, days=6)
    assert reports_due() == 1
    assert reports_due() == 0
    assert [m["To"] for m in smtp.messages] == ["ops@example.com"]

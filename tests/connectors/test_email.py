"""email.send through Django's SMTP backend to a real SMTP server (the sandbox's aiosmtpd sink)."""

from __future__ import annotations

import pytest

from connectors.base import PermanentError
from connectors.models import WriteRecord
from connectors.registry import get

send = get("email.send").load_handler()
MAIL = {"to": ["erin.am@sopdesk.example"], "subject": "ENG-1 opened for Acme Corp", "body": "See ENG-1"}


def test_send_delivers_to_the_smtp_server_and_records_the_key(sandbox, db):
    result = send(MAIL, idempotency_key="run-1:email-am")

    [message] = sandbox.mail()
    assert message["to"] == ["erin.am@sopdesk.example"]
    assert message["subject"] == "ENG-1 opened for Acme Corp"
    assert message["body"].strip() == "See ENG-1"
    assert message["message_id"] == result["message_id"]
    assert WriteRecord.objects.get(idempotency_key="run-1:email-am").result == result


def test_a_bad_address_is_permanent_and_releases_the_key(sandbox, db):
    with pytest.raises(PermanentError):
        send({**MAIL, "to": ["not-an-address"]}, idempotency_key="k")
    assert not WriteRecord.objects.filter(idempotency_key="k").exists()
    assert sandbox.mail() == []


def test_outside_the_sandbox_django_email_settings_are_used(sandbox, db, settings):
    from urllib.parse import urlsplit

    sink = urlsplit(sandbox.urls["email"])
    settings.SANDBOX_URL = ""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = sink.hostname, sink.port
    send(MAIL, idempotency_key="configured")
    assert len(sandbox.mail()) == 1


def test_the_mail_sink_is_inspectable_over_http(sandbox, db):
    import requests

    send(MAIL, idempotency_key="over-http")
    answer = requests.get(f"{sandbox.urls['http']}/_sandbox/mail", timeout=5).json()
    assert [m["subject"] for m in answer["messages"]] == [MAIL["subject"]]


def _crashed_reservation(key: str, *, age_seconds: int) -> WriteRecord:
    """What a worker killed between reserving and sending leaves behind."""
    import datetime as dt

    from django.utils import timezone

    record = WriteRecord.objects.create(operation="email.send", idempotency_key=key, result={})
    WriteRecord.objects.filter(id=record.id).update(created_at=timezone.now() - dt.timedelta(seconds=age_seconds))
    return record


def test_a_young_reservation_asks_to_come_back_when_the_lease_ends(sandbox, db, settings):
    from connectors.base import RetryableError

    settings.ENGINE = {**settings.ENGINE, "step_lease_seconds": 30}
    _crashed_reservation("run-7:mail", age_seconds=10)
    with pytest.raises(RetryableError) as raised:
        send(MAIL, idempotency_key="run-7:mail")
    assert 19 <= raised.value.retry_after <= 22
    assert sandbox.mail() == []


def test_a_reservation_older_than_the_lease_is_sent_once_with_the_same_message_id(sandbox, db, settings):
    settings.ENGINE = {**settings.ENGINE, "step_lease_seconds": 30}
    _crashed_reservation("run-8:mail", age_seconds=31)
    first = send(MAIL, idempotency_key="run-8:mail")
    again = send(MAIL, idempotency_key="run-8:mail")
    [message] = sandbox.mail()
    assert first == again and message["message_id"] == first["message_id"]
    fresh = send(MAIL, idempotency_key="run-8:mail")  # the ledger now answers without mailing
    assert fresh == first and len(sandbox.mail()) == 1

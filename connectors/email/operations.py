"""`email.send` through Django's mail API, at most once per idempotency key.

Mail cannot be unsent or looked up afterwards, so the key is reserved in the
`WriteRecord` ledger *before* sending: a duplicate finds the reservation and
returns the recorded result instead of mailing twice. A failed send releases
the reservation so the step can be retried; a reservation left by a crashed
worker is abandoned once the engine's step lease has passed (`config.write_lease`):
exactly one retry then takes it over with a compare-and-set and sends the mail
again, with the same Message-ID (derived from the key), so a receiving system
can drop a duplicate. A retry that comes while the reservation is still young
is told to come back when the lease ends, not held.

In sandbox mode mail goes to the sandbox SMTP sink; otherwise to Django's
configured backend (EMAIL_HOST ...).
"""

from __future__ import annotations

import smtplib
import socket
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import IntegrityError, transaction
from django.utils import timezone

from connectors import config, idempotency, retry
from connectors.base import ConnectorError, PermanentError, RetryableError
from connectors.models import WriteRecord

SYSTEM = "email"
OPERATION = "email.send"


def classify(exc: Exception) -> ConnectorError:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return PermanentError(
            f"recipients refused: {', '.join(exc.recipients)}", system=SYSTEM, remote_message=str(exc.recipients)
        )
    if isinstance(exc, smtplib.SMTPResponseException):
        message = exc.smtp_error.decode(errors="replace") if isinstance(exc.smtp_error, bytes) else str(exc.smtp_error)
        error_class = RetryableError if 400 <= exc.smtp_code < 500 else PermanentError
        return error_class(
            f"mail server answered {exc.smtp_code}: {message}",
            system=SYSTEM,
            status=exc.smtp_code,
            remote_message=message,
        )
    if isinstance(exc, smtplib.SMTPServerDisconnected | ConnectionError | socket.timeout | TimeoutError | OSError):
        return RetryableError(f"mail server unreachable: {exc}", system=SYSTEM)
    return PermanentError(f"sending mail failed: {exc!r}", system=SYSTEM)


def mail_connection() -> Any:
    sink = config.smtp_address()
    if sink is None:
        return get_connection(fail_silently=False)
    host, port = sink
    return get_connection(
        "django.core.mail.backends.smtp.EmailBackend",
        host=host,
        port=port,
        username="",
        password="",
        use_tls=False,
        use_ssl=False,
        timeout=10,
        fail_silently=False,
    )


def _send(params: dict[str, Any], message_id: str) -> dict[str, Any]:
    recipients = params["to"] if isinstance(params["to"], list | tuple) else str(params["to"]).split(",")
    recipients = [str(r).strip() for r in recipients if str(r).strip()]
    if not recipients or any("@" not in r for r in recipients):
        raise PermanentError(f"not a list of email addresses: {params['to']!r}", system=SYSTEM)
    message = EmailMessage(
        subject=str(params["subject"]),
        body=str(params["body"]),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=recipients,
        headers={"Message-ID": message_id},
    )

    def once() -> None:
        with mail_connection() as connection:
            connection.send_messages([message])

    retry.run(once, classify=classify)
    return {"message_id": message_id}


def _reserve(key: str) -> WriteRecord | None:
    """Take the key, or return the existing record (done, or in progress elsewhere)."""
    try:
        with transaction.atomic():
            WriteRecord.objects.create(operation=OPERATION, idempotency_key=key, result={})
            return None
    except IntegrityError:
        return WriteRecord.objects.get(idempotency_key=key)


def _take_over(record: WriteRecord) -> None:
    """Take an unfinished reservation whose lease has passed, or say when to come back. Exactly one caller wins."""
    now = timezone.now()
    expires = record.created_at + config.write_lease()
    if expires > now:
        wait = max(1, int((expires - now).total_seconds()) + 1)
        raise RetryableError(
            f"this email is being sent by another worker; retry in {wait} s", system=SYSTEM, retry_after=wait
        )
    taken = WriteRecord.objects.filter(id=record.id, created_at=record.created_at, result={}).update(created_at=now)
    if not taken:  # another retry took it (or it finished) a moment ago
        raise RetryableError("this email is being sent by another worker", system=SYSTEM, retry_after=1)


def send(params: dict[str, Any], *, idempotency_key: str | None = None) -> dict[str, Any]:
    message_id = f"<{idempotency.token(idempotency_key)}@sopdesk>"
    if not idempotency_key:
        return _send(params, message_id)
    key = idempotency_key if len(idempotency_key) <= 200 else idempotency.token(idempotency_key)
    existing = _reserve(key)
    if existing is not None:
        if existing.result:
            return existing.result
        _take_over(existing)
    try:
        result = _send(params, message_id)
    except Exception:
        WriteRecord.objects.filter(idempotency_key=key, result={}).delete()
        raise
    WriteRecord.objects.filter(idempotency_key=key).update(result=result)
    return result

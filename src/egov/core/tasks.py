"""Background jobs of the core services (django-tasks; run by `egov worker`).

Tasks receive ids, never objects, and are idempotent: running one twice does no harm.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string
from django_tasks import task

from egov.core.models import OutboundMessage

logger = logging.getLogger("egov.notifications")

DEFAULT_MAX_ATTEMPTS = 5
DEFAULT_RETRY_BASE_SECONDS = 60
RETRY_MAX_DELAY = timedelta(hours=6)


def retry_delay(attempt: int) -> timedelta:
    """Exponential back-off after failed attempt number `attempt` (1 → base, 2 → 2×base, …)."""
    base = int(getattr(settings, "EGOV_NOTIFY_RETRY_BASE_SECONDS", DEFAULT_RETRY_BASE_SECONDS))
    return min(timedelta(seconds=base * 2 ** (attempt - 1)), RETRY_MAX_DELAY)


def _send(message: OutboundMessage) -> None:
    if message.channel == OutboundMessage.Channel.EMAIL:
        email = EmailMultiAlternatives(
            subject=message.subject,
            body=message.body,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[message.recipient],
            headers={"Auto-Submitted": "auto-generated", "X-Egov-Message": str(message.pk)},
        )
        if message.body_html:
            email.attach_alternative(message.body_html, "text/html")
        email.send(fail_silently=False)
        return
    # Loaded by path so that this module does not import the notifications service module.
    backend: Any = import_string(settings.EGOV_SMS_BACKEND)(message.channel)
    backend.send(message.recipient, message.body)


def _schedule_retry(message_id: int, delay: timedelta) -> None:
    backend = deliver_message.get_backend()
    if backend.supports_defer:
        retry = deliver_message.using(run_after=timezone.now() + delay)
        transaction.on_commit(lambda: retry.enqueue(message_id))
    else:
        # A backend without deferral (the immediate one, in development) retries at once;
        # the attempts limit still ends the loop.
        transaction.on_commit(lambda: deliver_message.enqueue(message_id))


@task()
def deliver_message(message_id: int) -> str:
    """Deliver one OutboundMessage; on failure record the error and retry later, up to a limit.

    A message is claimed by raising its attempt counter with a conditional UPDATE, so two
    workers never send the same attempt twice, and a sent or failed message is left alone.
    """
    max_attempts = int(getattr(settings, "EGOV_NOTIFY_MAX_ATTEMPTS", DEFAULT_MAX_ATTEMPTS))
    message = OutboundMessage.objects.filter(pk=message_id).first()
    if message is None:
        logger.warning("outbound message %s does not exist", message_id)
        return "missing"
    if message.status != OutboundMessage.Status.QUEUED:
        return str(message.status)
    attempt = message.attempts + 1
    claimed = OutboundMessage.objects.filter(
        pk=message_id, status=OutboundMessage.Status.QUEUED, attempts=message.attempts
    ).update(attempts=attempt)
    if not claimed:
        return "busy"
    message.attempts = attempt

    try:
        _send(message)
    except Exception as exc:
        error = f"{type(exc).__name__}: {exc}"[:2000]
        if attempt >= max_attempts:
            OutboundMessage.objects.filter(pk=message_id).update(
                status=OutboundMessage.Status.FAILED, last_error=error
            )
            logger.error(
                "outbound message %s failed for good after %s attempts: %s",
                message_id,
                attempt,
                error,
            )
            return "failed"
        OutboundMessage.objects.filter(pk=message_id).update(last_error=error)
        delay = retry_delay(attempt)
        logger.warning(
            "outbound message %s attempt %s failed, retry in %ss: %s",
            message_id,
            attempt,
            int(delay.total_seconds()),
            error,
        )
        _schedule_retry(message_id, delay)
        return "retry"

    OutboundMessage.objects.filter(pk=message_id).update(
        status=OutboundMessage.Status.SENT, sent_at=timezone.now(), last_error=""
    )
    logger.info("outbound message %s sent via %s", message_id, message.channel)
    return "sent"

"""Notifications to citizens and officers: e-mail, SMS and Zalo.

`notification_send` renders the message now, in the recipient's language, stores it as an
`OutboundMessage` and, after the caller's transaction commits, enqueues its delivery
(`egov.core.tasks.deliver_message`), which retries with back-off. Rendering up front keeps
what was sent on record even if a template later changes.

Templates live in `core/notifications/` (any app's `templates/` folder may add more):
`<template>.<language>.subject.txt` and `.body.txt` for e-mail, optionally `.body.html`;
SMS and Zalo use `.short.txt` when it exists, else `.body.txt`. Plain-text templates are
rendered without HTML escaping.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.template import Context, TemplateDoesNotExist
from django.template.loader import get_template
from django.utils import timezone, translation
from django.utils.module_loading import import_string
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from egov.core.errors import ValidationFailed
from egov.core.models import OutboundMessage
from egov.core.tasks import deliver_message

__all__ = [
    "FileSmsBackend",
    "SmsBackend",
    "get_sms_backend",
    "notification_send",
]

_TEMPLATE_NAME = re.compile(r"[a-z0-9_]{1,80}")
_PHONE = re.compile(r"\+?[0-9]{9,15}")
_PHONE_SEPARATORS = re.compile(r"[\s.\-()]")
_SUBJECT_MAX = OutboundMessage._meta.get_field("subject").max_length or 255


class NotificationInvalid(ValidationFailed):
    code = "notification.invalid"
    default_message = _("The notification cannot be sent.")


# --- channel backends for short texts ------------------------------------------------------------
class SmsBackend:
    """A carrier of short texts on one channel ("sms" or "zalo"): a gateway adapter.

    Subclasses implement `send` and raise on failure (the task then retries). Chosen by
    settings.EGOV_SMS_BACKEND (a dotted path); constructed with the channel name.
    """

    def __init__(self, channel: str) -> None:
        self.channel = channel

    def send(self, recipient: str, text: str) -> None:
        raise NotImplementedError


class FileSmsBackend(SmsBackend):
    """Development backend: one JSON line per message in EGOV_SMS_FILE_DIR/<channel>.jsonl."""

    def send(self, recipient: str, text: str) -> None:
        folder = Path(settings.EGOV_SMS_FILE_DIR)
        folder.mkdir(parents=True, exist_ok=True)
        line = json.dumps(
            {
                "time": timezone.now().isoformat(),
                "channel": self.channel,
                "recipient": recipient,
                "text": text,
            },
            ensure_ascii=False,
        )
        # One write() of one line on an O_APPEND descriptor: lines from two workers never mix.
        fd = os.open(
            folder / f"{self.channel}.jsonl", os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640
        )
        try:
            os.write(fd, (line + "\n").encode("utf-8"))
        finally:
            os.close(fd)


def get_sms_backend(channel: str) -> SmsBackend:
    backend_class = import_string(settings.EGOV_SMS_BACKEND)
    backend: SmsBackend = backend_class(channel)
    return backend


# --- rendering -----------------------------------------------------------------------------------
def _render(name: str, context: dict[str, Any], *, html: bool = False) -> str | None:
    try:
        template: Any = get_template(name)
    except TemplateDoesNotExist:
        return None
    if html:
        return str(template.render(context))
    # Plain text must not be HTML-escaped ("Sở Tài nguyên & Môi trường" stays as written).
    return str(template.template.render(Context(context, autoescape=False)))


def _clean_recipient(channel: str, recipient: str) -> str:
    recipient = recipient.strip()
    if channel == OutboundMessage.Channel.EMAIL:
        try:
            validate_email(recipient)
        except ValidationError:
            recipient = ""
    else:
        recipient = _PHONE_SEPARATORS.sub("", recipient)
        if not _PHONE.fullmatch(recipient):
            recipient = ""
    if not recipient:
        raise NotificationInvalid(
            gettext("The recipient address is not valid for this channel."),
            code="notification.bad_recipient",
            field="recipient",
        )
    return recipient


# --- the service ---------------------------------------------------------------------------------
def notification_send(
    *,
    channel: str,
    recipient: str,
    template: str,
    context: dict[str, Any],
    language: str = "vi",
) -> OutboundMessage:
    """Render a notification now, store it, and deliver it in the background after commit."""
    if channel not in OutboundMessage.Channel.values:
        raise NotificationInvalid(
            gettext("Unknown notification channel %(channel)s.") % {"channel": channel},
            code="notification.bad_channel",
            field="channel",
        )
    if language not in {code for code, _name in settings.LANGUAGES}:
        raise NotificationInvalid(
            gettext("Unsupported language %(language)s.") % {"language": language},
            code="notification.bad_language",
            field="language",
        )
    recipient = _clean_recipient(channel, recipient)
    if not _TEMPLATE_NAME.fullmatch(template):
        raise ValueError(f"bad template name {template!r}")

    base = f"core/notifications/{template}.{language}"
    with translation.override(language):
        if channel == OutboundMessage.Channel.EMAIL:
            subject = _render(f"{base}.subject.txt", context)
            body = _render(f"{base}.body.txt", context)
            body_html = _render(f"{base}.body.html", context, html=True) or ""
        else:
            subject = ""
            body = _render(f"{base}.short.txt", context) or _render(f"{base}.body.txt", context)
            body_html = ""
    if body is None or subject is None:
        raise NotificationInvalid(
            gettext("There is no %(language)s template %(template)s for this channel.")
            % {"language": language, "template": template},
            code="notification.unknown_template",
            field="template",
        )
    if channel != OutboundMessage.Channel.EMAIL:
        body = " ".join(body.split())

    # One INSERT and its on-commit hook: no savepoint needed inside the caller's transaction
    # (it would cost two round trips); outside one, this is the transaction.
    with transaction.atomic(savepoint=False):
        message = OutboundMessage.objects.create(
            channel=channel,
            recipient=recipient,
            template=template,
            language=language,
            subject=" ".join(subject.split())[:_SUBJECT_MAX],
            body=body.strip() + "\n" if channel == OutboundMessage.Channel.EMAIL else body,
            body_html=body_html,
        )
        message_id = message.pk
        transaction.on_commit(lambda: deliver_message.enqueue(message_id))
    return message

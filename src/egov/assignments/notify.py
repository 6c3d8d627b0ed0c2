"""E-mails about assignments to the officers concerned (through core.notifications).

Templates live in this app's `templates/core/notifications/` (`assignment_*.{vi,en}.*.txt`).
An officer without an e-mail address (own or account's) is skipped: the work is still on their
"my assignments" page.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.urls import reverse

from egov.assignments.models import Assignment, Priority
from egov.core.models import OutboundMessage
from egov.core.notifications import notification_send
from egov.directory.models import Officer

logger = logging.getLogger("egov.assignments.notify")


def officer_address(officer: Officer) -> str:
    """The officer's official e-mail, else their account's; "" when neither is a valid address
    (a bad address must not stop the work it was about)."""
    address = (officer.email or officer.account.email or "").strip()
    try:
        validate_email(address)
    except ValidationError:
        return ""
    return address


def officer_language(officer: Officer) -> str:
    wanted = officer.account.preferred_language
    return wanted if wanted in {code for code, _name in settings.LANGUAGES} else "vi"


def assignment_url(assignment: Assignment) -> str:
    path = reverse("assignments:detail", kwargs={"pk": assignment.pk})
    return f"{settings.EGOV_PUBLIC_URL.rstrip('/')}{path}"


def assignment_context(assignment: Assignment) -> dict[str, Any]:
    """What every assignment e-mail may print."""
    return {
        "title": assignment.title,
        "assigner": assignment.assigned_by.full_name,
        "unit": assignment.assignee_unit.name_vi if assignment.assignee_unit else "",
        "officer": assignment.assignee_officer.full_name if assignment.assignee_officer else "",
        "due_on": assignment.due_on,
        "priority": Priority(assignment.priority).value,
        "urgent": assignment.priority != Priority.NORMAL,
        "source_label": assignment.source_label,
        "url": assignment_url(assignment),
    }


def send_to(officer: Officer, *, template: str, context: dict[str, Any]) -> OutboundMessage | None:
    """One e-mail to one officer, or None when they have no address."""
    address = officer_address(officer)
    if not address:
        logger.info("assignment mail %s to officer %s: no e-mail address", template, officer.pk)
        return None
    return notification_send(
        channel=OutboundMessage.Channel.EMAIL,
        recipient=address,
        template=template,
        context={"name": officer.full_name, **context},
        language=officer_language(officer),
    )


def send_to_all(
    officers: Iterable[Officer],
    *,
    template: str,
    context: dict[str, Any],
    skip: Officer | None = None,
) -> list[OutboundMessage]:
    """The same e-mail to several officers, once each, not to `skip` (the one who acted)."""
    sent: list[OutboundMessage] = []
    seen: set[int] = set()
    for officer in officers:
        if officer.pk in seen or (skip is not None and officer.pk == skip.pk):
            continue
        seen.add(officer.pk)
        message = send_to(officer, template=template, context=context)
        if message is not None:
            sent.append(message)
    return sent

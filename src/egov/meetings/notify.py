"""E-mails of the calendar and meetings (through core.notifications, after commit).

Templates live in this app's `templates/core/notifications/` (`meetings_*.{vi,en}.*.txt`).
An officer without an e-mail address (own or account's) gets no e-mail: the calendar and the
invitation are still on their screens.
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.urls import reverse

from egov.core.models import OutboundMessage
from egov.core.notifications import notification_send
from egov.directory.models import Officer
from egov.meetings.models import Invitation, Meeting
from egov.meetings.selectors import local_time, meeting_papers

logger = logging.getLogger("egov.meetings.notify")


def absolute(path: str) -> str:
    return f"{settings.EGOV_PUBLIC_URL.rstrip('/')}{path}"


def officer_address(officer: Officer) -> str:
    return (officer.email or officer.account.email or "").strip()


def officer_language(officer: Officer) -> str:
    wanted = officer.account.preferred_language
    return wanted if wanted in {code for code, _name in settings.LANGUAGES} else "vi"


def send_to_officer(
    officer: Officer, *, template: str, context: dict[str, Any]
) -> OutboundMessage | None:
    address = officer_address(officer)
    if not address:
        logger.info("meetings mail %s to officer %s: no e-mail address", template, officer.pk)
        return None
    return notification_send(
        channel=OutboundMessage.Channel.EMAIL,
        recipient=address,
        template=template,
        context={"name": officer.full_name, **context},
        language=officer_language(officer),
    )


def send_to_guest(
    name: str, email: str, *, template: str, context: dict[str, Any]
) -> OutboundMessage:
    return notification_send(
        channel=OutboundMessage.Channel.EMAIL,
        recipient=email,
        template=template,
        context={"name": name, **context},
        language="vi",
    )


def meeting_context(meeting: Meeting) -> dict[str, Any]:
    """What every meeting e-mail prints: the agenda, time, place, video link and papers."""
    return {
        "title": meeting.title,
        "organization": meeting.organization.name_vi,
        "agenda": meeting.agenda,
        "starts_at": local_time(meeting.starts_at),
        "ends_at": local_time(meeting.ends_at),
        "location": meeting.location,
        "chair": meeting.chair.full_name if meeting.chair else "",
        "video_room_url": meeting.video_room_url,
        "papers": [paper.label for paper in meeting_papers(meeting)],
        "url": absolute(reverse("meetings:meeting", kwargs={"pk": meeting.pk})),
    }


def invitation_links(invitation: Invitation) -> dict[str, str]:
    """Guests answer and download through the token link; officers through their workspace."""
    if invitation.invitee_officer_id is None and invitation.invitee_unit_id is None:
        link = absolute(reverse("meetings:guest", kwargs={"token": invitation.token}))
        return {"url": link, "answer_url": link}
    return {"answer_url": absolute(reverse("meetings:my_invitations"))}

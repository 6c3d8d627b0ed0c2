"""Meetings: scheduling, papers, invitations, cancelling, moving, recording them as held."""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils.translation import gettext

from egov.core.audit import audit_record
from egov.core.files import Upload, file_store
from egov.core.models import OutboundMessage
from egov.directory import policy
from egov.directory.models import Officer, Organization
from egov.meetings import notify, selectors
from egov.meetings.models import (
    CalendarEntry,
    EntryState,
    Invitation,
    InviteeKind,
    Meeting,
    MeetingPaper,
    MeetingState,
    Visibility,
)
from egov.meetings.services._common import (
    PAPER_KINDS,
    TEXT_MAX,
    TITLE_MAX,
    Guest,
    MeetingsInvalid,
    TransitionNotAllowed,
    _active,
    _locked,
    _now,
    _officer,
    _period,
    _save,
    _text,
    _video_url,
)
from egov.meetings.services.calendar import _entry_left_week

# --- meetings -----------------------------------------------------------------------------------


def _meeting_snapshot(meeting: Meeting) -> dict[str, Any]:
    return {
        "title": meeting.title,
        "starts_at": meeting.starts_at,
        "ends_at": meeting.ends_at,
        "location": meeting.location,
        "chair": meeting.chair_id,
        "video_room_url": meeting.video_room_url,
        "state": meeting.state,
        "calendar_entry": meeting.calendar_entry_id,
    }


def _require_scheduled(meeting: Meeting) -> None:
    if meeting.state != MeetingState.SCHEDULED:
        raise TransitionNotAllowed(
            gettext("The meeting is %(state)s: this action is not allowed now.")
            % {"state": MeetingState(meeting.state).label},
            details={"state": meeting.state},
        )


def meeting_schedule(
    *,
    actor: Any,
    organization: Organization,
    title: str,
    starts_at: datetime,
    ends_at: datetime,
    agenda: str = "",
    location: str = "",
    chair: Officer | None = None,
    video_room_url: str = "",
    add_to_calendar: bool = False,
    visibility: str = Visibility.INTERNAL,
) -> Meeting:
    """Schedule a meeting of the organisation; with `add_to_calendar`, also a draft calendar
    entry (published with the week)."""
    policy.require(actor, "meetings.calendar.edit", organization)
    officer = _officer(actor)
    title = _text(title, field="title", limit=TITLE_MAX, required=True)
    agenda = _text(agenda, field="agenda", limit=TEXT_MAX * 4)
    location = _text(location, field="location", limit=300)
    _period(starts_at, ends_at, required_end=True)
    _active(chair, field="chair")
    video_room_url = _video_url(video_room_url)
    if visibility not in Visibility.values:
        raise MeetingsInvalid(
            gettext("Unknown visibility."), code="meetings.bad_visibility", field="visibility"
        )
    with transaction.atomic():
        entry = None
        if add_to_calendar:
            entry = CalendarEntry.objects.create(
                organization=organization,
                title=title,
                starts_at=starts_at,
                ends_at=ends_at,
                location=location,
                chair_officer=chair,
                visibility=visibility,
                created_by=officer,
            )
        meeting = Meeting.objects.create(
            organization=organization,
            title=title,
            agenda=agenda,
            starts_at=starts_at,
            ends_at=ends_at,
            location=location,
            chair=chair,
            video_room_url=video_room_url,
            calendar_entry=entry,
            organised_by=officer,
        )
        audit_record(
            actor=actor,
            action="meetings.meeting.schedule",
            obj=meeting,
            after=_meeting_snapshot(meeting),
        )
    return meeting


def meeting_add_paper(
    *, actor: Any, meeting: Meeting, upload: Upload, name: str, title: str = ""
) -> MeetingPaper:
    """Attach a paper (PDF, DOCX, XLSX or image; core.files checks its content and size) and
    tell the invitees already invited, with a link to it."""
    policy.require(actor, "meetings.meeting.manage", meeting)
    officer = _officer(actor)
    _require_scheduled(meeting)
    title = _text(title, field="title", limit=300)
    stored = file_store(upload=upload, name=name, actor=actor, allowed=PAPER_KINDS)
    with transaction.atomic():
        paper = MeetingPaper.objects.create(
            meeting=meeting, stored_file=stored, title=title, added_by=officer
        )
        # Papers added after the invitations went out reach the invitees electronically too.
        sent = _notify_invitees(
            meeting, template="meetings_paper_added", extra={"paper": paper.label}
        )
        audit_record(
            actor=actor,
            action="meetings.meeting.add_paper",
            obj=meeting,
            after={
                "paper": paper.pk,
                "file": str(stored.pk),
                "name": stored.original_name,
                "sha256": stored.sha256,
                "emails": sent,
            },
        )
    return paper


def _invitation_targets(invitation: Invitation) -> list[Officer | Guest]:
    """Who receives the e-mails of one invitation: the officer, the unit's heads, or the guest."""
    if invitation.invitee_officer is not None:
        return [invitation.invitee_officer]
    if invitation.invitee_unit is not None:
        return list(selectors.unit_heads(invitation.invitee_unit))
    return [Guest(invitation.external_name, invitation.external_email)]


def _send(
    target: Officer | Guest, *, template: str, context: dict[str, Any]
) -> OutboundMessage | None:
    if isinstance(target, Guest):
        return notify.send_to_guest(target.name, target.email, template=template, context=context)
    return notify.send_to_officer(target, template=template, context=context)


def _send_invitation(
    invitation: Invitation, meeting_context: dict[str, Any], *, delegated_by: str = ""
) -> OutboundMessage | None:
    first: OutboundMessage | None = None
    context = {
        **meeting_context,
        **notify.invitation_links(invitation),
        "unit": invitation.invitee_unit.name_vi if invitation.invitee_unit else "",
        "delegated_by": delegated_by,
    }
    for target in _invitation_targets(invitation):
        message = _send(target, template="meetings_invitation", context=context)
        first = first or message
    return first


def _new_token() -> str:
    return secrets.token_urlsafe(32)


def meeting_invite(
    *,
    actor: Any,
    meeting: Meeting,
    officers: Iterable[Officer] = (),
    units: Iterable[Organization] = (),
    guests: Iterable[Guest] = (),
) -> list[Invitation]:
    """Invite officers, units (their heads answer) and outside guests; e-mail each of them the
    agenda, time, place, video-room link and the list of papers with a link to them.

    Invitees already invited are skipped; the new invitations are returned.
    """
    policy.require(actor, "meetings.meeting.manage", meeting)
    officer = _officer(actor)
    officers, units = list(officers), list(units)
    clean_guests: list[Guest] = []
    for guest in guests:
        name = _text(guest.name, field="guests", limit=200, required=True)
        email = (guest.email or "").strip().lower()
        try:
            validate_email(email)
        except ValidationError:
            raise MeetingsInvalid(
                gettext("%(email)s is not a valid e-mail address.") % {"email": email},
                code="meetings.bad_email",
                field="guests",
            ) from None
        clean_guests.append(Guest(name, email))
    if not (officers or units or clean_guests):
        raise MeetingsInvalid(
            gettext("Choose at least one invitee."), code="meetings.no_invitee", field="officers"
        )
    for person in officers:
        _active(person, field="officers")
    for unit in units:
        if unit.kind != Organization.Kind.UNIT:
            raise MeetingsInvalid(
                gettext("%(name)s is not a unit.") % {"name": unit.name_vi},
                code="meetings.not_a_unit",
                field="units",
            )
    with transaction.atomic():
        fresh: Meeting = _locked(Meeting, meeting, None)
        _require_scheduled(fresh)
        existing = list(
            fresh.invitations.values_list("invitee_officer_id", "invitee_unit_id", "external_email")
        )
        known_officers = {row[0] for row in existing if row[0]}
        known_units = {row[1] for row in existing if row[1]}
        known_guests = {row[2] for row in existing if row[2]}
        at = _now()
        created: list[Invitation] = []

        def add(**kwargs: Any) -> None:
            created.append(
                Invitation.objects.create(
                    meeting=fresh, sent_at=at, token=_new_token(), invited_by=officer, **kwargs
                )
            )

        for person in officers:
            if person.pk not in known_officers:
                known_officers.add(person.pk)
                add(kind=InviteeKind.OFFICER, invitee_officer=person)
        for unit in units:
            if unit.pk not in known_units:
                known_units.add(unit.pk)
                add(kind=InviteeKind.UNIT, invitee_unit=unit)
        for guest in clean_guests:
            if guest.email not in known_guests:
                known_guests.add(guest.email)
                add(kind=InviteeKind.EXTERNAL, external_name=guest.name, external_email=guest.email)
        context = notify.meeting_context(fresh)
        for invitation in created:
            message = _send_invitation(invitation, context)
            if message is not None:
                invitation.email_message = message
                invitation.save(update_fields=["email_message"])
        audit_record(
            actor=actor,
            action="meetings.meeting.invite",
            obj=fresh,
            after={
                "invitations": [invitation.pk for invitation in created],
                "emailed": sum(1 for i in created if i.email_message_id is not None),
            },
        )
    return created


def _notify_invitees(meeting: Meeting, *, template: str, extra: dict[str, Any]) -> int:
    context = {**notify.meeting_context(meeting), **extra}
    sent = 0
    for invitation in selectors.meeting_invitations(meeting):
        for target in _invitation_targets(invitation):
            if _send(
                target,
                template=template,
                context={**context, **notify.invitation_links(invitation)},
            ):
                sent += 1
    return sent


def meeting_cancel(*, actor: Any, meeting: Meeting, expected_version: int, reason: str) -> Meeting:
    """Cancel the meeting (and its calendar entry) and tell every invitee why."""
    policy.require(actor, "meetings.meeting.manage", meeting)
    _officer(actor)
    reason = _text(reason, field="reason", limit=TEXT_MAX, required=True)
    with transaction.atomic():
        fresh: Meeting = _locked(Meeting, meeting, expected_version)
        _require_scheduled(fresh)
        fresh.state = MeetingState.CANCELLED
        fresh.cancel_reason = reason
        _save(fresh, ["state", "cancel_reason"])
        entry = (
            CalendarEntry.objects.select_for_update()
            .filter(meeting=fresh)
            .exclude(state=EntryState.CANCELLED)
            .first()
        )
        if entry is not None:
            entry.state = EntryState.CANCELLED
            _save(entry, ["state"])
        sent = _notify_invitees(fresh, template="meetings_cancelled", extra={"reason": reason})
        audit_record(
            actor=actor,
            action="meetings.meeting.cancel",
            obj=fresh,
            before={"state": MeetingState.SCHEDULED},
            after={"state": fresh.state, "emails": sent},
            note=reason,
        )
    return fresh


def meeting_reschedule(
    *,
    actor: Any,
    meeting: Meeting,
    expected_version: int,
    starts_at: datetime,
    ends_at: datetime,
    location: str | None = None,
) -> Meeting:
    """Move the meeting (and its calendar entry) and tell every invitee the new time."""
    policy.require(actor, "meetings.meeting.manage", meeting)
    _officer(actor)
    _period(starts_at, ends_at, required_end=True)
    if location is not None:
        location = _text(location, field="location", limit=300)
    with transaction.atomic():
        fresh: Meeting = _locked(Meeting, meeting, expected_version)
        _require_scheduled(fresh)
        before = _meeting_snapshot(fresh)
        fresh.starts_at, fresh.ends_at = starts_at, ends_at
        if location is not None:
            fresh.location = location
        _save(fresh, ["starts_at", "ends_at", "location"])
        entry = (
            CalendarEntry.objects.select_for_update()
            .filter(meeting=fresh)
            .exclude(state=EntryState.CANCELLED)
            .first()
        )
        if entry is not None:
            old_starts_at = entry.starts_at
            entry.starts_at, entry.ends_at, entry.location = starts_at, ends_at, fresh.location
            _save(entry, ["starts_at", "ends_at", "location"])
            _entry_left_week(entry, old_starts_at)
        sent = _notify_invitees(
            fresh,
            template="meetings_rescheduled",
            extra={"old_starts_at": selectors.local_time(before["starts_at"])},
        )
        audit_record(
            actor=actor,
            action="meetings.meeting.reschedule",
            obj=fresh,
            before=before,
            after={**_meeting_snapshot(fresh), "emails": sent},
        )
    return fresh


def meeting_mark_held(*, actor: Any, meeting: Meeting, expected_version: int) -> Meeting:
    """Record that the meeting took place (once it has started); it then takes no more changes."""
    policy.require(actor, "meetings.meeting.manage", meeting)
    _officer(actor)
    with transaction.atomic():
        fresh: Meeting = _locked(Meeting, meeting, expected_version)
        _require_scheduled(fresh)
        if fresh.starts_at > _now():
            raise TransitionNotAllowed(
                gettext("The meeting has not started yet."), code="meetings.not_started"
            )
        fresh.state = MeetingState.HELD
        _save(fresh, ["state"])
        audit_record(
            actor=actor,
            action="meetings.meeting.held",
            obj=fresh,
            before={"state": MeetingState.SCHEDULED},
            after={"state": fresh.state},
        )
    return fresh

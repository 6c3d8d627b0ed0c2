"""The weekly calendar: entries (drafts, changes, cancellation) and publishing a week."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.urls import reverse
from django.utils.translation import gettext

from egov.core.audit import audit_record
from egov.directory import policy
from egov.directory.models import Officer, Organization
from egov.meetings import notify, selectors
from egov.meetings.models import (
    CalendarEntry,
    CalendarWeek,
    EntryState,
    Visibility,
)
from egov.meetings.services._common import (
    TEXT_MAX,
    TITLE_MAX,
    MeetingsConflict,
    MeetingsInvalid,
    TransitionNotAllowed,
    _active,
    _locked,
    _member_unit,
    _now,
    _officer,
    _period,
    _save,
    _text,
)


def _entry_snapshot(entry: CalendarEntry) -> dict[str, Any]:
    return {
        "title": entry.title,
        "starts_at": entry.starts_at,
        "ends_at": entry.ends_at,
        "location": entry.location,
        "chair_officer": entry.chair_officer_id,
        "chair_text": entry.chair_text,
        "participants": entry.participants,
        "preparing_unit": entry.preparing_unit_id,
        "notes": entry.notes,
        "visibility": entry.visibility,
        "state": entry.state,
    }


def _entry_left_week(entry: CalendarEntry, old_starts_at: datetime) -> None:
    """A published entry moved to another week: its old, published week has changed too."""
    old = selectors.week_of_moment(old_starts_at)
    if entry.state == EntryState.DRAFT or selectors.week_of_moment(entry.starts_at) == old:
        return
    CalendarWeek.objects.filter(
        organization_id=entry.organization_id, iso_year=old.year, iso_week=old.number
    ).update(changed_at=_now())


# --- calendar entries ---------------------------------------------------------------------------


@dataclass
class _EntryFields:
    title: str
    starts_at: datetime
    ends_at: datetime | None
    location: str
    chair_officer: Officer | None
    chair_text: str
    participants: str
    preparing_unit: Organization | None
    notes: str
    visibility: str


def _clean_entry(organization: Organization, fields: _EntryFields) -> _EntryFields:
    fields.title = _text(fields.title, field="title", limit=TITLE_MAX, required=True)
    fields.location = _text(fields.location, field="location", limit=300)
    fields.chair_text = _text(fields.chair_text, field="chair_text", limit=200)
    fields.participants = _text(fields.participants, field="participants", limit=TEXT_MAX)
    fields.notes = _text(fields.notes, field="notes", limit=TEXT_MAX)
    if fields.chair_officer is not None:
        fields.chair_text = ""
    _period(fields.starts_at, fields.ends_at, required_end=False)
    _active(fields.chair_officer, field="chair_officer")
    _member_unit(organization, fields.preparing_unit, field="preparing_unit")
    if fields.visibility not in Visibility.values:
        raise MeetingsInvalid(
            gettext("Unknown visibility."), code="meetings.bad_visibility", field="visibility"
        )
    return fields


def calendar_entry_create(
    *,
    actor: Any,
    organization: Organization,
    title: str,
    starts_at: datetime,
    ends_at: datetime | None = None,
    location: str = "",
    chair_officer: Officer | None = None,
    chair_text: str = "",
    participants: str = "",
    preparing_unit: Organization | None = None,
    notes: str = "",
    visibility: str = Visibility.INTERNAL,
) -> CalendarEntry:
    """Write a draft entry of the organisation's weekly calendar (heads and office clerks)."""
    policy.require(actor, "meetings.calendar.edit", organization)
    officer = _officer(actor)
    fields = _clean_entry(
        organization,
        _EntryFields(
            title,
            starts_at,
            ends_at,
            location,
            chair_officer,
            chair_text,
            participants,
            preparing_unit,
            notes,
            visibility,
        ),
    )
    with transaction.atomic():
        entry = CalendarEntry.objects.create(
            organization=organization, created_by=officer, **vars(fields)
        )
        audit_record(
            actor=actor,
            action="meetings.entry.create",
            obj=entry,
            after=_entry_snapshot(entry),
        )
    return entry


def calendar_entry_update(
    *,
    actor: Any,
    entry: CalendarEntry,
    expected_version: int,
    title: str,
    starts_at: datetime,
    ends_at: datetime | None = None,
    location: str = "",
    chair_officer: Officer | None = None,
    chair_text: str = "",
    participants: str = "",
    preparing_unit: Organization | None = None,
    notes: str = "",
    visibility: str = Visibility.INTERNAL,
) -> CalendarEntry:
    """Change an entry (all its fields). A published entry stays published: the week then
    shows "changed since publication" until the office publishes it again."""
    policy.require(actor, "meetings.calendar.edit", entry.organization)
    _officer(actor)
    fields = _clean_entry(
        entry.organization,
        _EntryFields(
            title,
            starts_at,
            ends_at,
            location,
            chair_officer,
            chair_text,
            participants,
            preparing_unit,
            notes,
            visibility,
        ),
    )
    with transaction.atomic():
        fresh: CalendarEntry = _locked(CalendarEntry, entry, expected_version)
        if fresh.state == EntryState.CANCELLED:
            raise TransitionNotAllowed(
                gettext("A cancelled entry cannot be changed."), details={"state": fresh.state}
            )
        before = _entry_snapshot(fresh)
        for name, value in vars(fields).items():
            setattr(fresh, name, value)
        _save(fresh, list(vars(fields)))
        _entry_left_week(fresh, before["starts_at"])
        audit_record(
            actor=actor,
            action="meetings.entry.update",
            obj=fresh,
            before=before,
            after=_entry_snapshot(fresh),
        )
    return fresh


def calendar_entry_cancel(
    *, actor: Any, entry: CalendarEntry, expected_version: int, reason: str = ""
) -> CalendarEntry:
    """Cancel an entry: it stays on the officers' calendar, struck through, and leaves the
    portal."""
    policy.require(actor, "meetings.calendar.edit", entry.organization)
    _officer(actor)
    reason = _text(reason, field="reason", limit=TEXT_MAX)
    with transaction.atomic():
        fresh: CalendarEntry = _locked(CalendarEntry, entry, expected_version)
        if fresh.state == EntryState.CANCELLED:
            raise TransitionNotAllowed(
                gettext("The entry is already cancelled."), details={"state": fresh.state}
            )
        before = fresh.state
        fresh.state = EntryState.CANCELLED
        if reason:
            fresh.notes = (fresh.notes + "\n" if fresh.notes else "") + reason
        _save(fresh, ["state", "notes"])
        audit_record(
            actor=actor,
            action="meetings.entry.cancel",
            obj=fresh,
            before={"state": before},
            after={"state": fresh.state},
            note=reason,
        )
    return fresh


# --- publishing a week --------------------------------------------------------------------------


def _entry_line(entry: CalendarEntry) -> dict[str, Any]:
    return {
        "starts_at": selectors.local_time(entry.starts_at),
        "title": entry.title,
        "location": entry.location,
        "chair": entry.chair_label,
        "cancelled": entry.state == EntryState.CANCELLED,
    }


def calendar_week_publish(
    *, actor: Any, organization: Organization, year: int, week: int
) -> CalendarWeek:
    """Publish one ISO week of the organisation's calendar and e-mail its officers.

    The first publication is revision 1; publishing again is allowed only when something
    changed (new drafts, changed or cancelled entries) and bumps the revision; the e-mail then
    lists what changed.
    """
    policy.require(actor, "meetings.calendar.edit", organization)
    officer = _officer(actor)
    the_week = selectors.week_from(year, week)
    if the_week is None:
        raise MeetingsInvalid(
            gettext("There is no week %(week)s in %(year)s.") % {"week": week, "year": year},
            code="meetings.bad_week",
            field="week",
        )
    with transaction.atomic():
        publication = (
            CalendarWeek.objects.select_for_update()
            .filter(organization=organization, iso_year=year, iso_week=week)
            .first()
        )
        in_week = CalendarEntry.objects.filter(
            organization=organization,
            starts_at__gte=the_week.starts_at,
            starts_at__lt=the_week.ends_at,
        )
        changed_q = in_week.filter(state=EntryState.DRAFT)
        if publication is not None:
            changed_q = changed_q | in_week.filter(updated_at__gt=publication.published_at)
        changed = list(
            changed_q.select_related("chair_officer").order_by("starts_at", "pk").distinct()
        )
        moved_out = (
            publication is not None
            and publication.changed_at is not None
            and publication.changed_at > publication.published_at
        )
        if publication is not None and not changed and not moved_out:
            raise TransitionNotAllowed(
                gettext("Nothing changed since revision %(revision)s was published.")
                % {"revision": publication.revision},
                code="meetings.nothing_to_publish",
            )
        at = _now()
        # QuerySet.update() does not touch auto_now: set updated_at to the publication moment,
        # so these entries do not count as "changed since publication".
        in_week.filter(state=EntryState.DRAFT).update(
            state=EntryState.PUBLISHED, version=F("version") + 1, updated_at=at
        )
        if publication is None:
            try:
                with transaction.atomic():
                    publication = CalendarWeek.objects.create(
                        organization=organization,
                        iso_year=year,
                        iso_week=week,
                        revision=1,
                        published_at=at,
                        published_by=officer,
                    )
            except IntegrityError:
                raise MeetingsConflict(
                    gettext("Someone else published this week at the same time. Reload it.")
                ) from None
        else:
            publication.revision += 1
            publication.published_at = at
            publication.published_by = officer
            publication.save(update_fields=["revision", "published_at", "published_by"])

        entries = selectors.week_entries_for_mail(organization, the_week)
        context = {
            "organization": organization.name_vi,
            "year": year,
            "week": week,
            "monday": the_week.monday,
            "sunday": the_week.sunday,
            "revision": publication.revision,
            "entries": [_entry_line(entry) for entry in entries],
            "changed": [_entry_line(entry) for entry in changed]
            if publication.revision > 1
            else [],
            "url": notify.absolute(
                reverse("meetings:week_of", kwargs={"year": year, "week": week})
            ),
        }
        recipients: dict[int, Officer] = {
            o.pk: o for o in selectors.organization_officers(organization)
        }
        for entry in entries:
            if entry.chair_officer is not None and entry.chair_officer.is_active:
                recipients.setdefault(entry.chair_officer.pk, entry.chair_officer)
        sent = 0
        for recipient in recipients.values():
            if notify.send_to_officer(
                recipient, template="meetings_week_published", context=context
            ):
                sent += 1
        audit_record(
            actor=actor,
            action="meetings.week.publish",
            obj=publication,
            after={
                "year": year,
                "week": week,
                "revision": publication.revision,
                "changed": [entry.pk for entry in changed],
                "emails": sent,
            },
        )
    return publication

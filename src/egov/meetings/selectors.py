"""Reads of the calendar and meetings that screens and other code reuse.

Weeks are ISO weeks (Monday to Sunday) counted in the platform's time zone
(Asia/Ho_Chi_Minh): an entry at 06:30 on Monday local time belongs to that Monday even though
it is still Sunday in UTC. A half-day is "morning" before 12:00 local time, "afternoon" after.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import Case, IntegerField, Q, QuerySet, Value, When
from django.utils import timezone

from egov.directory import selectors as directory
from egov.directory.models import Officer, Organization, Role
from egov.meetings.models import (
    CalendarEntry,
    CalendarWeek,
    EntryState,
    Invitation,
    Meeting,
    MeetingPaper,
    Response,
    Visibility,
)

NOON = time(12, 0)


# --- weeks ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Week:
    """One ISO week: `monday` is its first day, `starts_at`/`ends_at` local midnights."""

    year: int
    number: int
    monday: date

    @property
    def sunday(self) -> date:
        return self.monday + timedelta(days=6)

    @property
    def starts_at(self) -> datetime:
        return timezone.make_aware(
            datetime.combine(self.monday, time.min), timezone.get_default_timezone()
        )

    @property
    def ends_at(self) -> datetime:
        return timezone.make_aware(
            datetime.combine(self.monday + timedelta(days=7), time.min),
            timezone.get_default_timezone(),
        )

    @property
    def days(self) -> list[date]:
        return [self.monday + timedelta(days=n) for n in range(7)]

    def previous(self) -> Week:
        return week_of(self.monday - timedelta(days=7))

    def next(self) -> Week:
        return week_of(self.monday + timedelta(days=7))


def local_time(moment: datetime) -> datetime:
    """The moment on the platform's clock (settings.TIME_ZONE), whatever zone is active."""
    return timezone.localtime(moment, timezone.get_default_timezone())


def week_of(day: date) -> Week:
    """The ISO week a local date lies in."""
    year, number, weekday = day.isocalendar()
    return Week(year=year, number=number, monday=day - timedelta(days=weekday - 1))


def week_from(year: int, number: int) -> Week | None:
    """The ISO week `year`-W`number`, or None when it does not exist (e.g. W53 of most years)."""
    try:
        monday = date.fromisocalendar(year, number, 1)
    except ValueError:
        return None
    return Week(year=year, number=number, monday=monday)


def current_week() -> Week:
    return week_of(local_time(timezone.now()).date())


def week_of_moment(moment: datetime) -> Week:
    return week_of(local_time(moment).date())


# --- the calendar -----------------------------------------------------------------------------


@dataclass
class DayView:
    day: date
    morning: list[CalendarEntry] = field(default_factory=list)
    afternoon: list[CalendarEntry] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not self.morning and not self.afternoon


@dataclass
class WeekView:
    organization: Organization
    week: Week
    days: list[DayView]
    publication: CalendarWeek | None
    changed_since_publication: bool


def _entries(organization: Organization, week: Week) -> QuerySet[CalendarEntry]:
    return (
        CalendarEntry.objects.filter(
            organization=organization, starts_at__gte=week.starts_at, starts_at__lt=week.ends_at
        )
        .select_related("chair_officer", "preparing_unit", "meeting")
        .order_by("starts_at", "pk")
    )


def week_publication(organization: Organization, week: Week) -> CalendarWeek | None:
    return (
        CalendarWeek.objects.select_related("published_by")
        .filter(organization=organization, iso_year=week.year, iso_week=week.number)
        .first()
    )


def week_changed_since_publication(
    organization: Organization, week: Week, publication: CalendarWeek | None
) -> bool:
    """True when the week has drafts, or entries changed after its last publication."""
    entries = _entries(organization, week)
    if entries.filter(state=EntryState.DRAFT).exists():
        return True
    if publication is None:
        return False
    if publication.changed_at is not None and publication.changed_at > publication.published_at:
        return True
    return entries.filter(updated_at__gt=publication.published_at).exists()


def calendar_week(
    organization: Organization, week: Week, *, include_drafts: bool = False
) -> WeekView:
    """The organisation's entries of one week by day (Monday–Sunday) and half-day.

    Officers see published and cancelled entries; those who edit the calendar also see drafts.
    """
    entries = _entries(organization, week)
    if not include_drafts:
        entries = entries.exclude(state=EntryState.DRAFT)
    days = {day: DayView(day=day) for day in week.days}
    for entry in entries:
        local = local_time(entry.starts_at)
        view = days[local.date()]
        (view.morning if local.time() < NOON else view.afternoon).append(entry)
    publication = week_publication(organization, week)
    return WeekView(
        organization=organization,
        week=week,
        days=list(days.values()),
        publication=publication,
        changed_since_publication=week_changed_since_publication(organization, week, publication),
    )


def public_week_entries(organization: Organization, week: Week) -> list[CalendarEntry]:
    """What the portal shows: published, public, not cancelled entries of the week."""
    return list(
        _entries(organization, week).filter(
            state=EntryState.PUBLISHED, visibility=Visibility.PUBLIC
        )
    )


def public_week_days(organization: Organization, week: Week) -> list[DayView]:
    days = {day: DayView(day=day) for day in week.days}
    for entry in public_week_entries(organization, week):
        local = local_time(entry.starts_at)
        view = days[local.date()]
        (view.morning if local.time() < NOON else view.afternoon).append(entry)
    return list(days.values())


def week_entries_for_mail(organization: Organization, week: Week) -> list[CalendarEntry]:
    """Published entries of the week (what the publication e-mail lists)."""
    return list(_entries(organization, week).filter(state=EntryState.PUBLISHED))


def organization_officers(organization: Organization) -> QuerySet[Officer]:
    """Active officers working in the organisation itself or one of its own units."""
    return (
        Officer.objects.filter(
            unit_id__in=directory.organization_members(organization), is_active=True
        )
        .select_related("account", "unit")
        .order_by("full_name", "pk")
    )


def organization_units(organization: Organization) -> QuerySet[Organization]:
    ids = directory.organization_members(organization)
    return Organization.objects.filter(pk__in=ids, kind=Organization.Kind.UNIT).order_by("path")


def unit_heads(unit: Organization) -> list[Officer]:
    """The heads of a unit: the officers of the unit who hold the head role."""
    return list(
        Officer.objects.filter(unit=unit, is_active=True, roles__role=Role.HEAD)
        .select_related("account")
        .distinct()
        .order_by("full_name", "pk")
    )


# --- meetings and invitations -----------------------------------------------------------------


def meeting_by_pk(pk: int) -> Meeting | None:
    return (
        Meeting.objects.select_related(
            "organization", "chair", "organised_by__account", "calendar_entry"
        )
        .filter(pk=pk)
        .first()
    )


def meeting_papers(meeting: Meeting) -> list[MeetingPaper]:
    return list(meeting.papers.select_related("stored_file").order_by("added_at", "pk"))


def meeting_invitations(meeting: Meeting) -> list[Invitation]:
    return list(
        meeting.invitations.select_related(
            "invitee_officer__account", "invitee_unit", "delegate", "responded_by"
        ).order_by("pk")
    )


def invitation_by_token(token: str) -> Invitation | None:
    if not token or len(token) > 64:
        return None
    return (
        Invitation.objects.select_related("meeting__organization", "meeting__chair")
        .filter(token=token, kind="external")
        .first()
    )


def _headed_units(officer: Officer) -> list[int]:
    """Units whose invitations the officer answers: their own unit when they are its head."""
    roles = directory.officer_roles(officer)
    return [officer.unit_id] if any(r.role == Role.HEAD for r in roles) else []


def invitation_addressed_to(officer: Officer, invitation: Invitation) -> bool:
    """True when the officer answers this invitation (invitee, or head of the invited unit)."""
    if invitation.invitee_officer_id is not None:
        return invitation.invitee_officer_id == officer.pk
    if invitation.invitee_unit_id is not None:
        return invitation.invitee_unit_id in _headed_units(officer)
    return False


def is_invited(officer: Officer, meeting: Meeting) -> bool:
    """True when the officer is invited to the meeting or answers for an invited unit."""
    return (
        meeting.invitations.filter(
            Q(invitee_officer=officer) | Q(invitee_unit_id__in=_headed_units(officer))
        ).exists()
        or meeting.invitations.filter(delegate=officer).exists()
    )


def my_invitations(officer: Officer) -> QuerySet[Invitation]:
    """The officer's invitations (their own and their unit's): pending first, then by time."""
    pending_first = Case(
        When(response=Response.PENDING, then=Value(0)),
        default=Value(1),
        output_field=IntegerField(),
    )
    return (
        Invitation.objects.filter(
            Q(invitee_officer=officer) | Q(invitee_unit_id__in=_headed_units(officer))
        )
        .select_related("meeting__organization", "invitee_unit", "delegate")
        .annotate(pending_first=pending_first)
        .order_by("pending_first", "meeting__starts_at", "pk")
    )


def attendance_summary(meeting: Meeting) -> dict[str, Any]:
    """How many invitations are accepted, declined, delegated and not yet answered."""
    counts = {value: 0 for value in Response.values}
    for response in meeting.invitations.values_list("response", flat=True):
        counts[response] += 1
    counts["total"] = sum(counts[value] for value in Response.values)
    return counts


def organization_meetings(organization: Organization) -> QuerySet[Meeting]:
    return (
        Meeting.objects.filter(organization=organization)
        .select_related("chair")
        .order_by("-starts_at", "-pk")
    )

"""Deadlines of a dossier and of its steps, from the working-day calendar.

Rules (STANDARDS-VN.md §8): a processing time in working days ends at the close of office on
the N-th working day after the (deemed) intake day (`WorkingCalendar.deadline`, which applies
the intake cut-off hour); calendar days use the calendar-day rule; hours count eight to a
working day and round up to whole days (to check); "within the day" is the intake day itself.
Fractions of a day (0.5 in process steps) round up to the whole day. Time stopped while the
dossier waits for the applicant is handled by the services, which re-plan from the
resubmission (egov.dossiers.conf.clock_on_resubmit).

A step or a dossier settled on a day before its due day is early, on the due day on time, after
it late; an unsettled one is overdue once its due moment has passed (measured at the moment the
clock stopped while it stands still).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import date, datetime, tzinfo
from decimal import Decimal

from django.utils import timezone

from egov.core.calendar import CALENDAR_DAYS, WORKING_DAYS, WorkingCalendar, get_calendar
from egov.procedures.models import TimeUnit

HOURS_PER_DAY = Decimal(8)

EARLY = "early"
ON_TIME = "on_time"
LATE = "late"
OVERDUE = "overdue"


def now() -> datetime:
    """The current moment; the one seam tests replace to walk a dossier through given dates."""
    return timezone.now()


def end_of_day(day: date, *, calendar: WorkingCalendar | None = None) -> datetime:
    """The office closing moment of `day` in the calendar's time zone.

    Every helper here takes an optional `calendar`: `get_calendar()` runs a version query on
    each call, so a service that needs several answers holds one calendar and passes it.
    """
    calendar = calendar or get_calendar()
    return datetime.combine(day, calendar.office_closes, tzinfo=calendar.tz)


def local_date(
    moment: datetime, *, calendar: WorkingCalendar | None = None, tz: tzinfo | None = None
) -> date:
    return moment.astimezone(tz or (calendar or get_calendar()).tz).date()


def due_moment(
    start: datetime,
    value: Decimal | int,
    unit: str,
    *,
    calendar: WorkingCalendar | None = None,
) -> datetime:
    """The end of a period of `value` `unit` that starts with an intake at `start`."""
    calendar = calendar or get_calendar()
    amount = Decimal(value)
    if unit == TimeUnit.WITHIN_DAY:
        day = calendar.deadline(start, 0)
    elif unit == TimeUnit.HOURS:
        day = calendar.deadline(start, math.ceil(amount / HOURS_PER_DAY), unit=WORKING_DAYS)
    elif unit == TimeUnit.DAYS:
        day = calendar.deadline(start, math.ceil(amount), unit=CALENDAR_DAYS)
    else:
        day = calendar.deadline(start, math.ceil(amount), unit=WORKING_DAYS)
    return end_of_day(day, calendar=calendar)


def step_due_moments(start: datetime, days: Iterable[Decimal]) -> list[datetime]:
    """Due moments of consecutive steps taking `days` working days each, from `start`."""
    calendar = get_calendar()
    total = Decimal(0)
    moments = []
    for value in days:
        total += Decimal(value)
        moments.append(due_moment(start, total, TimeUnit.WORKING_DAYS, calendar=calendar))
    return moments


def shift_by_working_days(moment: datetime, days: int) -> datetime:
    """The same office-close moment `days` working days later (clock "resume" rule)."""
    if days <= 0:
        return moment
    return end_of_day(get_calendar().add_working_days(local_date(moment), days))


def working_days_stopped(stopped_at: datetime, resumed_at: datetime) -> int:
    """Working days the clock stood still: those after the stop day up to the resume day."""
    return max(
        get_calendar().working_days_between(local_date(stopped_at), local_date(resumed_at)), 0
    )


def settled_timeliness(due_at: datetime, settled_at: datetime, *, tz: tzinfo | None = None) -> str:
    """Early, on time or late for something settled at `settled_at` with due moment `due_at`.

    Lists pass the calendar's `tz` once per page: without it each call asks `get_calendar()`.
    """
    tz = tz or get_calendar().tz
    due_day, settled_day = local_date(due_at, tz=tz), local_date(settled_at, tz=tz)
    if settled_day < due_day:
        return EARLY
    if settled_day == due_day:
        return ON_TIME
    return LATE


def open_timeliness(due_at: datetime, at: datetime, *, tz: tzinfo | None = None) -> str:
    """On time or overdue for something not settled yet, looked at the moment `at`."""
    tz = tz or get_calendar().tz
    return OVERDUE if local_date(at, tz=tz) > local_date(due_at, tz=tz) else ON_TIME


def timeliness(
    due_at: datetime, settled_at: datetime | None, *, at: datetime, tz: tzinfo | None = None
) -> str:
    if settled_at is not None:
        return settled_timeliness(due_at, settled_at, tz=tz)
    return open_timeliness(due_at, at, tz=tz)

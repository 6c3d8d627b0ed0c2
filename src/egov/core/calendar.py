"""The working-day calendar: which days count for legal periods, and the arithmetic on them.

Legal periods of the one-stop-shop and of document handling are counted in working days
(STANDARDS-VN.md §8). A day's status comes from three sources, the first that speaks wins:

1. `CalendarOverride` rows that IT admins enter each year: the government's or the province's
   decisions the `holidays` package cannot know (a longer Tết break, swapped days, make-up
   working Saturdays), or a holiday the package lists but the province does not observe yet
   (enter a `working_day` override, e.g. for 24/11 while its legal force is unsettled).
2. The `holidays` package for Vietnam (Labour Code 2019 Art. 112 with its observed days and
   the swapped days it knows, including make-up working Saturdays).
3. Monday to Friday are working days, Saturday and Sunday are not.

`WorkingCalendar` is pure and fast: per year it precomputes the sorted ordinals of the working
days, so adding N working days or counting them is a binary search (O(log n)). It extends its
span of years lazily, never touching the database. `get_calendar()` gives the calendar built
from the database's overrides and the settings, cached per process and re-validated on every
call by a cheap version query, so an edit in one process reaches all the others at once.
"""

from __future__ import annotations

import enum
import re
import threading
from bisect import bisect_left, bisect_right
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, tzinfo
from functools import lru_cache
from typing import Any, Literal
from zoneinfo import ZoneInfo

import holidays
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.db.models import Count, Max
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.utils import timezone, translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from egov.core.audit import audit_record
from egov.core.errors import NotFound, ValidationFailed
from egov.core.models import CalendarOverride

# The `holidays` package knows Vietnam's lunar calendar up to 2099; the observed-day rules of
# the Labour Code start in 1995. Outside these years the calendar refuses to answer.
FIRST_YEAR = 1995
LAST_YEAR = 2099

DeadlineUnit = Literal["working_days", "calendar_days"]
WORKING_DAYS: DeadlineUnit = "working_days"
CALENDAR_DAYS: DeadlineUnit = "calendar_days"

_LAST_ORDINAL = date(LAST_YEAR, 12, 31).toordinal()
_MICROS_PER_SECOND = 1_000_000


class CalendarError(ValidationFailed):
    """A day, a month or a period the calendar cannot work with."""

    code = "calendar.invalid"
    default_message = _("The date is not valid for the working-day calendar.")


class CalendarOverrideNotFound(NotFound):
    code = "calendar.override_not_found"
    default_message = _("There is no calendar override for this day.")


class DaySource(enum.StrEnum):
    """Which rule decided a day's status."""

    WEEKDAY = "weekday"
    WEEKEND = "weekend"
    HOLIDAY = "holiday"  # from the `holidays` package
    MAKE_UP = "make_up"  # a make-up working weekend day from the `holidays` package
    OVERRIDE = "override"  # a CalendarOverride row


@dataclass(frozen=True, slots=True)
class OverrideDay:
    """One override as the pure calendar sees it (a CalendarOverride row without the ORM)."""

    day: date
    kind: str
    name: str
    legal_basis: str = ""


@dataclass(frozen=True, slots=True)
class DayInfo:
    """A day's status and the human reason for it, in the active language."""

    day: date
    is_working: bool
    source: DaySource
    reason: str
    legal_basis: str = ""


class _Span:
    """The precomputed working days of the years first_year..last_year (immutable)."""

    __slots__ = ("first_year", "hi", "last_year", "lo", "working", "working_set")

    def __init__(self, first_year: int, last_year: int, working: list[int]) -> None:
        self.first_year = first_year
        self.last_year = last_year
        self.lo = date(first_year, 1, 1).toordinal() if first_year <= last_year else 1
        self.hi = date(last_year, 12, 31).toordinal() if first_year <= last_year else 0
        self.working = working
        self.working_set = frozenset(working)


@lru_cache(maxsize=256)
def _package_year(year: int) -> tuple[frozenset[int], frozenset[int]]:
    """Ordinals of the package's days off and of its make-up working weekend days in `year`."""
    table = holidays.country_holidays("VN", years=year, language="vi")
    days_off = frozenset(day.toordinal() for day in table if day.year == year)
    make_up = frozenset(
        day.toordinal() for day in getattr(table, "weekend_workdays", ()) if day.year == year
    )
    return days_off, make_up


@lru_cache(maxsize=512)
def _package_names(year: int, language: str) -> dict[int, str]:
    """The package's holiday names of `year` in `language` ("vi" or "en_US")."""
    table = holidays.country_holidays("VN", years=year, language=language)
    return {day.toordinal(): name for day, name in table.items() if day.year == year}


def _holiday_language() -> str:
    language = translation.get_language() or settings.LANGUAGE_CODE
    return "en_US" if language.lower().startswith("en") else "vi"


def weekday_name(day: date) -> str:
    """The translated name of the day of the week ("Thứ Năm")."""
    names = (
        gettext("Monday"),
        gettext("Tuesday"),
        gettext("Wednesday"),
        gettext("Thursday"),
        gettext("Friday"),
        gettext("Saturday"),
        gettext("Sunday"),
    )
    return names[day.weekday()]


def _check_year(year: int) -> None:
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise CalendarError(
            _("The working-day calendar covers the years %(first)d to %(last)d only.")
            % {"first": FIRST_YEAR, "last": LAST_YEAR},
            code="calendar.out_of_range",
        )


def _plain_date(day: date) -> int:
    """The ordinal of a legal date; a datetime here is a bug (which day would it be?)."""
    if isinstance(day, datetime) or not isinstance(day, date):
        raise TypeError(f"the working-day calendar takes a date, not {type(day).__name__}")
    return day.toordinal()


class WorkingCalendar:
    """Working days of Vietnam plus the province's overrides, with fast legal arithmetic.

    Thread-safe: the precomputed span is an immutable object swapped in under a lock when a
    computation needs years not yet covered.
    """

    def __init__(
        self,
        overrides: Iterable[OverrideDay] = (),
        *,
        office_opens: time = time(7, 30),
        office_closes: time = time(17, 0),
        intake_cutoff: time = time(17, 0),
        tz: tzinfo | None = None,
        years: Iterable[int] = (),
    ) -> None:
        if office_opens >= office_closes:
            raise ImproperlyConfigured("The office must open before it closes.")
        kinds = set(CalendarOverride.Kind.values)
        self._overrides: dict[int, OverrideDay] = {}
        for override in overrides:
            if override.kind not in kinds:
                raise ImproperlyConfigured(f"Unknown calendar override kind {override.kind!r}")
            self._overrides[override.day.toordinal()] = override
        self.office_opens = office_opens
        self.office_closes = office_closes
        self.intake_cutoff = intake_cutoff
        self.tz: tzinfo = tz or ZoneInfo("Asia/Ho_Chi_Minh")
        self._opens_us = _time_micros(office_opens)
        self._office_us = _time_micros(office_closes) - self._opens_us
        self._cutoff_s = _time_seconds(intake_cutoff)
        self._lock = threading.Lock()
        wanted = sorted(set(years))
        for year in wanted:
            _check_year(year)
        self._span = self._build(wanted[0], wanted[-1]) if wanted else _Span(1, 0, [])

    # --- the precomputed span ---------------------------------------------------------------

    def _build(self, first_year: int, last_year: int) -> _Span:
        overrides = self._overrides
        working_kind = CalendarOverride.Kind.WORKING_DAY.value
        working: list[int] = []
        for year in range(first_year, last_year + 1):
            days_off, make_up = _package_year(year)
            for ordinal in range(date(year, 1, 1).toordinal(), date(year, 12, 31).toordinal() + 1):
                override = overrides.get(ordinal)
                if override is not None:
                    works = override.kind == working_kind
                elif ordinal in make_up:
                    works = True
                elif ordinal in days_off:
                    works = False
                else:
                    works = (ordinal + 6) % 7 < 5  # ordinal 1 (1 Jan of year 1) was a Monday
                if works:
                    working.append(ordinal)
        return _Span(first_year, last_year, working)

    def _cover(self, first: int, last: int) -> _Span:
        """The span, extended if needed so that it holds the ordinals first..last."""
        span = self._span
        if span.lo <= first and last <= span.hi:
            return span
        first_year = date.fromordinal(max(first, 1)).year
        last_year = date.fromordinal(max(last, 1)).year
        _check_year(first_year)
        _check_year(last_year)
        with self._lock:
            span = self._span
            if span.lo <= first and last <= span.hi:
                return span
            if span.first_year <= span.last_year:
                first_year = min(first_year, span.first_year)
                last_year = max(last_year, span.last_year)
            self._span = span = self._build(first_year, last_year)
            return span

    def _extend_for(self, span: _Span, index: int) -> _Span:
        """A span reaching past `index` (an index off either end of span.working)."""
        if index < 0:
            years = -index // 200 + 1
            year = span.first_year - years
            if year < FIRST_YEAR:
                _check_year(year)
            return self._cover(date(year, 1, 1).toordinal(), span.hi)
        years = (index - len(span.working)) // 200 + 1
        year = span.last_year + years
        if year > LAST_YEAR:
            _check_year(year)
        return self._cover(span.lo, date(year, 12, 31).toordinal())

    # --- questions about one day --------------------------------------------------------------

    def is_working_day(self, day: date) -> bool:
        """True when officers work on `day`."""
        ordinal = _plain_date(day)
        return ordinal in self._cover(ordinal, ordinal).working_set

    def describe(self, day: date) -> DayInfo:
        """The day's status with the reason, translated into the active language."""
        ordinal = _plain_date(day)
        _check_year(day.year)
        override = self._overrides.get(ordinal)
        if override is not None:
            label = CalendarOverride.Kind(override.kind).label
            return DayInfo(
                day,
                override.kind == CalendarOverride.Kind.WORKING_DAY,
                DaySource.OVERRIDE,
                f"{label}: {override.name}",
                override.legal_basis,
            )
        days_off, make_up = _package_year(day.year)
        if ordinal in make_up:
            return DayInfo(day, True, DaySource.MAKE_UP, gettext("Make-up working day"))
        if ordinal in days_off:
            name = _package_names(day.year, _holiday_language())[ordinal]
            return DayInfo(day, False, DaySource.HOLIDAY, name)
        weekday = day.weekday()
        if weekday >= 5:
            return DayInfo(day, False, DaySource.WEEKEND, weekday_name(day))
        return DayInfo(day, True, DaySource.WEEKDAY, gettext("Regular working day"))

    def reason(self, day: date) -> str:
        """Why `day` is or is not a working day: "Thứ Bảy", "Chủ nhật", a holiday's name …"""
        return self.describe(day).reason

    def month(self, year: int, month: int) -> list[DayInfo]:
        """Every day of one month, described (for screens and the `calendar show` command)."""
        _check_year(year)
        if not 1 <= month <= 12:
            raise CalendarError(code="calendar.bad_month")
        first = date(year, month, 1).toordinal()
        last = (date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1)).toordinal()
        return [self.describe(date.fromordinal(o)) for o in range(first, last)]

    # --- arithmetic on days -------------------------------------------------------------------

    def add_working_days(self, day: date, n: int) -> date:
        """Move `n` working days from `day`.

        n >= 1: the n-th working day strictly after `day` (from Friday, +1 is Monday), whether
        or not `day` itself is a working day. n <= -1: the |n|-th working day strictly before
        `day`. n == 0: `day` itself when it is a working day, else the next working day.
        For a working `day` this is plain index arithmetic: add(add(d, a), b) == add(d, a + b).
        """
        ordinal = _plain_date(day)
        span = self._cover(ordinal, ordinal)
        while True:
            working = span.working
            if n > 0:
                index = bisect_right(working, ordinal) + n - 1
            elif n < 0:
                index = bisect_left(working, ordinal) + n
            else:
                index = bisect_left(working, ordinal)
            if 0 <= index < len(working):
                return date.fromordinal(working[index])
            span = self._extend_for(span, index)

    def working_days_between(self, start: date, end: date) -> int:
        """The number of working days in (start, end]: after `start`, up to and including `end`.

        This is the number of working days a period starting the day after `start` has used
        by the end of `end`; negative when `end` is before `start`. For any day d and n >= 1,
        working_days_between(d, add_working_days(d, n)) == n.
        """
        first, last = _plain_date(start), _plain_date(end)
        working = self._cover(min(first, last), max(first, last)).working
        return bisect_right(working, last) - bisect_right(working, first)

    def working_seconds_between(self, start: datetime, end: datetime) -> int:
        """Seconds of office hours on working days from `start` to `end` (whole seconds).

        Office hours are [EGOV_OFFICE_OPENS, EGOV_OFFICE_CLOSES) in the calendar's time zone;
        a lunch break is not taken out (to check: provinces differ). Negative when `end` is
        before `start`.
        """
        local_start = self._local(start)
        local_end = self._local(end)
        first, last = local_start.toordinal(), local_end.toordinal()
        span = self._cover(min(first, last), max(first, last))
        micros = self._office_clock(span, local_end) - self._office_clock(span, local_start)
        seconds = abs(micros) // _MICROS_PER_SECOND
        return seconds if micros >= 0 else -seconds

    def _office_clock(self, span: _Span, local: datetime) -> int:
        """Office microseconds elapsed from the start of the span to `local`."""
        ordinal = local.toordinal()
        elapsed = bisect_left(span.working, ordinal) * self._office_us
        if ordinal in span.working_set:
            of_day = (
                (local.hour * 60 + local.minute) * 60 + local.second
            ) * _MICROS_PER_SECOND + local.microsecond
            elapsed += min(max(of_day - self._opens_us, 0), self._office_us)
        return elapsed

    def _local(self, moment: datetime) -> datetime:
        if not isinstance(moment, datetime) or moment.utcoffset() is None:
            raise CalendarError(
                _("A moment needs a date, a time and a time zone."), code="calendar.naive_datetime"
            )
        return moment.astimezone(self.tz)

    def deadline(
        self,
        received_at: datetime,
        days: int,
        *,
        unit: DeadlineUnit = WORKING_DAYS,
        cutoff: time | None = None,
    ) -> date:
        """The last day of a period of `days` that starts with an intake at `received_at`.

        The rules (STANDARDS-VN.md §8; the ones marked "to check" are configurable):
        - The intake day is the local date of `received_at` in the calendar's time zone.
        - Intake at or after the cut-off hour (EGOV_INTAKE_CUTOFF, or `cutoff` for a procedure
          with its own hour such as 15:00), or on a non-working day, is deemed to happen on the
          next working day (to check against Decree 118/2025; the hour is configurable).
          Deeming the *intake* moved, not only the count's start, is what gives the cut-off an
          effect: a period always starts the day after its event.
        - The period starts the day AFTER the (deemed) intake day (Civil Code Art. 147).
        - unit="working_days": the result is the `days`-th working day after the deemed day;
          days == 0 ("within the day") gives the deemed day itself.
        - unit="calendar_days": the deemed day plus `days`; a last day on a rest day moves to
          the next working day (to check).
        Time stopped while the dossier waits for the applicant is the caller's business: call
        again from the resumption moment with the remaining days.
        """
        try:
            offset = received_at.utcoffset()
        except AttributeError:
            offset = None
        if offset is None or not isinstance(received_at, datetime):
            raise CalendarError(
                _("A moment needs a date, a time and a time zone."), code="calendar.naive_datetime"
            )
        if days < 0:
            raise CalendarError(
                _("A period cannot have a negative number of days."), code="calendar.negative_days"
            )
        by_working_days = unit == WORKING_DAYS
        if not by_working_days and unit != CALENDAR_DAYS:
            raise CalendarError(code="calendar.bad_unit")
        local = received_at.astimezone(self.tz)
        ordinal = local.toordinal()
        limit = self._cutoff_s if cutoff is None else _time_seconds(cutoff)
        late = (local.hour * 60 + local.minute) * 60 + local.second >= limit
        span = self._span
        if ordinal < span.lo or ordinal > span.hi:
            span = self._cover(ordinal, ordinal)
        while True:
            working = span.working
            # Index of the deemed intake day: the day itself when it is a working day and the
            # intake came before the cut-off, else the first working day after it.
            index = bisect_right(working, ordinal) if late else bisect_left(working, ordinal)
            if by_working_days:
                index += days
            if index < len(working):
                break
            span = self._extend_for(span, index)
        if by_working_days:
            return date.fromordinal(working[index])
        last_day = working[index] + days
        if last_day > _LAST_ORDINAL:
            _check_year(LAST_YEAR + 1)
        return self.add_working_days(date.fromordinal(last_day), 0)


def _time_seconds(value: time) -> int:
    return (value.hour * 60 + value.minute) * 60 + value.second


def _time_micros(value: time) -> int:
    return _time_seconds(value) * _MICROS_PER_SECOND + value.microsecond


_HHMM = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


def parse_hhmm(name: str, value: str) -> time:
    """A HH:MM setting as a time; a bad value stops the start-up with the setting's name."""
    match = _HHMM.match(value.strip())
    if not match:
        raise ImproperlyConfigured(f"{name} must be a time HH:MM (24 hours), got {value!r}")
    return time(int(match.group(1)), int(match.group(2)))


_DMY = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
_ISO = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")


def parse_day(text: str) -> date:
    """A day typed by a person: YYYY-MM-DD or DD/MM/YYYY (the Vietnamese way)."""
    value = text.strip()
    match = _ISO.match(value)
    parts: tuple[int, int, int] | None = None
    if match:
        parts = (int(match.group(1)), int(match.group(2)), int(match.group(3)))
    else:
        match = _DMY.match(value)
        if match:
            parts = (int(match.group(3)), int(match.group(2)), int(match.group(1)))
    try:
        if parts is None:
            raise ValueError(value)
        day = date(*parts)
    except ValueError:
        raise CalendarError(
            _("Invalid date %(value)s: use YYYY-MM-DD (e.g. 2026-04-30) or DD/MM/YYYY.")
            % {"value": repr(text)},
            code="calendar.bad_date",
        ) from None
    _check_year(day.year)
    return day


# --- the calendar of this installation --------------------------------------------------------

_cache_lock = threading.Lock()
_cached: tuple[tuple[Any, ...], WorkingCalendar] | None = None


def _settings_key() -> tuple[str, str, str, str]:
    return (
        settings.EGOV_OFFICE_OPENS,
        settings.EGOV_OFFICE_CLOSES,
        settings.EGOV_INTAKE_CUTOFF,
        settings.TIME_ZONE,
    )


def _version_key() -> tuple[Any, ...]:
    """What must change when the calendar changes: one aggregate over a tiny table.

    count catches deletes, max(id) an insert after a delete, max(updated_at) an edit in place.
    Writes that bypass the ORM's save (QuerySet.update without updated_at, raw SQL) are not
    seen: use the services below.
    """
    state = CalendarOverride.objects.aggregate(
        count=Count("id"), last_id=Max("id"), last_update=Max("updated_at")
    )
    return (state["count"], state["last_id"], state["last_update"], *_settings_key())


def build_calendar() -> WorkingCalendar:
    """A fresh calendar from the overrides in the database and the settings."""
    rows = CalendarOverride.objects.values_list("day", "kind", "name", "legal_basis")
    this_year = timezone.localdate().year
    return WorkingCalendar(
        [OverrideDay(*row) for row in rows],
        office_opens=parse_hhmm("EGOV_OFFICE_OPENS", settings.EGOV_OFFICE_OPENS),
        office_closes=parse_hhmm("EGOV_OFFICE_CLOSES", settings.EGOV_OFFICE_CLOSES),
        intake_cutoff=parse_hhmm("EGOV_INTAKE_CUTOFF", settings.EGOV_INTAKE_CUTOFF),
        tz=ZoneInfo(settings.TIME_ZONE),
        years=range(max(this_year - 1, FIRST_YEAR), min(this_year + 2, LAST_YEAR) + 1),
    )


def get_calendar() -> WorkingCalendar:
    """The calendar of this installation, cached per process.

    Every call runs one cheap version query (count, max id, max updated_at of the overrides)
    and rebuilds only when it changed. That keeps every process right the moment an IT admin
    saves in another process, survives rolled-back transactions (tests, failed requests), and
    needs no shared cache server. A time-to-live was rejected: it would hand out a stale
    calendar for its whole duration. Hold the returned object for a batch of computations.
    """
    global _cached
    key = _version_key()
    cached = _cached
    if cached is not None and cached[0] == key:
        return cached[1]
    with _cache_lock:
        cached = _cached
        if cached is not None and cached[0] == key:
            return cached[1]
        calendar = build_calendar()
        _cached = (key, calendar)
        return calendar


def clear_calendar_cache() -> None:
    """Forget the cached calendar of this process (the next `get_calendar()` rebuilds it)."""
    global _cached
    _cached = None


@receiver(post_save, sender=CalendarOverride, dispatch_uid="egov.core.calendar.override_saved")
@receiver(post_delete, sender=CalendarOverride, dispatch_uid="egov.core.calendar.override_deleted")
def _override_changed(sender: type[CalendarOverride], **kwargs: Any) -> None:
    clear_calendar_cache()


# --- services for IT admins -------------------------------------------------------------------


def calendar_override_set(
    *, day: date, kind: str, name: str, legal_basis: str = "", actor: Any = None
) -> CalendarOverride:
    """Create or replace the override of `day` (one row per day), with an audit entry.

    The caller checks that the user is an IT admin (core cannot import the directory's
    policy: the check is `directory.calendar.manage`).
    """
    _plain_date(day)
    _check_year(day.year)
    if kind not in CalendarOverride.Kind.values:
        raise CalendarError(
            _("Unknown kind of calendar override %(kind)s.") % {"kind": repr(kind)},
            code="calendar.bad_kind",
            field="kind",
        )
    name = name.strip()
    legal_basis = legal_basis.strip()
    if not name or len(name) > 200:
        raise CalendarError(
            _("The name must have between 1 and 200 characters."),
            code="calendar.bad_name",
            field="name",
        )
    if len(legal_basis) > 200:
        raise CalendarError(
            _("The legal basis must have at most 200 characters."),
            code="calendar.bad_legal_basis",
            field="legal_basis",
        )
    with transaction.atomic():
        previous = CalendarOverride.objects.filter(day=day).first()
        before = (
            {"kind": previous.kind, "name": previous.name, "legal_basis": previous.legal_basis}
            if previous
            else None
        )
        override, _created = CalendarOverride.objects.update_or_create(
            day=day, defaults={"kind": kind, "name": name, "legal_basis": legal_basis}
        )
        audit_record(
            actor=actor,
            action="calendar.override_set",
            obj=override,
            before=before,
            after={"day": day, "kind": kind, "name": name, "legal_basis": legal_basis},
        )
    clear_calendar_cache()
    return override


def calendar_override_delete(*, day: date, actor: Any = None) -> None:
    """Remove the override of `day` (the day follows the national rule again), audited.

    The caller checks that the user is an IT admin.
    """
    _plain_date(day)
    with transaction.atomic():
        override = CalendarOverride.objects.filter(day=day).first()
        if override is None:
            raise CalendarOverrideNotFound()
        audit_record(
            actor=actor,
            action="calendar.override_delete",
            obj=override,
            before={"day": day, "kind": override.kind, "name": override.name},
        )
        override.delete()
    clear_calendar_cache()

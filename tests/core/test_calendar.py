"""The working-day calendar: fixed legal dates, property tests of the arithmetic, the cache."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays
import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from egov.core.calendar import (
    CALENDAR_DAYS,
    CalendarError,
    CalendarOverrideNotFound,
    DaySource,
    OverrideDay,
    WorkingCalendar,
    calendar_override_delete,
    calendar_override_set,
    clear_calendar_cache,
    get_calendar,
    parse_day,
)
from egov.core.models import CalendarOverride

HCM = ZoneInfo("Asia/Ho_Chi_Minh")
D = date


def at(
    year: int, month: int, day: int, hour: int = 10, minute: int = 0, second: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=HCM)


def days(first: date, last: date) -> list[date]:
    return [first + timedelta(n) for n in range((last - first).days + 1)]


# A hypothetical province: New Year 2026 swapped (Friday 2/1 off, Saturday 10/1 worked) and
# the province's own day off on Tuesday 13/10/2026.
SWAP_DAY_OFF = OverrideDay(D(2026, 1, 2), "day_off", "Nghỉ hoán đổi Tết Dương lịch", "CV 1/UBND")
SWAP_WORKING = OverrideDay(D(2026, 1, 10), "working_day", "Làm bù cho ngày 02/01/2026", "CV 1/UBND")
PROVINCE_DAY = OverrideDay(D(2026, 10, 13), "holiday", "Kỷ niệm ngày thành lập tỉnh")

NATIONAL = WorkingCalendar(years=range(2025, 2028))
PROVINCE = WorkingCalendar([SWAP_DAY_OFF, SWAP_WORKING, PROVINCE_DAY], years=range(2024, 2031))


# --- fixed dates --------------------------------------------------------------------------------


def test_tet_2026_closes_the_five_weekdays_16_to_20_february() -> None:
    closed = [d for d in days(D(2026, 2, 12), D(2026, 2, 24)) if not NATIONAL.is_working_day(d)]
    assert closed == days(D(2026, 2, 14), D(2026, 2, 22))  # 9 days with the two weekends
    assert NATIONAL.describe(D(2026, 2, 17)).source is DaySource.HOLIDAY
    with translation.override("vi"):
        assert NATIONAL.reason(D(2026, 2, 17)) == "Tết Nguyên Đán"
        assert NATIONAL.reason(D(2026, 2, 16)) == "Giao thừa Tết Nguyên Đán"
        assert NATIONAL.reason(D(2026, 2, 20)) == "Mùng bốn Tết Nguyên Đán"
    with translation.override("en"):
        assert NATIONAL.reason(D(2026, 2, 17)) == "Lunar New Year"
    assert NATIONAL.add_working_days(D(2026, 2, 13), 1) == D(2026, 2, 23)
    assert NATIONAL.add_working_days(D(2026, 2, 23), -1) == D(2026, 2, 13)
    assert NATIONAL.working_days_between(D(2026, 2, 13), D(2026, 2, 23)) == 1
    assert sum(info.is_working for info in NATIONAL.month(2026, 2)) == 15


def test_tet_2027_closes_thursday_4_to_wednesday_10_february() -> None:
    closed = [d for d in days(D(2027, 2, 1), D(2027, 2, 14)) if not NATIONAL.is_working_day(d)]
    assert closed == days(D(2027, 2, 4), D(2027, 2, 10)) + [D(2027, 2, 13), D(2027, 2, 14)]
    # The lunar new year falls on Saturday 6/2/2027: a holiday, not merely a weekend.
    assert NATIONAL.describe(D(2027, 2, 6)).source is DaySource.HOLIDAY
    with translation.override("vi"):
        assert NATIONAL.reason(D(2027, 2, 6)) == "Tết Nguyên Đán"
        assert NATIONAL.reason(D(2027, 2, 4)) == "29 Tết"
    assert NATIONAL.add_working_days(D(2027, 2, 3), 1) == D(2027, 2, 11)
    assert NATIONAL.add_working_days(D(2027, 2, 3), 3) == D(2027, 2, 15)


def test_30_april_and_1_may_2026_give_a_four_day_break() -> None:
    assert [NATIONAL.is_working_day(d) for d in days(D(2026, 4, 29), D(2026, 5, 4))] == [
        True,
        False,
        False,
        False,
        False,
        True,
    ]
    with translation.override("vi"):
        assert NATIONAL.reason(D(2026, 4, 30)) == "Ngày Chiến thắng"
        assert NATIONAL.reason(D(2026, 5, 1)) == "Ngày Quốc tế Lao động"
    assert NATIONAL.add_working_days(D(2026, 4, 29), 1) == D(2026, 5, 4)
    assert NATIONAL.add_working_days(D(2026, 4, 29), 0) == D(2026, 4, 29)
    assert NATIONAL.add_working_days(D(2026, 4, 30), 0) == D(2026, 5, 4)


def test_hung_kings_day_2026_on_sunday_is_observed_on_monday_27_april() -> None:
    assert NATIONAL.describe(D(2026, 4, 26)).source is DaySource.HOLIDAY
    assert NATIONAL.is_working_day(D(2026, 4, 27)) is False
    with translation.override("vi"):
        assert NATIONAL.reason(D(2026, 4, 27)) == "Ngày Giỗ Tổ Hùng Vương (nghỉ bù)"
    assert NATIONAL.add_working_days(D(2026, 4, 24), 1) == D(2026, 4, 28)


def test_national_day_2026_takes_1_and_2_september_and_swaps_31_august_for_22_august() -> None:
    assert [NATIONAL.is_working_day(d) for d in days(D(2026, 8, 28), D(2026, 9, 3))] == [
        True,  # Fri 28/8
        False,  # Sat
        False,  # Sun
        False,  # Mon 31/8, swapped for Saturday 22/8
        False,  # Tue 1/9, the adjacent day
        False,  # Wed 2/9
        True,  # Thu 3/9
    ]
    assert NATIONAL.is_working_day(D(2026, 8, 22)) is True
    info = NATIONAL.describe(D(2026, 8, 22))
    assert (info.source, info.is_working) == (DaySource.MAKE_UP, True)
    with translation.override("en"):
        assert NATIONAL.reason(D(2026, 8, 22)) == "Make-up working day"
    with translation.override("vi"):
        assert NATIONAL.reason(D(2026, 9, 2)) == "Quốc khánh"
        assert NATIONAL.reason(D(2026, 8, 31)) == "Ngày nghỉ (thay cho ngày 22/08/2026)"
    assert NATIONAL.add_working_days(D(2026, 8, 28), 1) == D(2026, 9, 3)
    assert NATIONAL.add_working_days(D(2026, 8, 21), 1) == D(2026, 8, 22)


def test_culture_day_24_november_2026_is_a_holiday_that_an_override_can_cancel() -> None:
    assert NATIONAL.is_working_day(D(2026, 11, 24)) is False
    cancelled = WorkingCalendar(
        [OverrideDay(D(2026, 11, 24), "working_day", "Chưa áp dụng nghỉ 24/11")], years=[2026]
    )
    assert cancelled.is_working_day(D(2026, 11, 24)) is True
    assert cancelled.add_working_days(D(2026, 11, 23), 1) == D(2026, 11, 24)


def test_weekends_and_weekdays_have_their_reasons() -> None:
    with translation.override("en"):
        assert NATIONAL.reason(D(2026, 4, 25)) == "Saturday"
        assert NATIONAL.reason(D(2026, 4, 26)) == "Hung Kings' Commemoration Day"
        assert NATIONAL.reason(D(2026, 5, 3)) == "Sunday"
        assert NATIONAL.reason(D(2026, 4, 29)) == "Regular working day"
    assert NATIONAL.describe(D(2026, 5, 3)).source is DaySource.WEEKEND
    assert NATIONAL.describe(D(2026, 4, 29)).source is DaySource.WEEKDAY


def test_a_make_up_saturday_override_works_and_its_swapped_friday_rests() -> None:
    assert PROVINCE.is_working_day(D(2026, 1, 2)) is False
    assert PROVINCE.is_working_day(D(2026, 1, 10)) is True
    with translation.override("en"):
        info = PROVINCE.describe(D(2026, 1, 10))
        assert (info.source, info.legal_basis) == (DaySource.OVERRIDE, "CV 1/UBND")
        assert info.reason == "Make-up working day: Làm bù cho ngày 02/01/2026"
        assert PROVINCE.reason(D(2026, 1, 2)) == (
            "Compensatory or swapped day off: Nghỉ hoán đổi Tết Dương lịch"
        )
    # From Wednesday 31/12/2025: Thursday 1/1 holiday, Friday 2/1 swapped off.
    assert PROVINCE.add_working_days(D(2025, 12, 31), 1) == D(2026, 1, 5)
    assert NATIONAL.add_working_days(D(2025, 12, 31), 1) == D(2026, 1, 2)
    # The week of 5/1 has six working days.
    assert PROVINCE.working_days_between(D(2026, 1, 4), D(2026, 1, 11)) == 6
    assert PROVINCE.add_working_days(D(2026, 1, 9), 1) == D(2026, 1, 10)


def test_an_extra_day_off_override_lengthens_a_deadline() -> None:
    assert NATIONAL.deadline(at(2026, 10, 12), 1) == D(2026, 10, 13)
    assert PROVINCE.deadline(at(2026, 10, 12), 1) == D(2026, 10, 14)
    assert PROVINCE.deadline(at(2026, 10, 9), 5) == D(2026, 10, 19)
    with translation.override("en"):
        assert PROVINCE.reason(D(2026, 10, 13)) == "Holiday: Kỷ niệm ngày thành lập tỉnh"


def test_negative_and_zero_moves() -> None:
    assert NATIONAL.add_working_days(D(2026, 1, 5), -3) == D(2025, 12, 30)
    assert NATIONAL.add_working_days(D(2026, 5, 3), -1) == D(2026, 4, 29)
    assert NATIONAL.add_working_days(D(2026, 5, 3), 0) == D(2026, 5, 4)
    assert NATIONAL.working_days_between(D(2026, 5, 4), D(2026, 4, 29)) == -1


# --- deadlines ----------------------------------------------------------------------------------


def test_deadline_starts_the_day_after_intake_before_the_cut_off() -> None:
    assert NATIONAL.deadline(at(2026, 4, 28, 16, 59, 59), 1) == D(2026, 4, 29)
    assert NATIONAL.deadline(at(2026, 4, 28, 6, 0), 1) == D(2026, 4, 29)
    assert NATIONAL.deadline(at(2026, 4, 28, 10), 5) == D(2026, 5, 7)


def test_deadline_of_intake_at_or_after_the_cut_off_counts_from_the_next_working_day() -> None:
    assert NATIONAL.deadline(at(2026, 4, 28, 17, 0), 1) == D(2026, 5, 4)
    assert NATIONAL.deadline(at(2026, 4, 28, 23, 59), 1) == D(2026, 5, 4)
    # The same moment written in UTC: 10:30 UTC is 17:30 in Hà Nội.
    assert NATIONAL.deadline(datetime(2026, 4, 28, 10, 30, tzinfo=UTC), 1) == D(2026, 5, 4)
    assert NATIONAL.deadline(datetime(2026, 4, 28, 9, 59, tzinfo=UTC), 1) == D(2026, 4, 29)
    # A procedure with its own 15:00 cut-off.
    assert NATIONAL.deadline(at(2026, 4, 28, 15, 30), 1, cutoff=time(15)) == D(2026, 5, 4)
    assert NATIONAL.deadline(at(2026, 4, 28, 14, 59), 1, cutoff=time(15)) == D(2026, 4, 29)
    early = WorkingCalendar(intake_cutoff=time(15), years=[2026])
    assert early.deadline(at(2026, 4, 28, 15, 0), 1) == D(2026, 5, 4)


def test_deadline_of_intake_on_a_rest_day_counts_from_the_next_working_day() -> None:
    # Saturday 25/4/2026; Monday 27/4 is the observed Hùng Kings day: deemed received Tue 28/4.
    assert NATIONAL.deadline(at(2026, 4, 25), 1) == D(2026, 4, 29)
    assert NATIONAL.deadline(at(2026, 4, 25), 0) == D(2026, 4, 28)
    # Received during Tết 2026: deemed received Monday 23/2.
    assert NATIONAL.deadline(at(2026, 2, 18), 3) == D(2026, 2, 26)


def test_deadline_within_the_day_is_the_deemed_intake_day() -> None:
    assert NATIONAL.deadline(at(2026, 4, 29, 9), 0) == D(2026, 4, 29)
    assert NATIONAL.deadline(at(2026, 4, 29, 17, 30), 0) == D(2026, 5, 4)


def test_deadline_in_calendar_days_moves_a_last_day_on_a_rest_day_forward() -> None:
    # Friday 13/2/2026 + 30 days = Sunday 15/3 -> Monday 16/3.
    assert NATIONAL.deadline(at(2026, 2, 13), 30, unit=CALENDAR_DAYS) == D(2026, 3, 16)
    # Monday 9/2/2026 + 10 days = Thursday 19/2, in Tết -> Monday 23/2.
    assert NATIONAL.deadline(at(2026, 2, 9), 10, unit=CALENDAR_DAYS) == D(2026, 2, 23)
    assert NATIONAL.deadline(at(2026, 4, 1), 7, unit=CALENDAR_DAYS) == D(2026, 4, 8)


def test_deadline_crosses_the_year_end() -> None:
    assert NATIONAL.deadline(at(2026, 12, 31), 10) == D(2027, 1, 15)
    fresh = WorkingCalendar()
    assert fresh.deadline(at(2026, 12, 31), 300) == NATIONAL.deadline(at(2026, 12, 31), 300)


def test_deadline_refuses_naive_moments_negative_periods_and_unknown_units() -> None:
    with pytest.raises(CalendarError) as naive:
        NATIONAL.deadline(datetime(2026, 4, 28, 10), 1)  # noqa: DTZ001
    assert naive.value.code == "calendar.naive_datetime"
    with pytest.raises(CalendarError) as plain_day:
        NATIONAL.deadline(D(2026, 4, 28), 1)  # type: ignore[arg-type]
    assert plain_day.value.code == "calendar.naive_datetime"
    with pytest.raises(CalendarError) as negative:
        NATIONAL.deadline(at(2026, 4, 28), -1)
    assert negative.value.code == "calendar.negative_days"
    with pytest.raises(CalendarError) as unit:
        NATIONAL.deadline(at(2026, 4, 28), 1, unit="hours")  # type: ignore[arg-type]
    assert unit.value.code == "calendar.bad_unit"


def test_days_outside_the_supported_years_are_refused() -> None:
    for day in (D(1994, 12, 31), D(2100, 1, 1)):
        with pytest.raises(CalendarError) as error:
            NATIONAL.is_working_day(day)
        assert error.value.code == "calendar.out_of_range"
    with pytest.raises(CalendarError) as far:
        NATIONAL.add_working_days(D(2099, 12, 1), 100)
    assert far.value.code == "calendar.out_of_range"
    for unit in ("working_days", "calendar_days"):
        with pytest.raises(CalendarError) as huge:
            NATIONAL.deadline(at(2026, 4, 28), 10**9, unit=unit)  # type: ignore[arg-type]
        assert huge.value.code == "calendar.out_of_range"


def test_a_datetime_where_a_legal_date_is_expected_is_a_programming_error() -> None:
    with pytest.raises(TypeError):
        NATIONAL.is_working_day(at(2026, 4, 28))
    with pytest.raises(TypeError):
        NATIONAL.add_working_days(at(2026, 4, 28), 1)


# --- office time --------------------------------------------------------------------------------


def test_working_seconds_count_office_hours_of_working_days_only() -> None:
    # Wednesday 16:00 -> Monday 4/5 08:30 across the 30/4-1/5 break: 1 h + 1 h.
    assert NATIONAL.working_seconds_between(at(2026, 4, 29, 16), at(2026, 5, 4, 8, 30)) == 7200
    assert NATIONAL.working_seconds_between(at(2026, 5, 4, 8, 30), at(2026, 4, 29, 16)) == -7200
    # Before opening and after closing count nothing; a full day is 9 h 30.
    assert NATIONAL.working_seconds_between(at(2026, 4, 28, 5), at(2026, 4, 28, 20)) == 34200
    assert NATIONAL.working_seconds_between(at(2026, 4, 28, 17, 30), at(2026, 4, 29, 7)) == 0
    assert NATIONAL.working_seconds_between(at(2026, 4, 25, 9), at(2026, 4, 25, 11)) == 0
    # One week of Tết 2026 plus the days around it: Friday 13/2 15:00 -> Monday 23/2 09:00.
    assert NATIONAL.working_seconds_between(at(2026, 2, 13, 15), at(2026, 2, 23, 9)) == 12600
    utc = datetime(2026, 4, 28, 1, 0, tzinfo=UTC)  # 08:00 in Hà Nội
    assert NATIONAL.working_seconds_between(utc, at(2026, 4, 28, 9)) == 3600


def test_working_seconds_refuse_naive_moments() -> None:
    with pytest.raises(CalendarError) as error:
        NATIONAL.working_seconds_between(datetime(2026, 4, 28, 8), at(2026, 4, 28, 9))  # noqa: DTZ001
    assert error.value.code == "calendar.naive_datetime"


def test_parse_day_takes_iso_and_vietnamese_forms_and_refuses_the_rest() -> None:
    assert parse_day("2026-04-30") == D(2026, 4, 30)
    assert parse_day(" 30/04/2026 ") == D(2026, 4, 30)
    assert parse_day("2/9/2026") == D(2026, 9, 2)
    for bad in ("2026-02-30", "30-04-2026", "", "20260430", "2026-4-30x"):
        with pytest.raises(CalendarError) as error:
            parse_day(bad)
        assert error.value.code == "calendar.bad_date"


# --- properties ---------------------------------------------------------------------------------

any_day = st.dates(min_value=D(2025, 1, 1), max_value=D(2029, 12, 31))
steps = st.integers(min_value=1, max_value=400)
moves = st.integers(min_value=-300, max_value=300)


def oracle_is_working(day: date, overrides: dict[date, OverrideDay]) -> bool:
    """The rule written independently, day by day, straight from the package."""
    if day in overrides:
        return overrides[day].kind == "working_day"
    table = holidays.country_holidays("VN", years=day.year)
    if day in {d for d in table.weekend_workdays if d.year == day.year}:
        return True
    if day in table:
        return False
    return day.weekday() < 5


PROVINCE_OVERRIDES = {o.day: o for o in (SWAP_DAY_OFF, SWAP_WORKING, PROVINCE_DAY)}


@hypothesis_settings(max_examples=150, deadline=None)
@given(any_day)
def test_property_is_working_day_matches_the_rule_and_describe(day: date) -> None:
    expected = oracle_is_working(day, PROVINCE_OVERRIDES)
    assert PROVINCE.is_working_day(day) is expected
    assert PROVINCE.describe(day).is_working is expected


@hypothesis_settings(max_examples=150, deadline=None)
@given(any_day, st.integers(min_value=-30, max_value=30))
def test_property_add_matches_stepping_day_by_day(day: date, n: int) -> None:
    step = 1 if n >= 0 else -1
    found, current = 0, day
    if n == 0:
        while not PROVINCE.is_working_day(current):
            current += timedelta(1)
    while found < abs(n):
        current += timedelta(step)
        found += PROVINCE.is_working_day(current)
    assert PROVINCE.add_working_days(day, n) == current


@hypothesis_settings(max_examples=300, deadline=None)
@given(any_day, moves)
def test_property_add_lands_on_a_working_day_on_the_right_side(day: date, n: int) -> None:
    result = PROVINCE.add_working_days(day, n)
    assert PROVINCE.is_working_day(result)
    if n > 0:
        assert result > day
    elif n < 0:
        assert result < day
    else:
        assert result >= day


@hypothesis_settings(max_examples=300, deadline=None)
@given(any_day, steps)
def test_property_between_counts_back_what_add_moved(day: date, n: int) -> None:
    assert PROVINCE.working_days_between(day, PROVINCE.add_working_days(day, n)) == n
    result = PROVINCE.add_working_days(day, -n)
    if PROVINCE.is_working_day(day):
        assert PROVINCE.working_days_between(day, result) == -n
    assert PROVINCE.working_days_between(result, day) == -PROVINCE.working_days_between(day, result)


@hypothesis_settings(max_examples=300, deadline=None)
@given(any_day, any_day, moves)
def test_property_add_is_monotonic(first: date, second: date, n: int) -> None:
    low, high = sorted((first, second))
    assert PROVINCE.add_working_days(low, n) <= PROVINCE.add_working_days(high, n)


@hypothesis_settings(max_examples=300, deadline=None)
@given(any_day, moves, moves)
def test_property_add_composes_from_a_working_day(day: date, a: int, b: int) -> None:
    start = PROVINCE.add_working_days(day, 0)
    assert PROVINCE.add_working_days(PROVINCE.add_working_days(start, a), b) == (
        PROVINCE.add_working_days(start, a + b)
    )


moments = st.datetimes(
    min_value=datetime(2025, 1, 1),  # noqa: DTZ001
    max_value=datetime(2029, 6, 30),  # noqa: DTZ001
    timezones=st.sampled_from([HCM, UTC]),
).map(lambda moment: moment.replace(microsecond=0))


@hypothesis_settings(max_examples=300, deadline=None)
@given(moments, st.integers(min_value=0, max_value=120))
def test_property_deadline_matches_the_written_rule(received_at: datetime, n: int) -> None:
    local = received_at.astimezone(HCM)
    deemed = local.date()
    if not PROVINCE.is_working_day(deemed) or local.time() >= time(17):
        deemed = PROVINCE.add_working_days(deemed, 1)
    result = PROVINCE.deadline(received_at, n)
    assert result == PROVINCE.add_working_days(deemed, n)
    assert PROVINCE.working_days_between(deemed, result) == n
    assert result > local.date() or (n == 0 and result == local.date())


@hypothesis_settings(max_examples=200, deadline=None)
@given(moments, moments, moments)
def test_property_working_seconds_add_up_and_stay_within_elapsed_time(
    a: datetime, b: datetime, c: datetime
) -> None:
    first, middle, last = sorted((a, b, c))
    whole = PROVINCE.working_seconds_between(first, last)
    assert whole == PROVINCE.working_seconds_between(
        first, middle
    ) + PROVINCE.working_seconds_between(middle, last)
    assert 0 <= whole <= (last - first).total_seconds()
    assert PROVINCE.working_seconds_between(last, first) == -whole


@hypothesis_settings(max_examples=100, deadline=None)
@given(any_day)
def test_property_a_working_day_holds_exactly_the_office_hours(day: date) -> None:
    opening = datetime.combine(day, time(0), tzinfo=HCM)
    seconds = PROVINCE.working_seconds_between(opening, opening + timedelta(days=1))
    assert seconds == (34200 if PROVINCE.is_working_day(day) else 0)


# --- the installation's calendar, its overrides and its cache ------------------------------------


@pytest.mark.django_db
def test_override_set_reaches_get_calendar_and_delete_restores_the_national_rule() -> None:
    assert get_calendar().is_working_day(D(2026, 10, 13)) is True
    override = calendar_override_set(
        day=D(2026, 10, 13), kind="holiday", name="  Ngày thành lập tỉnh  ", legal_basis="NQ 5"
    )
    assert (override.kind, override.name, override.legal_basis) == (
        "holiday",
        "Ngày thành lập tỉnh",
        "NQ 5",
    )
    calendar = get_calendar()
    assert calendar.is_working_day(D(2026, 10, 13)) is False
    assert calendar.describe(D(2026, 10, 13)).legal_basis == "NQ 5"
    assert calendar.deadline(at(2026, 10, 12), 1) == D(2026, 10, 14)

    calendar_override_delete(day=D(2026, 10, 13))
    assert CalendarOverride.objects.count() == 0
    assert get_calendar().is_working_day(D(2026, 10, 13)) is True


@pytest.mark.django_db
def test_override_set_replaces_the_row_of_the_same_day() -> None:
    calendar_override_set(day=D(2026, 1, 2), kind="day_off", name="Nghỉ hoán đổi")
    calendar_override_set(day=D(2026, 1, 2), kind="working_day", name="Đi làm bình thường")
    rows = list(CalendarOverride.objects.values_list("day", "kind", "name"))
    assert rows == [(D(2026, 1, 2), "working_day", "Đi làm bình thường")]
    assert get_calendar().is_working_day(D(2026, 1, 2)) is True


@pytest.mark.django_db
def test_override_set_refuses_bad_input_and_writes_nothing() -> None:
    cases = [
        ({"kind": "vacation", "name": "x"}, "calendar.bad_kind"),
        ({"kind": "holiday", "name": "   "}, "calendar.bad_name"),
        ({"kind": "holiday", "name": "x" * 201}, "calendar.bad_name"),
        ({"kind": "holiday", "name": "x", "legal_basis": "y" * 201}, "calendar.bad_legal_basis"),
    ]
    for kwargs, code in cases:
        with pytest.raises(CalendarError) as error:
            calendar_override_set(day=D(2026, 3, 2), **kwargs)
        assert error.value.code == code
    with pytest.raises(CalendarError) as far:
        calendar_override_set(day=D(2100, 1, 4), kind="holiday", name="x")
    assert far.value.code == "calendar.out_of_range"
    assert CalendarOverride.objects.count() == 0


@pytest.mark.django_db
def test_override_delete_of_a_day_without_override_is_not_found() -> None:
    calendar_override_set(day=D(2026, 3, 2), kind="holiday", name="Giữ lại")
    with pytest.raises(CalendarOverrideNotFound) as error:
        calendar_override_delete(day=D(2026, 3, 3))
    assert error.value.code == "calendar.override_not_found"
    assert list(CalendarOverride.objects.values_list("day", flat=True)) == [D(2026, 3, 2)]


@pytest.mark.django_db
def test_database_refuses_an_unknown_kind_and_an_empty_name() -> None:
    for fields in ({"kind": "vacation", "name": "x"}, {"kind": "holiday", "name": ""}):
        with pytest.raises(IntegrityError), transaction.atomic():
            CalendarOverride.objects.create(day=D(2026, 3, 2), **fields)
    assert CalendarOverride.objects.count() == 0


@pytest.mark.django_db
def test_get_calendar_sees_writes_that_sent_no_signal_as_another_process_would() -> None:
    """bulk_create and update() send no signal: only the version key can notice them."""
    assert get_calendar().is_working_day(D(2026, 3, 2)) is True
    CalendarOverride.objects.bulk_create(
        [CalendarOverride(day=D(2026, 3, 2), kind="day_off", name="Nghỉ")]
    )
    assert get_calendar().is_working_day(D(2026, 3, 2)) is False
    CalendarOverride.objects.filter(day=D(2026, 3, 2)).update(
        kind="working_day", updated_at=timezone.now() + timedelta(seconds=1)
    )
    assert get_calendar().is_working_day(D(2026, 3, 2)) is True


@pytest.mark.django_db
def test_get_calendar_is_reused_with_one_version_query(django_assert_num_queries) -> None:  # type: ignore[no-untyped-def]
    clear_calendar_cache()
    with django_assert_num_queries(2):  # version + overrides
        first = get_calendar()
    with django_assert_num_queries(1):  # version only
        assert get_calendar() is first
    calendar_override_set(day=D(2026, 3, 2), kind="day_off", name="Nghỉ")
    assert get_calendar() is not first


@pytest.mark.django_db
def test_get_calendar_follows_the_settings(settings) -> None:  # type: ignore[no-untyped-def]
    settings.EGOV_INTAKE_CUTOFF = "15:00"
    assert get_calendar().deadline(at(2026, 4, 28, 15, 30), 1) == D(2026, 5, 4)
    settings.EGOV_INTAKE_CUTOFF = "17:00"
    assert get_calendar().deadline(at(2026, 4, 28, 15, 30), 1) == D(2026, 4, 29)
    settings.EGOV_OFFICE_OPENS = "08:00"
    settings.EGOV_OFFICE_CLOSES = "11:30"
    assert get_calendar().working_seconds_between(at(2026, 4, 28, 0), at(2026, 4, 29, 0)) == 12600


@pytest.mark.django_db
def test_get_calendar_refuses_a_bad_office_hour_setting(settings) -> None:  # type: ignore[no-untyped-def]
    settings.EGOV_OFFICE_OPENS = "7h30"
    with pytest.raises(ImproperlyConfigured, match="EGOV_OFFICE_OPENS"):
        get_calendar()

"""The working-day calendar, for integrations that compute legal deadlines themselves."""

from datetime import date

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from egov.api.schemas import LIST_ERRORS
from egov.core import calendar as working_calendar

router = Router(tags=["calendar"])


class DayOut(Schema):
    day: date
    is_working: bool
    source: str
    reason: str
    legal_basis: str


class DayQuery(Schema):
    date: str = Field(..., description="YYYY-MM-DD or DD/MM/YYYY", examples=["2026-04-30"])


class AddQuery(Schema):
    start: str = Field(..., description="YYYY-MM-DD or DD/MM/YYYY", examples=["2026-04-28"])
    days: int = Field(..., ge=-3660, le=3660, description="Working days to add (may be negative)")


class AddOut(Schema):
    start: date
    days: int
    result: date


@router.get("/day", response={200: DayOut, **LIST_ERRORS}, summary="Is this a working day")
def calendar_day(request: HttpRequest, query: Query[DayQuery]) -> DayOut:
    """Whether a day is a working day, which rule decided it and why (in the caller's language)."""
    info = working_calendar.get_calendar().describe(working_calendar.parse_day(query.date))
    return DayOut(
        day=info.day,
        is_working=info.is_working,
        source=str(info.source),
        reason=info.reason,
        legal_basis=info.legal_basis,
    )


@router.get("/add-working-days", response={200: AddOut, **LIST_ERRORS}, summary="Add working days")
def calendar_add_working_days(request: HttpRequest, query: Query[AddQuery]) -> AddOut:
    """The day that is `days` working days after `start` (the rule used for legal deadlines)."""
    start = working_calendar.parse_day(query.start)
    result = working_calendar.get_calendar().add_working_days(start, query.days)
    return AddOut(start=start, days=query.days, result=result)

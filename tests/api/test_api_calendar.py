"""The working-day calendar through the API."""

from __future__ import annotations

import pytest
from django.test import Client

from .conftest import Province
from .problems import assert_problem

pytestmark = pytest.mark.django_db


@pytest.fixture
def signed_in(client: Client, province: Province) -> Client:
    client.force_login(province.clerk.account)
    return client


def test_day_tells_a_holiday_from_a_working_day(signed_in: Client) -> None:
    holiday = signed_in.get("/api/v1/calendar/day", {"date": "2026-04-30"}).json()
    assert holiday["day"] == "2026-04-30"
    assert holiday["is_working"] is False
    assert holiday["source"] == "holiday"
    monday = signed_in.get("/api/v1/calendar/day", {"date": "04/05/2026"}).json()
    assert monday == {
        "day": "2026-05-04",
        "is_working": True,
        "source": "weekday",
        "reason": "Regular working day",
        "legal_basis": "",
    }


def test_add_working_days_skips_the_weekend(signed_in: Client) -> None:
    response = signed_in.get(
        "/api/v1/calendar/add-working-days", {"start": "2026-05-08", "days": 1}
    )
    assert response.json() == {"start": "2026-05-08", "days": 1, "result": "2026-05-11"}


def test_missing_and_out_of_range_parameters_are_422(signed_in: Client) -> None:
    missing = assert_problem(signed_in.get("/api/v1/calendar/day"), 422, "validation")
    assert [(e["location"], e["field"]) for e in missing["errors"]] == [("query", "date")]
    too_many = signed_in.get(
        "/api/v1/calendar/add-working-days", {"start": "2026-05-08", "days": 99999}
    )
    body = assert_problem(too_many, 422, "validation")
    assert [e["field"] for e in body["errors"]] == ["days"]


def test_calendar_needs_credentials(client: Client) -> None:
    assert_problem(
        client.get("/api/v1/calendar/day", {"date": "2026-05-04"}), 401, "not_authenticated"
    )

from datetime import date

import pytest

from egov.core.calendar import (
    CalendarOverrideNotFound,
    calendar_override_delete,
    calendar_override_set,
    get_calendar,
)
from egov.core.models import AuditEntry, CalendarOverride


@pytest.mark.django_db
def test_override_changes_are_audited_and_take_effect() -> None:
    day = date(2027, 2, 13)  # a Saturday made a working day
    assert get_calendar().is_working_day(day) is False
    calendar_override_set(day=day, kind="working_day", name="Làm bù Tết 2027")
    assert get_calendar().is_working_day(day) is True
    calendar_override_delete(day=day)
    assert get_calendar().is_working_day(day) is False
    entries = list(AuditEntry.objects.filter(object_type="core.calendaroverride"))
    assert [e.action for e in entries] == ["calendar.override_set", "calendar.override_delete"]
    assert entries[0].summary["after"]["kind"] == "working_day"
    assert entries[1].summary["before"]["name"] == "Làm bù Tết 2027"


@pytest.mark.django_db
def test_deleting_a_missing_override_writes_nothing() -> None:
    with pytest.raises(CalendarOverrideNotFound):
        calendar_override_delete(day=date(2027, 3, 1))
    assert AuditEntry.objects.count() == 0
    assert CalendarOverride.objects.count() == 0

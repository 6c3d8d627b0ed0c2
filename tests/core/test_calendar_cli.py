"""`egov calendar …`: exit codes, output and errors of the operators' calendar command."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import translation

from egov.core.calendar import calendar_override_set


def run(*args: str) -> tuple[int, str, str]:
    """Run the command in English (msgids) and return (exit code, stdout, stderr)."""
    out, err = StringIO(), StringIO()
    code = 0
    with translation.override("en"):
        try:
            call_command("calendar", *args, stdout=out, stderr=err)
        except SystemExit as exit_:
            code = int(exit_.code or 0)
    return code, out.getvalue(), err.getvalue()


@pytest.mark.django_db
def test_is_working_day_exits_1_on_a_holiday_and_says_which() -> None:
    assert run("is-working-day", "2026-04-30") == (
        1,
        "30/04/2026 (Thursday) is not a working day: Liberation Day/Reunification Day\n",
        "",
    )


@pytest.mark.django_db
def test_is_working_day_exits_0_on_a_working_day() -> None:
    assert run("is-working-day", "29/04/2026") == (
        0,
        "29/04/2026 (Wednesday) is a working day: Regular working day\n",
        "",
    )
    assert run("is-working-day", "2026-08-22") == (
        0,
        "22/08/2026 (Saturday) is a working day: Make-up working day\n",
        "",
    )
    assert run("is-working-day", "2026-05-02") == (
        1,
        "02/05/2026 (Saturday) is not a working day: Saturday\n",
        "",
    )


@pytest.mark.django_db
def test_is_working_day_shows_an_override_with_its_legal_basis() -> None:
    calendar_override_set(
        day=date(2026, 10, 13),
        kind="holiday",
        name="Kỷ niệm ngày thành lập tỉnh",
        legal_basis="Nghị quyết 5/NQ-HĐND",
    )
    assert run("is-working-day", "2026-10-13") == (
        1,
        "13/10/2026 (Tuesday) is not a working day: Holiday: Kỷ niệm ngày thành lập tỉnh\n"
        "Legal basis: Nghị quyết 5/NQ-HĐND\n",
        "",
    )


@pytest.mark.django_db
def test_add_prints_the_iso_date_forward_and_backward() -> None:
    assert run("add", "2026-04-29", "1") == (0, "2026-05-04\n", "")
    assert run("add", "2026-05-04", "-1") == (0, "2026-04-29\n", "")
    assert run("add", "2026-02-13", "0") == (0, "2026-02-13\n", "")
    assert run("add", "2026-02-14", "+0") == (0, "2026-02-23\n", "")


@pytest.mark.django_db
def test_add_follows_an_override() -> None:
    calendar_override_set(day=date(2026, 5, 4), kind="day_off", name="Nghỉ thêm")
    assert run("add", "2026-04-29", "1") == (0, "2026-05-05\n", "")


FEBRUARY_2026 = """\
Working-day calendar, month 02/2026
  Mo   Tu   We   Th   Fr   Sa   Su
                                 1*
   2    3    4    5    6    7*   8*
   9   10   11   12   13   14*  15*
  16*  17*  18*  19*  20*  21*  22*
  23   24   25   26   27   28*

* day off (weekend, holiday or override); + working weekend day
Holidays and changed days:
  16/02 Monday: day off, Lunar New Year's Eve
  17/02 Tuesday: day off, Lunar New Year
  18/02 Wednesday: day off, Second Day of Lunar New Year
  19/02 Thursday: day off, Third Day of Lunar New Year
  20/02 Friday: day off, Fourth Day of Lunar New Year
Working days in the month: 15
"""


@pytest.mark.django_db
def test_show_prints_the_month_grid_with_days_off_and_a_legend() -> None:
    assert run("show", "2026-02") == (0, FEBRUARY_2026, "")


@pytest.mark.django_db
def test_show_marks_make_up_saturdays_and_overrides() -> None:
    calendar_override_set(
        day=date(2026, 8, 29), kind="working_day", name="Làm bù", legal_basis="CV 9"
    )
    code, out, err = run("show", "2026-08")
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[5] == "  17   18   19   20   21   22+  23*"
    assert lines[6] == "  24   25   26   27   28   29+  30*"
    assert lines[7] == "  31*"
    assert lines[10:] == [
        "Holidays and changed days:",
        "  22/08 Saturday: working, Make-up working day",
        "  29/08 Saturday: working, Make-up working day: Làm bù (CV 9)",
        "  31/08 Monday: day off, Day off (substituted from 08/22/2026)",
        "Working days in the month: 22",
    ]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((), "Missing or unknown action: use is-working-day DATE, add DATE N or show YYYY-MM."),
        (("is-working-day",), "Missing date: use YYYY-MM-DD (e.g. 2026-04-30)."),
        (
            ("is-working-day", "2026-02-30"),
            "Invalid date '2026-02-30': use YYYY-MM-DD (e.g. 2026-04-30) or DD/MM/YYYY.",
        ),
        (
            ("is-working-day", "2100-01-01"),
            "The working-day calendar covers the years 1995 to 2099 only.",
        ),
        (
            ("add", "2026-04-29", "one"),
            "Invalid number of working days 'one': use a whole number, e.g. 5 or -2.",
        ),
        (
            ("add", "2026-04-29"),
            "Invalid number of working days '': use a whole number, e.g. 5 or -2.",
        ),
        (
            ("add", "2099-12-01", "100"),
            "The working-day calendar covers the years 1995 to 2099 only.",
        ),
        (("show", "2026-13"), "Invalid month '2026-13': use YYYY-MM (e.g. 2026-02)."),
        (("show", "02/2026"), "Invalid month '02/2026': use YYYY-MM (e.g. 2026-02)."),
        (("show", "1990-01"), "The working-day calendar covers the years 1995 to 2099 only."),
    ],
)
def test_invalid_input_exits_2_with_a_message_on_stderr(
    args: tuple[str, ...], message: str
) -> None:
    assert run(*args) == (2, "", message + "\n")


@pytest.mark.sqlite
def test_egov_calendar_command_line_smoke(tmp_path: Path) -> None:
    """The real `egov` entry point on a freshly migrated SQLite file, in Vietnamese."""
    egov = Path(sys.executable).with_name("egov")
    env = {
        **os.environ,
        "EGOV_ENV": "test",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'calendar.sqlite3'}",
        "EGOV_VAR_DIR": str(tmp_path),
    }

    def egov_run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(egov), *args], env=env, capture_output=True, text=True, timeout=120, check=False
        )

    migrated = egov_run("migrate", "--no-input", "--skip-checks", "-v", "0")
    assert migrated.returncode == 0, migrated.stderr

    holiday = egov_run("calendar", "is-working-day", "2026-04-30")
    assert holiday.returncode == 1, holiday.stderr
    assert holiday.stdout.startswith("30/04/2026 (")
    assert holiday.stdout.rstrip().endswith(": Ngày Chiến thắng")

    working = egov_run("calendar", "is-working-day", "2026-04-29")
    assert working.returncode == 0, working.stderr

    added = egov_run("calendar", "add", "2026-04-29", "1")
    assert (added.returncode, added.stdout) == (0, "2026-05-04\n")

    bad = egov_run("calendar", "add", "2026-04-29", "x")
    assert bad.returncode == 2
    assert bad.stdout == ""
    assert "'x'" in bad.stderr

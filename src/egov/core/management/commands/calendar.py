"""`egov calendar …`: operators check the working-day calendar from the command line.

    egov calendar is-working-day 2026-04-30   exit 0 when working, 1 when not; prints why
    egov calendar add 2026-04-29 1            prints the resulting date (ISO); N may be negative
    egov calendar show 2026-02                a month grid with the days off and a legend

Invalid input prints a message on stderr and exits with code 2.
"""

from __future__ import annotations

import re
import sys
from datetime import date
from typing import Any, NoReturn

from django.core.management.base import BaseCommand, CommandParser
from django.utils.translation import gettext

from egov.core.calendar import (
    CalendarError,
    DayInfo,
    DaySource,
    WorkingCalendar,
    get_calendar,
    parse_day,
    weekday_name,
)

_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")
_INTEGER = re.compile(r"^[+-]?\d{1,7}$")

EXIT_WORKING = 0
EXIT_NOT_WORKING = 1
EXIT_BAD_INPUT = 2


class Command(BaseCommand):
    help = "Working-day calendar: is-working-day DATE (exit 0 or 1), add DATE N, show YYYY-MM."
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", metavar="{is-working-day,add,show}")
        check = actions.add_parser("is-working-day", help="is this day a working day?")
        check.add_argument("day", nargs="?", help="YYYY-MM-DD")
        add = actions.add_parser("add", help="add N working days to a day")
        add.add_argument("day", nargs="?", help="YYYY-MM-DD")
        add.add_argument("n", nargs="?", help="N")
        show = actions.add_parser("show", help="show one month")
        show.add_argument("month", nargs="?", help="YYYY-MM")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options.get("action")
        try:
            if action == "is-working-day":
                self._is_working_day(options.get("day"))
            elif action == "add":
                self._add(options.get("day"), options.get("n"))
            elif action == "show":
                self._show(options.get("month"))
            else:
                self._fail(
                    gettext(
                        "Missing or unknown action: use is-working-day DATE, add DATE N "
                        "or show YYYY-MM."
                    )
                )
        except CalendarError as error:
            self._fail(str(error.message))

    def _fail(self, message: str) -> NoReturn:
        self.stderr.write(message)
        sys.exit(EXIT_BAD_INPUT)

    def _day(self, value: str | None) -> date:
        if not value:
            self._fail(gettext("Missing date: use YYYY-MM-DD (e.g. 2026-04-30)."))
        return parse_day(value)

    def _is_working_day(self, value: str | None) -> None:
        day = self._day(value)
        info = get_calendar().describe(day)
        params = {"day": f"{day:%d/%m/%Y}", "weekday": weekday_name(day), "reason": info.reason}
        if info.is_working:
            message = gettext("%(day)s (%(weekday)s) is a working day: %(reason)s")
        else:
            message = gettext("%(day)s (%(weekday)s) is not a working day: %(reason)s")
        self.stdout.write(message % params)
        if info.legal_basis:
            self.stdout.write(gettext("Legal basis: %(basis)s") % {"basis": info.legal_basis})
        if not info.is_working:
            sys.exit(EXIT_NOT_WORKING)

    def _add(self, value: str | None, count: str | None) -> None:
        day = self._day(value)
        if count is None or not _INTEGER.match(count.strip()):
            self._fail(
                gettext(
                    "Invalid number of working days %(value)s: use a whole number, e.g. 5 or -2."
                )
                % {"value": repr(count or "")}
            )
        result = get_calendar().add_working_days(day, int(count))
        self.stdout.write(result.isoformat())

    def _show(self, value: str | None) -> None:
        match = _MONTH.match((value or "").strip())
        if not match or not 1 <= int(match.group(2)) <= 12:
            self._fail(
                gettext("Invalid month %(value)s: use YYYY-MM (e.g. 2026-02).")
                % {"value": repr(value or "")}
            )
        year, month = int(match.group(1)), int(match.group(2))
        calendar = get_calendar()
        days = calendar.month(year, month)
        self.stdout.write(render_month(calendar, year, month, days))


def render_month(calendar: WorkingCalendar, year: int, month: int, days: list[DayInfo]) -> str:
    """A month as text: a Monday-first grid, '*' on days off, '+' on working weekend days."""
    headers = (
        gettext("Mo"),
        gettext("Tu"),
        gettext("We"),
        gettext("Th"),
        gettext("Fr"),
        gettext("Sa"),
        gettext("Su"),
    )
    lines = [
        gettext("Working-day calendar, month %(month)s") % {"month": f"{month:02d}/{year}"},
        "".join(f"{header:>4} " for header in headers).rstrip(),
    ]
    cells = ["     "] * days[0].day.weekday()
    for info in days:
        if not info.is_working:
            mark = "*"
        elif info.day.weekday() >= 5:
            mark = "+"
        else:
            mark = " "
        cells.append(f"{info.day.day:>4}{mark}")
    lines.extend("".join(cells[start : start + 7]).rstrip() for start in range(0, len(cells), 7))
    lines.append("")
    lines.append(gettext("* day off (weekend, holiday or override); + working weekend day"))
    special = [info for info in days if info.source not in (DaySource.WEEKDAY, DaySource.WEEKEND)]
    if special:
        lines.append(gettext("Holidays and changed days:"))
        for info in special:
            status = gettext("working") if info.is_working else gettext("day off")
            line = f"  {info.day:%d/%m} {weekday_name(info.day)}: {status}, {info.reason}"
            if info.legal_basis:
                line += f" ({info.legal_basis})"
            lines.append(line)
    working = sum(1 for info in days if info.is_working)
    lines.append(gettext("Working days in the month: %(count)d") % {"count": working})
    return "\n".join(lines)

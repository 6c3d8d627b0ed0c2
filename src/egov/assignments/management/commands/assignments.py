"""`egov assignments …`: operator jobs on assignments.

egov assignments remind [--date YYYY-MM-DD]   the daily reminders of assignments due soon,
                                              due today and overdue (cron at 07:00 on every
                                              day; sends nothing on days off; idempotent)
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext

from egov.assignments.reminders import assignment_reminders_send


class Command(BaseCommand):
    help = "Assignment jobs: remind [--date YYYY-MM-DD]."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", metavar="{remind}")
        remind = actions.add_parser(
            "remind", help="e-mail the people concerned about assignments due soon or overdue"
        )
        remind.add_argument("--date", dest="day", help="the day to remind for (default: today)")

    def handle(self, *args: Any, **options: Any) -> None:
        if options.get("action") != "remind":
            raise CommandError("usage: egov assignments remind [--date YYYY-MM-DD]")
        day = None
        if options.get("day"):
            try:
                day = date.fromisoformat(options["day"])
            except ValueError as exc:
                raise CommandError(
                    gettext("Not a date (YYYY-MM-DD): %(value)s") % {"value": options["day"]}
                ) from exc
        run = assignment_reminders_send(today=day)
        self.stdout.write(str(run))

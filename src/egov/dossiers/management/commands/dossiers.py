"""`egov dossiers …`: operator jobs on dossiers.

    egov dossiers remind-overdue [--date YYYY-MM-DD]   the daily reminder of due and overdue
                                                       dossiers (cron at 07:00; idempotent per day)
    egov dossiers purge-uploads [--hours N]            forget online uploads nobody continued for
                                                       N hours (default 24; cron daily)

Runs as the system; the messages sent are on record as outbound messages and reminder logs.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext

from egov.dossiers.online_services import uploads_purge
from egov.dossiers.reminders import overdue_reminders_send


class Command(BaseCommand):
    help = "Dossier jobs: remind-overdue [--date YYYY-MM-DD], purge-uploads [--hours N]."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", metavar="{remind-overdue,purge-uploads}")
        remind = actions.add_parser(
            "remind-overdue", help="e-mail responsible officers and heads about due dossiers"
        )
        remind.add_argument("--date", dest="day", help="the day to remind for (default: today)")
        purge = actions.add_parser("purge-uploads", help="forget abandoned online uploads")
        purge.add_argument("--hours", type=int, default=24, help="idle hours (default 24)")

    def handle(self, *args: Any, **options: Any) -> None:
        if options.get("action") == "purge-uploads":
            hours = int(options["hours"])
            if hours < 1:
                raise CommandError("--hours must be at least 1")
            self.stdout.write(f"purged {uploads_purge(older_than_hours=hours)} upload(s)")
            return
        if options.get("action") != "remind-overdue":
            raise CommandError(
                "usage: egov dossiers remind-overdue [--date YYYY-MM-DD]"
                " | purge-uploads [--hours N]"
            )
        day = None
        if options.get("day"):
            try:
                day = date.fromisoformat(options["day"])
            except ValueError as exc:
                raise CommandError(
                    gettext("Not a date (YYYY-MM-DD): %(value)s") % {"value": options["day"]}
                ) from exc
        run = overdue_reminders_send(today=day)
        self.stdout.write(str(run))

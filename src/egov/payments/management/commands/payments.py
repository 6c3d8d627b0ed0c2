"""`egov manage payments …` (or `egov payments …` once the CLI passes it through).

    payments reconcile --day YYYY-MM-DD [--format csv|xlsx] [--output FILE]
                       [--statement GATEWAY.csv] [--fail-on-mismatch]

The daily reconciliation of our payments against the gateway's records (by default the local
sandbox's ledger; for the real gateway, its statement as CSV). Prints a summary; writes the
report to --output (default: payments-reconcile-YYYY-MM-DD.csv|xlsx in the current folder).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext

from egov.payments.reconcile import (
    reconciliation_csv,
    reconciliation_rows,
    reconciliation_xlsx,
    statement_from_csv,
)


class Command(BaseCommand):
    help = "Payment jobs: reconcile --day YYYY-MM-DD."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", metavar="{reconcile}")
        rec = actions.add_parser("reconcile", help="daily reconciliation against the gateway")
        rec.add_argument("--day", required=True, help="the Vietnam day, YYYY-MM-DD")
        rec.add_argument("--format", dest="fmt", choices=["csv", "xlsx"], default="csv")
        rec.add_argument("--output", help="file to write (default in the current folder)")
        rec.add_argument("--statement", help="the gateway's statement as CSV")
        rec.add_argument("--fail-on-mismatch", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        if options.get("action") != "reconcile":
            raise CommandError("usage: payments reconcile --day YYYY-MM-DD")
        try:
            day = date.fromisoformat(options["day"])
        except ValueError as exc:
            raise CommandError(
                gettext("Not a date (YYYY-MM-DD): %(value)s") % {"value": options["day"]}
            ) from exc
        statement = None
        if options.get("statement"):
            statement = statement_from_csv(Path(options["statement"]).read_text("utf-8-sig"))
        rows = reconciliation_rows(day, statement)
        fmt = options["fmt"]
        content = reconciliation_xlsx(rows, day) if fmt == "xlsx" else reconciliation_csv(rows)
        output = Path(options.get("output") or f"payments-reconcile-{day:%Y-%m-%d}.{fmt}")
        output.write_bytes(content)
        flagged = [r for r in rows if r.flag != "ok"]
        self.stdout.write(f"{day:%Y-%m-%d}: {len(rows)} rows, {len(flagged)} flagged -> {output}")
        for row in flagged:
            self.stdout.write(f"  {row.flag}: {row.txn_ref} {row.dossier_code}")
        if flagged and options.get("fail_on_mismatch"):
            raise CommandError(f"{len(flagged)} payments do not reconcile")

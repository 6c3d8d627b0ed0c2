"""`egov audit verify`: check the audit log's hash chain (exit 0 intact, 1 broken)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from egov.core.audit import audit_verify


class Command(BaseCommand):
    help = "Audit log tools. verify: check the hash chain, exit 1 at the first broken entry."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True, metavar="verify")
        verify = sub.add_parser("verify", help="check the hash chain of the audit log")
        verify.add_argument("--database", default="default", help="database alias")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["subcommand"] == "verify":
            result = audit_verify(using=options["database"])
            if result.ok:
                self.stdout.write(result.message)
                return
            self.stderr.write(result.message)
            raise SystemExit(1)

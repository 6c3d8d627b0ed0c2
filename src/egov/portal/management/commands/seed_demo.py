"""`egov seed-demo`: load (or restore) the demo province and print the demo sign-ins.

It lives in the top layer because it composes the apps' own seeds: the directory's province
first, then the catalogue of procedures that points at its organisations.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from egov.directory.demo import DemoLogin, demo_seed
from egov.documents.demo import documents_seed_demo
from egov.procedures.services import procedures_seed_demo


def format_logins(logins: list[DemoLogin]) -> str:
    """A plain-text table that reads well in a terminal and in a README."""
    header = ("user name", "password", "TOTP secret", "role", "where")
    rows = [header] + [
        (x.username, x.password, x.totp_secret or "-", x.who, x.where) for x in logins
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = []
    for index, row in enumerate(rows):
        lines.append("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip())
        if index == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


class Command(BaseCommand):
    help = "Load the demo province (Quảng Ngãi) with officers and applicants; safe to re-run."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--quiet", action="store_true", help="do not print the table of demo sign-ins"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        result = demo_seed()
        catalogue = procedures_seed_demo()
        documents = documents_seed_demo()
        procedures = len(catalogue.created) + len(catalogue.revised) + len(catalogue.unchanged)
        self.stdout.write(
            f"Demo province ready: {result.organizations} organisations and units "
            f"({result.communes} communes), {result.officers} officers, "
            f"{result.applicants} applicants, {procedures} procedures, "
            f"document registers for {documents['organizations_given_registers']} "
            f"organisations ({documents['incoming_documents_created']} new incoming documents)."
        )
        if options["quiet"]:
            return
        self.stdout.write("")
        self.stdout.write("Demo sign-ins (officers: /dang-nhap/, citizens: /cong-dan/dang-nhap/):")
        self.stdout.write(format_logins(result.logins))
        self.stdout.write("")
        self.stdout.write(
            'TOTP: add the secret to an authenticator app (or: python -c "import pyotp; '
            "print(pyotp.TOTP('SECRET').now())\"). phochanhvp.vpubnd sets up TOTP at first sign-in."
        )

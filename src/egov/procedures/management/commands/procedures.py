"""`egov procedures …`: load and save the catalogue of procedures.

    egov procedures import FILE                   JSON (egov.procedures/1) or .xlsx; all or nothing
    egov procedures export --format json OUT      the latest version of every procedure
    egov procedures export --format xlsx OUT
    egov procedures seed-demo                     the demo catalogue (needs `egov seed-demo`)

Runs as the system (operators with shell access); the audit log records it. A refused import
prints every bad row (sheet, row, column, reason) on stderr and exits with code 2.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext

from egov.procedures import selectors, services
from egov.procedures.spreadsheet import import_document_from_xlsx, workbook_from_dicts

EXIT_REFUSED = 2


class Command(BaseCommand):
    help = "Catalogue of procedures: import FILE, export --format json|xlsx OUT, seed-demo."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", metavar="{import,export,seed-demo}")
        load = actions.add_parser("import", help="import a JSON or xlsx file")
        load.add_argument("file")
        save = actions.add_parser("export", help="export the catalogue")
        save.add_argument("--format", choices=["json", "xlsx"], default="json")
        save.add_argument("out")
        actions.add_parser("seed-demo", help="load the demo catalogue")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options.get("action")
        if action == "import":
            self._import(Path(options["file"]))
        elif action == "export":
            self._export(options["format"], Path(options["out"]))
        elif action == "seed-demo":
            self._report(services.procedures_seed_demo())
        else:
            raise CommandError(
                "usage: egov procedures {import FILE|export --format F OUT|seed-demo}"
            )

    def _import(self, path: Path) -> None:
        if not path.is_file():
            raise CommandError(gettext("No such file: %(path)s") % {"path": path})
        try:
            if path.suffix.lower() == ".xlsx":
                with path.open("rb") as stream:
                    document = import_document_from_xlsx(stream)
            else:
                try:
                    payload = json.loads(path.read_text(encoding="utf-8"))
                except (ValueError, UnicodeDecodeError) as exc:
                    raise CommandError(gettext("The file is not valid JSON.")) from exc
                document = services.import_document_from_json(payload)
            result = services.procedures_import(actor=None, document=document, as_system=True)
        except services.ImportRefused as refused:
            self.stderr.write(str(refused.message))
            for problem in refused.problems:
                self.stderr.write(str(problem))
            sys.exit(EXIT_REFUSED)
        self._report(result)

    def _report(self, result: services.ImportResult) -> None:
        self.stdout.write(
            gettext(
                "Procedures: %(created)d created, %(revised)d revised, %(unchanged)d unchanged, "
                "%(published)d published."
            )
            % {
                "created": len(result.created),
                "revised": len(result.revised),
                "unchanged": len(result.unchanged),
                "published": len(result.published),
            }
        )

    def _export(self, fmt: str, out: Path) -> None:
        document = selectors.procedures_export()
        if fmt == "xlsx":
            out.write_bytes(workbook_from_dicts(document["fields"], document["procedures"]))
        else:
            out.write_text(
                json.dumps(document, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
            )
        self.stdout.write(
            gettext("Exported %(n)d procedures to %(path)s.")
            % {"n": len(document["procedures"]), "path": out}
        )

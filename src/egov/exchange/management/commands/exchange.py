"""`egov exchange …`: operators debug edXML packages from the command line.

egov exchange parse FILE.edxml            print the package's header, trace and attachments
                                          (name, type, size, SHA-256; never the content) as
                                          JSON; exit non-zero with the reason when invalid
egov exchange build DOCUMENT_ID OUT.edxml write the package of an issued outgoing document
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext

from egov.core.errors import EgovError
from egov.documents.models import Document
from egov.exchange.edxml import MAX_PACKAGE_BYTES, edxml_build, edxml_parse, package_to_dict

USAGE = "usage: egov exchange parse FILE.edxml | build DOCUMENT_ID OUT.edxml"


class Command(BaseCommand):
    help = "edXML packages: parse FILE.edxml | build DOCUMENT_ID OUT.edxml."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", metavar="{parse,build}")
        parse = actions.add_parser("parse", help="check a package and print it as JSON")
        parse.add_argument("file", help="the .edxml file")
        build = actions.add_parser("build", help="write the package of an issued document")
        build.add_argument("document_id", type=int, help="the outgoing document's id")
        build.add_argument("out", help="the .edxml file to write")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options.get("action")
        if action == "parse":
            self._parse(Path(options["file"]))
        elif action == "build":
            self._build(options["document_id"], Path(options["out"]))
        else:
            raise CommandError(USAGE)

    def _parse(self, path: Path) -> None:
        try:
            with path.open("rb") as handle:
                data = handle.read(MAX_PACKAGE_BYTES + 1)
        except OSError as exc:
            raise CommandError(
                gettext("Cannot read %(file)s: %(reason)s")
                % {"file": path, "reason": exc.strerror or exc}
            ) from exc
        try:
            package = edxml_parse(data)
        except EgovError as exc:
            raise CommandError(f"{exc.code}: {exc.message}") from exc
        self.stdout.write(json.dumps(package_to_dict(package), ensure_ascii=False, indent=2))

    def _build(self, document_id: int, out: Path) -> None:
        document = (
            Document.objects.select_related("organization", "document_type", "reply_to")
            .filter(pk=document_id)
            .first()
        )
        if document is None:
            raise CommandError(gettext("No document with id %(id)s.") % {"id": document_id})
        try:
            data = edxml_build(document)
        except EgovError as exc:
            raise CommandError(f"{exc.code}: {exc.message}") from exc
        try:
            out.write_bytes(data)
        except OSError as exc:
            raise CommandError(
                gettext("Cannot write %(file)s: %(reason)s")
                % {"file": out, "reason": exc.strerror or exc}
            ) from exc
        self.stdout.write(
            gettext("Wrote %(file)s (%(size)s bytes).") % {"file": out, "size": len(data)}
        )

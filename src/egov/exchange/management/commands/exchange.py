"""`egov exchange …`: operators debug edXML packages from the command line.

egov exchange parse FILE.edxml            print the package's header, trace and attachments
                                          (name, type, size, SHA-256; never the content) as
                                          JSON; exit non-zero with the reason when invalid
egov exchange build DOCUMENT_ID OUT.edxml write the package of an issued outgoing document
egov exchange deliver [--loop] [--wait]   send the outbox messages due now (cron, systemd,
                                          tests); --loop repeats until none is due, --wait
                                          also waits for retries until the outbox is empty
                                          or --max-seconds passed
egov exchange status [--json]             the outbox and inbox with their states
egov exchange key                         print this installation's key id and public key
egov exchange peer NAME --endpoint URL --codes C1,C2 --key-id ID --secret S
                   [--public-key B64] [--connector direct|hub] [--disable]
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from django.utils.translation import gettext

from egov.core.errors import EgovError
from egov.documents.models import Document
from egov.exchange.edxml import MAX_PACKAGE_BYTES, edxml_build, edxml_parse, package_to_dict
from egov.exchange.selectors import inbox_list, outbox_list, outbox_next_attempt
from egov.exchange.services import (
    DrainResult,
    local_key_ensure,
    outbox_deliver_due,
    peer_save,
)

USAGE = (
    "usage: egov exchange parse FILE.edxml | build DOCUMENT_ID OUT.edxml | deliver | status"
    " | key | peer NAME …"
)


class Command(BaseCommand):
    help = "edXML exchange: parse, build, deliver, status, key, peer."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(
            dest="action", metavar="{parse,build,deliver,status,key,peer}"
        )
        parse = actions.add_parser("parse", help="check a package and print it as JSON")
        parse.add_argument("file", help="the .edxml file")
        build = actions.add_parser("build", help="write the package of an issued document")
        build.add_argument("document_id", type=int, help="the outgoing document's id")
        build.add_argument("out", help="the .edxml file to write")
        deliver = actions.add_parser("deliver", help="send the outbox messages due now")
        deliver.add_argument("--loop", action="store_true", help="repeat until none is due")
        deliver.add_argument(
            "--wait", action="store_true", help="also wait for retries until the outbox is empty"
        )
        deliver.add_argument("--max-seconds", type=float, default=600.0)
        deliver.add_argument("--limit", type=int, default=100, help="messages per round")
        state = actions.add_parser("status", help="list the outbox and the inbox")
        state.add_argument("--json", action="store_true", help="print JSON")
        state.add_argument("--limit", type=int, default=200)
        actions.add_parser("key", help="print this installation's signing key")
        peer = actions.add_parser("peer", help="create or update a peer")
        peer.add_argument("name")
        peer.add_argument("--endpoint", required=True)
        peer.add_argument("--codes", required=True, help="organisation codes, comma separated")
        peer.add_argument("--key-id", required=True)
        peer.add_argument("--secret", required=True)
        peer.add_argument("--public-key", default="")
        peer.add_argument("--connector", default="direct", choices=["direct", "hub"])
        peer.add_argument("--disable", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options.get("action")
        if action == "parse":
            self._parse(Path(options["file"]))
        elif action == "build":
            self._build(options["document_id"], Path(options["out"]))
        elif action == "deliver":
            self._deliver(options)
        elif action == "status":
            self._status(as_json=options["json"], limit=options["limit"])
        elif action == "key":
            key = local_key_ensure()
            self.stdout.write(json.dumps({"key_id": key.key_id, "public_key": key.public_key}))
        elif action == "peer":
            try:
                saved = peer_save(
                    name=options["name"],
                    endpoint_url=options["endpoint"],
                    org_codes=options["codes"].split(","),
                    key_id=options["key_id"],
                    secret=options["secret"],
                    public_key=options["public_key"],
                    connector=options["connector"],
                    enabled=not options["disable"],
                )
            except EgovError as exc:
                raise CommandError(f"{exc.code}: {exc.message}") from exc
            self.stdout.write(gettext("Peer %(name)s saved.") % {"name": saved.name})
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

    def _deliver(self, options: dict[str, Any]) -> None:
        """Drain the outbox: one round, or rounds until nothing is due (--loop), or until the
        outbox holds nothing waiting at all, sleeping until the next retry (--wait)."""
        result = DrainResult()
        deadline = time.monotonic() + options["max_seconds"]
        while True:
            before = result.attempted
            outbox_deliver_due(limit=options["limit"], result=result)
            if not (options["loop"] or options["wait"]) or time.monotonic() > deadline:
                break
            if result.attempted > before:
                continue
            if not options["wait"]:
                break
            due = outbox_next_attempt(now=timezone.now())
            if due is None:
                break
            pause = (due - timezone.now()).total_seconds()
            time.sleep(min(max(pause, 0.05), 1.0, max(deadline - time.monotonic(), 0)))
        self.stdout.write(json.dumps(result.counts, sort_keys=True))

    def _status(self, *, as_json: bool, limit: int) -> None:
        outbox: list[dict[str, Any]] = [
            {
                "id": m.pk,
                "kind": m.kind,
                "message_id": str(m.message_id),
                "to": m.to_code,
                "document_id": m.document_key,
                "status_code": m.status_code,
                "state": m.state,
                "attempts": m.attempts,
                "next_attempt_at": m.next_attempt_at.isoformat(),
                "verdict": m.verdict,
                "last_error": m.last_error,
            }
            for m in outbox_list(limit=limit)
        ]
        inbox: list[dict[str, Any]] = [
            {
                "id": m.pk,
                "kind": m.kind,
                "message_id": m.message_id,
                "from": m.sender_code,
                "to": m.recipient_code,
                "document_id": m.document_key,
                "status_code": m.status_code,
                "state": m.state,
                "reason": m.reason,
                "document": m.document_id,
                "received_at": m.received_at.isoformat(),
            }
            for m in inbox_list(limit=limit)
        ]
        if as_json:
            self.stdout.write(json.dumps({"outbox": outbox, "inbox": inbox}, ensure_ascii=False))
            return
        self.stdout.write(gettext("Outbox"))
        self.stdout.write(
            f"{'id':>6}  {'kind':8}  {'to':15}  {'state':8}  {'tries':>5}  document / error"
        )
        for row in outbox:
            detail = row["last_error"] or row["document_id"]
            self.stdout.write(
                f"{row['id']:>6}  {row['kind']:8}  {row['to']:15}  {row['state']:8}  "
                f"{row['attempts']:>5}  {str(detail)[:60]}"
            )
        self.stdout.write("")
        self.stdout.write(gettext("Inbox"))
        self.stdout.write(
            f"{'id':>6}  {'kind':8}  {'from':15}  {'state':11}  code  document / reason"
        )
        for row in inbox:
            detail = row["reason"] or row["document_id"]
            self.stdout.write(
                f"{row['id']:>6}  {row['kind']:8}  {row['from']:15}  {row['state']:11}  "
                f"{row['status_code']:4}  {str(detail)[:60]}"
            )

"""The remote control of one platform instance in the two-installation tests (not a test).

Run as a process with the instance's environment (DATABASE_URL, EGOV_VAR_DIR,
DJANGO_SETTINGS_MODULE=exchange_instance_settings); it reads one JSON command per line on
stdin and answers one JSON line on stdout. Each command calls the platform's own services, as
the clerk, head or officer of the instance would through the screens.
"""

from __future__ import annotations

import importlib.util
import json
import os
import sys
import traceback
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent


def _load(name: str, path: Path) -> Any:
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, path)
        assert spec is not None
        assert spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


def main() -> None:  # noqa: C901 - one dispatcher
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "exchange_instance_settings")
    import django

    django.setup()
    factories = _load("directory_factories", HERE.parent / "directory" / "factories.py")
    support = _load("exchange_support", HERE / "exchange_support.py")

    from django.utils import timezone

    from egov.directory.models import Officer, Organization, Role, Scope
    from egov.documents.doctypes import document_types_ensure
    from egov.documents.models import Delivery, Document, Route, State
    from egov.documents.services import incoming
    from egov.documents.services.registers import registers_ensure_default
    from egov.exchange import services
    from egov.exchange.models import InboxMessage, OutboxMessage

    world: dict[str, Any] = {}

    def officer(name: str) -> Officer:
        return Officer.objects.get(pk=world[name])

    def init(role: str, code: str, qcvn: str, name: str) -> dict[str, Any]:
        document_types_ensure()
        root = Organization.objects.filter(code="H51").first() or factories.OrganizationFactory(
            code="H51", committee=True, name_vi="Tỉnh Quảng Ngãi"
        )
        org = factories.OrganizationFactory(
            code=code,
            qcvn_code=qcvn,
            parent=root,
            committee=role == "A",
            name_vi=name,
            abbreviation="UBND" if role == "A" else "SXD",
        )
        unit = factories.OrganizationFactory(
            code=f"{code}.01", parent=org, unit=True, name_vi="Văn phòng", abbreviation="VP"
        )
        registers_ensure_default(org)
        world["org"] = org.pk
        world["clerk"] = factories.OfficerFactory(
            unit=unit, roles=[(Role.CLERK, Scope.ORGANIZATION)]
        ).pk
        world["head"] = factories.OfficerFactory(
            unit=org, full_name="Trần Phước Hiền", roles=[(Role.HEAD, Scope.ORGANIZATION)]
        ).pk
        world["officer"] = factories.OfficerFactory(
            unit=unit, roles=[(Role.OFFICER, Scope.UNIT)]
        ).pk
        if role == "A":
            world["keys"] = support.make_keys(org, officer("head"))
        key = services.local_key_ensure()
        return {"public_key": key.public_key}

    def issue(recipients_text: str, appendix_bytes: int = 0, count: int = 1) -> dict[str, Any]:
        org = Organization.objects.get(pk=world["org"])
        made = []
        for number in range(count):
            document = support.signed_document(
                org,
                officer("clerk"),
                world["keys"],
                recipients_text=recipients_text,
                subject=f"Kế hoạch số {number + 1} về chuyển đổi số",
                appendix_bytes=appendix_bytes,
            )
            done = support.issue(document, officer("clerk"), world["keys"])
            made.append(done.pk)
        return {"documents": made}

    def delivery_states() -> dict[str, Any]:
        return {
            "deliveries": [
                [d.document_id, d.recipient_code, d.state]
                for d in Delivery.objects.filter(channel="exchange").order_by("pk")
            ]
        }

    def counts() -> dict[str, Any]:
        return {
            "incoming": list(
                Document.objects.filter(direction="incoming")
                .order_by("pk")
                .values_list("pk", "state", "code_number")
            ),
            "inbox": list(
                InboxMessage.objects.order_by("pk").values_list("kind", "state", "status_code")
            ),
            "outbox": list(
                OutboxMessage.objects.order_by("pk").values_list("kind", "state", "status_code")
            ),
        }

    def register(document: int) -> dict[str, Any]:
        doc = Document.objects.get(pk=document)
        incoming.document_register_arrived(
            actor=officer("clerk").account, document=doc, expected_version=doc.version
        )
        return {"ok": True}

    def direct(document: int) -> dict[str, Any]:
        doc = Document.objects.get(pk=document)
        incoming.document_direct(
            actor=officer("head").account,
            document=doc,
            direction_text="Giao chuyên viên tham mưu",
            lead_officer=officer("officer"),
            expected_version=doc.version,
        )
        return {"ok": True}

    def complete(document: int) -> dict[str, Any]:
        route = Route.objects.get(document_id=document, role=Route.Role.LEAD)
        incoming.route_complete(
            actor=officer("officer").account, route=route, result_note="Đã hoàn thành"
        )
        return {"ok": True, "state": Document.objects.get(pk=document).state}

    def resend_all() -> dict[str, Any]:
        """Pretend every sent package was never acknowledged (a lost answer)."""
        changed = OutboxMessage.objects.filter(kind="package", state="sent").update(
            state="queued", next_attempt_at=timezone.now()
        )
        return {"requeued": changed}

    def deliver_loop() -> dict[str, int]:
        result = services.DrainResult()
        while True:
            before = result.attempted
            services.outbox_deliver_due(limit=500, result=result)
            if result.attempted == before:
                return result.counts

    def due_now() -> dict[str, Any]:
        return {
            "due": OutboxMessage.objects.filter(state="failed").update(
                next_attempt_at=timezone.now()
            )
        }

    commands = {
        "deliver_loop": deliver_loop,
        "due_now": due_now,
        "payload_of_first": lambda: {
            "hex": bytes(OutboxMessage.objects.order_by("pk").first().payload).hex()  # type: ignore[union-attr]
        },
        "init": init,
        "peer": lambda **kw: {"peer": services.peer_save(**kw).pk},
        "issue": issue,
        "deliver": lambda limit=500: services.outbox_deliver_due(limit=limit).counts,
        "deliveries": delivery_states,
        "counts": counts,
        "register": register,
        "direct": direct,
        "complete": complete,
        "resend_all": resend_all,
        "arrived": lambda: {
            "documents": list(
                Document.objects.filter(direction="incoming", state=State.ARRIVED)
                .order_by("pk")
                .values_list("pk", flat=True)
            )
        },
    }
    sys.stdout.write(json.dumps({"ready": True}) + "\n")
    sys.stdout.flush()
    for line in sys.stdin:
        if not line.strip():
            continue
        request = json.loads(line)
        try:
            answer = {"ok": True, "result": commands[request["cmd"]](**request.get("args", {}))}
        except Exception as exc:  # the test prints it
            answer = {
                "ok": False,
                "error": f"{type(exc).__name__}: {exc}",
                "trace": traceback.format_exc(),
            }
        sys.stdout.write(json.dumps(answer, default=str) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()

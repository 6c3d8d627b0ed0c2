"""Registers for a period as xlsx and PDF: the decree's minimum columns, read back."""

from __future__ import annotations

import io
import subprocess
from datetime import date, datetime
from pathlib import Path

from django.test import Client
from django.urls import reverse
from documents_support import DocWorld, vn
from openpyxl import load_workbook

from egov.core.models import AuditEntry
from egov.documents import exports
from egov.documents.models import Delivery, Direction, Document, Route, State


def incoming(world: DocWorld, number: int, arrived: datetime, **extra: object) -> Document:
    values: dict[str, object] = {
        "organization": world.committee,
        "direction": Direction.INCOMING,
        "state": State.IN_PROCESS,
        "channel": Document.Channel.PAPER,
        "register": world.incoming,
        "register_year": arrived.year,
        "register_number": number,
        "document_type": world.doc_type("cong-van"),
        "code_number": "45",
        "code_notation": "SXD-QLXD",
        "issued_on": date(2026, 2, 27),
        "issuer_name": "Sở Xây dựng",
        "subject": "Hướng dẫn cấp giấy phép xây dựng",
        "arrived_at": arrived,
        "due_on": date(2026, 3, 16),
        "created_by": world.clerk.account,
    }
    values.update(extra)
    return Document.objects.create(**values)


def world_with_documents(world: DocWorld) -> tuple[Document, Document, Document]:
    first = incoming(world, 1, vn(2026, 3, 2, 8, 30))
    Route.objects.create(
        document=first,
        role=Route.Role.HEAD,
        officer=world.head,
        sent_by=world.clerk.account,
        sent_at=vn(2026, 3, 2, 9),
    )
    reply = Document.objects.create(
        organization=world.committee,
        direction=Direction.OUTGOING,
        state=State.ISSUED,
        channel=Document.Channel.DRAFTED,
        register=world.outgoing,
        register_year=2026,
        register_number=9,
        document_type=world.doc_type("cong-van"),
        code_number="09",
        code_notation="UBND-KT",
        issued_on=date(2026, 3, 10),
        issued_at=vn(2026, 3, 10, 15),
        issuer_name="Ủy ban nhân dân tỉnh",
        subject="Trả lời về cấp giấy phép xây dựng",
        signer_name="Nguyễn Văn An",
        recipients_text="Sở Xây dựng; Lưu: VT, KT",
        drafting_unit=world.economy,
        issued_amount=3,
        created_by=world.economy_officer.account,
    )
    Route.objects.create(
        document=first,
        role=Route.Role.LEAD,
        unit=world.economy,
        sent_by=world.head.account,
        sent_at=vn(2026, 3, 3, 10),
        read_at=vn(2026, 3, 3, 14),
        reply_document=reply,
    )
    Delivery.objects.create(
        document=reply,
        recipient=world.department,
        recipient_name="Sở Xây dựng",
        channel=Delivery.Channel.INTERNAL,
        state=Delivery.State.REGISTERED,
        state_changed_at=vn(2026, 3, 10, 16),
    )
    Delivery.objects.create(
        document=reply,
        recipient_name="Bộ Xây dựng",
        channel=Delivery.Channel.EXCHANGE,
        state=Delivery.State.QUEUED,
        state_changed_at=vn(2026, 3, 10, 16),
    )
    # Outside the period (the day before) and not numbered: neither is printed.
    incoming(world, 2, vn(2026, 3, 1, 23, 59))
    incoming(world, 3, vn(2026, 3, 5), register_number=None, state=State.ARRIVED)
    return first, reply, Document.objects.get(register_number=2)


def pdf_text(data: bytes, tmp_path: Path) -> str:
    path = tmp_path / "so.pdf"
    path.write_bytes(data)
    out = subprocess.run(  # noqa: S603
        ["pdftotext", "-raw", str(path), "-"],
        capture_output=True,
        check=True,  # noqa: S607
    )
    return out.stdout.decode("utf-8")


def test_incoming_register_rows_and_xlsx(docworld: DocWorld) -> None:
    first, reply, _ = world_with_documents(docworld)
    export = exports.register_export(
        register=docworld.incoming, kind="incoming", start=date(2026, 3, 2), end=date(2026, 3, 31)
    )
    assert export.rows == [
        [
            date(2026, 3, 2),
            1,
            "Sở Xây dựng",
            "45/SXD-QLXD",
            date(2026, 2, 27),
            "Công văn: Hướng dẫn cấp giấy phép xây dựng",
            docworld.economy.name_vi,
            date(2026, 3, 3),
            "Đã nhận 03/03/2026",
            "",
        ]
    ]
    sheet = load_workbook(io.BytesIO(exports.render_xlsx(export))).active
    assert sheet["A1"].value == "ỦY BAN NHÂN DÂN TỈNH — SỔ ĐĂNG KÝ VĂN BẢN ĐẾN"
    assert sheet["A2"].value.endswith("Từ ngày 02/03/2026 đến ngày 31/03/2026")
    assert [c.value for c in sheet[4]] == [
        "Ngày đến",
        "Số đến",
        "Tác giả",
        "Số, ký hiệu",
        "Ngày tháng",
        "Tên loại và trích yếu nội dung",
        "Đơn vị hoặc người nhận",
        "Ngày chuyển",
        "Ký nhận",
        "Ghi chú",
    ]
    assert sheet["A5"].value == datetime(2026, 3, 2)
    assert sheet["A5"].number_format == "dd/mm/yyyy"
    assert [c.value for c in sheet[5]][1:4] == [1, "Sở Xây dựng", "45/SXD-QLXD"]
    assert sheet.max_row == 5


def test_outgoing_register_pdf_has_the_vietnamese_columns(
    docworld: DocWorld, tmp_path: Path
) -> None:
    world_with_documents(docworld)
    export = exports.register_export(
        register=docworld.outgoing, kind="outgoing", start=date(2026, 3, 1), end=date(2026, 3, 31)
    )
    assert export.rows == [
        [
            "09/UBND-KT",
            date(2026, 3, 10),
            "Công văn: Trả lời về cấp giấy phép xây dựng",
            "Nguyễn Văn An",
            "Sở Xây dựng; Lưu: VT, KT",
            docworld.economy.name_vi,
            3,
            date(2026, 3, 10),
            "1/2 nơi đã nhận",
            "",
        ]
    ]
    text = " ".join(pdf_text(exports.render_pdf(export), tmp_path).split())
    assert "SỔ ĐĂNG KÝ VĂN BẢN ĐI" in text
    for heading in ("Người ký", "Nơi nhận văn bản", "Số lượng bản", "Ký nhận", "Ghi chú"):
        assert heading in text
    assert "09/UBND-KT" in text
    assert "Nguyễn Văn An" in text
    assert "Tổng số văn bản: 1." in text


def test_follow_up_register_shows_progress_and_reply(docworld: DocWorld, tmp_path: Path) -> None:
    world_with_documents(docworld)
    export = exports.register_export(
        register=docworld.incoming, kind="follow_up", start=date(2026, 3, 1), end=date(2026, 3, 2)
    )
    assert export.rows[1] == [
        1,
        "Công văn, số 45/SXD-QLXD, ngày 27/02/2026, Sở Xây dựng",
        docworld.economy.name_vi,
        date(2026, 3, 16),
        "Đang giải quyết",
        "09/UBND-KT",
        "",
    ]
    assert [row[0] for row in export.rows] == [2, 1]  # in order of arrival
    text = " ".join(pdf_text(exports.render_pdf(export), tmp_path).split())
    assert "SỔ THEO DÕI GIẢI QUYẾT VĂN BẢN ĐẾN" in text
    for heading in ("Số đến", "Thời hạn giải quyết", "Tiến độ giải quyết", "văn bản trả lời"):
        assert heading in text


def test_a_register_of_the_wrong_direction_is_refused(docworld: DocWorld) -> None:
    import pytest

    with pytest.raises(ValueError, match="not an outgoing register"):
        exports.register_export(
            register=docworld.incoming,
            kind="outgoing",
            start=date(2026, 1, 1),
            end=date(2026, 1, 2),
        )


def test_export_view_permissions_formats_and_audit(docworld: DocWorld, client: Client) -> None:
    world_with_documents(docworld)
    url = reverse("documents:reading_register_export", kwargs={"register_id": docworld.incoming.pk})
    query = {"kind": "incoming", "start": "2026-03-01", "end": "2026-03-31", "format": "xlsx"}

    client.force_login(docworld.economy_officer.account)
    assert client.get(url, query).status_code == 404

    client.force_login(docworld.clerk.account)
    response = client.get(url, query)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "so-incoming-den-20260301-20260331.xlsx" in response["Content-Disposition"]
    assert load_workbook(io.BytesIO(response.content)).active.max_row == 6
    pdf = client.get(url, {**query, "format": "pdf"})
    assert pdf.content.startswith(b"%PDF")
    bad = client.get(url, {**query, "end": "2026-02-01"})
    assert bad.status_code == 422
    assert "The period ends before it starts." in bad.content.decode()
    assert not AuditEntry.objects.filter(action="document.register_export").exists()

    secret = reverse(
        "documents:reading_register_export", kwargs={"register_id": docworld.incoming_secret.pk}
    )
    assert client.get(secret, query).status_code == 404  # an ordinary clerk
    client.force_login(docworld.secret_clerk.account)
    assert client.get(secret, query).status_code == 200
    entry = AuditEntry.objects.get(action="document.register_export")
    assert entry.actor_id == docworld.secret_clerk.account_id
    assert entry.object_id == str(docworld.incoming_secret.pk)

    page = client.get(reverse("documents:reading_registers")).content.decode()
    assert f'data-register="{docworld.incoming_secret.pk}"' in page
    client.force_login(docworld.clerk.account)
    page = client.get(reverse("documents:reading_registers")).content.decode()
    assert f'data-register="{docworld.incoming.pk}"' in page
    assert f'data-register="{docworld.incoming_secret.pk}"' not in page


def test_who_manages_and_exports_registers(docworld: DocWorld) -> None:
    from directory_factories import OfficerFactory

    from egov.directory import policy
    from egov.directory.models import Role, Scope

    admin = OfficerFactory(unit=docworld.root, roles=[(Role.IT_ADMIN, Scope.SUBTREE)])
    unit_clerk = OfficerFactory(unit=docworld.office, roles=[(Role.CLERK, Scope.UNIT)])
    manage = {
        name: policy.can(person.account, "document.register_manage", docworld.incoming)
        for name, person in {
            "admin": admin,
            "clerk": docworld.clerk,
            "unit_clerk": unit_clerk,
            "head": docworld.head,
            "dept_clerk": docworld.dept_clerk,
        }.items()
    }
    assert manage == {
        "admin": True,
        "clerk": True,
        "unit_clerk": False,
        "head": False,
        "dept_clerk": False,
    }
    export = {
        name: (
            policy.can(person.account, "document.register_export", docworld.outgoing),
            policy.can(person.account, "document.register_export", docworld.outgoing_secret),
        )
        for name, person in {
            "clerk": docworld.clerk,
            "secret_clerk": docworld.secret_clerk,
            "head": docworld.head,
            "economy_officer": docworld.economy_officer,
            "dept_clerk": docworld.dept_clerk,
        }.items()
    }
    assert export == {
        "clerk": (True, False),
        "secret_clerk": (True, True),
        "head": (True, False),
        "economy_officer": (False, False),
        "dept_clerk": (False, False),
    }

"""edXML packages: build from an issued document, parse strictly, refuse what is unsafe."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Callable
from datetime import date, datetime
from io import StringIO
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from egov.core.files import file_open
from egov.documents.models import Document, DocumentFile, State
from egov.exchange.edxml import (
    NS,
    Attachment,
    Code,
    DocumentTypeInfo,
    EdxmlInvalid,
    MessageHeader,
    Organ,
    Package,
    PromulgationInfo,
    TraceHeaderList,
    edxml_build,
    edxml_parse,
    package_serialize,
)

VN = ZoneInfo("Asia/Ho_Chi_Minh")
MakeIssued = Callable[..., Document]


def small_package(content: bytes = b"%PDF-1.4 tiny") -> bytes:
    header = MessageHeader(
        from_=Organ("000.00.01.H51", "Ủy ban nhân dân tỉnh"),
        to=(Organ("000.00.04.H51", "Sở Xây dựng"),),
        document_id="000.00.01.H51,2026/11/20,15/QĐ-UBND",
        code=Code("15", "QĐ-UBND"),
        promulgation_info=PromulgationInfo("Quảng Ngãi", date(2026, 11, 20)),
        document_type=DocumentTypeInfo("1", "quyet-dinh", "Quyết định"),
        subject="Phê duyệt kế hoạch",
    )
    attachment = Attachment(
        content_id="cid:1",
        name="a.pdf",
        content_type="application/pdf",
        content=content,
        sha256=hashlib.sha256(content).hexdigest(),
    )
    return package_serialize(Package(header, TraceHeaderList(), (attachment,)))


def refused(data: bytes, **limits: int) -> EdxmlInvalid:
    with pytest.raises(EdxmlInvalid) as caught:
        edxml_parse(data, **limits)
    return caught.value


def test_round_trip_keeps_header_values_and_attachment_bytes(make_issued: MakeIssued) -> None:
    document = make_issued()
    stored = {
        f.file.original_name: file_open(f.file).read()
        for f in DocumentFile.objects.filter(document=document).select_related("file")
    }

    package = edxml_parse(edxml_build(document))

    header = package.header
    assert header.from_.organ_id == "000.00.01.H51"
    assert header.from_.organ_name == "Ủy ban nhân dân tỉnh"
    assert header.from_.organization_in_charge == "Tỉnh Quảng Ngãi"
    assert header.from_.email == "ubnd@quangngai.gov.vn"
    assert [(o.organ_id, o.organ_name) for o in header.to] == [
        ("000.00.04.H51", "Sở Xây dựng"),
        ("000.00.00.G12", "Bộ Nội vụ"),
    ]
    assert header.document_id == "000.00.01.H51,2026/11/20,15/QĐ-UBND"
    assert header.code == Code("15", "QĐ-UBND")
    assert header.promulgation_info.promulgation_date == date(2026, 11, 20)
    assert header.document_type == DocumentTypeInfo("1", "quyet-dinh", "Quyết định")
    assert header.subject == "Phê duyệt kế hoạch chuyển đổi số năm 2027"
    assert header.content == "Phê duyệt kế hoạch và giao nhiệm vụ cho các sở"
    assert header.signer_info is not None
    assert (
        header.signer_info.competence,
        header.signer_info.position,
        header.signer_info.full_name,
    ) == ("KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH", "Trần Phước Hiền")
    assert header.due_date == date(2026, 12, 15)
    assert header.to_places == ("Sở Xây dựng", "Bộ Nội vụ", "Lưu: VT, VP.")
    assert header.other_info.priority == 1
    assert header.other_info.page_amount == 3
    assert header.other_info.promulgation_amount == 5
    assert header.other_info.appendixes == 1
    assert header.response_for is None
    assert [(t.organ_id, t.timestamp) for t in package.trace.trace_headers] == [
        ("000.00.01.H51", datetime(2026, 11, 20, 10, 30, tzinfo=VN))
    ]
    assert package.trace.business_doc_type == 0
    assert [(a.name, a.content_type) for a in package.attachments] == [
        ("15-QD-UBND.pdf", "application/pdf"),
        ("phu-luc.pdf", "application/pdf"),
    ]
    assert {a.name: a.content for a in package.attachments} == stored
    assert all(a.sha256 == hashlib.sha256(a.content).hexdigest() for a in package.attachments)


def test_package_uses_the_prefixed_namespace(make_issued: MakeIssued) -> None:
    data = edxml_build(make_issued())

    assert f'xmlns:edXML="{NS}"'.encode() in data
    assert b"<edXML:edXMLEnvelope" in data
    assert b"<edXML:PromulgationDate>2026/11/20</edXML:PromulgationDate>" in data
    assert not re.search(rb"<(?!edXML:|\?xml|/)", data)


def test_reply_carries_response_for(make_issued: MakeIssued) -> None:
    original = make_issued(code_number="07", code_notation="UBND-VX")
    reply = make_issued(code_number="16", reply_to=original)

    response = edxml_parse(edxml_build(reply)).header.response_for

    assert response is not None
    assert (response.organ_id, response.code, response.promulgation_date) == (
        "000.00.01.H51",
        "07/UBND-VX",
        date(2026, 11, 20),
    )
    assert response.document_id == "000.00.01.H51,2026/11/20,07/UBND-VX"


def test_document_not_issued_is_refused(make_issued: MakeIssued) -> None:
    document = make_issued(state=State.SIGNED)

    with pytest.raises(EdxmlInvalid) as caught:
        edxml_build(document)

    assert caught.value.code == "exchange.not_issued"


def test_document_without_coded_recipient_is_refused(make_issued: MakeIssued) -> None:
    document = make_issued(recipients_text="Như trên\nLưu: VT, VP.")

    with pytest.raises(EdxmlInvalid) as caught:
        edxml_build(document)

    assert (caught.value.code, caught.value.field) == ("exchange.no_recipient", "To")


def test_tampered_attachment_is_a_hash_mismatch() -> None:
    data = small_package(b"%PDF-1.4 original")
    forged = base64.b64encode(b"%PDF-1.4 forged!!").decode()
    original = base64.b64encode(b"%PDF-1.4 original").decode()
    tampered = data.replace(original.encode(), forged.encode())
    assert tampered != data

    error = refused(tampered)

    assert error.code == "exchange.hash_mismatch"
    assert error.field == (
        "/edXML:edXMLEnvelope/edXML:edXMLBody/edXML:edXMLManifest/edXML:Reference/edXML:DigestValue"
    )
    assert "a.pdf" in str(error.message)


@pytest.mark.parametrize(
    "prolog",
    [
        b'<!DOCTYPE x [<!ENTITY lol "lol">]>',
        b'<!DOCTYPE x SYSTEM "http://example.invalid/x.dtd">',
        b"<!DOCTYPE x>",
    ],
)
def test_doctype_and_entities_are_refused(prolog: bytes) -> None:
    data = small_package().replace(b"?>", b"?>" + prolog, 1)

    error = refused(data)

    assert (error.code, error.field) == ("exchange.invalid", "DOCTYPE")


def test_not_well_formed_is_invalid() -> None:
    error = refused(small_package()[:-20])

    assert error.code == "exchange.invalid"
    assert "not well-formed" in str(error.message)


def test_missing_required_element_is_named() -> None:
    data = re.sub(rb"<edXML:Subject>.*?</edXML:Subject>", b"", small_package())

    error = refused(data)

    path = "/edXML:edXMLEnvelope/edXML:edXMLHeader/edXML:MessageHeader/edXML:Subject"
    assert (error.code, error.field) == ("exchange.invalid", path)
    assert str(error.message) == f"Missing element {path}."


def test_bad_date_is_named() -> None:
    data = small_package().replace(
        b"<edXML:PromulgationDate>2026/11/20", b"<edXML:PromulgationDate>2026/02/30"
    )

    error = refused(data)

    assert error.code == "exchange.invalid"
    assert error.field == (
        "/edXML:edXMLEnvelope/edXML:edXMLHeader/edXML:MessageHeader/edXML:PromulgationInfo/"
        "edXML:PromulgationDate"
    )
    assert "2026/02/30" in str(error.message)


def test_wrong_root_is_invalid() -> None:
    error = refused(b'<?xml version="1.0"?><edXMLEnvelope/>')

    assert (error.code, error.field) == ("exchange.invalid", "edXML:edXMLEnvelope")


def test_oversize_package_and_attachment_are_too_large() -> None:
    data = small_package(b"x" * 3000)

    assert refused(data, max_bytes=len(data) - 1).code == "exchange.too_large"
    error = refused(data, max_attachment_bytes=2999)
    assert error.code == "exchange.too_large"
    assert error.field == (
        "/edXML:edXMLEnvelope/edXML:AttachmentEncoded/edXML:Attachment/edXML:Value"
    )
    [attachment] = edxml_parse(data, max_bytes=len(data), max_attachment_bytes=3000).attachments
    assert attachment.size == 3000


def test_command_parse_prints_json_without_content(tmp_path: Path) -> None:
    path = tmp_path / "goi.edxml"
    path.write_bytes(small_package(b"%PDF-1.4 abc"))
    out = StringIO()

    call_command("exchange", "parse", str(path), stdout=out)

    body = json.loads(out.getvalue())
    assert body["header"]["from"] == {
        "organ_id": "000.00.01.H51",
        "organ_name": "Ủy ban nhân dân tỉnh",
        "organization_in_charge": "",
        "address": "",
        "email": "",
        "telephone": "",
        "fax": "",
        "website": "",
    }
    assert body["header"]["promulgation_info"] == {
        "place": "Quảng Ngãi",
        "promulgation_date": "2026-11-20",
    }
    assert body["trace"] == {
        "trace_headers": [],
        "business_doc_type": 0,
        "business_doc_reason": "",
    }
    assert body["attachments"] == [
        {
            "content_id": "cid:1",
            "name": "a.pdf",
            "content_type": "application/pdf",
            "description": "",
            "size": 12,
            "sha256": hashlib.sha256(b"%PDF-1.4 abc").hexdigest(),
        }
    ]
    assert "Ủy ban" in out.getvalue()  # ensure_ascii=False


def test_command_parse_invalid_file_fails_with_the_reason(tmp_path: Path) -> None:
    path = tmp_path / "hong.edxml"
    path.write_bytes(b"<!DOCTYPE x><x/>")

    with pytest.raises(CommandError) as caught:
        call_command("exchange", "parse", str(path), stdout=StringIO())

    assert str(caught.value).startswith("exchange.invalid: ")


def test_command_build_writes_the_package(make_issued: MakeIssued, tmp_path: Path) -> None:
    document = make_issued()
    out_file = tmp_path / "out.edxml"

    call_command("exchange", "build", str(document.pk), str(out_file), stdout=StringIO())

    assert edxml_parse(out_file.read_bytes()).header.code == Code("15", "QĐ-UBND")


def test_command_build_refuses_a_document_not_issued(
    make_issued: MakeIssued, tmp_path: Path
) -> None:
    document = make_issued(state=State.APPROVED)
    out_file = tmp_path / "out.edxml"

    with pytest.raises(CommandError) as caught:
        call_command("exchange", "build", str(document.pk), str(out_file), stdout=StringIO())

    assert str(caught.value).startswith("exchange.not_issued: ")
    assert not out_file.exists()


def test_signed_file_travels_after_main_and_appendix(make_issued: MakeIssued) -> None:
    document = make_issued()
    main = DocumentFile.objects.get(document=document, role=DocumentFile.Role.MAIN)
    DocumentFile.objects.create(
        document=document,
        role=DocumentFile.Role.SIGNED,
        file=main.file,
        added_by=document.created_by,
    )
    DocumentFile.objects.create(
        document=document,
        role=DocumentFile.Role.DRAFT,
        file=main.file,
        draft_version=1,
        added_by=document.created_by,
    )

    package = edxml_parse(edxml_build(document))

    assert [(a.content_id, a.name, a.description) for a in package.attachments] == [
        ("cid:1", "15-QD-UBND.pdf", "Main text"),
        ("cid:2", "phu-luc.pdf", "Appendix"),
        ("cid:3", "15-QD-UBND.pdf", "Signed text"),
    ]


def test_reference_without_attachment_is_invalid() -> None:
    data = re.sub(rb"<edXML:AttachmentEncoded>.*</edXML:AttachmentEncoded>", b"", small_package())

    error = refused(data)

    assert error.code == "exchange.invalid"
    assert str(error.message) == "Attachment a.pdf is in the manifest but not in the package."


def test_attachment_without_reference_is_invalid() -> None:
    data = small_package().replace(
        b"<edXML:ContentId>cid:1</edXML:ContentId><edXML:Value>",
        b"<edXML:ContentId>cid:9</edXML:ContentId><edXML:Value>",
    )

    error = refused(data)

    assert error.code == "exchange.invalid"
    assert error.field == (
        "/edXML:edXMLEnvelope/edXML:AttachmentEncoded/edXML:Attachment/edXML:ContentId"
    )

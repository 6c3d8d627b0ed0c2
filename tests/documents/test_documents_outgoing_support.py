"""Shared set-up of the outgoing-document tests (no tests here; loaded as `outgoing_support`).

Signing keys come from one in-memory development CA per test process: the committee's head,
its deputy head and the culture unit's head (who signs only under a delegation) have
personal keys; the committee has a seal.
"""

from __future__ import annotations

import functools
import io
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from django.core.files.uploadedfile import SimpleUploadedFile
from documents_support import DocWorld

from egov.core.files import file_open
from egov.directory.models import Organization
from egov.documents.models import ApprovalStep, Document, DocumentFile
from egov.documents.services import outgoing
from egov.signing import devca, keys
from egov.signing import services as signing
from egov.signing.models import SigningKey

PASSWORD = "mat-khau-thu-nghiem"
PROVINCE = "Ủy ban nhân dân tỉnh"


@functools.cache
def dev_ca() -> devca.DevCa:
    officers = [
        devca.OfficerCert("head", "Nguyễn Hữu Phúc", PROVINCE, "Lãnh đạo"),
        devca.OfficerCert("deputy", "Bùi Thị Mai", PROVINCE, "Lãnh đạo"),
        devca.OfficerCert("culture", "Võ Thành Nam", PROVINCE, "Phòng Văn hóa - Xã hội"),
    ]
    return devca.build_dev_ca(
        seal_org_code="H51.01", seal_org_name=PROVINCE, officers=officers, password=PASSWORD
    )


def root_der() -> bytes:
    return dev_ca().root.certificate.public_bytes(serialization.Encoding.DER)


@dataclass
class Keys:
    head: SigningKey
    deputy: SigningKey
    culture: SigningKey
    seal: SigningKey


def make_keys(world: DocWorld) -> Keys:
    """Import the personal keys and the committee's seal (the trusted root first)."""
    keys.signer_cache.forget()
    ca = dev_ca()
    signing.trusted_root_add(
        actor=None, certificate=ca.root.certificate.public_bytes(serialization.Encoding.PEM)
    )

    def person(name: str, officer: Any) -> SigningKey:
        return signing.signing_key_import_pkcs12(
            actor=None,
            data=ca.officers[name].pkcs12(PASSWORD, name),
            password=PASSWORD,
            officer=officer,
        )

    return Keys(
        head=person("head", world.head),
        deputy=person("deputy", world.deputy_head),
        culture=person("culture", world.culture_head),
        seal=signing.signing_key_import_pkcs12(
            actor=None,
            data=ca.seal.pkcs12(PASSWORD, "seal"),
            password=PASSWORD,
            organization=world.committee,
        ),
    )


def draft(world: DocWorld, type_code: str = "quyet-dinh", **kwargs: Any) -> Document:
    values: dict[str, Any] = {
        "actor": world.economy_officer.account,
        "document_type": world.doc_type(type_code),
        "subject": "Phê duyệt kế hoạch phát triển kinh tế năm 2026",
        "body": "Điều 1. Phê duyệt kế hoạch.\nĐiều 2. Quyết định có hiệu lực từ ngày ký.",
        "recipients": [world.department, "Bộ Nội vụ [G01]", "Báo Quảng Ngãi"],
    }
    values.update(kwargs)
    return outgoing.draft_create(**values)


def fresh(document: Document) -> Document:
    return Document.objects.get(pk=document.pk)


def approve_all(world: DocWorld, document: Document) -> Document:
    """Submit with the default approvers and approve every step as the approver."""
    document = fresh(document)
    steps = outgoing.draft_submit(
        actor=document.created_by,
        document=document,
        expected_version=document.version,
        approvers={},
    )
    for step in steps:
        step = ApprovalStep.objects.select_related("approver__account", "document").get(pk=step.pk)
        outgoing.approval_decide(
            actor=step.approver.account,
            step=step,
            approve=True,
            comment="",
            expected_version=fresh(document).version,
        )
    return fresh(document)


def sign(world: DocWorld, document: Document, key: SigningKey, actor: Any = None) -> Document:
    document = fresh(document)
    outgoing.document_sign(
        actor=actor or world.head.account,
        document=document,
        key_id=key.pk,
        secret=PASSWORD,
        expected_version=document.version,
    )
    return fresh(document)


def issue(world: DocWorld, document: Document, seal: SigningKey, actor: Any = None) -> Document:
    document = fresh(document)
    return outgoing.document_issue(
        actor=actor or world.clerk.account,
        document=document,
        expected_version=document.version,
        seal_key_id=seal.pk,
        seal_secret=PASSWORD,
    )


def issued(world: DocWorld, the_keys: Keys, **kwargs: Any) -> Document:
    """A document drafted, approved, signed by the head and issued by the clerk."""
    document = approve_all(world, draft(world, **kwargs))
    document = sign(world, document, the_keys.head)
    return issue(world, document, the_keys.seal)


def file_bytes(row: DocumentFile) -> bytes:
    with file_open(row.file) as handle:
        return handle.read()


def pdf_text(data: bytes) -> str:
    """The text of a PDF as poppler's pdftotext reads it (layout kept)."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "in.pdf"
        path.write_bytes(data)
        out = subprocess.run(  # noqa: S603 - fixed tool, our own file
            ["pdftotext", "-layout", "-enc", "UTF-8", str(path), "-"],  # noqa: S607
            check=True,
            capture_output=True,
        )
    return out.stdout.decode("utf-8")


def docx_upload(name: str = "du-thao.docx") -> SimpleUploadedFile:
    """A minimal valid DOCX (what Word saves, reduced to the parts the checks read)."""
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.'
            'org/package/2006/content-types"><Default Extension="xml" ContentType="application/'
            'xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.'
            'openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>',
        )
        archive.writestr(
            "word/document.xml",
            '<?xml version="1.0"?><w:document xmlns:w="http://schemas.openxmlformats.org/'
            'wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>Dự thảo</w:t></w:r></w:p>'
            "</w:body></w:document>",
        )
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="application/octet-stream")


def pdf_upload(name: str = "du-thao.pdf", text: str = "Bản cuối") -> SimpleUploadedFile:
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer)
    pdf.drawString(72, 760, text)
    pdf.showPage()
    pdf.save()
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="application/pdf")


def organization_named(code: str) -> Organization:
    return Organization.objects.get(code=code)


def pdf_tool(tool: str, data: bytes) -> str:
    """The output of a poppler tool (pdfinfo, pdffonts) on the PDF bytes."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "in.pdf"
        path.write_bytes(data)
        out = subprocess.run(  # noqa: S603 - fixed tool, our own file
            [tool, str(path)], check=True, capture_output=True
        )
    return out.stdout.decode("utf-8")

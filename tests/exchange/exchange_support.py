"""Shared helpers of the exchange tests (no tests here; loaded by name, also by the instance
driver of the two-installation tests): a seal key, a signed document, issuing it, signed
requests to the exchange endpoints."""

from __future__ import annotations

import functools
import io
import time
import uuid
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives import serialization
from django.core.files.base import ContentFile
from reportlab.pdfgen import canvas

from egov.core.files import file_store
from egov.directory.models import Officer, Organization
from egov.documents.models import Direction, Document, DocumentFile, DocumentType, State
from egov.documents.services import outgoing
from egov.exchange.auth import HEADER_FROM, HEADER_TO, request_headers
from egov.signing import devca, keys
from egov.signing import services as signing
from egov.signing.models import SigningKey

PASSWORD = "mat-khau-thu-nghiem"


@functools.cache
def dev_ca(org_code: str, org_name: str) -> devca.DevCa:
    signer = devca.OfficerCert("head", "Trần Phước Hiền", org_name, "Lãnh đạo")
    return devca.build_dev_ca(
        seal_org_code=org_code,
        seal_org_name=org_name,
        officers=[signer],
        password=PASSWORD,
        crl_url="",
    )


@dataclass
class Keys:
    person: SigningKey
    seal: SigningKey
    signer: Officer


def make_keys(organization: Organization, signer: Officer) -> Keys:
    """The signer's personal key and the organisation's seal (the dev CA's root trusted)."""
    keys.signer_cache.forget()
    ca = dev_ca(organization.code, organization.name_vi)
    signing.trusted_root_add(
        actor=None, certificate=ca.root.certificate.public_bytes(serialization.Encoding.PEM)
    )
    return Keys(
        person=signing.signing_key_import_pkcs12(
            actor=None,
            data=ca.officers["head"].pkcs12(PASSWORD, "head"),
            password=PASSWORD,
            officer=signer,
        ),
        seal=signing.signing_key_import_pkcs12(
            actor=None,
            data=ca.seal.pkcs12(PASSWORD, "seal"),
            password=PASSWORD,
            organization=organization,
        ),
        signer=signer,
    )


def pdf_bytes(text: str, *, pad_to: int = 0) -> bytes:
    out = io.BytesIO()
    page = canvas.Canvas(out)
    page.drawString(72, 720, text)
    page.showPage()
    page.save()
    data = out.getvalue()
    if pad_to > len(data):  # a large attachment: a PDF comment after %%EOF keeps it valid
        data += b"\n%" + b"x" * (pad_to - len(data) - 2)
    return data


def signed_document(
    organization: Organization,
    clerk: Officer,
    the_keys: Keys,
    *,
    recipients_text: str,
    subject: str = "Phê duyệt kế hoạch chuyển đổi số năm 2027",
    appendix_bytes: int = 0,
) -> Document:
    """An outgoing document in SIGNED state with its signed PDF (made with the ORM: the
    drafting and approval chain are the documents app's business, tested there)."""
    document = Document.objects.create(
        organization=organization,
        direction=Direction.OUTGOING,
        state=State.SIGNED,
        channel=Document.Channel.DRAFTED,
        document_type=DocumentType.objects.get(code="quyet-dinh"),
        issuer=organization,
        issuer_name=organization.name_vi,
        issuer_code=organization.qcvn_code,
        subject=subject,
        signer_name="Trần Phước Hiền",
        signer_position="KT. CHỦ TỊCH\nPHÓ CHỦ TỊCH",
        recipients_text=recipients_text,
        created_by=clerk.account,
    )
    result = signing.signature_sign_as_person(
        actor=the_keys.signer.account,
        pdf=pdf_bytes(subject),
        key_id=the_keys.person.pk,
        secret=PASSWORD,
        document_type="quyet-dinh",
    )
    stored = signing.signed_file_store(
        actor=the_keys.signer.account, record=result.record, pdf=result.pdf, name="ky.pdf"
    )
    DocumentFile.objects.create(
        document=document, role=DocumentFile.Role.SIGNED, file=stored, added_by=clerk.account
    )
    if appendix_bytes:
        extra = file_store(
            upload=ContentFile(pdf_bytes("Phụ lục", pad_to=appendix_bytes)),
            name="phu-luc.pdf",
            actor=clerk.account,
            max_bytes=appendix_bytes + 1024,
        )
        DocumentFile.objects.create(
            document=document, role=DocumentFile.Role.APPENDIX, file=extra, added_by=clerk.account
        )
    return document


def issue(document: Document, clerk: Officer, the_keys: Keys) -> Document:
    document = Document.objects.get(pk=document.pk)
    return outgoing.document_issue(
        actor=clerk.account,
        document=document,
        expected_version=document.version,
        seal_key_id=the_keys.seal.pk,
        seal_secret=PASSWORD,
    )


def signed_post_headers(
    *,
    key_id: str,
    secret: str,
    path: str,
    body: bytes,
    to_code: str = "",
    message_id: str | None = None,
    now: int | None = None,
) -> dict[str, str]:
    """Headers for Django's test Client (HTTP_… keys)."""
    headers = request_headers(
        key_id=key_id,
        secret=secret,
        method="POST",
        path=path,
        body=body,
        message_id=message_id or str(uuid.uuid4()),
        now=int(time.time()) if now is None else now,
    )
    headers[HEADER_TO] = to_code
    headers[HEADER_FROM] = ""
    return {"HTTP_" + name.upper().replace("-", "_"): value for name, value in headers.items()}


def as_client_kwargs(headers: dict[str, str]) -> dict[str, Any]:
    return {"content_type": "application/xml", **headers}

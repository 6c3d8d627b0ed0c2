"""The signing API (mounted by egov.api at /api/v1/signing): verify a PDF, look up a record.

Both operations are public, like the verification page: anyone holding a document may check
it. Verification runs in a bounded child process (egov.signing.verify).
"""

from __future__ import annotations

from datetime import datetime

from django.http import HttpRequest
from ninja import File, Router, Schema
from ninja.files import UploadedFile

from egov.core.errors import NotFound
from egov.signing import selectors
from egov.signing.models import SignatureRecord
from egov.signing.verification import SHA256_LENGTH, check_upload, verify_document

router = Router(tags=["signing"])


class SignatureOut(Schema):
    field_name: str
    signer_name: str
    signer_organization: str
    signer_unit: str
    issuer_name: str
    certificate_fingerprint: str
    certificate_not_after: datetime
    signing_time: datetime | None
    timestamp_time: datetime | None
    level: str
    intact: bool
    valid: bool
    chain_status: str
    chain_label: str
    modification: str
    modification_label: str
    ok: bool


class RecordOut(Schema):
    kind: str
    signer: str | None
    organization_code: str | None
    organization_name: str | None
    reference: str
    signed_at: datetime
    level: str
    certificate_fingerprint: str

    @staticmethod
    def resolve_signer(obj: SignatureRecord) -> str | None:
        return obj.officer.full_name if obj.officer else None

    @staticmethod
    def resolve_organization_code(obj: SignatureRecord) -> str | None:
        return obj.organization.code if obj.organization else None

    @staticmethod
    def resolve_organization_name(obj: SignatureRecord) -> str | None:
        return obj.organization.name_vi if obj.organization else None


class VerificationOut(Schema):
    sha256: str
    all_ok: bool
    signatures: list[SignatureOut]
    records: list[RecordOut]


@router.post(
    "/verify", auth=None, summary="Verify the signatures of a PDF", response=VerificationOut
)
def signature_verify(request: HttpRequest, file: File[UploadedFile]) -> dict[str, object]:
    """Every signature of the uploaded PDF: signer, organisation, time, chain status against
    the configured trust roots, and whether the document changed after signing; plus the
    platform's own records of this exact file. `all_ok` is true only when there is at least one
    signature and every one is intact and trusted."""
    outcome = verify_document(check_upload(file))
    return {
        "sha256": outcome.sha256,
        "all_ok": outcome.all_ok,
        "signatures": [
            {
                **{k: v for k, v in s.report.to_json().items()},
                "certificate_not_after": s.report.certificate_not_after,
                "signing_time": s.report.signing_time,
                "timestamp_time": s.report.timestamp_time,
                "chain_label": s.chain_label,
                "modification_label": s.modification_label,
                "ok": s.report.ok,
            }
            for s in outcome.signatures
        ],
        "records": outcome.records,
    }


@router.get(
    "/records/{sha256}", auth=None, summary="Records of a signed file", response=list[RecordOut]
)
def signature_records(request: HttpRequest, sha256: str) -> list[SignatureRecord]:
    """The platform's signatures that produced the file with this SHA-256 (what a QR code on
    an issued document points to); 404 when the platform did not make this file."""
    records = []
    if len(sha256) == SHA256_LENGTH:
        records = list(selectors.signature_records_for(sha256.lower()))
    if not records:
        raise NotFound(code="signing.record_not_found")
    return records

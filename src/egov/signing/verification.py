"""Checking an uploaded PDF for the page and the API: upload rules, bounded verification and
the platform's own records of the file."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext

from egov.core.errors import ValidationFailed
from egov.core.files import detect_kind
from egov.signing import labels, selectors, verify
from egov.signing.models import SignatureRecord

SHA256_LENGTH = 64


@dataclass(frozen=True)
class ShownSignature:
    report: verify.SignatureReport
    chain_label: str
    modification_label: str


@dataclass(frozen=True)
class Outcome:
    sha256: str
    signatures: list[ShownSignature]
    records: list[SignatureRecord]

    @property
    def all_ok(self) -> bool:
        return bool(self.signatures) and all(s.report.ok for s in self.signatures)


def check_upload(upload: UploadedFile) -> bytes:
    """The bytes of an uploaded PDF within the size limit, checked by content (not by name)."""
    limit = settings.EGOV_SIGNING_VERIFY_MAX_BYTES
    if upload.size is None or upload.size > limit:
        raise ValidationFailed(
            gettext("The file is larger than the limit of %(limit)s.")
            % {"limit": filesizeformat(limit)},
            code="file.too_large",
            field="file",
        )
    if upload.size == 0:
        raise ValidationFailed(gettext("The file is empty."), code="file.empty", field="file")
    stream = upload.open("rb")
    if detect_kind(stream) != "pdf":
        raise ValidationFailed(
            gettext("Only PDF documents can be verified."),
            code="file.type_not_allowed",
            field="file",
        )
    stream.seek(0)
    return bytes(stream.read(limit + 1))


def verify_document(data: bytes) -> Outcome:
    """Bounded verification against the configured roots, plus the platform's own records."""
    reports = verify.verify_pdf_bounded(
        data,
        selectors.trusted_roots_der(),
        crls=selectors.revocation_lists_der(),
        timeout=settings.EGOV_SIGNING_VERIFY_TIMEOUT,
        memory_mb=settings.EGOV_SIGNING_VERIFY_MEMORY_MB,
    )
    sha256 = hashlib.sha256(data).hexdigest()
    return Outcome(
        sha256=sha256,
        signatures=[
            ShownSignature(
                r,
                str(labels.CHAIN_LABELS[r.chain_status]),
                str(labels.MODIFICATION_LABELS[r.modification]),
            )
            for r in reports
        ],
        records=list(selectors.signature_records_for(sha256)),
    )

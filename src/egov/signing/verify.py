"""Verify every signature of a PDF against the configured trust roots.

`verify_pdf` runs in the calling process (operators' command line, files the platform made).
`verify_pdf_bounded` runs the same code in a child process with limits on memory, CPU time and
wall time: the public page and the API use it for files from anyone, so a hostile PDF (huge
object counts, deep recursion, broken cross-reference tables) costs at most those limits and
never the web process. Reports are plain data (codes, not sentences): the screens translate.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.diff_analysis import ModificationLevel
from pyhanko.sign.validation import DocumentSecurityStore, validate_pdf_signature
from pyhanko.sign.validation.errors import ValidationInfoReadingError
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext

from egov.signing._sync import off_event_loop
from egov.signing.errors import CorruptPdf, EncryptedPdf, SigningError, VerificationFailed
from egov.signing.keys import certificate_fingerprint
from egov.signing.pdf import PARSE_ERRORS, existing_signatures, read_pdf

# chain_status codes
TRUSTED = "trusted"
UNTRUSTED = "untrusted"
EXPIRED = "expired"
REVOKED = "revoked"
INVALID = "invalid"
# modification codes
UNCHANGED = "unchanged"
SIGNATURES_ADDED = "signatures_added"  # later incremental updates that only add signatures
MODIFIED = "modified"

DEFAULT_TIMEOUT = 20.0
DEFAULT_MEMORY_MB = 768
DEFAULT_CPU_SECONDS = 15


@dataclass(frozen=True)
class SignatureReport:
    """What a reader needs to judge one signature."""

    field_name: str
    signer_name: str
    signer_organization: str
    signer_unit: str
    signer_uid: str
    issuer_name: str
    certificate_fingerprint: str
    certificate_serial: str
    certificate_not_before: datetime
    certificate_not_after: datetime
    signing_time: datetime | None  # the signer's own clock (or the timestamp when present)
    timestamp_time: datetime | None  # from a timestamp authority (B-T)
    level: str  # "B-B", "B-T" or "B-LT" (timestamp and revocation data in the document)
    intact: bool  # the signed bytes are unchanged
    valid: bool  # the cryptographic signature checks out
    chain_status: str  # TRUSTED, UNTRUSTED, EXPIRED, REVOKED, INVALID
    modification: str  # UNCHANGED, SIGNATURES_ADDED, MODIFIED
    reason: str = ""

    @property
    def trusted(self) -> bool:
        return self.chain_status == TRUSTED

    @property
    def ok(self) -> bool:
        """Intact, valid, trusted, and nothing but signatures added after it."""
        return self.intact and self.valid and self.trusted and self.modification != MODIFIED

    def to_json(self) -> dict[str, Any]:
        out = dataclasses.asdict(self)
        for key, value in out.items():
            if isinstance(value, datetime):
                out[key] = value.isoformat()
        return out

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SignatureReport:
        values = dict(data)
        for f in dataclasses.fields(cls):
            if f.name in values and isinstance(values[f.name], str) and "datetime" in str(f.type):
                values[f.name] = datetime.fromisoformat(values[f.name])
        return cls(**values)


def _attr(name: x509.Name, oid: x509.ObjectIdentifier) -> str:
    values = name.get_attributes_for_oid(oid)
    return str(values[0].value) if values else ""


def _chain_status(status: Any) -> str:
    if not (status.intact and status.valid):
        return INVALID
    if status.trusted:
        return TRUSTED
    if status.revoked:
        return REVOKED
    indic = getattr(status.trust_problem_indic, "name", "") or ""
    if "REVOKED" in indic:
        return REVOKED
    if "EXPIRED" in indic or "OUT_OF_BOUNDS" in indic or "NOT_YET_VALID" in indic:
        return EXPIRED
    return UNTRUSTED


def _modification(status: Any) -> str:
    if not status.intact:
        return MODIFIED
    level = status.modification_level
    if level is None:
        return MODIFIED if status.coverage != SignatureCoverageLevel.ENTIRE_FILE else UNCHANGED
    if level in (ModificationLevel.NONE, ModificationLevel.LTA_UPDATES):
        return UNCHANGED
    if level == ModificationLevel.FORM_FILLING:
        return SIGNATURES_ADDED
    return MODIFIED


@dataclass(frozen=True)
class _Revocation:
    crls: list[bytes]
    ocsps: list[bytes]
    certs: list[asn1_x509.Certificate]

    @property
    def embedded(self) -> bool:
        return bool(self.crls or self.ocsps)


def _embedded_revocation(reader: PdfFileReader) -> _Revocation:
    """CRLs, OCSP responses and certificates in the document security store (B-LT), if any."""
    try:
        dss = DocumentSecurityStore.read_dss(reader)
        return _Revocation(
            [bytes(ref.get_object().data) for ref in dss.crls],
            [bytes(ref.get_object().data) for ref in dss.ocsps],
            list(dss.load_certs()),
        )
    except (*PARSE_ERRORS, ValidationInfoReadingError):
        return _Revocation([], [], [])


def _context(
    trust_roots: list[bytes], crls: list[bytes], embedded: _Revocation
) -> ValidationContext:
    """Trust roots, the platform's CRLs and the document's own revocation data; no fetching.

    Soft-fail: a certificate without revocation data is judged by its chain and dates; one
    listed on a CRL is reported revoked."""
    return ValidationContext(
        trust_roots=[asn1_x509.Certificate.load(der) for der in trust_roots],
        other_certs=embedded.certs,
        crls=[*crls, *embedded.crls],
        ocsps=embedded.ocsps,
        allow_fetching=False,
        revocation_mode="soft-fail",
    )


@off_event_loop
def verify_pdf(
    data: bytes, trust_roots: list[bytes], crls: list[bytes] | None = None
) -> list[SignatureReport]:
    """Reports for every signature (none: an empty list); CorruptPdf / EncryptedPdf otherwise.

    `crls`: the revocation lists the platform holds (selectors.revocation_lists_der)."""
    reader = read_pdf(data)
    embedded = _embedded_revocation(reader)
    reports = []
    for sig in existing_signatures(reader):
        try:
            status = validate_pdf_signature(
                sig,
                signer_validation_context=_context(trust_roots, crls or [], embedded),
                ts_validation_context=_context(trust_roots, crls or [], embedded),
            )
        except PARSE_ERRORS as exc:
            raise CorruptPdf() from exc
        cert = x509.load_der_x509_certificate(status.signing_cert.dump())
        ts = status.timestamp_validity
        timestamp_time = ts.timestamp if ts is not None else None
        reason = sig.sig_object.get("/Reason")
        reports.append(
            SignatureReport(
                field_name=str(sig.field_name),
                signer_name=_attr(cert.subject, x509.NameOID.COMMON_NAME),
                signer_organization=_attr(cert.subject, x509.NameOID.ORGANIZATION_NAME),
                signer_unit=_attr(cert.subject, x509.NameOID.ORGANIZATIONAL_UNIT_NAME),
                signer_uid=_attr(cert.subject, x509.NameOID.USER_ID),
                issuer_name=_attr(cert.issuer, x509.NameOID.COMMON_NAME),
                certificate_fingerprint=certificate_fingerprint(cert),
                certificate_serial=format(cert.serial_number, "x"),
                certificate_not_before=cert.not_valid_before_utc,
                certificate_not_after=cert.not_valid_after_utc,
                signing_time=timestamp_time or status.signer_reported_dt,
                timestamp_time=timestamp_time,
                level=("B-LT" if embedded.embedded else "B-T") if ts is not None else "B-B",
                intact=bool(status.intact),
                valid=bool(status.valid),
                chain_status=_chain_status(status),
                modification=_modification(status),
                reason=str(reason) if reason is not None else "",
            )
        )
    return reports


# --- the bounded child process -------------------------------------------------------------------


def _error_code(exc: BaseException) -> str:
    return exc.code if isinstance(exc, SigningError) else VerificationFailed.code


def worker_main() -> int:
    """Child side: limits first, then one header line (JSON) and the PDF bytes on stdin."""
    import resource  # POSIX only; the child runs on the servers, never on Windows

    from django.conf import settings

    if not settings.configured:  # the child needs no database: error messages stay untranslated
        settings.configure(USE_I18N=False, USE_TZ=True)

    memory = int(os.environ.get("EGOV_VERIFY_MEMORY_MB", DEFAULT_MEMORY_MB)) * 1024 * 1024
    cpu = int(os.environ.get("EGOV_VERIFY_CPU_SECONDS", DEFAULT_CPU_SECONDS))
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    sys.setrecursionlimit(2000)
    stream = sys.stdin.buffer
    header = json.loads(stream.readline())
    data = stream.read()
    roots = [base64.b64decode(r) for r in header.get("roots", [])]
    crls = [base64.b64decode(r) for r in header.get("crls", [])]
    try:
        reports = verify_pdf(data, roots, crls)
        answer: dict[str, Any] = {"ok": True, "reports": [r.to_json() for r in reports]}
    except (CorruptPdf, EncryptedPdf) as exc:
        answer = {"ok": False, "code": exc.code}
    except (MemoryError, RecursionError, *PARSE_ERRORS) as exc:
        answer = {"ok": False, "code": _error_code(exc)}
    sys.stdout.write(json.dumps(answer))
    sys.stdout.flush()
    return 0


_CODES = {CorruptPdf.code: CorruptPdf, EncryptedPdf.code: EncryptedPdf}


def verify_pdf_bounded(
    data: bytes,
    trust_roots: list[bytes],
    *,
    crls: list[bytes] | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    memory_mb: int = DEFAULT_MEMORY_MB,
    cpu_seconds: int = DEFAULT_CPU_SECONDS,
) -> list[SignatureReport]:
    """`verify_pdf` in a child process: CorruptPdf, EncryptedPdf or VerificationFailed
    (too slow, too big, crashed) instead of hurting the caller."""
    header = json.dumps(
        {
            "roots": [base64.b64encode(r).decode("ascii") for r in trust_roots],
            "crls": [base64.b64encode(r).decode("ascii") for r in crls or []],
        }
    )
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "PYTHONPATH": os.pathsep.join(p for p in sys.path if p),
        "PYTHONDONTWRITEBYTECODE": "1",
        "EGOV_VERIFY_MEMORY_MB": str(memory_mb),
        "EGOV_VERIFY_CPU_SECONDS": str(cpu_seconds),
    }
    try:
        done = subprocess.run(  # noqa: S603 - our own interpreter and module, no shell
            [sys.executable, "-m", "egov.signing.verify_worker"],
            input=header.encode("ascii") + b"\n" + data,
            capture_output=True,
            timeout=timeout,
            env=env,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise VerificationFailed(details={"reason": "timeout"}) from exc
    try:
        answer = json.loads(done.stdout or b"{}")
    except ValueError:
        answer = {}
    if done.returncode != 0 or "ok" not in answer:
        raise VerificationFailed(details={"reason": "crashed", "returncode": done.returncode})
    if not answer["ok"]:
        raise _CODES.get(answer.get("code", ""), VerificationFailed)()
    return [SignatureReport.from_json(r) for r in answer["reports"]]

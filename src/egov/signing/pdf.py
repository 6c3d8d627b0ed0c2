"""Sign a PDF with PAdES (pyHanko): refuse what must not be signed, then add one signature.

Each signature is an incremental update, so the signatures already on the document stay
valid. The checks run before anything is signed: an unreadable or encrypted PDF, or one that
carries a signature which no longer matches the document, is refused with a coded error.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone
from django.utils.translation import gettext
from pyhanko.pdf_utils.generic import DictionaryObject
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, signers
from pyhanko.sign.diff_analysis import ModificationLevel
from pyhanko.sign.general import SigningError as HankoSigningError
from pyhanko.sign.timestamps import TimeStamper
from pyhanko.sign.timestamps.common_utils import TimestampRequestError
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.pdf_embedded import EmbeddedPdfSignature
from pyhanko.sign.validation.status import PdfSignatureStatus, SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext

from egov.signing import stamps
from egov.signing._sync import off_event_loop
from egov.signing.errors import (
    BrokenSignature,
    CorruptPdf,
    EncryptedPdf,
    SigningError,
    TimestampFailed,
)
from egov.signing.keys import LoadedSigner

LEVEL_B_B = "B-B"
LEVEL_B_T = "B-T"
LEVEL_B_LT = "B-LT"
# Exceptions a damaged or hostile file raises while pyHanko parses it.
PARSE_ERRORS = (
    PdfError,
    ValueError,
    KeyError,
    TypeError,
    IndexError,
    AttributeError,
    RecursionError,
    AssertionError,
    OverflowError,
    UnicodeError,
)


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def read_pdf(data: bytes) -> PdfFileReader:
    """Open a PDF for reading; CorruptPdf or EncryptedPdf when it cannot be signed."""
    if not data.lstrip()[:5].startswith(b"%PDF-"):
        raise CorruptPdf()
    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False)
        encrypted = reader.encrypted
        if not encrypted:
            reader.root  # noqa: B018 - forces the catalogue to parse
            _ = reader.root["/Pages"]
    except PARSE_ERRORS as exc:
        raise CorruptPdf() from exc
    if encrypted:
        raise EncryptedPdf()
    return reader


def existing_signatures(reader: PdfFileReader) -> list[EmbeddedPdfSignature]:
    try:
        return list(reader.embedded_regular_signatures)
    except PARSE_ERRORS as exc:
        raise CorruptPdf() from exc


def signature_unchanged(status: PdfSignatureStatus) -> bool:
    """Intact, cryptographically valid, and only signatures or validation data added after it."""
    if not (status.intact and status.valid):
        return False
    level = status.modification_level
    if level is None:
        return bool(status.coverage == SignatureCoverageLevel.ENTIRE_FILE)
    return bool(level <= ModificationLevel.FORM_FILLING)


@off_event_loop
def check_signatures_intact(reader: PdfFileReader) -> list[EmbeddedPdfSignature]:
    """Refuse a PDF whose signatures no longer match it (BrokenSignature); return them.

    Trust is not judged here (the signer may add a signature from another CA); only whether
    each signature still covers the document as it was signed.
    """
    sigs = existing_signatures(reader)
    for sig in sigs:
        try:
            status = validate_pdf_signature(
                sig,
                signer_validation_context=ValidationContext(trust_roots=[], allow_fetching=False),
            )
        except PARSE_ERRORS as exc:
            raise BrokenSignature() from exc
        if not signature_unchanged(status):
            raise BrokenSignature(
                gettext(
                    "The signature %(field)s on this PDF no longer matches the document; it "
                    "cannot be signed again."
                )
                % {"field": sig.field_name},
                details={"field": sig.field_name},
            )
    return sigs


@dataclass(frozen=True)
class StampRequest:
    """A visible stamp: what it says and where it goes (already computed by the caller)."""

    text: stamps.StampText
    page: int  # 0-based page index
    box: stamps.Box


def page_count(reader: PdfFileReader) -> int:
    try:
        return int(reader.root["/Pages"]["/Count"])
    except PARSE_ERRORS as exc:
        raise CorruptPdf() from exc


def page_media_box(reader: PdfFileReader, index: int) -> stamps.Box:
    """The MediaBox of a page (inherited boxes resolved); A4 when the file omits it."""
    try:
        page_ref, *_ = reader.find_page_for_modification(index)
        node: DictionaryObject | None = page_ref.get_object()
        for _level in range(32):
            if node is None:
                break
            if "/MediaBox" in node:
                return stamps.page_box(node["/MediaBox"])
            parent = node.get("/Parent")
            node = parent.get_object() if parent is not None else None
    except PARSE_ERRORS as exc:
        raise CorruptPdf() from exc
    return (0.0, 0.0, 595.28, 841.89)


def signature_widgets(reader: PdfFileReader) -> list[tuple[str, int, stamps.Box]]:
    """(field name, page index, rectangle) of each visible signature already on the PDF."""
    out: list[tuple[str, int, stamps.Box]] = []
    try:
        pages = reader.root["/Pages"]
        page_refs = _page_refs(pages)
        for sig in existing_signatures(reader):
            widget = sig.sig_field
            rect = widget.get("/Rect")
            page = widget.get("/P")
            if rect is None or page is None:
                continue
            box = stamps.page_box(rect)
            if box[2] - box[0] < 1 or box[3] - box[1] < 1:
                continue
            index = page_refs.index(page.reference) if page.reference in page_refs else 0
            out.append((sig.field_name, index, box))
    except PARSE_ERRORS as exc:
        raise CorruptPdf() from exc
    return out


def _page_refs(node: DictionaryObject, depth: int = 0) -> list[object]:
    if depth > 32:
        raise CorruptPdf()
    refs: list[object] = []
    for kid in node.get("/Kids", []):
        obj = kid.get_object()
        if obj.get("/Type") == "/Pages":
            refs.extend(_page_refs(obj, depth + 1))
        else:
            refs.append(kid.reference)
    return refs


def next_field_name(reader: PdfFileReader, prefix: str) -> str:
    taken = {sig.field_name for sig in existing_signatures(reader)}
    n = len(taken) + 1
    while f"{prefix}{n}" in taken:
        n += 1
    return f"{prefix}{n}"


@off_event_loop
def sign_pdf(
    data: bytes,
    *,
    loaded: LoadedSigner,
    reason: str = "",
    location: str = "",
    field_name: str | None = None,
    stamp: StampRequest | None = None,
    timestamper: TimeStamper | None = None,
    reader: PdfFileReader | None = None,
    validation_context: ValidationContext | None = None,
) -> bytes:
    """One PAdES signature (B-B, or B-T with a timestamper) appended to `data`.

    With a `validation_context` (trust roots and revocation lists) the certificate chains and
    their revocation data are embedded in the document security store: with a timestamper
    that is PAdES B-LT, checkable later without the CA. Checks first (CorruptPdf,
    EncryptedPdf, BrokenSignature); nothing is returned unless the whole signature was made.
    """
    if reader is None:
        reader = read_pdf(data)
        check_signatures_intact(reader)
    name = field_name or next_field_name(reader, "Signature")
    meta = signers.PdfSignatureMetadata(
        field_name=name,
        reason=reason or None,
        location=location or None,
        name=loaded.common_name or None,
        subfilter=fields.SigSeedSubFilter.PADES,
        md_algorithm="sha256",
        embed_validation_info=validation_context is not None,
        validation_context=validation_context,
    )
    spec = fields.SigFieldSpec(
        sig_field_name=name,
        on_page=stamp.page if stamp else 0,
        box=stamp.box if stamp else None,  # type: ignore[arg-type]  # pyHanko accepts floats
    )
    style = None
    if stamp is not None:
        x1, y1, x2, y2 = stamp.box
        style = stamps.stamp_style(stamp.text, x2 - x1, y2 - y1)
    try:
        writer = IncrementalPdfFileWriter(io.BytesIO(data), strict=False)
        pdf_signer = signers.PdfSigner(
            meta,
            signer=loaded.signer,
            timestamper=timestamper,
            stamp_style=style,
            new_field_spec=spec,
        )
        out = pdf_signer.sign_pdf(writer, in_place=False)
    except TimestampRequestError as exc:
        raise TimestampFailed() from exc
    except HankoSigningError as exc:
        if timestamper is not None and "timestamp" in str(exc).lower():
            raise TimestampFailed() from exc
        raise SigningError() from exc
    except PARSE_ERRORS as exc:
        raise CorruptPdf() from exc
    return bytes(out.getbuffer())


def signing_time_text(at: datetime | None = None) -> str:
    """ISO 8601 in Vietnam time, to the second, as the decree asks for on attachments."""
    return timezone.localtime(at or timezone.now()).replace(microsecond=0).isoformat()

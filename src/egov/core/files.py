"""Uploaded files: checked by their content, hashed, stored through Django's storage.

Every file a citizen or an officer uploads passes through `file_store`. The content is spooled
once (in memory up to FILE_UPLOAD_MAX_MEMORY_SIZE, then on disk) while its SHA-256 and size are
computed, so the bytes we check are exactly the bytes we store; the type is read from the
content, never trusted from the name or the browser's Content-Type; the file lands in storage
under a random name and the user's name is kept only as data.
"""

from __future__ import annotations

import hashlib
import re
import tempfile
import unicodedata
import uuid
import xml.parsers.expat
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, Any

import puremagic
from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import transaction
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from egov.core.errors import ValidationFailed
from egov.core.models import StoredFile

__all__ = [
    "DEFAULT_ALLOWED",
    "KINDS",
    "FileEmpty",
    "FileKind",
    "FileTooLarge",
    "FileTypeMismatch",
    "FileTypeNotAllowed",
    "detect_kind",
    "file_open",
    "file_store",
    "file_verify_integrity",
    "safe_original_name",
]

CHUNK = 64 * 1024


# --- errors ------------------------------------------------------------------------------------
class FileEmpty(ValidationFailed):
    code = "file.empty"
    default_message = _("The file is empty.")


class FileTooLarge(ValidationFailed):
    code = "file.too_large"
    status = 413
    default_message = _("The file is too large.")


class FileTypeNotAllowed(ValidationFailed):
    code = "file.type_not_allowed"
    status = 415
    default_message = _("This type of file is not accepted.")


class FileTypeMismatch(ValidationFailed):
    code = "file.type_mismatch"
    status = 415
    default_message = _("The file name does not match the file's content.")


# --- the types we accept -------------------------------------------------------------------------
@dataclass(frozen=True)
class FileKind:
    key: str
    mime: str
    extensions: tuple[str, ...]  # the first one is used for the stored name
    label: str


_OOXML = "application/vnd.openxmlformats-officedocument."
_ODF = "application/vnd.oasis.opendocument."
KINDS: dict[str, FileKind] = {
    kind.key: kind
    for kind in [
        FileKind("pdf", "application/pdf", ("pdf",), "PDF"),
        FileKind("png", "image/png", ("png",), "PNG"),
        FileKind("jpeg", "image/jpeg", ("jpg", "jpeg", "jpe"), "JPEG"),
        FileKind("tiff", "image/tiff", ("tif", "tiff"), "TIFF"),
        FileKind("docx", _OOXML + "wordprocessingml.document", ("docx",), "Word (DOCX)"),
        FileKind("xlsx", _OOXML + "spreadsheetml.sheet", ("xlsx",), "Excel (XLSX)"),
        FileKind("pptx", _OOXML + "presentationml.presentation", ("pptx",), "PowerPoint (PPTX)"),
        FileKind("odt", _ODF + "text", ("odt",), "OpenDocument (ODT)"),
        FileKind("ods", _ODF + "spreadsheet", ("ods",), "OpenDocument (ODS)"),
        FileKind("odp", _ODF + "presentation", ("odp",), "OpenDocument (ODP)"),
        FileKind("doc", "application/msword", ("doc",), "Word 97-2003 (DOC)"),
        FileKind("xls", "application/vnd.ms-excel", ("xls",), "Excel 97-2003 (XLS)"),
        FileKind("ppt", "application/vnd.ms-powerpoint", ("ppt",), "PowerPoint 97-2003 (PPT)"),
        FileKind("xml", "application/xml", ("xml",), "XML"),
    ]
}
DEFAULT_ALLOWED: frozenset[str] = frozenset(KINDS)
_KIND_OF_EXTENSION = {ext: kind.key for kind in KINDS.values() for ext in kind.extensions}

# The main part of an OOXML package names its kind in [Content_Types].xml; macro-enabled
# variants (docm, xlsm, pptm) have other content types and are therefore not recognised.
_OOXML_MAIN = {
    b"wordprocessingml.document.main+xml": "docx",
    b"spreadsheetml.sheet.main+xml": "xlsx",
    b"presentationml.presentation.main+xml": "pptx",
}
_ODF_MIMETYPE = {
    b"application/vnd.oasis.opendocument.text": "odt",
    b"application/vnd.oasis.opendocument.spreadsheet": "ods",
    b"application/vnd.oasis.opendocument.presentation": "odp",
}
# Names of the main stream of legacy Office files inside an OLE2 compound file (UTF-16LE).
_OLE2_STREAMS = [
    ("WordDocument".encode("utf-16-le"), "doc"),
    ("Workbook".encode("utf-16-le"), "xls"),
    ("PowerPoint Document".encode("utf-16-le"), "ppt"),
    ("Book\x00".encode("utf-16-le"), "xls"),  # Excel 5/95
]
_OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP_PART_LIMIT = 1024 * 1024  # a real [Content_Types].xml is a few KB; refuse zip bombs
_XML_ACTIVE_ROOTS = {"html", "svg", "xsl:stylesheet", "xsl:transform"}


def _ole2_kind(stream: IO[bytes]) -> str | None:
    stream.seek(0)
    overlap = b""
    found: set[str] = set()
    while chunk := stream.read(CHUNK):
        window = overlap + chunk
        for marker, kind in _OLE2_STREAMS:
            if marker in window:
                found.add(kind)
        overlap = window[-64:]
    for kind in ("doc", "xls", "ppt"):  # a Word file may embed a sheet, not the reverse
        if kind in found:
            return kind
    return None


def _zip_kind(stream: IO[bytes]) -> str | None:
    stream.seek(0)
    try:
        with zipfile.ZipFile(stream) as archive:
            names = set(archive.namelist())
            if "[Content_Types].xml" in names:
                info = archive.getinfo("[Content_Types].xml")
                if info.file_size > _ZIP_PART_LIMIT:
                    return None
                types = archive.read(info)
                for marker, kind in _OOXML_MAIN.items():
                    if marker in types:
                        return kind
                return None
            if "mimetype" in names:
                info = archive.getinfo("mimetype")
                if info.file_size > 200:
                    return None
                return _ODF_MIMETYPE.get(archive.read(info).strip())
    except (
        zipfile.BadZipFile,  # also raised on a CRC mismatch
        zipfile.LargeZipFile,
        zlib.error,  # corrupt deflate data
        RuntimeError,  # encrypted entry
        NotImplementedError,  # unknown compression method
        OSError,
        EOFError,
        ValueError,
    ):
        return None
    return None


class _NotXml(Exception):
    pass


def _xml_root(stream: IO[bytes]) -> str | None:
    """Name of the root element if the whole content is well-formed XML, else None.

    Entity declarations are refused (no billion laughs, no external entities), like defusedxml.
    """
    parser = xml.parsers.expat.ParserCreate()
    roots: list[str] = []

    def refuse(*args: object) -> None:
        raise _NotXml

    def start(name: str, attrs: object) -> None:
        if not roots:
            roots.append(name)

    parser.EntityDeclHandler = refuse
    parser.UnparsedEntityDeclHandler = refuse
    parser.ExternalEntityRefHandler = refuse  # type: ignore[assignment]
    parser.StartElementHandler = start
    stream.seek(0)
    try:
        while chunk := stream.read(CHUNK):
            parser.Parse(chunk, False)
        parser.Parse(b"", True)
    except (xml.parsers.expat.ExpatError, _NotXml, UnicodeError, LookupError, ValueError):
        return None
    return roots[0] if roots else None


def detect_kind(stream: IO[bytes]) -> str | None:
    """The key of KINDS that the content really is, or None. Reads from the start."""
    stream.seek(0)
    head = stream.read(CHUNK)
    if head.startswith(b"%PDF-"):
        return "pdf"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith((b"II*\x00", b"MM\x00*")):
        return "tiff"
    if head.startswith(b"PK\x03\x04"):
        return _zip_kind(stream)
    if head.startswith(_OLE2_MAGIC):
        return _ole2_kind(stream)
    if head.startswith((b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")) or head.lstrip(
        b" \t\r\n"
    ).startswith(b"<"):
        root = _xml_root(stream)
        if root is None:
            return None
        if root.lower() in _XML_ACTIVE_ROOTS or root.lower().rpartition(":")[2] in {"html", "svg"}:
            return None  # scriptable documents are not "XML data"
        return "xml"
    return None


def _describe_unknown(head: bytes) -> str:
    """What puremagic thinks a refused file is, for the error details and the logs."""
    try:
        return str(puremagic.from_string(head))
    except Exception:  # a diagnostic only: never let it turn a refusal into a crash
        return ""


# --- names -------------------------------------------------------------------------------------
_EXTENSION = re.compile(r"[a-z0-9]{1,8}")


def safe_original_name(name: str) -> str:
    """The user's file name as data: NFC, no folders, no control or bidi characters, ≤ 255."""
    name = unicodedata.normalize("NFC", name or "")
    name = re.split(r"[\\/]", name)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
    name = " ".join(name.split()).strip(" .")
    if len(name) > 255:
        stem, dot, ext = name.rpartition(".")
        if dot and stem and len(ext) <= 16:
            name = stem[: 255 - len(ext) - 1].rstrip() + "." + ext
        else:
            name = name[:255]
    return name


def _extension(name: str) -> str:
    """The extension the name claims ("" when none): letters/digits after the last dot."""
    stem, dot, ext = name.rpartition(".")
    ext = ext.lower()
    if dot and stem and _EXTENSION.fullmatch(ext) and not ext.isdigit():
        return ext
    return ""


# --- reading the upload --------------------------------------------------------------------------
Upload = File | bytes | bytearray | memoryview


def _chunks(upload: Upload) -> Iterator[bytes]:
    if isinstance(upload, bytes | bytearray | memoryview):
        view = memoryview(upload)
        for start in range(0, len(view), CHUNK):
            yield bytes(view[start : start + CHUNK])
        return
    yield from upload.chunks(CHUNK)


def _known_size(upload: Upload) -> int | None:
    if isinstance(upload, bytes | bytearray | memoryview):
        return memoryview(upload).nbytes
    try:
        return int(upload.size)
    except (AttributeError, TypeError, ValueError, OSError):
        return None


@dataclass
class _Spooled:
    stream: Any
    size: int
    sha256: str


def _spool(upload: Upload, *, limit: int, name: str) -> _Spooled:
    """Copy the upload once, hashing as we go; stop as soon as it passes the limit."""
    spool = tempfile.SpooledTemporaryFile(max_size=settings.FILE_UPLOAD_MAX_MEMORY_SIZE)  # noqa: SIM115
    digest = hashlib.sha256()
    size = 0
    try:
        for chunk in _chunks(upload):
            size += len(chunk)
            if size > limit:
                raise _too_large(name, limit)
            digest.update(chunk)
            spool.write(chunk)
    except BaseException:
        spool.close()
        raise
    spool.seek(0)
    return _Spooled(stream=spool, size=size, sha256=digest.hexdigest())


def _too_large(name: str, limit: int) -> FileTooLarge:
    return FileTooLarge(
        gettext("The file %(name)s is larger than the limit of %(limit)s.")
        % {"name": name, "limit": filesizeformat(limit)},
        field="file",
        details={"name": name, "limit": limit},
    )


def _labels(kinds: set[str] | frozenset[str]) -> str:
    return ", ".join(KINDS[key].label for key in KINDS if key in kinds)


def _refuse_unknown(
    stream: IO[bytes], *, shown: str, extension: str, allowed: set[str] | frozenset[str]
) -> ValidationFailed:
    stream.seek(0)
    detected = _describe_unknown(stream.read(CHUNK))
    claimed = _KIND_OF_EXTENSION.get(extension)
    if claimed is not None:
        return FileTypeMismatch(
            gettext(
                "The file %(name)s is named .%(extension)s but its content is not "
                "a %(expected)s file."
            )
            % {"name": shown, "extension": extension, "expected": KINDS[claimed].label},
            field="file",
            details={"name": shown, "extension": extension, "detected": detected},
        )
    return _not_allowed(shown, allowed, detected)


def _not_allowed(
    shown: str, allowed: set[str] | frozenset[str], detected: str
) -> FileTypeNotAllowed:
    return FileTypeNotAllowed(
        gettext("The file %(name)s is not of an accepted type. Accepted types: %(allowed)s.")
        % {"name": shown, "allowed": _labels(allowed)},
        field="file",
        details={"name": shown, "detected": detected, "allowed": sorted(allowed)},
    )


def _check(
    spooled: _Spooled, *, original: str, shown: str, allowed: set[str] | frozenset[str]
) -> FileKind:
    """The kind of the spooled content, or the coded refusal (empty, unknown, mismatch, …)."""
    if spooled.size == 0:
        raise FileEmpty(
            gettext("The file %(name)s is empty.") % {"name": shown},
            field="file",
            details={"name": shown},
        )
    kind_key = detect_kind(spooled.stream)
    extension = _extension(original)
    if kind_key is None:
        raise _refuse_unknown(spooled.stream, shown=shown, extension=extension, allowed=allowed)
    kind = KINDS[kind_key]
    if extension and extension not in kind.extensions:
        raise FileTypeMismatch(
            gettext(
                "The file %(name)s is named .%(extension)s but its content is a %(actual)s file."
            )
            % {"name": shown, "extension": extension, "actual": kind.label},
            field="file",
            details={"name": shown, "extension": extension, "detected": kind.key},
        )
    if kind.key not in allowed:
        raise _not_allowed(shown, allowed, kind.key)
    return kind


# --- services ------------------------------------------------------------------------------------
def file_store(
    *,
    upload: Upload,
    name: str,
    actor: Any = None,
    allowed: set[str] | frozenset[str] | None = None,
    max_bytes: int | None = None,
) -> StoredFile:
    """Check, hash and store one uploaded file; refuse it with a coded error otherwise.

    `allowed` holds keys of KINDS (default: settings.EGOV_UPLOAD_ALLOWED_TYPES or all of
    them); `max_bytes` can only lower settings.EGOV_UPLOAD_MAX_BYTES. Nothing is written to
    storage or to the database when the file is refused.

    No audit entry here: the service that attaches the file (dossier submission, document
    registration) records its id and SHA-256 in its own entry, written last as
    `egov.core.audit` requires; a chain append in the middle of that transaction would take
    the chain lock before the caller's row locks.
    """
    if allowed is None:
        allowed = frozenset(settings.EGOV_UPLOAD_ALLOWED_TYPES or DEFAULT_ALLOWED)
    unknown = set(allowed) - set(KINDS)
    if unknown:
        raise ValueError(f"unknown file kinds: {sorted(unknown)}")
    limit = settings.EGOV_UPLOAD_MAX_BYTES
    if max_bytes is not None:
        limit = min(limit, max_bytes)
    original = safe_original_name(name)
    shown = original or "?"

    known = _known_size(upload)
    if known is not None and known > limit:
        raise _too_large(shown, limit)

    spooled = _spool(upload, limit=limit, name=shown)
    try:
        kind = _check(spooled, original=original, shown=shown, allowed=allowed)
        file_id = uuid.uuid4()
        target = f"{timezone.localdate():%Y/%m}/{file_id.hex}.{kind.extensions[0]}"
        spooled.stream.seek(0)
        saved_name = default_storage.save(target, File(spooled.stream, name=target))
    finally:
        spooled.stream.close()

    try:
        # One INSERT: atomic by itself, so no savepoint (a round trip each way inside the
        # caller's transaction). If it fails the caller's transaction is marked for rollback
        # and the error goes up, as it would have anyway.
        with transaction.atomic(savepoint=False):
            stored = StoredFile(
                id=file_id,
                original_name=original or f"file.{kind.extensions[0]}",
                content_type=kind.mime,
                size=spooled.size,
                sha256=spooled.sha256,
                uploaded_by_id=getattr(actor, "pk", None),
            )
            stored.file.name = saved_name
            stored.save(force_insert=True)
    except BaseException:
        default_storage.delete(saved_name)
        raise
    return stored


def _storage_name(stored: StoredFile) -> str:
    if not stored.file.name:
        raise ValueError(f"stored file {stored.pk} has no storage name")
    return stored.file.name


def file_open(stored: StoredFile) -> File:
    """Open the stored bytes for reading (the caller closes the file)."""
    return default_storage.open(_storage_name(stored), "rb")


def file_verify_integrity(stored: StoredFile) -> bool:
    """Re-read the stored bytes: True only if they still have the recorded size and SHA-256."""
    digest = hashlib.sha256()
    size = 0
    try:
        with default_storage.open(_storage_name(stored), "rb") as handle:
            for chunk in handle.chunks(CHUNK):
                digest.update(chunk)
                size += len(chunk)
    except (FileNotFoundError, OSError):
        return False
    return size == stored.size and digest.hexdigest() == stored.sha256

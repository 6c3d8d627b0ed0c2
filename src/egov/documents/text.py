"""Text of a document's file: the PDF's text layer, or OCR of a scan; metadata of page one.

Clerks scan paper documents (Decree 30/2020 asks for PDF scans of at least 200 dpi), so most
incoming files have no text layer. Text-layer PDFs are read with `pdftotext` (poppler-utils);
scans and images are rasterised with `pdftoppm` at 300 dpi and read by Tesseract with the
Vietnamese language data (Debian `tesseract-ocr-vie`, installed by `scripts/system-deps.sh
tesseract`). Word files are read from their XML. Nothing here touches the database: the
service `services.text.document_text_extract` stores the result.

`first_page_suggestions(text)` reads what the decree prints on page one — "Số: 15/QĐ-UBND",
"…, ngày 05 tháng 01 năm 2026", the issuing body in the top-left block and the title with its
"Về việc …" (or a công văn's "V/v …") — into the `Document.ocr_suggestions` shape. These are
suggestions for the clerk to confirm, never values written into the document.
"""

from __future__ import annotations

import contextlib
import re
import shutil
import subprocess
import tempfile
import zipfile
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from xml.etree import ElementTree as ET  # noqa: S405 - DOCX from our own checked storage

from egov.core.text import fold

__all__ = [
    "OCR_DPI",
    "OCR_LANGUAGE",
    "ExtractionFailed",
    "Extracted",
    "extract_text",
    "first_page_suggestions",
    "ocr_available",
]

OCR_DPI = 300
OCR_LANGUAGE = "vie"
OCR_MAX_PAGES = 30  # a scanned file beyond this is read in part (the first pages matter most)
# Fewer visible characters than this on the text layer means "a scan with no text layer".
TEXT_LAYER_MIN_CHARS = 20
COMMAND_TIMEOUT = 300

PDF = "application/pdf"
IMAGES = frozenset({"image/png", "image/jpeg", "image/tiff"})
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


class ExtractionFailed(Exception):
    """The file could not be read; `reason` is kept in the document's history."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass
class Extracted:
    method: str  # "text_layer" or "ocr"
    text: str
    first_page: str
    pages: list[str] = field(default_factory=list)


def ocr_available() -> bool:
    return shutil.which("tesseract") is not None and shutil.which("pdftoppm") is not None


def _run(args: list[str], what: str) -> str:
    try:
        done = subprocess.run(  # noqa: S603 - fixed tools, arguments we build
            args, capture_output=True, timeout=COMMAND_TIMEOUT, check=False
        )
    except FileNotFoundError as exc:
        raise ExtractionFailed(f"{what}: {args[0]} is not installed") from exc
    except subprocess.TimeoutExpired as exc:
        raise ExtractionFailed(f"{what}: {args[0]} took longer than {COMMAND_TIMEOUT}s") from exc
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise ExtractionFailed(f"{what}: {message[-1] if message else done.returncode}")
    return done.stdout.decode("utf-8", "replace")


def _pdf_pages(path: Path) -> list[str]:
    """The text layer page by page (pdftotext separates pages with a form feed)."""
    text = _run(["pdftotext", "-layout", "-enc", "UTF-8", str(path), "-"], "pdftotext")
    pages = text.split("\f")
    if pages and not pages[-1].strip():
        pages = pages[:-1]
    return pages


def _ocr_image(path: Path) -> str:
    return _run(["tesseract", str(path), "stdout", "-l", OCR_LANGUAGE, "--psm", "4"], "tesseract")


def _ocr_pdf(path: Path, workdir: Path) -> list[str]:
    _run(
        [
            "pdftoppm",
            "-r",
            str(OCR_DPI),
            "-gray",
            "-png",
            "-f",
            "1",
            "-l",
            str(OCR_MAX_PAGES),
            str(path),
            str(workdir / "page"),
        ],
        "pdftoppm",
    )
    images = sorted(workdir.glob("page*.png"))
    if not images:
        raise ExtractionFailed("pdftoppm: the PDF has no pages")
    return [_ocr_image(image) for image in images]


_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def _docx_text(path: Path) -> str:
    try:
        with zipfile.ZipFile(path) as archive:
            root = ET.fromstring(archive.read("word/document.xml"))  # noqa: S314
    except (zipfile.BadZipFile, KeyError, ET.ParseError) as exc:
        raise ExtractionFailed(f"docx: {exc}") from exc
    lines = [
        "".join(node.text or "" for node in paragraph.iter(f"{_W}t"))
        for paragraph in root.iter(f"{_W}p")
    ]
    return "\n".join(lines)


def _visible_chars(text: str) -> int:
    return sum(1 for ch in text if not ch.isspace())


def extract_text(path: Path, content_type: str) -> Extracted:
    """Read the text of one file: the text layer when there is one, OCR otherwise."""
    if content_type == PDF:
        pages = _pdf_pages(path)
        if _visible_chars("".join(pages)) >= TEXT_LAYER_MIN_CHARS:
            return Extracted(
                "text_layer", "\n".join(pages).strip(), pages[0] if pages else "", pages
            )
        with tempfile.TemporaryDirectory(prefix="egov-ocr-") as tmp:
            pages = _ocr_pdf(path, Path(tmp))
        return Extracted("ocr", "\n".join(pages).strip(), pages[0], pages)
    if content_type in IMAGES:
        text = _ocr_image(path)
        return Extracted("ocr", text.strip(), text, [text])
    if content_type == DOCX:
        text = _docx_text(path)
        return Extracted("text_layer", text.strip(), text[:4000], [text])
    raise ExtractionFailed(f"no text extraction for files of type {content_type}")


# --- page one --------------------------------------------------------------------------------

_NUMBER = re.compile(
    r"\bS[ỐốOoÔôóòồ][\s.]*[:;]?\s*(\d{1,7})\s*/\s*([0-9A-ZĐa-zđ][0-9A-ZĐa-zđ./\-]*[0-9A-ZĐa-zđ])",
)
_DATE = re.compile(r"\bngay\s+(\d{1,2})\s+thang\s+(\d{1,2})\s+nam\s+(\d{4})\b")
_TITLE_WORDS = (
    "quyet dinh",
    "nghi quyet",
    "chi thi",
    "quy che",
    "quy dinh",
    "thong cao",
    "thong bao",
    "huong dan",
    "chuong trinh",
    "ke hoach",
    "phuong an",
    "de an",
    "du an",
    "bao cao",
    "bien ban",
    "to trinh",
    "hop dong",
    "cong dien",
    "giay moi",
    "giay gioi thieu",
    "cong van",
)
_SUBJECT_STOP = ("can cu", "kinh gui", "chu tich", "giam doc", "xet de nghi", "theo de nghi")
_MOTTO = ("cong hoa xa hoi", "doc lap", "tu do", "hanh phuc")
_BODY_START = (
    "uy ban",
    "so ",
    "bo ",
    "phong ",
    "cuc ",
    "tong cuc",
    "van phong",
    "ban ",
    "trung tam",
    "hoi dong",
    "chi cuc",
    "thanh tra",
    "cong an",
)
_COLUMNS = re.compile(r"\s{3,}")


def _clean(line: str) -> str:
    return " ".join(line.replace("|", " ").split()).strip(" -–—_:;,.")


def _is_upper(text: str) -> bool:
    letters = [ch for ch in text if ch.isalpha()]
    return bool(letters) and sum(ch.isupper() for ch in letters) >= 0.8 * len(letters)


def _issuer(lines: list[str], number_at: int | None) -> str:
    """The issuing body from the top-left block: upper-case lines above the number."""
    top = lines[:number_at] if number_at is not None else lines[:6]
    block: list[str] = []
    for raw in top:
        left = _clean(_COLUMNS.split(raw.strip())[0]) if raw.strip() else ""
        folded = fold(left)
        if not left or any(m in folded for m in _MOTTO) or _DATE.search(folded):
            continue
        if _is_upper(left):
            block.append(left)
    if not block:
        return ""
    # "UBND TỈNH X" above "SỞ Y": the issuer is the body named last, not its parent.
    start = 0
    for index, line in enumerate(block[1:], start=1):
        if fold(line).startswith(_BODY_START):
            start = index
    return " ".join(block[start:])[:200]


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:] if text else text


def _subject(lines: list[str], after: int) -> str:
    """The title's subject: a công văn's "V/v …", or the lines under the type's title."""
    for raw in lines:
        line = _clean(_COLUMNS.split(raw.strip())[0]) if raw.strip() else ""
        match = re.match(r"^V\s*/\s*v[\s.:]+(.+)$", line, flags=re.IGNORECASE)
        if match:
            return _capital(match.group(1).strip())[:500]
    for index in range(after, len(lines)):
        title = _clean(lines[index])
        if not (_is_upper(title) and fold(title) in _TITLE_WORDS):
            continue
        parts: list[str] = []
        for raw in lines[index + 1 :]:
            line = _clean(raw)
            if not line:
                if parts:
                    break
                continue
            folded = fold(line)
            if folded.startswith(_SUBJECT_STOP) or (_is_upper(line) and parts):
                break
            parts.append(line)
        text = " ".join(parts)
        text = re.sub(r"^(V[ềeế]\s+vi[ệeêế]c|V[ềeế])\s+", "", text, flags=re.IGNORECASE)
        return _capital(text.strip())[:500]
    return ""


def first_page_suggestions(text: str) -> dict[str, str]:
    """The number, notation, issue date, issuer and subject read from page one (only the keys
    that were found), shaped as `Document.ocr_suggestions`."""
    lines = text.splitlines()
    found: dict[str, str] = {}
    number_at: int | None = None
    for index, line in enumerate(lines):
        match = _NUMBER.search(line)
        if match:
            found["code_number"] = match.group(1)
            found["code_notation"] = match.group(2)  # as printed: "TTr", "QyĐ" are mixed-case
            number_at = index
            break
    date_match = _DATE.search(fold(text))
    if date_match:
        day, month, year = (int(g) for g in date_match.groups())
        with contextlib.suppress(ValueError):  # "ngày 31 tháng 02" read wrongly
            found["issued_on"] = date(year, month, day).isoformat()
    issuer = _issuer(lines, number_at)
    if issuer:
        found["issuer_name"] = issuer
    subject = _subject(lines, number_at or 0)
    if subject:
        found["subject"] = subject
    return found

"""Text extraction: text-layer PDFs read directly, scans read by OCR, page one's metadata.

The OCR test renders a Vietnamese page to an image with Pillow (a font with the Vietnamese
letters), wraps it in a PDF that has NO text layer, and reads it back with Tesseract (`vie`).
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.db import transaction
from documents_support import DocWorld
from PIL import Image, ImageDraw, ImageFont
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfgen import canvas

from egov.core.files import file_store
from egov.core.fonts import register_vietnamese_family, vietnamese_font_path
from egov.core.models import AuditEntry, SearchEntry
from egov.core.text import fold
from egov.documents.models import Direction, Document, DocumentEvent, DocumentFile, State
from egov.documents.selectors.search import document_search
from egov.documents.services.text import (
    document_text_extract,
    document_text_extract_enqueue,
)
from egov.documents.text import extract_text, first_page_suggestions

PAGE_LINES = [
    "ỦY BAN NHÂN DÂN TỈNH QUẢNG NGÃI",
    "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
    "Độc lập - Tự do - Hạnh phúc",
    "",
    "Số: 15/QĐ-UBND",
    "Quảng Ngãi, ngày 05 tháng 01 năm 2026",
    "",
    "QUYẾT ĐỊNH",
    "Về việc phê duyệt kế hoạch chuyển đổi số",
    "",
    "CHỦ TỊCH ỦY BAN NHÂN DÂN TỈNH",
    "Căn cứ Luật Tổ chức chính quyền địa phương;",
]
EXPECTED_SUBJECT = "Phê duyệt kế hoạch chuyển đổi số"


def scanned_pdf(lines: list[str] = PAGE_LINES) -> bytes:
    """A page image (300 dpi, A4 width) wrapped in a PDF without any text layer."""
    font = ImageFont.truetype(vietnamese_font_path(), 42)
    image = Image.new("L", (2480, 1300), 255)
    draw = ImageDraw.Draw(image)
    for index, line in enumerate(lines):
        draw.text((200, 150 + 80 * index), line, font=font, fill=0)
    buffer = io.BytesIO()
    image.save(buffer, "PDF", resolution=300)
    return buffer.getvalue()


def text_pdf(lines: list[str] = PAGE_LINES) -> bytes:
    family = register_vietnamese_family("DocreadTestSerif")
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer)
    page.setFont(family.regular, 12)
    for index, line in enumerate(lines):
        page.drawString(72, 780 - 18 * index, line)
    page.showPage()
    page.setFont(family.regular, 12)
    page.drawString(72, 780, "Trang hai: điều khoản thi hành")
    page.save()
    assert pdfmetrics.getFont(family.regular)
    return buffer.getvalue()


def incoming(world: DocWorld, data: bytes | None, name: str = "scan.pdf") -> Document:
    document = Document.objects.create(
        organization=world.committee,
        direction=Direction.INCOMING,
        state=State.REGISTERED,
        channel=Document.Channel.PAPER,
        register=world.incoming,
        register_year=2026,
        register_number=7,
        document_type=world.doc_type("cong-van"),
        issuer_name="Sở Xây dựng",
        subject="Văn bản chưa đọc",
        created_by=world.clerk.account,
        text_state=Document.TextState.PENDING if data else Document.TextState.NONE,
    )
    if data is not None:
        stored = file_store(upload=ContentFile(data), name=name, actor=world.clerk.account)
        DocumentFile.objects.create(
            document=document,
            role=DocumentFile.Role.MAIN,
            file=stored,
            added_by=world.clerk.account,
        )
    return document


def test_ocr_reads_a_scanned_vietnamese_page_and_suggests_its_metadata(
    docworld: DocWorld,
) -> None:
    document = incoming(docworld, scanned_pdf())
    version = document.version

    done = document_text_extract(document_id=document.pk)

    assert done is not None
    assert done.text_state == Document.TextState.OCR_DONE
    suggestions = done.ocr_suggestions
    assert suggestions["code_number"] == "15"
    assert suggestions["code_notation"] == "QĐ-UBND"
    assert suggestions["issued_on"] == "2026-01-05"
    # Tolerant comparisons, stated: OCR may miss a diacritic, so the issuer and the subject are
    # compared accent-folded and case-folded; the subject must be exact after folding.
    assert fold(suggestions["issuer_name"]) == "uy ban nhan dan tinh quang ngai"
    assert fold(suggestions["subject"]) == fold(EXPECTED_SUBJECT)
    assert "Căn cứ Luật Tổ chức" in done.extracted_text
    # Suggestions only: the document's own fields are untouched, the version is not bumped.
    assert (done.code_number, done.code_notation, done.issued_on) == ("", "", None)
    assert done.subject == "Văn bản chưa đọc"
    assert done.version == version
    # Indexed: accent-free words of the scanned text find it.
    found = document_search(docworld.economy_officer.account, "chinh quyen dia phuong")
    assert [d.pk for d in found.documents] == [document.pk]
    events = list(DocumentEvent.objects.filter(document=document).values_list("action", "note"))
    assert events == [("document.text_extracted", "ocr_done")]


def test_a_text_layer_pdf_is_read_without_ocr(docworld: DocWorld, monkeypatch) -> None:
    def no_ocr(*args: object, **kwargs: object) -> None:
        raise AssertionError("OCR must not run on a text-layer PDF")

    monkeypatch.setattr("egov.documents.text._ocr_pdf", no_ocr)
    document = incoming(docworld, text_pdf(), name="van-ban.pdf")

    done = document_text_extract(document_id=document.pk)

    assert done is not None
    assert done.text_state == Document.TextState.TEXT_LAYER
    assert done.ocr_suggestions == {
        "code_number": "15",
        "code_notation": "QĐ-UBND",
        "issued_on": "2026-01-05",
        "issuer_name": "ỦY BAN NHÂN DÂN TỈNH QUẢNG NGÃI",
        "subject": EXPECTED_SUBJECT,
    }
    assert "Trang hai: điều khoản thi hành" in done.extracted_text
    entry = SearchEntry.objects.get(kind="document", object_id=str(document.pk))
    assert "dieu khoan thi hanh" in entry.folded


def test_extraction_is_idempotent(docworld: DocWorld, monkeypatch) -> None:
    document = incoming(docworld, text_pdf(), name="van-ban.pdf")
    document_text_extract(document_id=document.pk)
    calls: list[object] = []
    monkeypatch.setattr(
        "egov.documents.services.text._read", lambda item: calls.append(item) or None
    )

    again = document_text_extract(document_id=document.pk)

    assert again is not None
    assert again.text_state == Document.TextState.TEXT_LAYER
    assert calls == []
    assert DocumentEvent.objects.filter(document=document).count() == 1
    assert AuditEntry.objects.filter(action="document.text_extract").count() == 1


def test_an_unreadable_file_fails_with_its_reason(docworld: DocWorld) -> None:
    broken = text_pdf()[:400] + b"\n%%EOF\n"
    document = incoming(docworld, broken, name="hong.pdf")

    done = document_text_extract(document_id=document.pk)

    assert done is not None
    assert done.text_state == Document.TextState.FAILED
    assert done.extracted_text == ""
    assert done.ocr_suggestions == {}
    event = DocumentEvent.objects.get(document=document)
    assert event.action == "document.text_failed"
    assert event.note.startswith(("pdftotext:", "pdftoppm:"))


def test_a_document_without_file_has_no_text(docworld: DocWorld) -> None:
    document = incoming(docworld, None)
    done = document_text_extract(document_id=document.pk)
    assert done is not None
    assert done.text_state == Document.TextState.NONE
    assert not DocumentEvent.objects.filter(document=document).exists()
    assert document_text_extract(document_id=987654) is None


def test_enqueue_runs_the_task_after_commit(
    docworld: DocWorld, django_capture_on_commit_callbacks, monkeypatch
) -> None:
    document = incoming(docworld, text_pdf(), name="van-ban.pdf")
    enqueued: list[int] = []

    class FakeTask:
        def enqueue(self, document_id: int) -> None:
            enqueued.append(document_id)

    monkeypatch.setattr("egov.documents.services.text.import_string", lambda path: FakeTask())
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        with transaction.atomic():
            document_text_extract_enqueue(document.pk)
        assert enqueued == []
    assert len(callbacks) == 1
    callbacks[0]()
    assert enqueued == [document.pk]


def test_the_task_extracts_the_text(docworld: DocWorld) -> None:
    from egov.documents.tasks import extract_document_text

    document = incoming(docworld, text_pdf(), name="van-ban.pdf")
    assert extract_document_text.call(document.pk) == "text_layer"
    assert extract_document_text.call(123456789) == "missing"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "SỞ XÂY DỰNG        CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\n"
            "Số: 08/SXD-QLXD    Độc lập - Tự do - Hạnh phúc\n"
            "V/v hướng dẫn cấp phép xây dựng\n"
            "                   Quảng Ngãi, ngày 9 tháng 3 năm 2026\n"
            "Kính gửi: Ủy ban nhân dân các xã",
            {
                "code_number": "08",
                "code_notation": "SXD-QLXD",
                "issued_on": "2026-03-09",
                "issuer_name": "SỞ XÂY DỰNG",
                "subject": "Hướng dẫn cấp phép xây dựng",
            },
        ),
        (
            "UBND TỈNH QUẢNG NGÃI\nSỞ NỘI VỤ\nSố: 120/KH-SNV\n\nKẾ HOẠCH\n"
            "Chuyển đổi số năm 2026\n\nThực hiện Quyết định số 15/QĐ-UBND",
            {
                "code_number": "120",
                "code_notation": "KH-SNV",
                "issuer_name": "SỞ NỘI VỤ",
                "subject": "Chuyển đổi số năm 2026",
            },
        ),
        ("Một trang không có gì cả", {}),
    ],
)
def test_first_page_suggestions(text: str, expected: dict[str, str]) -> None:
    assert first_page_suggestions(text) == expected


def test_an_image_is_read_by_ocr(tmp_path: Path) -> None:
    font = ImageFont.truetype(vietnamese_font_path(), 42)
    image = Image.new("L", (1600, 200), 255)
    ImageDraw.Draw(image).text((40, 60), "Số: 21/TB-UBND", font=font, fill=0)
    path = tmp_path / "anh.png"
    image.save(path)
    extracted = extract_text(path, "image/png")
    assert extracted.method == "ocr"
    assert first_page_suggestions(extracted.text) == {
        "code_number": "21",
        "code_notation": "TB-UBND",
    }


def test_a_word_file_is_read_from_its_xml(tmp_path: Path) -> None:
    import zipfile

    paragraphs = ["Số: 03/TTr-KT", "TỜ TRÌNH", "Về việc bổ sung kinh phí"]
    body = "".join(f"<w:p><w:r><w:t>{p}</w:t></w:r></w:p>" for p in paragraphs)
    xml = (
        '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
        f"<w:body>{body}</w:body></w:document>"
    )
    path = tmp_path / "du-thao.docx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("word/document.xml", xml)
    extracted = extract_text(
        path, "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    )
    assert extracted.method == "text_layer"
    assert extracted.text == "\n".join(paragraphs)
    assert first_page_suggestions(extracted.first_page) == {
        "code_number": "03",
        "code_notation": "TTr-KT",
        "subject": "Bổ sung kinh phí",
    }

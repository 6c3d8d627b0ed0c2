"""Uploaded files: accepted by content, hashed, stored under safe names; refusals write nothing."""

from __future__ import annotations

import hashlib
import io
import re
import struct
import unicodedata
import zipfile
import zlib
from pathlib import Path

import pytest
from django.core.files import File
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation

from egov.core.files import (
    FileEmpty,
    FileTooLarge,
    FileTypeMismatch,
    FileTypeNotAllowed,
    detect_kind,
    file_open,
    file_store,
    file_verify_integrity,
    safe_original_name,
)
from egov.core.models import StoredFile

pytestmark = pytest.mark.django_db


# --- real small files, built here -----------------------------------------------------------------
def make_pdf() -> bytes:
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>",
    ]
    out = b"%PDF-1.4\n"
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return out


def make_png() -> bytes:
    def chunk(tag: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(tag + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xda\x25\x1d")  # one red pixel
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


def make_jpeg() -> bytes:
    # SOI, APP0 (JFIF), EOI: the markers a JPEG starts with; enough for content sniffing.
    return b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9"


def make_ooxml(main_type: str, part: str, xml: str) -> bytes:
    content_types = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" '
        'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/{part}" ContentType="{main_type}"/>'
        "</Types>"
    )
    rels = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        f'relationships/officeDocument" Target="{part}"/></Relationships>'
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", content_types)
        archive.writestr("_rels/.rels", rels)
        archive.writestr(part, xml)
    return buffer.getvalue()


DOCX_MAIN = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"


def make_docx() -> bytes:
    return make_ooxml(
        DOCX_MAIN,
        "word/document.xml",
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
        "<w:body><w:p><w:r><w:t>Đơn đề nghị cấp giấy phép xây dựng</w:t></w:r></w:p>"
        "</w:body></w:document>",
    )


def make_xlsx() -> bytes:
    return make_ooxml(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
        "xl/workbook.xml",
        '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"/>',
    )


def make_odt() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.text")
        archive.writestr("content.xml", "<office:document-content/>", zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


def make_doc() -> bytes:
    # An OLE2 compound file header and a directory entry naming the WordDocument stream.
    header = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504
    entry = "Root Entry".encode("utf-16-le").ljust(128, b"\x00")
    entry += "WordDocument".encode("utf-16-le").ljust(128, b"\x00")
    return header + entry + b"\x00" * 256


def make_xml() -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        "<!-- gói tin liên thông -->\n"
        '<edXML:edXMLEnvelope xmlns:edXML="http://www.e-doc.vn/Schema/">'
        "<Subject>Công văn số 12/UBND-VP</Subject></edXML:edXMLEnvelope>\n"
    ).encode()


def stored_paths(root: Path) -> list[Path]:
    return [path for path in root.rglob("*") if path.is_file()]


@pytest.fixture
def storage_root(settings: pytest.FixtureRequest) -> Path:
    return Path(settings.MEDIA_ROOT)  # type: ignore[attr-defined]


# --- accepted files -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("maker", "name", "content_type", "extension"),
    [
        (make_pdf, "Đơn đề nghị.pdf", "application/pdf", "pdf"),
        (make_png, "ảnh chụp.PNG", "image/png", "png"),
        (make_jpeg, "chân dung.jpeg", "image/jpeg", "jpg"),
        (
            make_docx,
            "Tờ khai.docx",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            "docx",
        ),
        (
            make_xlsx,
            "Bảng kê.xlsx",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "xlsx",
        ),
        (make_odt, "Văn bản.odt", "application/vnd.oasis.opendocument.text", "odt"),
        (make_doc, "Công văn cũ.doc", "application/msword", "doc"),
        (make_xml, "goi-tin.xml", "application/xml", "xml"),
    ],
)
def test_real_files_are_accepted_by_their_content(
    maker, name: str, content_type: str, extension: str, storage_root: Path
) -> None:
    content = maker()
    stored = file_store(upload=SimpleUploadedFile(name, content), name=name)

    assert stored.content_type == content_type
    assert stored.original_name == name
    assert stored.size == len(content)
    assert stored.sha256 == hashlib.sha256(content).hexdigest()
    assert re.fullmatch(rf"\d{{4}}/\d{{2}}/{stored.id.hex}\.{extension}", stored.file.name)
    assert (storage_root / stored.file.name).read_bytes() == content
    assert StoredFile.objects.get(pk=stored.pk).sha256 == stored.sha256


def test_bytes_and_plain_files_are_accepted_and_hashed(tmp_path: Path) -> None:
    pdf = make_pdf()
    from_bytes = file_store(upload=pdf, name="a.pdf")
    on_disk = tmp_path / "b.pdf"
    on_disk.write_bytes(pdf)
    with on_disk.open("rb") as handle:
        from_file = file_store(upload=File(handle), name="b.pdf")
    expected = hashlib.sha256(pdf).hexdigest()
    assert from_bytes.sha256 == from_file.sha256 == expected
    assert from_bytes.file.name != from_file.file.name


def test_uploader_is_recorded() -> None:
    class Actor:
        pk = 42

    stored = file_store(upload=make_pdf(), name="a.pdf", actor=Actor())
    assert stored.uploaded_by_id == 42
    assert file_store(upload=make_pdf(), name="b.pdf").uploaded_by_id is None


def test_original_name_keeps_vietnamese_letters_in_nfc() -> None:
    decomposed = unicodedata.normalize("NFD", "Giấy chứng nhận quyền sử dụng đất.pdf")
    stored = file_store(upload=make_pdf(), name="C:\\Users\\cán bộ\\" + decomposed)
    assert stored.original_name == "Giấy chứng nhận quyền sử dụng đất.pdf"
    assert unicodedata.is_normalized("NFC", stored.original_name)


def test_file_open_and_integrity_check_read_the_stored_bytes(storage_root: Path) -> None:
    pdf = make_pdf()
    stored = file_store(upload=pdf, name="a.pdf")
    with file_open(stored) as handle:
        assert handle.read() == pdf
    assert file_verify_integrity(stored) is True

    (storage_root / stored.file.name).write_bytes(pdf.replace(b"595", b"596"))
    assert file_verify_integrity(stored) is False

    default_storage.delete(stored.file.name)
    assert file_verify_integrity(stored) is False


def test_stored_file_is_removed_when_the_database_row_cannot_be_written(
    storage_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken_save(self: StoredFile, *args: object, **kwargs: object) -> None:
        raise RuntimeError("database down")

    monkeypatch.setattr(StoredFile, "save", broken_save)
    with pytest.raises(RuntimeError):
        file_store(upload=make_pdf(), name="a.pdf")
    assert stored_paths(storage_root) == []


# --- refusals -------------------------------------------------------------------------------------
def _zip_of(name: str, data: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(name, data)
    return buffer.getvalue()


EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 200
SVG = (
    b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
)
BILLION_LAUGHS = (
    b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;">]><lolz>&lol2;</lolz>'
)


def _encrypted(archive: bytes) -> bytes:
    """Set the "encrypted" flag on every entry, as a password-protected zip has it."""
    data = bytearray(archive)
    for signature, flag_offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        start = 0
        while (found := data.find(signature, start)) != -1:
            data[found + flag_offset] |= 0x01
            start = found + 4
    return bytes(data)


def _corrupted(archive: bytes) -> bytes:
    """Damage the compressed bytes of the first entry (right after its local header)."""
    data = bytearray(archive)
    name_length, extra_length = struct.unpack("<HH", data[26:30])
    start = 30 + name_length + extra_length
    for offset in range(start, start + 20):
        data[offset] ^= 0xFF
    return bytes(data)


DOCM = make_ooxml(
    "application/vnd.ms-word.document.macroEnabled.main+xml", "word/document.xml", "<w:document/>"
)


@pytest.mark.parametrize(
    ("content", "name", "options", "error", "code"),
    [
        (b"", "trong.pdf", {}, FileEmpty, "file.empty"),
        (make_pdf(), "lon.pdf", {"max_bytes": 100}, FileTooLarge, "file.too_large"),
        (EXE, "hoa-don.pdf", {}, FileTypeMismatch, "file.type_mismatch"),
        (EXE, "setup.exe", {}, FileTypeNotAllowed, "file.type_not_allowed"),
        (make_png(), "anh.pdf", {}, FileTypeMismatch, "file.type_mismatch"),
        (_zip_of("a.txt", b"x"), "to-khai.docx", {}, FileTypeMismatch, "file.type_mismatch"),
        (_zip_of("a.txt", b"x"), "nen.zip", {}, FileTypeNotAllowed, "file.type_not_allowed"),
        (DOCM, "macro.docx", {}, FileTypeMismatch, "file.type_mismatch"),
        (_encrypted(make_docx()), "khoa.docx", {}, FileTypeMismatch, "file.type_mismatch"),
        (_corrupted(make_docx()), "hong.docx", {}, FileTypeMismatch, "file.type_mismatch"),
        (make_pdf(), "a.pdf", {"allowed": {"png"}}, FileTypeNotAllowed, "file.type_not_allowed"),
        (SVG, "hinh.xml", {}, FileTypeMismatch, "file.type_mismatch"),
        (SVG, "hinh.svg", {}, FileTypeNotAllowed, "file.type_not_allowed"),
        (BILLION_LAUGHS, "bom.xml", {}, FileTypeMismatch, "file.type_mismatch"),
        (b"<html><body>x</body></html>", "a.html", {}, FileTypeNotAllowed, "file.type_not_allowed"),
        (b"plain text", "ghi-chu.txt", {}, FileTypeNotAllowed, "file.type_not_allowed"),
    ],
)
def test_refused_files_raise_their_code_and_write_nothing(
    content: bytes,
    name: str,
    options: dict,
    error: type[Exception],
    code: str,
    storage_root: Path,
) -> None:
    with pytest.raises(error) as excinfo:
        file_store(upload=SimpleUploadedFile(name, content), name=name, **options)
    assert excinfo.value.code == code  # type: ignore[attr-defined]
    assert excinfo.value.field == "file"  # type: ignore[attr-defined]
    assert stored_paths(storage_root) == []
    assert StoredFile.objects.count() == 0


def test_size_limit_from_settings_applies(settings, storage_root: Path) -> None:
    settings.EGOV_UPLOAD_MAX_BYTES = 50
    with pytest.raises(FileTooLarge):
        file_store(upload=make_pdf(), name="a.pdf", max_bytes=10_000)  # cannot raise the limit
    assert stored_paths(storage_root) == []


def test_size_limit_holds_when_the_upload_lies_about_its_size(storage_root: Path) -> None:
    upload = SimpleUploadedFile("a.pdf", make_pdf())
    upload.size = 10
    with pytest.raises(FileTooLarge):
        file_store(upload=upload, name="a.pdf", max_bytes=100)
    assert stored_paths(storage_root) == []
    assert StoredFile.objects.count() == 0


def test_refusal_messages_name_the_file_and_the_reason() -> None:
    with translation.override("en"):
        with pytest.raises(FileTypeMismatch) as mismatch:
            file_store(upload=EXE, name="hoá đơn.pdf")
        with pytest.raises(FileTypeMismatch) as renamed:
            file_store(upload=make_png(), name="ảnh.pdf")
        with pytest.raises(FileTooLarge) as large:
            file_store(upload=make_pdf(), name="a.pdf", max_bytes=100)
        with pytest.raises(FileTypeNotAllowed) as not_allowed:
            file_store(upload=make_pdf(), name="a.pdf", allowed={"png", "jpeg"})
        with pytest.raises(FileEmpty) as empty:
            file_store(upload=b"", name="a.pdf")
    assert str(mismatch.value) == (
        "The file hoá đơn.pdf is named .pdf but its content is not a PDF file."
    )
    assert str(renamed.value) == "The file ảnh.pdf is named .pdf but its content is a PNG file."
    assert str(large.value) == "The file a.pdf is larger than the limit of 100\xa0bytes."
    assert str(not_allowed.value) == (
        "The file a.pdf is not of an accepted type. Accepted types: PNG, JPEG."
    )
    assert str(empty.value) == "The file a.pdf is empty."


def test_unknown_kind_in_allow_list_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="exe"):
        file_store(upload=make_pdf(), name="a.pdf", allowed={"pdf", "exe"})


# --- names and detection --------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("raw", "safe"),
    [
        ("../../etc/passwd.pdf", "passwd.pdf"),
        ("C:\\Users\\Admin\\hồ sơ.pdf", "hồ sơ.pdf"),
        ("hoa-don\u202efdp.exe", "hoa-donfdp.exe"),  # right-to-left override removed
        ("tên\x00\x1f tệp\n.pdf", "tên tệp.pdf"),
        ("  ..ẩn.pdf.  ", "ẩn.pdf"),
        (unicodedata.normalize("NFD", "Đắk Lắk.pdf"), "Đắk Lắk.pdf"),
        ("a" * 300 + ".pdf", "a" * 251 + ".pdf"),
        ("/", ""),
    ],
)
def test_safe_original_name(raw: str, safe: str) -> None:
    assert safe_original_name(raw) == safe


def test_name_without_extension_gets_one_from_the_content() -> None:
    stored = file_store(upload=make_pdf(), name="Quyết định 12.2024")
    assert stored.original_name == "Quyết định 12.2024"
    assert stored.file.name.endswith(".pdf")
    nameless = file_store(upload=make_png(), name="../")
    assert nameless.original_name == "file.png"


@pytest.mark.parametrize(
    ("content", "kind"),
    [
        (b"%PDF-1.7\n", "pdf"),
        (b"II*\x00\x08\x00\x00\x00", "tiff"),
        (b"MM\x00*\x00\x00\x00\x08", "tiff"),
        ("\ufeff<?xml version='1.0'?><a>ư</a>".encode(), "xml"),
        ("<?xml version='1.0' encoding='UTF-16'?><a/>".encode("utf-16"), "xml"),
        (b"<a><b></a>", None),
        (b"<!DOCTYPE html><html><body></body></html>", None),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600, None),  # OLE2 but not Office
        (b"PK\x03\x04 broken zip", None),
    ],
)
def test_detect_kind(content: bytes, kind: str | None) -> None:
    assert detect_kind(io.BytesIO(content)) == kind

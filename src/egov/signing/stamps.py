"""Visible signature stamps as Decree 30/2020 places them (STANDARDS-VN.md §2).

- a person's signature: the signer's image (if any) between the title line and the name, with
  the signer's name, position, organisation and time, in the box the document type's layout
  gives (by default at the bottom right of the last page);
- the organisation's (seal) signature on the main document: the seal image, real size, laid
  over about one third of the person's stamp on its left side;
- the organisation's signature on an attachment: top right of page 1, no image, the number and
  notation and the signing time (ISO 8601, Vietnam time) in Times 10 pt.

The stamp is drawn with ReportLab in a Times-compatible font that has the Vietnamese glyphs
(Liberation Serif) and placed as the signature field's appearance by pyHanko.
"""

from __future__ import annotations

import io
import threading
from dataclasses import dataclass, field

import qrcode
from django.conf import settings
from pyhanko.pdf_utils import content, generic
from pyhanko.pdf_utils.layout import AxisAlignment, BoxConstraints, Margins, SimpleBoxLayoutRule
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.stamp import StaticStampStyle
from reportlab.lib.colors import Color
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas

from egov.core.fonts import vietnamese_font_path

MM = 72 / 25.4
FONT_NAME = "EgovSerif"
SEAL_RED = Color(0.8, 0.05, 0.05)
SIGNER_BLUE = Color(0.05, 0.15, 0.6)

_font_lock = threading.Lock()
_font_ready = False


class Kind:
    PERSON = "person"
    SEAL = "seal"
    ATTACHMENT = "attachment"


class Anchor:
    TOP_RIGHT = "top_right"
    BOTTOM_RIGHT = "bottom_right"
    TOP_LEFT = "top_left"
    BOTTOM_LEFT = "bottom_left"


@dataclass(frozen=True)
class Placement:
    """Where a stamp goes, relative to a page corner (so it fits A4 and other sizes).

    `page` counts from 1; 0 means the last page. Distances are in millimetres.
    """

    anchor: str = Anchor.BOTTOM_RIGHT
    page: int = 0
    margin_x_mm: float = 20
    margin_y_mm: float = 25
    width_mm: float = 80
    height_mm: float = 35
    font_size: float = 10


DEFAULT_PLACEMENTS = {
    Kind.PERSON: Placement(Anchor.BOTTOM_RIGHT, 0, 20, 25, 80, 35, 10),
    Kind.SEAL: Placement(Anchor.BOTTOM_RIGHT, 0, 20, 25, 36, 36, 8),
    Kind.ATTACHMENT: Placement(Anchor.TOP_RIGHT, 1, 20, 10, 75, 16, 10),
}


@dataclass(frozen=True)
class StampText:
    """What the stamp says and shows; the lines are already in the reader's language."""

    kind: str
    lines: tuple[str, ...]
    image: bytes | None = None  # signer's signature (PERSON) or the seal (SEAL), PNG/JPEG
    font_size: float = 10
    seal_label: str = ""  # drawn in a red ring when a seal has no image (development)
    extra: dict[str, str] = field(default_factory=dict)
    qr: str = ""  # SEAL: a URL drawn as a QR code left of the seal (see `with_qr`)


# The QR code of the verification page: a square left of the seal, bottom-aligned with it.
QR_MM = 20.0
QR_GAP_MM = 2.0
QR_QUIET_MODULES = 2  # white margin around the modules, inside the square


def qr_matrix(url: str) -> list[list[bool]]:
    """The QR modules (True = dark) for `url`, without quiet zone; error correction M."""
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=0)
    code.add_data(url)
    code.make(fit=True)
    return [[bool(cell) for cell in row] for row in code.get_matrix()]


def qr_box(stamp_box: Box) -> Box:
    """Where, inside a seal stamp made wider by `with_qr`, the QR square lies."""
    x1, y1, _x2, _y2 = stamp_box
    side = QR_MM * MM
    return (x1, y1, x1 + side, y1 + side)


def with_qr(seal: Box, media: Box) -> Box:
    """The seal's rectangle widened to the left to hold the QR square (kept on the page)."""
    x1, y1, x2, y2 = seal
    width = (QR_MM + QR_GAP_MM) * MM
    return (round(max(media[0], x1 - width), 2), y1, x2, y2)


def _vietnamese_font() -> TTFont:
    """The configured or first known TrueType font with every Vietnamese letter (core.fonts)."""
    return TTFont(FONT_NAME, vietnamese_font_path(settings.EGOV_SIGNING_STAMP_FONT))


def _ensure_font() -> None:
    global _font_ready
    if _font_ready:
        return
    with _font_lock:
        if not _font_ready:
            pdfmetrics.registerFont(_vietnamese_font())
            _font_ready = True


def _fit_lines(lines: tuple[str, ...], size: float, width: float) -> list[str]:
    """Wrap each line by words so that it fits `width` points."""
    out: list[str] = []
    for line in lines:
        words, current = line.split(), ""
        for word in words:
            trial = f"{current} {word}".strip()
            if current and pdfmetrics.stringWidth(trial, FONT_NAME, size) > width:
                out.append(current)
                current = word
            else:
                current = trial
        out.append(current)
    return out


def render_stamp(text: StampText, width: float, height: float) -> bytes:
    """A one-page PDF of exactly `width` × `height` points holding the stamp."""
    _ensure_font()
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=(width, height), pageCompression=1)
    pdf.setTitle("stamp")
    size = text.font_size
    if text.kind == Kind.SEAL and text.qr:
        seal_width = max(1.0, width - (QR_MM + QR_GAP_MM) * MM)
        _draw_qr(pdf, text.qr, QR_MM * MM)
        pdf.translate(width - seal_width, 0)
        _draw_seal(pdf, text, seal_width, height)
    elif text.kind == Kind.SEAL:
        _draw_seal(pdf, text, width, height)
    elif text.kind == Kind.ATTACHMENT:
        pdf.setFont(FONT_NAME, size)
        y = height - size - 2
        for line in _fit_lines(text.lines, size, width - 4):
            pdf.drawRightString(width - 2, y, line)
            y -= size * 1.2
    else:
        _draw_person(pdf, text, width, height)
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def _draw_person(pdf: canvas.Canvas, text: StampText, width: float, height: float) -> None:
    """Title line, the signature image (or a blank band), then name and details, centred."""
    size = text.font_size
    lines = _fit_lines(text.lines, size, width - 6)
    title, rest = (lines[0], lines[1:]) if lines else ("", [])
    pdf.setStrokeColor(SIGNER_BLUE)
    pdf.setLineWidth(0.8)
    pdf.rect(1, 1, width - 2, height - 2)
    pdf.setFillColor(SIGNER_BLUE)
    pdf.setFont(FONT_NAME, size)
    y = height - size - 3
    pdf.drawCentredString(width / 2, y, title)
    text_height = len(rest) * size * 1.2
    image_band = max(0.0, y - 4 - text_height - 4)
    if text.image and image_band > 8:
        image = ImageReader(io.BytesIO(text.image))
        pdf.drawImage(
            image,
            6,
            y - 4 - image_band,
            width - 12,
            image_band,
            preserveAspectRatio=True,
            anchor="c",
            mask="auto",
        )
    y = y - 4 - image_band - size
    for line in rest:
        pdf.drawCentredString(width / 2, y, line)
        y -= size * 1.2


def _draw_qr(pdf: canvas.Canvas, url: str, side: float) -> None:
    """Vector modules on a white square at the origin: sharp at any zoom or print size."""
    matrix = qr_matrix(url)
    count = len(matrix) + 2 * QR_QUIET_MODULES
    module = side / count
    pdf.saveState()
    pdf.setFillColorRGB(1, 1, 1)
    pdf.rect(0, 0, side, side, stroke=0, fill=1)
    pdf.setFillColorRGB(0, 0, 0)
    for r, row in enumerate(matrix):
        for c, dark in enumerate(row):
            if dark:
                x = (c + QR_QUIET_MODULES) * module
                y = side - (r + QR_QUIET_MODULES + 1) * module
                pdf.rect(x, y, module, module, stroke=0, fill=1)
    pdf.restoreState()


def _draw_seal(pdf: canvas.Canvas, text: StampText, width: float, height: float) -> None:
    if text.image:
        pdf.drawImage(
            ImageReader(io.BytesIO(text.image)),
            0,
            0,
            width,
            height,
            preserveAspectRatio=True,
            anchor="c",
            mask="auto",
        )
        return
    radius = min(width, height) / 2 - 1.5
    pdf.setStrokeColor(SEAL_RED)
    pdf.setFillColor(SEAL_RED)
    pdf.setLineWidth(1.5)
    pdf.circle(width / 2, height / 2, radius)
    pdf.circle(width / 2, height / 2, radius * 0.72)
    pdf.setFont(FONT_NAME, text.font_size)
    lines = _fit_lines((text.seal_label or " ".join(text.lines),), text.font_size, radius * 1.3)
    y = height / 2 + (len(lines) - 1) * text.font_size * 0.6 - text.font_size / 3
    for line in lines[:3]:
        pdf.drawCentredString(width / 2, y, line)
        y -= text.font_size * 1.2


class _PdfBytesPage(content.ImportedPdfPage):
    """pyHanko's ImportedPdfPage reads a file; ours takes the bytes we just rendered."""

    def __init__(self, data: bytes) -> None:
        super().__init__(file_name="", page_ix=0)
        self.data = data

    def render(self) -> bytes:
        writer = self._ensure_writer
        reader = PdfFileReader(io.BytesIO(self.data))
        xobj = writer.import_page_as_xobject(reader, page_ix=0)
        name = "/EgovStamp"
        self.resources.xobject[name] = xobj
        x1, y1, x2, y2 = xobj.get_object()["/BBox"]
        self.box = BoxConstraints(width=abs(x1 - x2), height=abs(y1 - y2))
        return name.encode("ascii") + b" Do"


def stamp_style(text: StampText, width: float, height: float) -> StaticStampStyle:
    """A pyHanko stamp style whose appearance is the rendered stamp, without a border."""
    return StaticStampStyle(
        background=_PdfBytesPage(render_stamp(text, width, height)),
        border_width=0,
        # pyHanko's default leaves 5 pt margins and shrinks the drawing: the layouts are in
        # millimetres and the QR code is read module by module, so fill the box exactly.
        background_layout=SimpleBoxLayoutRule(
            x_align=AxisAlignment.ALIGN_MID,
            y_align=AxisAlignment.ALIGN_MID,
            margins=Margins.uniform(0),
        ),
    )


Box = tuple[float, float, float, float]


def page_box(media_box: generic.ArrayObject | list[float]) -> Box:
    x1, y1, x2, y2 = (float(v) for v in media_box)
    return min(x1, x2), min(y1, y2), max(x1, x2), max(y1, y2)


def place(placement: Placement, media: Box) -> Box:
    """The stamp's rectangle on a page with this MediaBox."""
    left, bottom, right, top = media
    w, h = placement.width_mm * MM, placement.height_mm * MM
    mx, my = placement.margin_x_mm * MM, placement.margin_y_mm * MM
    x1 = right - mx - w if placement.anchor.endswith("right") else left + mx
    y1 = top - my - h if placement.anchor.startswith("top") else bottom + my
    return (round(x1, 2), round(y1, 2), round(x1 + w, 2), round(y1 + h, 2))


def seal_over(person: Box, placement: Placement) -> Box:
    """The seal's rectangle: its right third covers the left third of the person's stamp."""
    w, h = placement.width_mm * MM, placement.height_mm * MM
    px1, py1, px2, py2 = person
    overlap = (px2 - px1) / 3
    x2 = px1 + overlap
    cy = (py1 + py2) / 2
    return (round(x2 - w, 2), round(cy - h / 2, 2), round(x2, 2), round(cy + h / 2, 2))

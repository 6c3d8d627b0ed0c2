"""The page of an official slip, as Decree 30/2020 (Annex I) sets administrative papers.

A4 portrait (the dossier log: landscape), margins top/bottom 20 mm, left 30 mm, right 15 mm; a
Times-compatible font with the Vietnamese letters (egov.core.fonts); the heading with the
issuing organisation on the left (its parent above it, both in capitals, the issuer in bold)
and the national title and motto on the right; the place and date "…, ngày 05 tháng 01 năm
2026" (leading zero for days below 10 and for months 1 and 2); the title in bold capitals; the
body; the signature blocks.

The slips are the official Vietnamese papers of the one-stop-shop: their wording is the
wording of the form set (the law's text), printed in Vietnamese whatever the reader's language,
so it is written here in Vietnamese and not passed through gettext.
"""

from __future__ import annotations

import io
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from xml.sax.saxutils import escape

from django.conf import settings
from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_JUSTIFY, TA_LEFT
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import (
    Flowable,
    HRFlowable,
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)
from vietnam_provinces import Province

from egov.core.calendar import get_calendar
from egov.core.fonts import FontFamily, register_vietnamese_family
from egov.core.text import format_vnd
from egov.directory.models import Organization
from egov.dossiers.slips.formsets import FormInfo

FONT = "EgovSlipSerif"
MARGINS = {"top": 20 * mm, "bottom": 20 * mm, "left": 30 * mm, "right": 15 * mm}
# A register in landscape binds on its short side: a narrower left margin leaves room for the
# columns of the form.
WIDE_MARGINS = {"top": 20 * mm, "bottom": 15 * mm, "left": 20 * mm, "right": 15 * mm}
BODY_SIZE = 13
TABLE_SIZE = 11


def fonts() -> FontFamily:
    """The slip font family, registered once per process."""
    configured = str(
        getattr(settings, "EGOV_DOSSIER_SLIP_FONT", "")
        or getattr(settings, "EGOV_SIGNING_STAMP_FONT", "")
        or ""
    )
    return register_vietnamese_family(FONT, configured)


@dataclass(frozen=True)
class Styles:
    body: ParagraphStyle
    small: ParagraphStyle
    cell: ParagraphStyle
    cell_center: ParagraphStyle
    head_left: ParagraphStyle
    head_right: ParagraphStyle
    title: ParagraphStyle
    subtitle: ParagraphStyle
    center: ParagraphStyle
    italic_right: ParagraphStyle


def styles() -> Styles:
    family = fonts()
    base = ParagraphStyle(
        "slip", fontName=family.regular, fontSize=BODY_SIZE, leading=BODY_SIZE * 1.2
    )

    def derive(name: str, **kw: object) -> ParagraphStyle:
        return ParagraphStyle(name, parent=base, **kw)

    return Styles(
        body=derive("body", alignment=TA_JUSTIFY, spaceAfter=2),
        small=derive("small", fontSize=TABLE_SIZE, leading=TABLE_SIZE * 1.25),
        cell=derive("cell", fontSize=TABLE_SIZE, leading=TABLE_SIZE * 1.2, alignment=TA_LEFT),
        cell_center=derive(
            "cell_center", fontSize=TABLE_SIZE, leading=TABLE_SIZE * 1.2, alignment=TA_CENTER
        ),
        head_left=derive("head_left", fontSize=12, leading=15, alignment=TA_CENTER),
        head_right=derive(
            "head_right", fontName=family.bold, fontSize=12, leading=15, alignment=TA_CENTER
        ),
        title=derive("title", fontName=family.bold, fontSize=14, leading=18, alignment=TA_CENTER),
        subtitle=derive("subtitle", alignment=TA_CENTER, fontSize=BODY_SIZE),
        center=derive("center", alignment=TA_CENTER),
        italic_right=derive(
            "italic_right", fontName=family.italic, alignment=TA_CENTER, fontSize=BODY_SIZE
        ),
    )


# --- words and numbers the Vietnamese way ---------------------------------------------------------


def text(value: object) -> str:
    """Escape for Paragraph markup, in NFC (the fonts have the precomposed letters)."""
    return escape(unicodedata.normalize("NFC", str(value if value is not None else "")))


def local(moment: datetime) -> datetime:
    return moment.astimezone(get_calendar().tz)


def _month(month: int) -> str:
    return f"{month:02d}" if month < 3 else str(month)


def vn_date(day: date) -> str:
    """ "ngày 05 tháng 01 năm 2026": zero before days below 10 and months 1 and 2 (Decree 30)."""
    return f"ngày {day.day:02d} tháng {_month(day.month)} năm {day.year}"


def vn_moment(moment: datetime) -> str:
    """ "17 giờ 00 phút, ngày 26 tháng 02 năm 2026" in Vietnam time."""
    at = local(moment)
    return f"{at.hour:02d} giờ {at.minute:02d} phút, {vn_date(at.date())}"


def vn_short(moment: datetime | date | None, *, with_time: bool = False) -> str:
    """ "26/02/2026" (or "17:00 26/02/2026") for table cells; empty for None."""
    if moment is None:
        return ""
    if isinstance(moment, datetime):
        at = local(moment)
        return f"{at:%H:%M} {at:%d/%m/%Y}" if with_time else f"{at:%d/%m/%Y}"
    return f"{moment:%d/%m/%Y}"


def money(amount: int) -> str:
    """ "1.000.000 đồng" (the slips are always in Vietnamese)."""
    return format_vnd(amount, "vi")


def count(number: int) -> str:
    """Counts below 10 with a leading zero, as the forms write them ("01 bộ")."""
    return f"{number:02d}"


def place_name() -> str:
    """The place printed before the date: EGOV_DOSSIER_SLIP_PLACE, or the province's name."""
    configured = str(getattr(settings, "EGOV_DOSSIER_SLIP_PLACE", "") or "")
    if configured:
        return configured
    try:
        return str(Province.from_code(int(settings.EGOV_PROVINCE_CODE)).name)  # type: ignore[arg-type]
    except (ValueError, AttributeError, KeyError, TypeError):
        return ""


# --- building blocks ----------------------------------------------------------------------------


def heading(
    organization: Organization, *, at: datetime, number_line: str = "", width: float
) -> list[Flowable]:
    """The two-column heading, the number and the place and date."""
    st = styles()
    family = fonts()
    left: list[Flowable] = []
    parent = organization.parent
    if parent is not None:
        left.append(Paragraph(text(parent.name_vi.upper()), st.head_left))
    left.append(
        Paragraph(
            f'<font name="{family.bold}">{text(organization.name_vi.upper())}</font>', st.head_left
        )
    )
    left.append(
        HRFlowable(width="35%", thickness=0.6, color=colors.black, spaceBefore=1, hAlign="CENTER")
    )
    right: list[Flowable] = [
        Paragraph("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", st.head_right),
        Paragraph(f'<font size="13">{text("Độc lập - Tự do - Hạnh phúc")}</font>', st.head_right),
        HRFlowable(width="48%", thickness=0.6, color=colors.black, spaceBefore=1, hAlign="CENTER"),
    ]
    place = place_name()
    dated = f"{text(place)}, {vn_date(local(at).date())}" if place else vn_date(local(at).date())
    dated = dated[0].upper() + dated[1:]
    number = Paragraph(text(number_line), st.head_left) if number_line else Spacer(1, 1)
    table = Table(
        [[left, right], [number, Paragraph(dated, st.italic_right)]],
        colWidths=[width * 0.42, width * 0.58],
    )
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("ALIGN", (0, 0), (-1, -1), "CENTER"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 0),
                ("TOPPADDING", (0, 1), (-1, 1), 6),
            ]
        )
    )
    return [table, Spacer(1, 6 * mm)]


def title(form: FormInfo, *lines: str) -> list[Flowable]:
    st = styles()
    out: list[Flowable] = [Paragraph(text(form.title), st.title)]
    out += [Paragraph(line, st.subtitle) for line in lines]
    out.append(Spacer(1, 4 * mm))
    return out


def para(markup: str) -> Paragraph:
    return Paragraph(markup, styles().body)


def grid(
    header: Sequence[str],
    rows: Sequence[Sequence[str]],
    widths: Sequence[float],
    *,
    centered: Sequence[int] = (),
    repeat_header: bool = True,
    size: float = TABLE_SIZE,
    padding: float = 6,
) -> Table:
    """A bordered table; cells are plain text (escaped here) and wrap."""
    st = styles()
    family = fonts()
    cell = ParagraphStyle("grid_cell", parent=st.cell, fontSize=size, leading=size * 1.2)
    center = ParagraphStyle("grid_center", parent=cell, alignment=TA_CENTER)
    head_style = ParagraphStyle("grid_head", parent=center, fontName=family.bold)
    data: list[list[Flowable]] = [[Paragraph(text(h), head_style) for h in header]]
    data.extend(
        [
            Paragraph(
                text(value).replace("\n", "<br/>"),
                center if i in centered else cell,
            )
            for i, value in enumerate(row)
        ]
        for row in rows
    )
    table = Table(data, colWidths=list(widths), repeatRows=1 if repeat_header else 0)
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("TOPPADDING", (0, 0), (-1, -1), 2),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
                ("LEFTPADDING", (0, 0), (-1, -1), padding),
                ("RIGHTPADDING", (0, 0), (-1, -1), padding),
            ]
        )
    )
    return table


def qr_code(url: str, side: float) -> Drawing:
    """The QR code of `url`, `side` points wide, drawn as vectors (sharp when printed)."""
    widget = QrCodeWidget(url, barLevel="M")
    x1, y1, x2, y2 = widget.getBounds()
    drawing = Drawing(side, side, transform=[side / (x2 - x1), 0, 0, side / (y2 - y1), 0, 0])
    drawing.add(widget)
    return drawing


def signatures(
    blocks: Sequence[tuple[str, str, str]], width: float, *, space: float = 20 * mm
) -> Flowable:
    """Signature blocks side by side: (title in capitals, "(Ký và ghi rõ họ tên)", name)."""
    st = styles()
    family = fonts()
    if len(blocks) == 1:  # a single signer signs on the right half
        blocks = [("", "", ""), *blocks]
    cells: list[list[Flowable]] = []
    for heading_text, note, name in blocks:
        cells.append(
            [
                Paragraph(f'<font name="{family.bold}">{text(heading_text)}</font>', st.center),
                Paragraph(f'<font name="{family.italic}">{text(note)}</font>', st.center)
                if note
                else Spacer(1, 1),
                Spacer(1, space),
                Paragraph(f'<font name="{family.bold}">{text(name)}</font>', st.center)
                if name
                else Spacer(1, 1),
            ]
        )
    table = Table([cells], colWidths=[width / len(blocks)] * len(blocks))
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP")]))
    return KeepTogether([Spacer(1, 4 * mm), table])


def frame_width(*, wide: bool = False) -> float:
    page, margins = (landscape(A4), WIDE_MARGINS) if wide else (A4, MARGINS)
    return page[0] - margins["left"] - margins["right"]


def build(story: Sequence[Flowable], *, title_text: str, subject: str, wide: bool = False) -> bytes:
    """The PDF bytes; `invariant` keeps the same data rendering to the same bytes."""
    fonts()
    buffer = io.BytesIO()
    margins = WIDE_MARGINS if wide else MARGINS
    document = SimpleDocTemplate(
        buffer,
        pagesize=landscape(A4) if wide else A4,
        leftMargin=margins["left"],
        rightMargin=margins["right"],
        topMargin=margins["top"],
        bottomMargin=margins["bottom"],
        title=title_text,
        subject=subject,
        author="Open eGov VN",
        creator="Open eGov VN",
        invariant=1,
    )
    document.build(list(story))
    return buffer.getvalue()

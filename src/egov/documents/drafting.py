"""The draft of an outgoing document rendered with the layout of Decree 30/2020 (Annex I).

A4 portrait, margins top/bottom 20 mm, left 30 mm, right 15 mm, a Times-compatible font with
the Vietnamese letters (egov.core.fonts). From the top: the issuer (its parent above it, in
capitals) on the left and the national title and motto on the right; "Số: …/<notation>" (the
number stays blank until the clerk issues the document) and, for a công văn, "V/v <subject>"
under it; the urgency and secrecy marks; the place and date "Quảng Ngãi, ngày 05 tháng 01 năm
2026"; the title in bold capitals with the subject under it (not for a công văn); "Kính gửi"
for the types addressed to a superior; the body; "Nơi nhận" (ending "- Lưu: VT, <drafting
unit>.") on the left and the signature block with its authority prefix on the right.

The words on the page are the official Vietnamese text whatever the reader's language, so they
are written here in Vietnamese and not passed through gettext.
"""

from __future__ import annotations

import io
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from xml.sax.saxutils import escape

from django.conf import settings
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_JUSTIFY, TA_LEFT
from reportlab.lib.pagesizes import A4
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

from egov.core.fonts import FontFamily, register_vietnamese_family

FONT = "EgovDocumentSerif"
MARGINS = {"top": 20 * mm, "bottom": 20 * mm, "left": 30 * mm, "right": 15 * mm}
BODY_SIZE = 14
AUTHORITY_PREFIXES = ("TM.", "KT.", "Q.", "TL.", "TUQ.")
# Types whose text is addressed to someone ("Kính gửi:" under the heading).
ADDRESSED_TYPES = frozenset({"cong-van", "to-trinh", "bao-cao"})
URGENCY_MARKS = {"urgent": "KHẨN", "very_urgent": "THƯỢNG KHẨN", "flash": "HỎA TỐC"}
SECRECY_MARKS = {"confidential": "MẬT", "secret": "TỐI MẬT", "top_secret": "TUYỆT MẬT"}


@dataclass(frozen=True)
class DraftPage:
    """Everything printed on the draft, already resolved to text."""

    issuer_name: str
    parent_name: str
    type_code: str
    type_name: str
    notation: str
    subject: str
    body: str
    on: date
    recipients: Sequence[str] = field(default_factory=tuple)
    addressees: Sequence[str] = field(default_factory=tuple)
    drafting_unit_abbr: str = ""
    authority_line: str = ""
    signer_position: str = ""
    signer_name: str = ""
    number: str = ""
    urgency: str = ""
    secrecy: str = ""
    place: str = ""

    @property
    def is_letter(self) -> bool:
        """A công văn: no title line, "V/v <subject>" under the number instead."""
        return self.type_code == "cong-van"


def fonts() -> FontFamily:
    configured = str(getattr(settings, "EGOV_DOCUMENT_FONT", "") or "")
    return register_vietnamese_family(FONT, configured)


def text(value: object) -> str:
    """Escape for Paragraph markup, in NFC (the fonts have the precomposed letters)."""
    return escape(unicodedata.normalize("NFC", str(value if value is not None else "")))


def _month(month: int) -> str:
    return f"{month:02d}" if month < 3 else str(month)


def vn_date(day: date) -> str:
    """ "ngày 05 tháng 01 năm 2026": zero before days below 10 and months 1 and 2."""
    return f"ngày {day.day:02d} tháng {_month(day.month)} năm {day.year}"


def place_name() -> str:
    """The place before the date: EGOV_DOCUMENT_PLACE, or the province's short name."""
    configured = str(getattr(settings, "EGOV_DOCUMENT_PLACE", "") or "")
    if configured:
        return configured
    try:
        from vietnam_provinces import Province

        name = str(Province.from_code(int(settings.EGOV_PROVINCE_CODE)).name)  # type: ignore[arg-type]
    except (ValueError, AttributeError, KeyError, TypeError, ImportError):
        return ""
    for prefix in ("Tỉnh ", "Thành phố "):
        name = name.removeprefix(prefix)
    return name


def number_line(number: str, notation: str) -> str:
    """ "Số: 15/QĐ-UBND", or "Số:      /QĐ-UBND" while the number is not given yet."""
    shown = number if number else "\u00a0" * 6
    return f"Số: {shown}/{notation}" if notation else f"Số: {shown}"


def dated_line(place: str, on: date) -> str:
    line = f"{place}, {vn_date(on)}" if place else vn_date(on)
    return line[0].upper() + line[1:]


def recipients_block(recipients: Sequence[str], drafting_unit_abbr: str) -> list[str]:
    """The lines under "Nơi nhận:": "- <recipient>;" each, then "- Lưu: VT, <unit>."."""
    lines = [f"- {name.strip().rstrip(';.')};" for name in recipients if name.strip()]
    keep = ", ".join(part for part in ("VT", drafting_unit_abbr) if part)
    lines.append(f"- Lưu: {keep}.")
    return lines


@dataclass(frozen=True)
class _Styles:
    body: ParagraphStyle
    head_left: ParagraphStyle
    head_right: ParagraphStyle
    center: ParagraphStyle
    italic_right: ParagraphStyle
    title: ParagraphStyle
    small: ParagraphStyle
    mark: ParagraphStyle


def _styles() -> _Styles:
    family = fonts()
    base = ParagraphStyle(
        "document", fontName=family.regular, fontSize=BODY_SIZE, leading=BODY_SIZE * 1.25
    )

    def derive(name: str, **kw: object) -> ParagraphStyle:
        return ParagraphStyle(name, parent=base, **kw)

    return _Styles(
        body=derive("body", alignment=TA_JUSTIFY, firstLineIndent=10 * mm, spaceAfter=4),
        head_left=derive("head_left", fontSize=13, leading=16, alignment=TA_CENTER),
        head_right=derive(
            "head_right", fontName=family.bold, fontSize=13, leading=16, alignment=TA_CENTER
        ),
        center=derive("center", alignment=TA_CENTER),
        italic_right=derive("italic_right", fontName=family.italic, alignment=TA_CENTER),
        title=derive("title", fontName=family.bold, alignment=TA_CENTER, leading=18),
        small=derive("small", fontSize=12, leading=14, alignment=TA_LEFT),
        mark=derive("mark", fontName=family.bold, fontSize=13, leading=16, alignment=TA_LEFT),
    )


def _heading(page: DraftPage, st: _Styles, family: FontFamily, width: float) -> list[Flowable]:
    left: list[Flowable] = []
    if page.parent_name:
        left.append(Paragraph(text(page.parent_name.upper()), st.head_left))
    issuer = text(page.issuer_name.upper())
    left.append(Paragraph(f'<font name="{family.bold}">{issuer}</font>', st.head_left))
    left.append(
        HRFlowable(width="35%", thickness=0.6, color=colors.black, spaceBefore=1, hAlign="CENTER")
    )
    left.append(Paragraph(text(number_line(page.number, page.notation)), st.head_left))
    if page.is_letter:
        left.append(Paragraph(text(f"V/v {page.subject}"), st.head_left))
    right: list[Flowable] = [
        Paragraph("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", st.head_right),
        Paragraph(f'<font size="14">{text("Độc lập - Tự do - Hạnh phúc")}</font>', st.head_right),
        HRFlowable(width="48%", thickness=0.6, color=colors.black, spaceBefore=1, hAlign="CENTER"),
        Spacer(1, 2 * mm),
        Paragraph(text(dated_line(page.place, page.on)), st.italic_right),
    ]
    table = Table([[left, right]], colWidths=[width * 0.42, width * 0.58])
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("FONTNAME", (0, 0), (-1, -1), family.regular),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 0),
            ]
        )
    )
    out: list[Flowable] = [table]
    marks = [m for m in (SECRECY_MARKS.get(page.secrecy), URGENCY_MARKS.get(page.urgency)) if m]
    out.extend(Paragraph(text(mark), st.mark) for mark in marks)
    out.append(Spacer(1, 6 * mm))
    return out


def _title(page: DraftPage, st: _Styles) -> list[Flowable]:
    if page.is_letter:
        return []
    return [
        Paragraph(text(page.type_name.upper()), st.title),
        Paragraph(text(page.subject), st.title),
        HRFlowable(width="25%", thickness=0.6, color=colors.black, spaceBefore=1, hAlign="CENTER"),
        Spacer(1, 4 * mm),
    ]


def _addressees(page: DraftPage, st: _Styles) -> list[Flowable]:
    if page.type_code not in ADDRESSED_TYPES or not page.addressees:
        return []
    names = [n for n in page.addressees if n.strip()]
    if len(names) == 1:
        return [Paragraph(text(f"Kính gửi: {names[0]}."), st.center), Spacer(1, 3 * mm)]
    lines = ["Kính gửi:"] + [f"- {n};" for n in names[:-1]] + [f"- {names[-1]}."]
    return [Paragraph("<br/>".join(text(line) for line in lines), st.center), Spacer(1, 3 * mm)]


def _body(page: DraftPage, st: _Styles) -> list[Flowable]:
    paragraphs = [p.strip() for p in page.body.replace("\r\n", "\n").split("\n") if p.strip()]
    return [Paragraph(text(p), st.body) for p in paragraphs]


def _closing(page: DraftPage, st: _Styles, family: FontFamily, width: float) -> Flowable:
    left: list[Flowable] = [
        Paragraph(
            f'<font name="{family.bold_italic}" size="12">{text("Nơi nhận:")}</font>', st.small
        )
    ]
    left += [
        Paragraph(f'<font size="11">{text(line)}</font>', st.small)
        for line in recipients_block(page.recipients, page.drafting_unit_abbr)
    ]
    right: list[Flowable] = [
        Paragraph(f'<font name="{family.bold}">{text(line.upper())}</font>', st.center)
        for line in (page.authority_line, page.signer_position)
        if line
    ]
    right.append(Spacer(1, 28 * mm))
    if page.signer_name:
        right.append(
            Paragraph(f'<font name="{family.bold}">{text(page.signer_name)}</font>', st.center)
        )
    table = Table([[left, right]], colWidths=[width * 0.5, width * 0.5])
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("FONTNAME", (0, 0), (-1, -1), family.regular),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 0),
            ]
        )
    )
    return KeepTogether([Spacer(1, 6 * mm), table])


def frame_width() -> float:
    return A4[0] - MARGINS["left"] - MARGINS["right"]


def render_draft(page: DraftPage) -> bytes:
    """The PDF of the draft; the same data renders to the same bytes (invariant mode)."""
    family = fonts()
    st = _styles()
    width = frame_width()
    story: list[Flowable] = []
    story += _heading(page, st, family, width)
    story += _title(page, st)
    story += _addressees(page, st)
    story += _body(page, st)
    story.append(_closing(page, st, family, width))
    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=MARGINS["left"],
        rightMargin=MARGINS["right"],
        topMargin=MARGINS["top"],
        bottomMargin=MARGINS["bottom"],
        title=f"{page.type_name} {page.subject}"[:200],
        subject=page.subject[:200],
        author=page.issuer_name,
        creator="Open eGov VN",
        invariant=1,
        initialFontName=family.regular,
        initialFontSize=BODY_SIZE,
    )
    document.build(story)
    return buffer.getvalue()

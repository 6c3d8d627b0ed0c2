"""Registers of documents for a period, as xlsx (openpyxl) and PDF (ReportLab, A4 landscape).

Decree 30/2020 (STANDARDS-VN.md §2 "Registers — minimum columns") asks the system to print:

- the incoming register (sổ đăng ký văn bản đến): arrival date, arrival number, issuer,
  number/notation, document date, type and subject, receiving unit or person, hand-over date,
  acknowledgement, notes;
- the outgoing register (sổ đăng ký văn bản đi): number/notation, date, type and subject,
  signer, recipients, unit keeping the file copy, number of copies, dispatch date, receiver's
  acknowledgement, notes;
- the incoming follow-up register (sổ theo dõi giải quyết văn bản đến): arrival number,
  document identity, receiver, deadline, progress, reply document, notes.

One register, any period (dates in Vietnam time): incoming documents by their arrival date,
outgoing ones by their issue date. Only numbered documents (entered in the register) appear.
Headings are Vietnamese, as on the paper register; the PDF uses the platform's Times-compatible
font with Vietnamese glyphs (`egov.core.fonts`).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from xml.sax.saxutils import escape

from django.db.models import Prefetch, QuerySet
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils import get_column_letter
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from egov.core.fonts import register_vietnamese_family
from egov.documents.models import Delivery, Direction, Document, Register, Route, State

__all__ = [
    "KINDS",
    "RegisterExport",
    "register_export",
    "render_pdf",
    "render_xlsx",
]

FONT = "EgovDocSerif"
KINDS = ("incoming", "outgoing", "follow_up")

TITLES = {
    "incoming": "SỔ ĐĂNG KÝ VĂN BẢN ĐẾN",
    "outgoing": "SỔ ĐĂNG KÝ VĂN BẢN ĐI",
    "follow_up": "SỔ THEO DÕI GIẢI QUYẾT VĂN BẢN ĐẾN",
}
# (heading, width in mm on A4 landscape)
COLUMNS: dict[str, tuple[tuple[str, int], ...]] = {
    "incoming": (
        ("Ngày đến", 18),
        ("Số đến", 13),
        ("Tác giả", 34),
        ("Số, ký hiệu", 24),
        ("Ngày tháng", 18),
        ("Tên loại và trích yếu nội dung", 60),
        ("Đơn vị hoặc người nhận", 34),
        ("Ngày chuyển", 18),
        ("Ký nhận", 22),
        ("Ghi chú", 26),
    ),
    "outgoing": (
        ("Số, ký hiệu văn bản", 26),
        ("Ngày tháng văn bản", 18),
        ("Tên loại và trích yếu nội dung văn bản", 60),
        ("Người ký", 26),
        ("Nơi nhận văn bản", 40),
        ("Đơn vị, người nhận bản lưu", 24),
        ("Số lượng bản", 13),
        ("Ngày chuyển", 18),
        ("Ký nhận", 20),
        ("Ghi chú", 22),
    ),
    "follow_up": (
        ("Số đến", 14),
        ("Tên loại, số và ký hiệu, ngày tháng, tác giả văn bản", 70),
        ("Đơn vị hoặc người nhận", 40),
        ("Thời hạn giải quyết", 22),
        ("Tiến độ giải quyết", 40),
        ("Số, ký hiệu văn bản trả lời", 30),
        ("Ghi chú", 31),
    ),
}
_PROGRESS = {
    State.REGISTERED: "Đã vào sổ",
    State.PRESENTED: "Đang trình lãnh đạo",
    State.IN_PROCESS: "Đang giải quyết",
    State.COMPLETED: "Đã giải quyết",
    State.FOR_INFORMATION: "Để biết",
    State.RETURNED_TO_SENDER: "Đã trả lại nơi gửi",
    State.RECALLED: "Đã thu hồi",
}
_ACKNOWLEDGED = frozenset(
    {
        Delivery.State.ARRIVED,
        Delivery.State.REGISTERED,
        Delivery.State.ASSIGNED,
        Delivery.State.IN_PROCESS,
        Delivery.State.COMPLETED,
    }
)

Cell = str | int | date | None


@dataclass(frozen=True)
class RegisterExport:
    register: Register
    kind: str
    start: date
    end: date
    columns: tuple[tuple[str, int], ...]
    rows: list[list[Cell]]

    @property
    def title(self) -> str:
        return TITLES[self.kind]

    def period(self) -> str:
        return f"Từ ngày {self.start:%d/%m/%Y} đến ngày {self.end:%d/%m/%Y}"

    def filename(self, extension: str) -> str:
        kind = self.kind.replace("_", "-")
        period = f"{self.start:%Y%m%d}-{self.end:%Y%m%d}"
        return f"so-{kind}-{self.register.code}-{period}.{extension}"


def _day(moment: datetime | None) -> date | None:
    return timezone.localtime(moment).date() if moment is not None else None


def _bounds(start: date, end: date) -> tuple[datetime, datetime]:
    zone = timezone.get_current_timezone()
    return (
        datetime.combine(start, time.min, tzinfo=zone),
        datetime.combine(end + timedelta(days=1), time.min, tzinfo=zone),
    )


def _documents(register: Register, start: date, end: date) -> QuerySet[Document]:
    qs = Document.objects.filter(register=register, register_number__isnull=False)
    if register.direction == Direction.INCOMING:
        low, high = _bounds(start, end)
        qs = qs.filter(arrived_at__gte=low, arrived_at__lt=high).order_by(
            "arrived_at", "register_number"
        )
    else:
        qs = qs.filter(issued_on__gte=start, issued_on__lte=end).order_by(
            "issued_on", "register_number"
        )
    routes = Route.objects.select_related("unit", "officer", "reply_document").order_by(
        "sent_at", "pk"
    )
    return qs.select_related("document_type", "drafting_unit").prefetch_related(
        Prefetch("routes", queryset=routes), "deliveries"
    )


def _receivers(document: Document) -> list[Route]:
    """The routes that hand the document to someone other than the head for direction."""
    routes = [r for r in document.routes.all() if r.state != Route.State.WITHDRAWN]
    handed = [r for r in routes if r.role != Route.Role.HEAD]
    return handed or routes


def _who(route: Route) -> str:
    if route.officer is not None:
        return route.officer.full_name
    return route.unit.name_vi if route.unit is not None else ""


def _type_subject(document: Document) -> str:
    return f"{document.document_type.name_vi}: {document.subject}"


def _incoming_row(document: Document) -> list[Cell]:
    receivers = _receivers(document)
    first = receivers[0] if receivers else None
    read = [r for r in receivers if r.read_at is not None]
    return [
        _day(document.arrived_at),
        document.register_number,
        document.issuer_name,
        document.number_notation,
        document.issued_on,
        _type_subject(document),
        "; ".join(dict.fromkeys(_who(r) for r in receivers)),
        _day(first.sent_at) if first is not None else None,
        f"Đã nhận {_day(read[0].read_at):%d/%m/%Y}" if read else "",
        document.description,
    ]


def _outgoing_row(document: Document) -> list[Cell]:
    deliveries = list(document.deliveries.all())
    acknowledged = sum(1 for d in deliveries if d.state in _ACKNOWLEDGED)
    return [
        document.number_notation,
        document.issued_on,
        _type_subject(document),
        document.signer_name,
        document.recipients_text,
        document.drafting_unit.name_vi if document.drafting_unit is not None else "",
        document.issued_amount,
        _day(document.issued_at),
        f"{acknowledged}/{len(deliveries)} nơi đã nhận" if deliveries else "",
        document.description,
    ]


def _follow_up_row(document: Document) -> list[Cell]:
    receivers = _receivers(document)
    identity = ", ".join(
        part
        for part in (
            document.document_type.name_vi,
            f"số {document.number_notation}" if document.number_notation else "",
            f"ngày {document.issued_on:%d/%m/%Y}" if document.issued_on else "",
            document.issuer_name,
        )
        if part
    )
    progress = _PROGRESS.get(State(document.state), str(State(document.state).label))
    if document.state == State.COMPLETED and document.completed_at is not None:
        progress = f"{progress} ngày {_day(document.completed_at):%d/%m/%Y}"
    replies = [
        r.reply_document.number_notation or r.reply_document.subject[:60]
        for r in receivers
        if r.reply_document is not None
    ]
    return [
        document.register_number,
        identity,
        "; ".join(dict.fromkeys(_who(r) for r in receivers)),
        document.due_on,
        progress,
        "; ".join(dict.fromkeys(replies)),
        document.description,
    ]


_ROWS = {"incoming": _incoming_row, "outgoing": _outgoing_row, "follow_up": _follow_up_row}


def register_export(*, register: Register, kind: str, start: date, end: date) -> RegisterExport:
    """The rows of one register for a period (`kind`: incoming, outgoing or follow_up; the
    follow-up register is one of incoming documents)."""
    if kind not in KINDS:
        raise ValueError(f"unknown register kind {kind!r}")
    expected = Direction.OUTGOING if kind == "outgoing" else Direction.INCOMING
    if register.direction != expected:
        raise ValueError(f"register {register.pk} is not an {expected} register")
    if end < start:
        raise ValueError("the period ends before it starts")
    rows = [_ROWS[kind](d) for d in _documents(register, start, end)]
    return RegisterExport(register, kind, start, end, COLUMNS[kind], rows)


def _text(value: Cell) -> str:
    if value is None:
        return ""
    if isinstance(value, date):
        return f"{value:%d/%m/%Y}"
    return str(value)


def render_xlsx(export: RegisterExport) -> bytes:
    """A title row, the period, the header (row 4) and one row per document; dates are real
    dates so they sort and filter."""
    book = Workbook()
    sheet: Any = book.active
    sheet.title = export.kind.replace("_", " ")
    last = get_column_letter(len(export.columns))
    sheet["A1"] = f"{export.register.organization.name_vi.upper()} — {export.title}"
    sheet["A1"].font = Font(bold=True, size=13)
    sheet.merge_cells(f"A1:{last}1")
    sheet["A2"] = f"{export.register.name} — {export.period()}"
    sheet.merge_cells(f"A2:{last}2")
    thin = Side(style="thin")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    for column, (name, width) in enumerate(export.columns, start=1):
        cell = sheet.cell(row=4, column=column, value=name)
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, horizontal="center", vertical="center")
        cell.border = border
        sheet.column_dimensions[get_column_letter(column)].width = width * 0.6 + 4
    for index, row in enumerate(export.rows, start=5):
        for column, value in enumerate(row, start=1):
            cell = sheet.cell(row=index, column=column, value=value)
            cell.border = border
            cell.alignment = Alignment(wrap_text=True, vertical="top")
            if isinstance(value, date):
                cell.number_format = "dd/mm/yyyy"
    sheet.freeze_panes = "A5"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _para(text: str, style: ParagraphStyle) -> Paragraph:
    return Paragraph(escape(text), style)


def render_pdf(export: RegisterExport) -> bytes:
    """The register on A4 landscape, headings repeated on every page."""
    family = register_vietnamese_family(FONT)
    head = ParagraphStyle("head", fontName=family.bold, fontSize=8.5, leading=10, alignment=1)
    body = ParagraphStyle("body", fontName=family.regular, fontSize=8.5, leading=10)
    title = ParagraphStyle("title", fontName=family.bold, fontSize=14, leading=18, alignment=1)
    line = ParagraphStyle("line", fontName=family.regular, fontSize=11, leading=14, alignment=1)
    buffer = io.BytesIO()
    page = landscape(A4)
    doc = SimpleDocTemplate(
        buffer,
        pagesize=page,
        leftMargin=15 * mm,
        rightMargin=15 * mm,
        topMargin=15 * mm,
        bottomMargin=15 * mm,
        title=export.title,
        subject=export.register.organization.name_vi,
    )
    width = page[0] - 30 * mm
    total = sum(w for _, w in export.columns)
    widths = [width * w / total for _, w in export.columns]
    data = [[_para(name, head) for name, _ in export.columns]]
    data += [[_para(_text(v), body) for v in row] for row in export.rows]
    table = Table(data, colWidths=widths, repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eeeeee")),
            ]
        )
    )
    story = [
        _para(export.register.organization.name_vi.upper(), line),
        Spacer(1, 4 * mm),
        _para(export.title, title),
        _para(f"{export.register.name} — {export.period()}", line),
        Spacer(1, 5 * mm),
        table,
        Spacer(1, 3 * mm),
        _para(f"Tổng số văn bản: {len(export.rows)}.", body),
    ]
    doc.build(story)
    return buffer.getvalue()

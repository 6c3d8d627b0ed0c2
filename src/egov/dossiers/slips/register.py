"""Mẫu 06 — Sổ theo dõi hồ sơ (the dossier log) for a period, as PDF (A4 landscape) and xlsx.

One row per dossier received in the period, with the columns of the form: code, procedure,
number of sets, applicant, address and phone, the organisation that decides, received,
appointment, sent to the deciding organisation, result back from it, result returned, notes.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from django.utils import timezone
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils import get_column_letter
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Spacer

from egov.directory.models import Organization
from egov.dossiers.models import Dossier
from egov.dossiers.slips import layout
from egov.dossiers.slips.base import STATES
from egov.dossiers.slips.formsets import FormSet
from egov.dossiers.slips.layout import text, vn_short

COLUMNS = (  # (heading, width in mm on A4 landscape)
    ("STT", 9),
    ("Mã hồ sơ", 38),
    ("Tên thủ tục hành chính", 28),
    ("Số lượng hồ sơ (bộ)", 12),
    ("Tên cá nhân, tổ chức", 24),
    ("Địa chỉ, số điện thoại", 24),
    ("Cơ quan chủ trì giải quyết", 22),
    ("Nhận hồ sơ", 17),
    ("Hẹn trả kết quả", 17),
    ("Chuyển hồ sơ đến cơ quan giải quyết", 17),
    ("Nhận kết quả từ cơ quan giải quyết", 17),
    ("Trả kết quả", 17),
    ("Ghi chú", 18),
)


@dataclass(frozen=True)
class Register:
    organization: Organization
    start: date
    end: date
    form_set: FormSet
    dossiers: Sequence[Dossier]

    def period(self) -> str:
        return f"Từ ngày {self.start:%d/%m/%Y} đến ngày {self.end:%d/%m/%Y}"


def _moments(dossier: Dossier) -> list[datetime | None]:
    return [
        dossier.received_at,
        dossier.appointment_at,
        dossier.accepted_at,
        dossier.decided_at,
        dossier.returned_at,
    ]


def _contact(dossier: Dossier) -> str:
    return "; ".join(p for p in (dossier.applicant_address, dossier.applicant_phone) if p)


def rows(register: Register) -> list[list[str]]:
    """The text of each row as printed (dates dd/mm/yyyy, Vietnam time)."""
    out = []
    for i, dossier in enumerate(register.dossiers, start=1):
        out.append(
            [
                str(i),
                dossier.code,
                dossier.procedure_version.name,
                "01",
                dossier.applicant_name,
                _contact(dossier),
                dossier.competent_organization.name_vi,
                *(vn_short(m) for m in _moments(dossier)),
                STATES.get(dossier.state, dossier.state),
            ]
        )
    return out


def render_pdf(register: Register) -> bytes:
    form = register.form_set.form("06")
    width = layout.frame_width(wide=True)
    story: list[Flowable] = []
    story += layout.heading(register.organization, at=timezone.now(), width=width)
    story += layout.title(form, text(register.period()))
    total = sum(w for _, w in COLUMNS)
    story.append(
        layout.grid(
            [name for name, _ in COLUMNS],
            rows(register),
            [width * w / total for _, w in COLUMNS],
            centered=(0, 3, 7, 8, 9, 10, 11),
            size=8.5,
            padding=2,
        )
    )
    story.append(Spacer(1, 3 * mm))
    story.append(layout.para(text(f"Tổng số hồ sơ: {len(register.dossiers)}.")))
    return layout.build(
        story, title_text=form.title, subject=register.organization.name_vi, wide=True
    )


def _naive_local(moment: datetime | None) -> datetime | None:
    return layout.local(moment).replace(tzinfo=None) if moment is not None else None


def render_xlsx(register: Register) -> bytes:
    """The log as a spreadsheet: a title, the period, a header row (row 4) and one row per
    dossier; the moments are real date-times (Vietnam time) so they sort and filter."""
    form = register.form_set.form("06")
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "So theo doi ho so"
    last = get_column_letter(len(COLUMNS))
    sheet["A1"] = f"{register.organization.name_vi.upper()} — {form.title}"
    sheet["A1"].font = Font(bold=True, size=13)
    sheet.merge_cells(f"A1:{last}1")
    sheet["A2"] = register.period()
    sheet.merge_cells(f"A2:{last}2")
    thin = Side(style="thin")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    for column, (name, width) in enumerate(COLUMNS, start=1):
        cell = sheet.cell(row=4, column=column, value=name)
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, horizontal="center", vertical="center")
        cell.border = border
        sheet.column_dimensions[get_column_letter(column)].width = width * 0.6 + 4
    for index, dossier in enumerate(register.dossiers, start=1):
        values: list[object] = [
            index,
            dossier.code,
            dossier.procedure_version.name,
            1,
            dossier.applicant_name,
            _contact(dossier),
            dossier.competent_organization.name_vi,
            *(_naive_local(m) for m in _moments(dossier)),
            STATES.get(dossier.state, dossier.state),
        ]
        for column, value in enumerate(values, start=1):
            cell = sheet.cell(row=4 + index, column=column, value=value)
            cell.border = border
            cell.alignment = Alignment(wrap_text=True, vertical="top")
            if isinstance(value, datetime):
                cell.number_format = "dd/mm/yyyy hh:mm"
    sheet.freeze_panes = "A5"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()

"""Mẫu 05 — Phiếu kiểm soát quá trình giải quyết hồ sơ (control slip of the handling).

One row per hand-over of the log up to the event the slip is issued for: who handed the dossier
over (unit and person, time) and who took it (unit and person, time), with the result of the
step that ended — early, on time or late — and notes. A hand-over followed by the receiving
officer taking the step becomes one row, as the form lays it out.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Q
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Spacer

from egov.directory.selectors import organization_of
from egov.dossiers import deadlines
from egov.dossiers.models import DossierEvent, DossierStep
from egov.dossiers.slips import layout
from egov.dossiers.slips.base import TIMELINESS, SlipInput, applicant_label, unit_and_person
from egov.dossiers.slips.layout import para, text, vn_short

NOTES = {
    "receive": "Tiếp nhận hồ sơ",
    "accept": "Chuyển hồ sơ đến cơ quan giải quyết",
    "complete_step": "Hoàn thành bước",
    "approve_result": "Phê duyệt kết quả",
    "deny_result": "Không chấp thuận, có văn bản trả lời",
    "return_result": "Trả kết quả cho người nộp",
    "request_supplement": "Yêu cầu bổ sung hồ sơ (tạm dừng thời hạn)",
    "resubmit": "Nhận hồ sơ bổ sung",
    "refuse": "Từ chối tiếp nhận",
    "withdraw": "Người nộp rút hồ sơ",
    "cancel": "Dừng giải quyết",
    "apologize": "Xin lỗi và hẹn lại ngày trả kết quả",
    "sign_result": "Ký số kết quả giải quyết",
}


@dataclass
class Row:
    giver: str
    taker: str
    given_at: str
    taken_at: str = ""
    result: str = ""
    notes: list[str] = field(default_factory=list)
    to_unit_id: int | None = None


def events_until(slip: SlipInput) -> list[DossierEvent]:
    source = slip.source
    return list(
        DossierEvent.objects.filter(dossier=slip.dossier)
        .filter(Q(at__lt=source.at) | Q(at=source.at, pk__lte=source.pk))
        .select_related("from_unit", "to_unit", "from_officer", "to_officer", "step")
        .order_by("at", "pk")
    )


def _step_result(step: DossierStep | None) -> str:
    return TIMELINESS.get(step.result, "") if step is not None and step.result else ""


def handover_rows(slip: SlipInput) -> list[Row]:
    dossier = slip.dossier
    rows: list[Row] = []
    waiting: Row | None = None  # a hand-over whose receiving officer has not taken it yet
    for event in events_until(slip):
        note = NOTES.get(event.action, "")
        if event.action == "complete_step" and event.step is not None:
            note = f"{note}: {event.step.name}"
        extra = [n for n in (note, event.note) if n]
        if event.action == "start_step":
            if waiting is not None and waiting.to_unit_id == event.to_unit_id:
                waiting.taker = unit_and_person(event.to_unit, event.to_officer)
                waiting.taken_at = vn_short(event.at, with_time=True)
                waiting = None
            else:
                rows.append(
                    Row(
                        giver="",
                        taker=unit_and_person(event.to_unit, event.to_officer),
                        given_at="",
                        taken_at=vn_short(event.at, with_time=True),
                        notes=[f"Nhận xử lý: {event.step.name}" if event.step else ""],
                    )
                )
            continue
        if event.action == "record_cash_payment":
            continue
        at = vn_short(event.at, with_time=True)
        if event.action == "receive":
            row = Row(
                giver=applicant_label(dossier),
                taker=unit_and_person(event.to_unit, event.from_officer),
                given_at=at,
                taken_at=at,
                notes=extra,
            )
        elif event.action == "return_result":
            row = Row(
                giver=unit_and_person(dossier.receiving_organization, event.from_officer),
                taker=applicant_label(dossier),
                given_at=at,
                taken_at=at,
                result=TIMELINESS[deadlines.settled_timeliness(dossier.due_at, event.at)],
                notes=extra,
            )
        elif event.action in ("approve_result", "deny_result"):
            row = Row(
                giver=unit_and_person(dossier.competent_organization, event.from_officer),
                taker=event.to_unit.name_vi if event.to_unit else "",
                given_at=at,
                result=TIMELINESS[deadlines.settled_timeliness(dossier.due_at, event.at)],
                notes=extra,
                to_unit_id=event.to_unit_id,
            )
        elif event.from_unit_id or event.to_unit_id:
            row = Row(
                giver=unit_and_person(event.from_unit, event.from_officer),
                taker=event.to_unit.name_vi if event.to_unit else "",
                given_at=at,
                result=_step_result(event.step),
                notes=extra,
                to_unit_id=event.to_unit_id,
            )
        else:
            row = Row(
                giver=unit_and_person(None, event.from_officer), taker="", given_at=at, notes=extra
            )
        rows.append(row)
        waiting = row if row.to_unit_id is not None else None
    return rows


def render(slip: SlipInput) -> bytes:
    dossier = slip.dossier
    form = slip.form_set.form("05")
    width = layout.frame_width()
    home = {organization_of(dossier.competent_organization).pk}
    home.add(organization_of(dossier.receiving_organization).pk)
    partners: list[str] = []
    for step in dossier.steps.select_related("responsible_unit").order_by("order"):
        organization = organization_of(step.responsible_unit)
        if organization.pk not in home and organization.name_vi not in partners:
            partners.append(organization.name_vi)

    story: list[Flowable] = []
    story += layout.heading(dossier.receiving_organization, at=slip.at, width=width)
    story += layout.title(
        form,
        text(f"Mã hồ sơ: {dossier.code}"),
        text("(Kèm theo Giấy tiếp nhận hồ sơ và hẹn trả kết quả)"),
    )
    story += [
        para(text(f"Người nộp hồ sơ: {dossier.applicant_name}")),
        para(text(f"Nội dung yêu cầu giải quyết: {dossier.procedure_version.name}")),
        para(text(f"Cơ quan giải quyết hồ sơ: {dossier.competent_organization.name_vi}")),
        para(text(f"Cơ quan phối hợp giải quyết hồ sơ: {', '.join(partners) or 'không'}")),
        para(text(f"Hẹn trả kết quả: {layout.vn_moment(dossier.appointment_at)}")),
        Spacer(1, 2 * mm),
    ]
    rows = [
        [
            str(i),
            row.giver,
            row.taker,
            "\n".join(
                x
                for x in (
                    f"Giao: {row.given_at}" if row.given_at else "",
                    f"Nhận: {row.taken_at}" if row.taken_at else "",
                )
                if x
            ),
            row.result,
            "; ".join(n for n in row.notes if n),
        ]
        for i, row in enumerate(handover_rows(slip), start=1)
    ]
    story.append(
        layout.grid(
            [
                "STT",
                "Bên giao (cơ quan, người giao)",
                "Bên nhận (cơ quan, người nhận)",
                "Thời gian giao, nhận hồ sơ",
                "Kết quả (trước hạn / đúng hạn / quá hạn)",
                "Ghi chú",
            ],
            rows,
            [11 * mm, 37 * mm, 37 * mm, 31 * mm, 22 * mm, width - 138 * mm],
            centered=(0, 4),
        )
    )
    return layout.build(story, title_text=form.title, subject=dossier.code)

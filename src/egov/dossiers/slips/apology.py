"""Mẫu 04 — Phiếu xin lỗi và hẹn lại ngày trả kết quả (apology and new appointment), issued
by the competent organisation that will be late, signed by the officer who issued it."""

from __future__ import annotations

from reportlab.platypus import Flowable

from egov.dossiers.models import Apology, DossierEvent
from egov.dossiers.slips import layout
from egov.dossiers.slips.base import SlipInput, person
from egov.dossiers.slips.layout import para, text, vn_date, vn_moment


def apology_of(slip: SlipInput) -> Apology | None:
    """The apology the event recorded: the n-th apology event is the n-th apology."""
    events = list(
        DossierEvent.objects.filter(dossier=slip.dossier, action="apologize")
        .order_by("at", "pk")
        .values_list("pk", flat=True)
    )
    apologies = list(
        Apology.objects.filter(dossier=slip.dossier)
        .select_related("issued_by__position")
        .order_by("issued_at", "pk")
    )
    index = events.index(slip.source.pk) if slip.source.pk in events else -1
    return apologies[index] if 0 <= index < len(apologies) else None


def render(slip: SlipInput) -> bytes:
    dossier = slip.dossier
    form = slip.form_set.form("04")
    width = layout.frame_width()
    apology = apology_of(slip)
    if apology is None:
        raise LookupError(f"no apology recorded for event {slip.source.pk}")
    competent = dossier.competent_organization
    received = vn_date(layout.local(dossier.received_at).date()).removeprefix("ngày ")
    story: list[Flowable] = []
    story += layout.heading(competent, at=apology.issued_at, width=width)
    story += layout.title(form)
    story += [
        para(text(f"Kính gửi: Ông/Bà {dossier.applicant_name}")),
        para(
            text(
                f"Ngày {received}, {dossier.receiving_organization.name_vi} tiếp nhận hồ sơ "
                f"của Ông/Bà; mã hồ sơ: {dossier.code}."
            )
        ),
        para(text(f"Nội dung yêu cầu giải quyết: {dossier.procedure_version.name}")),
        para(
            text(
                "Thời hẹn trả kết quả giải quyết hồ sơ: "
                f"{vn_moment(apology.previous_appointment_at)}."
            )
        ),
        para(
            text(
                f"Tuy nhiên đến nay, {competent.name_vi} chưa trả kết quả giải quyết hồ sơ cho "
                "Ông/Bà đúng thời hạn ghi trên Giấy tiếp nhận hồ sơ và hẹn trả kết quả."
            )
        ),
        para(text(f"Lý do: {apology.reason}")),
        para(
            text(
                f"Sự chậm trễ này đã gây phiền hà cho Ông/Bà. {competent.name_vi} xin lỗi "
                "Ông/Bà và hẹn lại thời gian trả kết quả giải quyết hồ sơ vào: "
                f"{vn_moment(apology.new_appointment_at)}."
            )
        ),
        para(text("Xin trân trọng cảm ơn sự hợp tác của Ông/Bà./.")),
    ]
    issuer = apology.issued_by
    heading = issuer.position.name_vi.upper() if issuer.position_id else "THỦ TRƯỞNG CƠ QUAN"
    story.append(
        layout.signatures([(heading, "(Ký, ghi rõ họ tên và đóng dấu)", person(issuer))], width)
    )
    return layout.build(story, title_text=form.title, subject=dossier.code)

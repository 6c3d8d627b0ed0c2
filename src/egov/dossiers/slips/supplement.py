"""Mẫu 02 — Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ (request for supplements).

Everything missing at once, each paper with its counts and the reason, and whom to ask: the
officer who made the request at the one-stop counter (the law forbids other contacts).
"""

from __future__ import annotations

from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Spacer

from egov.dossiers.models import ClockStop, DossierEvent
from egov.dossiers.slips import layout
from egov.dossiers.slips.base import SlipInput, person
from egov.dossiers.slips.layout import count, para, text, vn_date, vn_moment


def clock_stop_of(slip: SlipInput) -> ClockStop | None:
    """The supplement request the event recorded: the n-th request event is the n-th stop."""
    events = list(
        DossierEvent.objects.filter(dossier=slip.dossier, action="request_supplement")
        .order_by("at", "pk")
        .values_list("pk", flat=True)
    )
    stops = list(
        ClockStop.objects.filter(dossier=slip.dossier, reason=ClockStop.Reason.SUPPLEMENT)
        .select_related("requested_by")
        .order_by("stopped_at", "pk")
    )
    index = events.index(slip.source.pk) if slip.source.pk in events else -1
    return stops[index] if 0 <= index < len(stops) else None


def render(slip: SlipInput) -> bytes:
    dossier = slip.dossier
    form = slip.form_set.form("02")
    width = layout.frame_width()
    stop = clock_stop_of(slip)
    items = list(stop.items) if stop else []
    required = {d.code: d for d in dossier.procedure_version.documents.all()}
    officer = (stop.requested_by if stop else None) or slip.source.from_officer
    organization = dossier.receiving_organization

    story: list[Flowable] = []
    story += layout.heading(organization, at=slip.at, width=width)
    story += layout.title(form, text(f"Mã hồ sơ: {dossier.code}"))
    story += [
        para(
            text(
                f"Ngày {vn_date(layout.local(dossier.received_at).date()).removeprefix('ngày ')}, "
                f"{organization.name_vi} đã tiếp nhận hồ sơ của: {dossier.applicant_name}"
            )
        ),
        para(text(f"Nội dung yêu cầu giải quyết: {dossier.procedure_version.name}")),
        para(
            text(
                "Sau khi xem xét thành phần hồ sơ, đề nghị Ông/Bà bổ sung, hoàn thiện hồ sơ gồm "
                "những nội dung sau:"
            )
        ),
    ]
    rows = []
    for i, item in enumerate(items, start=1):
        document = required.get(str(item.get("document_code") or ""))
        rows.append(
            [
                str(i),
                str(item.get("name", "")),
                count(document.originals) if document and document.originals else "",
                count(document.copies) if document and document.copies else "",
                str(item.get("reason", "")),
            ]
        )
    story.append(
        layout.grid(
            ["STT", "Giấy tờ cần bổ sung, hoàn thiện", "Bản chính", "Bản sao", "Lý do"],
            rows,
            [12 * mm, 58 * mm, 18 * mm, 18 * mm, width - 106 * mm],
            centered=(0, 2, 3),
        )
    )
    story.append(Spacer(1, 2 * mm))
    if stop and stop.note:
        story.append(para(text(f"Ghi chú: {stop.note}")))
    story.append(
        para(
            text(
                "Thời hạn giải quyết hồ sơ tạm dừng từ "
                f"{vn_moment(stop.stopped_at if stop else slip.at)} cho đến khi Ông/Bà nộp "
                "đủ hồ sơ bổ sung."
            )
        )
    )
    phone = (officer.phone if officer else "") or organization.phone
    contact = (
        f"Trong quá trình hoàn thiện hồ sơ, nếu có vướng mắc, Ông/Bà liên hệ {person(officer)}"
    )
    contact += f", số điện thoại {phone}" if phone else ""
    story.append(para(text(contact + " để được hướng dẫn./.")))
    story.append(
        layout.signatures([("NGƯỜI HƯỚNG DẪN", "(Ký và ghi rõ họ tên)", person(officer))], width)
    )
    return layout.build(story, title_text=form.title, subject=dossier.code)

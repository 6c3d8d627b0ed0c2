"""Mẫu 01 — Giấy tiếp nhận hồ sơ và hẹn trả kết quả (receipt and appointment).

Printed for the intake and again for a resubmission after supplements (the appointment is
recomputed then). The documents received are the dossier's recorded files counted per required
document (original / copy); a paper dossier received without scans lists the procedure's
required documents with their counts, as the counter checked them complete.
"""

from __future__ import annotations

from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Paragraph, Spacer, Table, TableStyle

from egov.dossiers.models import Dossier, DossierFile
from egov.dossiers.slips import layout
from egov.dossiers.slips.base import (
    SlipInput,
    person,
    processing_time,
    result_channel,
    status_url,
)
from egov.dossiers.slips.layout import count, money, para, text, vn_moment


def documents_received(dossier: Dossier) -> list[tuple[str, int, int]]:
    """(name, originals, copies) of each paper received."""
    required = list(dossier.procedure_version.documents.all())
    names = {d.code: d.name for d in required}
    files = list(dossier.files.select_related("stored_file").order_by("pk"))
    if not files:
        return [
            (d.name, d.originals, d.copies)
            for d in required
            if not d.case or not dossier.case or d.case == dossier.case
        ]
    rows: dict[str, list[int]] = {}
    order: list[str] = []
    for kept in files:
        name = names.get(kept.document_code) or kept.stored_file.original_name
        if name not in rows:
            rows[name] = [0, 0]
            order.append(name)
        rows[name][0 if kept.kind == DossierFile.Kind.ORIGINAL else 1] += 1
    return [(name, rows[name][0], rows[name][1]) for name in order]


def render(slip: SlipInput) -> bytes:
    dossier = slip.dossier
    form = slip.form_set.form("01")
    width = layout.frame_width()
    st = layout.styles()
    family = layout.fonts()
    url = status_url(dossier)
    resubmitted = slip.source.action == "resubmit"

    story: list[Flowable] = []
    story += layout.heading(dossier.receiving_organization, at=slip.at, width=width)
    story += layout.title(form)
    code_lines = [
        Paragraph(f'Mã hồ sơ: <font name="{family.bold}">{text(dossier.code)}</font>', st.body),
        Paragraph(
            f'Mã tra cứu: <font name="{family.bold}">{text(dossier.lookup_code)}</font>', st.body
        ),
        Paragraph(
            text("Tra cứu tình trạng hồ sơ: quét mã QR hoặc truy cập ") + text(url), st.small
        ),
    ]
    if resubmitted:
        code_lines.append(
            Paragraph(text("(Tiếp nhận lại sau khi bổ sung, hoàn thiện hồ sơ)"), st.small)
        )
    side = 28 * mm
    top = Table(
        [[code_lines, layout.qr_code(url, side)]], colWidths=[width - side - 4 * mm, side + 4 * mm]
    )
    top.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 0),
            ]
        )
    )
    story += [top, Spacer(1, 3 * mm)]

    organization = dossier.receiving_organization.name_vi
    identity = (
        f"Số định danh cá nhân: {dossier.applicant_national_id}"
        if dossier.applicant_national_id
        else f"Mã số thuế: {dossier.applicant_tax_code}"
    )
    contact = f"Số điện thoại: {dossier.applicant_phone}"
    if dossier.applicant_email:
        contact += f"; Email: {dossier.applicant_email}"
    story += [
        para(text(f"{organization} tiếp nhận hồ sơ của:")),
        para(f'Ông/Bà (tổ chức): <font name="{family.bold}">{text(dossier.applicant_name)}</font>'),
        para(text(identity)),
        para(text(contact)),
        para(text(f"Địa chỉ: {dossier.applicant_address}")),
        para(text(f"Nội dung yêu cầu giải quyết: {dossier.procedure_version.name}")),
        para(text("1. Thành phần hồ sơ nộp gồm:")),
    ]
    rows = [
        [str(i), name, count(originals) if originals else "", count(copies) if copies else ""]
        for i, (name, originals, copies) in enumerate(documents_received(dossier), start=1)
    ]
    story.append(
        layout.grid(
            ["STT", "Tên giấy tờ", "Bản chính", "Bản sao"],
            rows,
            [12 * mm, width - 52 * mm, 20 * mm, 20 * mm],
            centered=(0, 2, 3),
        )
    )
    story.append(Spacer(1, 2 * mm))
    story += [
        para(text("2. Số lượng hồ sơ: 01 bộ.")),
        para(text(f"3. Thời gian giải quyết hồ sơ theo quy định: {processing_time(dossier)}.")),
    ]
    fees = list(dossier.fees.all())
    if fees:
        story.append(para(text("4. Phí, lệ phí:")))
        for fee in fees:
            paid = "đã nộp" if fee.paid else "chưa nộp"
            story.append(para(text(f"- {fee.name}: {money(fee.amount)} ({paid});")))
        story.append(para(text(f"Tổng cộng: {money(sum(f.amount for f in fees))}.")))
    else:
        story.append(para(text("4. Phí, lệ phí: không.")))
    story += [
        para(text(f"5. Thời gian nhận hồ sơ: {vn_moment(slip.at)}.")),
        para(
            text("6. Thời gian trả kết quả giải quyết hồ sơ: ")
            + f'<font name="{family.bold}">{text(vn_moment(dossier.appointment_at))}</font>.'
        ),
        para(text(f"7. Đăng ký nhận kết quả tại: {result_channel(dossier)}.")),
    ]
    officer = slip.source.from_officer or dossier.received_by
    story.append(
        layout.signatures(
            [
                ("NGƯỜI NỘP HỒ SƠ", "(Ký và ghi rõ họ tên)", dossier.applicant_name),
                ("NGƯỜI TIẾP NHẬN HỒ SƠ", "(Ký và ghi rõ họ tên)", person(officer)),
            ],
            width,
        )
    )
    return layout.build(story, title_text=form.title, subject=dossier.code)

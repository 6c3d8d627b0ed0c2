"""The electronic receipt of an online fee payment: drawn once as PDF, stored, served.

It is the platform's proof that the gateway confirmed the payment of the listed fee lines
("Biên nhận thanh toán trực tuyến"), printed in Vietnamese whatever the reader's language, on
the page layout and font of the one-stop slips (egov.dossiers.slips.layout). It is not the
legal fee receipt (biên lai thu phí, lệ phí điện tử, Decree 11/2020) that the collecting agency
issues from its receipt register: docs/payments.md.
"""

from __future__ import annotations

from django.core.files.storage import default_storage
from django.db import transaction
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Paragraph, Spacer, Table, TableStyle

from egov.core.files import file_store
from egov.dossiers.models import Dossier
from egov.dossiers.slips import layout
from egov.dossiers.slips.base import applicant_label, status_url
from egov.dossiers.slips.layout import money, para, text, vn_moment
from egov.payments.models import Payment

GATEWAY_NAMES = {"vnpay": "Cổng thanh toán VNPAY (giao thức chuyển hướng có ký)"}


def receipt_pdf(payment: Payment) -> bytes:
    """The receipt's PDF bytes (the same payment always draws the same bytes)."""
    dossier = (
        Dossier.objects.select_related("procedure_version", "receiving_organization__parent")
        .only(
            "code",
            "applicant_name",
            "applicant_national_id",
            "applicant_tax_code",
            "procedure_version__name",
            "receiving_organization__name_vi",
            "receiving_organization__parent__name_vi",
            "receiving_organization__parent_id",
        )
        .get(pk=payment.dossier_id)
    )
    width = layout.frame_width()
    st = layout.styles()
    family = layout.fonts()
    assert payment.paid_at is not None
    story: list[Flowable] = []
    story += layout.heading(
        dossier.receiving_organization,
        at=payment.paid_at,
        number_line=f"Số: {payment.receipt_number}",
        width=width,
    )
    story.append(Paragraph(text("BIÊN NHẬN THANH TOÁN PHÍ, LỆ PHÍ TRỰC TUYẾN"), st.title))
    story.append(Spacer(1, 4 * mm))
    story.append(para(f"Hồ sơ số: <b>{text(dossier.code)}</b>"))
    story.append(para(f"Thủ tục hành chính: {text(dossier.procedure_version.name)}"))
    story.append(para(f"Người nộp: {text(applicant_label(dossier))}"))
    story.append(Spacer(1, 3 * mm))
    rows = [
        [str(i), str(name), money(int(amount))]
        for i, (_order, name, amount) in enumerate(payment.fee_lines, start=1)
    ]
    rows.append(["", "Tổng cộng", money(payment.amount)])
    story.append(
        layout.grid(
            ["STT", "Nội dung khoản thu", "Số tiền"],
            rows,
            [width * 0.1, width * 0.6, width * 0.3],
            centered=(0,),
        )
    )
    story.append(Spacer(1, 3 * mm))
    paid_at_bank = payment.pay_date or payment.paid_at
    lines = [
        f"Hình thức thanh toán: {text(GATEWAY_NAMES.get(payment.gateway, payment.gateway))}",
        f"Mã giao dịch của cổng thanh toán: {text(payment.gateway_txn_no)}",
        f"Mã đơn hàng: {text(payment.txn_ref)}",
        f"Ngân hàng: {text(payment.bank_code)}",
        f"Thời điểm thanh toán: {vn_moment(paid_at_bank)}",
        f'Trạng thái: <font name="{family.bold}">Đã thanh toán thành công</font>',
    ]
    story += [para(line) for line in lines]
    story.append(Spacer(1, 4 * mm))
    url = status_url(dossier)
    qr = Table(
        [[layout.qr_code(url, 28 * mm), para(f"Tra cứu hồ sơ: {text(url)}")]],
        colWidths=[32 * mm, width - 32 * mm],
    )
    qr.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "MIDDLE")]))
    story.append(qr)
    story.append(
        para(
            "<i>Biên nhận điện tử do hệ thống cấp tự động sau khi cổng thanh toán xác nhận giao "
            "dịch; không cần chữ ký, con dấu.</i>"
        )
    )
    return layout.build(
        story,
        title_text=f"Biên nhận thanh toán {payment.receipt_number}",
        subject=f"Hồ sơ {dossier.code}",
    )


def receipt_store(payment: Payment) -> Payment:
    """Draw (outside any lock) and store the receipt once; a second caller gets the first."""
    pdf = receipt_pdf(payment)
    saved: list[str] = []
    try:
        with transaction.atomic():
            locked = Payment.objects.select_for_update().get(pk=payment.pk)
            if locked.receipt_file_id is not None:
                return locked
            stored = file_store(
                upload=pdf,
                name=f"bien-nhan-thanh-toan-{locked.txn_ref}.pdf",
                allowed=frozenset({"pdf"}),
            )
            saved.append(str(stored.file.name))
            locked.receipt_file = stored
            locked.save(update_fields=["receipt_file", "updated_at"])
    except BaseException:
        for name in saved:
            default_storage.delete(name)
        raise
    return locked

"""Mẫu 03 — Phiếu từ chối tiếp nhận giải quyết hồ sơ (refusal to receive), with the reasons and
their legal basis."""

from __future__ import annotations

from reportlab.platypus import Flowable

from egov.dossiers.slips import layout
from egov.dossiers.slips.base import SlipInput, person
from egov.dossiers.slips.layout import para, text


def render(slip: SlipInput) -> bytes:
    dossier = slip.dossier
    form = slip.form_set.form("03")
    width = layout.frame_width()
    organization = dossier.receiving_organization
    story: list[Flowable] = []
    story += layout.heading(organization, at=slip.at, width=width)
    story += layout.title(form, text(f"Mã hồ sơ: {dossier.code}"))
    story += [
        para(text(f"{organization.name_vi} tiếp nhận hồ sơ của: {dossier.applicant_name}")),
        para(text(f"Nội dung yêu cầu giải quyết: {dossier.procedure_version.name}")),
        para(
            text(
                f"Căn cứ quy định tại {dossier.legal_basis}, {organization.name_vi} từ chối "
                "tiếp nhận, giải quyết đối với hồ sơ này với lý do cụ thể như sau:"
            )
        ),
    ]
    story += [
        para(text(f"{i}. {reason}")) for i, reason in enumerate(dossier.reasons or [], start=1)
    ]
    story.append(para(text("Xin thông báo để Ông/Bà được biết và thực hiện./.")))
    story.append(
        layout.signatures(
            [("NGƯỜI TIẾP NHẬN HỒ SƠ", "(Ký và ghi rõ họ tên)", person(slip.source.from_officer))],
            width,
        )
    )
    return layout.build(story, title_text=form.title, subject=dossier.code)

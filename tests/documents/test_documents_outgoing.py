"""Outgoing documents: drafting, versions, comments, the approval chain, delegation, refusals."""

from __future__ import annotations

import importlib.util
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest
from directory_factories import DelegationFactory
from django.utils import timezone
from documents_support import DocWorld

from egov.core.errors import PermissionDenied, ValidationFailed
from egov.core.models import AuditEntry
from egov.directory.models import Delegation
from egov.documents import drafting
from egov.documents.models import (
    ApprovalChain,
    ApprovalStep,
    Comment,
    Document,
    DocumentEvent,
    DocumentFile,
    State,
)
from egov.documents.services import outgoing
from egov.documents.services._common import DocumentConflict, TransitionNotAllowed


def _load(name: str, path: Path) -> None:
    if name in sys.modules:
        return
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)


_load("outgoing_support", Path(__file__).with_name("test_documents_outgoing_support.py"))

from outgoing_support import (  # noqa: E402
    approve_all,
    docx_upload,
    draft,
    file_bytes,
    fresh,
    pdf_text,
    pdf_tool,
    pdf_upload,
)

# --- drafting ---------------------------------------------------------------------------------


def test_draft_belongs_to_the_drafters_organisation_with_version_one_rendered(
    docworld: DocWorld,
) -> None:
    document = draft(docworld)

    assert document.state == State.DRAFT
    assert document.organization == docworld.committee
    assert document.drafting_unit == docworld.economy
    assert document.issuer_name == "Ủy ban nhân dân tỉnh"
    assert document.recipients_text == "Sở Xây dựng [H51.04]\nBộ Nội vụ [G01]\nBáo Quảng Ngãi"
    [row] = DocumentFile.objects.filter(document=document)
    assert (row.role, row.draft_version, row.added_by) == (
        DocumentFile.Role.DRAFT,
        1,
        docworld.economy_officer.account,
    )
    assert row.file.content_type == "application/pdf"
    assert list(
        DocumentEvent.objects.filter(document=document).values_list("action", flat=True)
    ) == ["draft_create"]
    assert AuditEntry.objects.filter(action="document.draft_create").count() == 1


def test_draft_pdf_carries_the_decree_layout_in_vietnamese(
    docworld: DocWorld, settings: object
) -> None:
    document = draft(
        docworld,
        signer=docworld.deputy_head,
        signing_authority="KT. Chủ tịch",
        urgency="urgent",
    )
    text = pdf_text(file_bytes(DocumentFile.objects.get(document=document)))
    flat = " ".join(text.split())

    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in flat
    assert "Độc lập - Tự do - Hạnh phúc" in flat
    assert "ỦY BAN NHÂN DÂN TỈNH" in flat
    assert "/QĐ-UBND" in flat
    today = timezone.localdate()
    assert f"Quảng Ngãi, {drafting.vn_date(today)}" in flat
    assert "QUYẾT ĐỊNH" in flat
    assert "Phê duyệt kế hoạch phát triển kinh tế năm 2026" in flat
    assert "Điều 1. Phê duyệt kế hoạch." in flat
    assert "KHẨN" in flat
    assert "Nơi nhận:" in flat
    assert "- Sở Xây dựng;" in flat
    assert "- Báo Quảng Ngãi;" in flat
    assert "- Lưu: VT, KT." in flat
    assert "KT. CHỦ TỊCH" in flat
    assert docworld.deputy_head.full_name in flat
    assert "[H51.04]" not in flat


def test_draft_pdf_is_a4_in_a_times_compatible_font(docworld: DocWorld) -> None:
    data = file_bytes(DocumentFile.objects.get(document=draft(docworld)))
    assert "(A4)" in pdf_tool("pdfinfo", data)
    fonts = pdf_tool("pdffonts", data)
    assert "LiberationSerif" in fonts or "DejaVuSerif" in fonts
    assert "Helvetica" not in fonts


def test_cong_van_has_v_v_kinh_gui_and_unit_notation(docworld: DocWorld) -> None:
    document = draft(docworld, "cong-van", subject="đề nghị cung cấp số liệu")
    flat = " ".join(pdf_text(file_bytes(DocumentFile.objects.get(document=document))).split())

    assert "/UBND-KT" in flat
    assert "V/v đề nghị cung cấp số liệu" in flat
    assert "Kính gửi:" in flat
    assert "- Sở Xây dựng;" in flat
    assert "CÔNG VĂN" not in flat
    assert outgoing.draft_notation(document) == "UBND-KT"


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2026, 1, 5), "ngày 05 tháng 01 năm 2026"),
        (date(2026, 2, 28), "ngày 28 tháng 02 năm 2026"),
        (date(2026, 3, 9), "ngày 09 tháng 3 năm 2026"),
        (date(2026, 12, 15), "ngày 15 tháng 12 năm 2026"),
    ],
)
def test_dates_are_written_the_decree_way(day: date, expected: str) -> None:
    assert drafting.vn_date(day) == expected
    assert drafting.dated_line("Quảng Ngãi", day) == f"Quảng Ngãi, {expected}"


def test_number_placeholder_until_issued() -> None:
    assert drafting.number_line("", "QĐ-UBND") == "Số: \u00a0\u00a0\u00a0\u00a0\u00a0\u00a0/QĐ-UBND"
    assert drafting.number_line("01", "QĐ-UBND") == "Số: 01/QĐ-UBND"


def test_uploaded_docx_is_version_one(docworld: DocWorld) -> None:
    document = draft(docworld, upload=docx_upload())
    row = DocumentFile.objects.get(document=document)
    assert row.file.content_type.endswith("wordprocessingml.document")
    assert row.file.original_name == "du-thao.docx"


def test_recipients_typed_by_code_resolve_to_the_platform(docworld: DocWorld) -> None:
    document = draft(docworld, recipients=["H51.04", "  ", "Sở Xây dựng [H51.04]", "UBND xã"])
    assert outgoing.recipients_parse(document.recipients_text) == [
        outgoing.Recipient("Sở Xây dựng", "H51.04"),
        outgoing.Recipient("UBND xã"),
    ]


def test_a_unit_cannot_be_a_recipient(docworld: DocWorld) -> None:
    with pytest.raises(ValidationFailed) as caught:
        draft(docworld, recipients=[docworld.culture])
    assert caught.value.code == "document.recipient_unit"
    assert Document.objects.count() == 0


def test_bad_signing_authority_is_refused(docworld: DocWorld) -> None:
    with pytest.raises(ValidationFailed) as caught:
        draft(docworld, signing_authority="XX. Chủ tịch")
    assert caught.value.field == "signing_authority"
    assert Document.objects.count() == 0


def test_bare_prefix_is_completed(docworld: DocWorld) -> None:
    document = draft(docworld, signer=docworld.head, signing_authority="TM.")
    assert document.signer_position.split("\n")[0] == "TM. ỦY BAN NHÂN DÂN TỈNH"


def test_outsider_cannot_draft_a_reply_to_another_organisations_document(
    docworld: DocWorld,
) -> None:
    other = draft(docworld)
    with pytest.raises(ValidationFailed) as caught:
        draft(docworld, reply_to=other)
    assert caught.value.code == "document.bad_reply_to"
    assert Document.objects.count() == 1


def test_citizen_cannot_draft(docworld: DocWorld) -> None:
    from directory_factories import AccountFactory

    with pytest.raises(PermissionDenied):
        draft(docworld, actor=AccountFactory(applicant=True))
    assert Document.objects.count() == 0


# --- versions and comments ----------------------------------------------------------------------


def test_update_keeps_every_version_with_who_and_what(docworld: DocWorld) -> None:
    document = draft(docworld)
    outgoing.draft_update(
        actor=docworld.economy_head.account,
        document=document,
        expected_version=document.version,
        body="Điều 1. Nội dung mới.",
        change_note="Sửa Điều 1",
    )
    outgoing.draft_update(
        actor=docworld.economy_officer.account,
        document=fresh(document),
        expected_version=fresh(document).version,
        upload=pdf_upload(),
        change_note="Bản cuối",
    )
    rows = list(DocumentFile.objects.filter(document=document).order_by("draft_version"))
    assert [(r.draft_version, r.change_note, r.added_by_id) for r in rows] == [
        (1, "First draft", docworld.economy_officer.account_id),
        (2, "Sửa Điều 1", docworld.economy_head.account_id),
        (3, "Bản cuối", docworld.economy_officer.account_id),
    ]
    assert "Điều 1. Nội dung mới." in pdf_text(file_bytes(rows[1]))
    assert fresh(document).body == "Điều 1. Nội dung mới."
    assert fresh(document).version == 3


def test_update_with_a_stale_version_writes_nothing(docworld: DocWorld) -> None:
    document = draft(docworld)
    with pytest.raises(DocumentConflict):
        outgoing.draft_update(
            actor=docworld.economy_officer.account,
            document=document,
            expected_version=document.version + 1,
            body="x",
            change_note="y",
        )
    assert DocumentFile.objects.filter(document=document).count() == 1


def test_another_units_officer_cannot_edit_the_draft(docworld: DocWorld) -> None:
    document = draft(docworld)
    with pytest.raises(PermissionDenied):
        outgoing.draft_update(
            actor=docworld.culture_officer.account,
            document=document,
            expected_version=document.version,
            body="x",
            change_note="y",
        )
    assert DocumentFile.objects.filter(document=document).count() == 1


def test_co_unit_comments_on_the_current_version(docworld: DocWorld) -> None:
    document = draft(docworld)
    comment = outgoing.draft_comment(
        actor=docworld.culture_head.account, document=document, text="Đề nghị bổ sung số liệu."
    )
    assert (comment.author, comment.draft_version, comment.text) == (
        docworld.culture_head,
        1,
        "Đề nghị bổ sung số liệu.",
    )


def test_officer_of_another_organisation_cannot_comment(docworld: DocWorld) -> None:
    document = draft(docworld)
    with pytest.raises(PermissionDenied):
        outgoing.draft_comment(actor=docworld.dept_officer.account, document=document, text="x")
    assert Comment.objects.count() == 0


# --- the approval chain -------------------------------------------------------------------------


def test_default_chain_review_by_unit_head_then_sign_by_organisation_head(
    docworld: DocWorld,
) -> None:
    document = draft(docworld)
    steps = outgoing.draft_submit(
        actor=docworld.economy_officer.account,
        document=document,
        expected_version=document.version,
        approvers={"sign": docworld.head},
    )
    assert [(s.round, s.order, s.kind, s.approver) for s in steps] == [
        (1, 1, "review", docworld.economy_head),
        (1, 2, "sign", docworld.head),
    ]
    assert fresh(document).state == State.IN_REVIEW


def test_chain_with_a_format_step_per_type(docworld: DocWorld) -> None:
    ApprovalChain.objects.create(
        organization=docworld.committee,
        document_type=docworld.doc_type("quyet-dinh"),
        steps=["review", "format", "sign"],
    )
    document = draft(docworld)
    steps = outgoing.draft_submit(
        actor=docworld.economy_officer.account,
        document=document,
        expected_version=document.version,
        approvers={"format": docworld.clerk, "sign": docworld.deputy_head},
    )
    assert [(s.kind, s.approver) for s in steps] == [
        ("review", docworld.economy_head),
        ("format", docworld.clerk),
        ("sign", docworld.deputy_head),
    ]


def test_an_officer_who_is_not_a_head_cannot_be_the_signer(docworld: DocWorld) -> None:
    document = draft(docworld)
    with pytest.raises(ValidationFailed) as caught:
        outgoing.draft_submit(
            actor=docworld.economy_officer.account,
            document=document,
            expected_version=document.version,
            approvers={"sign": docworld.economy_head},
        )
    assert caught.value.field == "sign"
    assert ApprovalStep.objects.count() == 0
    assert fresh(document).state == State.DRAFT


def test_return_and_resubmit_opens_a_new_round(docworld: DocWorld) -> None:
    document = draft(docworld)
    steps = outgoing.draft_submit(
        actor=docworld.economy_officer.account,
        document=document,
        expected_version=document.version,
        approvers={"sign": docworld.head},
    )
    outgoing.approval_decide(
        actor=docworld.economy_head.account,
        step=steps[0],
        approve=True,
        comment="Đồng ý",
        expected_version=fresh(document).version,
    )
    outgoing.approval_decide(
        actor=docworld.head.account,
        step=steps[1],
        approve=False,
        comment="Làm rõ nguồn kinh phí.",
        expected_version=fresh(document).version,
    )
    returned = fresh(document)
    assert returned.state == State.RETURNED
    assert ApprovalStep.objects.get(pk=steps[1].pk).outcome == "returned"
    assert ApprovalStep.objects.get(pk=steps[1].pk).comment == "Làm rõ nguồn kinh phí."

    outgoing.draft_update(
        actor=docworld.economy_officer.account,
        document=returned,
        expected_version=returned.version,
        body="Kinh phí từ ngân sách tỉnh.",
        change_note="Bổ sung nguồn kinh phí",
    )
    again = fresh(document)
    second = outgoing.draft_submit(
        actor=docworld.economy_officer.account,
        document=again,
        expected_version=again.version,
        approvers={"sign": docworld.head},
    )
    assert [s.round for s in second] == [2, 2]
    for step in second:
        outgoing.approval_decide(
            actor=step.approver.account,
            step=step,
            approve=True,
            comment="",
            expected_version=fresh(document).version,
        )
    done = fresh(document)
    assert done.state == State.APPROVED
    assert done.signer == docworld.head
    assert list(
        DocumentEvent.objects.filter(document=document).values_list("action", flat=True)
    ) == [
        "draft_create",
        "submit",
        "approve",
        "return",
        "draft_update",
        "submit",
        "approve",
        "approve",
    ]


def test_return_needs_a_comment(docworld: DocWorld) -> None:
    document = draft(docworld)
    steps = outgoing.draft_submit(
        actor=docworld.economy_officer.account,
        document=document,
        expected_version=document.version,
        approvers={},
    )
    with pytest.raises(ValidationFailed):
        outgoing.approval_decide(
            actor=docworld.economy_head.account,
            step=steps[0],
            approve=False,
            comment=" ",
            expected_version=fresh(document).version,
        )
    assert ApprovalStep.objects.get(pk=steps[0].pk).outcome == "pending"


def test_the_wrong_person_cannot_decide_and_nothing_changes(docworld: DocWorld) -> None:
    document = draft(docworld)
    steps = outgoing.draft_submit(
        actor=docworld.economy_officer.account,
        document=document,
        expected_version=document.version,
        approvers={},
    )
    for who in (docworld.culture_head, docworld.economy_officer, docworld.head):
        with pytest.raises(PermissionDenied):
            outgoing.approval_decide(
                actor=who.account,
                step=steps[0],
                approve=True,
                expected_version=fresh(document).version,
            )
    assert ApprovalStep.objects.get(pk=steps[0].pk).outcome == "pending"
    assert fresh(document).state == State.IN_REVIEW


def test_a_later_step_cannot_be_decided_first(docworld: DocWorld) -> None:
    document = draft(docworld)
    steps = outgoing.draft_submit(
        actor=docworld.economy_officer.account,
        document=document,
        expected_version=document.version,
        approvers={"sign": docworld.head},
    )
    with pytest.raises(TransitionNotAllowed):
        outgoing.approval_decide(
            actor=docworld.head.account,
            step=steps[1],
            approve=True,
            expected_version=fresh(document).version,
        )
    assert ApprovalStep.objects.get(pk=steps[1].pk).outcome == "pending"


def test_stale_decision_is_refused(docworld: DocWorld) -> None:
    document = draft(docworld)
    before_submission = document.version
    steps = outgoing.draft_submit(
        actor=docworld.economy_officer.account,
        document=document,
        expected_version=document.version,
        approvers={},
    )
    with pytest.raises(DocumentConflict):
        outgoing.approval_decide(
            actor=docworld.economy_head.account,
            step=steps[0],
            approve=True,
            expected_version=before_submission,
        )
    assert ApprovalStep.objects.get(pk=steps[0].pk).outcome == "pending"


def test_cannot_edit_or_submit_while_in_review(docworld: DocWorld) -> None:
    document = draft(docworld)
    outgoing.draft_submit(
        actor=docworld.economy_officer.account,
        document=document,
        expected_version=document.version,
        approvers={},
    )
    current = fresh(document)
    with pytest.raises(PermissionDenied):
        outgoing.draft_update(
            actor=docworld.economy_officer.account,
            document=current,
            expected_version=current.version,
            body="x",
            change_note="y",
        )
    with pytest.raises(TransitionNotAllowed):
        outgoing.draft_submit(
            actor=docworld.economy_officer.account,
            document=current,
            expected_version=current.version,
            approvers={},
        )
    assert ApprovalStep.objects.count() == 2


def test_deputy_with_a_delegation_decides_and_is_recorded(docworld: DocWorld) -> None:
    DelegationFactory(
        delegator=docworld.economy_head,
        deputy=docworld.economy_officer,
        power=Delegation.Power.APPROVE,
    )
    document = draft(docworld, actor=docworld.culture_officer.account)
    document.drafting_unit = docworld.economy
    Document.objects.filter(pk=document.pk).update(drafting_unit=docworld.economy)
    steps = outgoing.draft_submit(
        actor=docworld.culture_officer.account,
        document=fresh(document),
        expected_version=fresh(document).version,
        approvers={},
    )
    assert steps[0].approver == docworld.economy_head
    outgoing.approval_decide(
        actor=docworld.economy_officer.account,
        step=steps[0],
        approve=True,
        comment="Thay mặt trưởng phòng",
        expected_version=fresh(document).version,
    )
    step = ApprovalStep.objects.get(pk=steps[0].pk)
    assert (step.outcome, step.approver, step.acted_by) == (
        "approved",
        docworld.economy_head,
        docworld.economy_officer,
    )
    note = DocumentEvent.objects.get(document=document, action="approve").note
    assert note.startswith(
        f"{docworld.economy_officer.full_name} for {docworld.economy_head.full_name}"
    )


def test_an_expired_delegation_does_not_count(docworld: DocWorld) -> None:
    DelegationFactory(
        delegator=docworld.economy_head,
        deputy=docworld.economy_officer,
        power=Delegation.Power.APPROVE,
        starts_at=timezone.now() - timedelta(days=10),
        ends_at=timezone.now() - timedelta(days=1),
    )
    document = draft(docworld, actor=docworld.culture_officer.account)
    Document.objects.filter(pk=document.pk).update(drafting_unit=docworld.economy)
    steps = outgoing.draft_submit(
        actor=docworld.culture_officer.account,
        document=fresh(document),
        expected_version=fresh(document).version,
        approvers={},
    )
    with pytest.raises(PermissionDenied):
        outgoing.approval_decide(
            actor=docworld.economy_officer.account,
            step=steps[0],
            approve=True,
            expected_version=fresh(document).version,
        )
    assert ApprovalStep.objects.get(pk=steps[0].pk).outcome == "pending"


def test_approve_all_helper_reaches_approved(docworld: DocWorld) -> None:
    document = approve_all(docworld, draft(docworld))
    assert document.state == State.APPROVED

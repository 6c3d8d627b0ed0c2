"""Signing, issuing (number, notation, seal, deliveries) and recall of outgoing documents."""

from __future__ import annotations

import importlib.util
import sys
import threading
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from directory_factories import DelegationFactory
from django.db import connection
from documents_support import DocWorld

from egov.core.errors import PermissionDenied, ValidationFailed
from egov.directory.models import Delegation
from egov.documents.models import (
    Delivery,
    Direction,
    Document,
    DocumentEvent,
    DocumentFile,
    State,
)
from egov.documents.services import outgoing
from egov.documents.services._common import DocumentConflict, TransitionNotAllowed, delivery_follow
from egov.signing import verify
from egov.signing.models import SignatureRecord


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
    PASSWORD,
    Keys,
    approve_all,
    docx_upload,
    draft,
    file_bytes,
    fresh,
    issue,
    issued,
    make_keys,
    pdf_upload,
    root_der,
    sign,
)

VN = ZoneInfo("Asia/Ho_Chi_Minh")


@pytest.fixture
def keys(docworld: DocWorld) -> Keys:
    return make_keys(docworld)


# --- signing --------------------------------------------------------------------------------------


def test_signer_signs_the_last_pdf_version(docworld: DocWorld, keys: Keys) -> None:
    document = approve_all(docworld, draft(docworld))
    signed = sign(docworld, document, keys.head)

    assert signed.state == State.SIGNED
    assert (signed.signer, signed.signer_name) == (docworld.head, docworld.head.full_name)
    row = DocumentFile.objects.get(document=document, role=DocumentFile.Role.SIGNED)
    [report] = verify.verify_pdf(file_bytes(row), [root_der()])
    assert report.ok
    assert report.signer_name == "Nguyễn Hữu Phúc"


def test_a_docx_version_cannot_be_signed(docworld: DocWorld, keys: Keys) -> None:
    document = approve_all(docworld, draft(docworld, upload=docx_upload()))
    with pytest.raises(ValidationFailed) as caught:
        sign(docworld, document, keys.head)
    assert caught.value.code == "document.pdf_required"
    assert "PDF" in str(caught.value.message)
    assert fresh(document).state == State.APPROVED
    assert SignatureRecord.objects.count() == 0


def test_only_the_designated_signer_signs(docworld: DocWorld, keys: Keys) -> None:
    document = approve_all(docworld, draft(docworld))  # default signer: the first head
    signer = fresh(document).signer
    other_key = keys.deputy if signer == docworld.head else keys.head
    other = docworld.deputy_head if signer == docworld.head else docworld.head
    with pytest.raises(PermissionDenied):
        sign(docworld, document, other_key, actor=other.account)
    assert fresh(document).state == State.APPROVED
    assert SignatureRecord.objects.count() == 0


def test_a_draft_cannot_be_signed_before_approval(docworld: DocWorld, keys: Keys) -> None:
    document = draft(docworld)
    with pytest.raises(TransitionNotAllowed):
        sign(docworld, document, keys.head)
    assert SignatureRecord.objects.count() == 0


def test_stale_version_signs_nothing(docworld: DocWorld, keys: Keys) -> None:
    document = approve_all(docworld, draft(docworld))
    with pytest.raises(DocumentConflict):
        outgoing.document_sign(
            actor=docworld.head.account,
            document=document,
            key_id=keys.head.pk,
            secret=PASSWORD,
            expected_version=document.version - 1,
        )
    assert SignatureRecord.objects.count() == 0


def test_deputy_signs_under_a_delegation(docworld: DocWorld, keys: Keys) -> None:
    DelegationFactory(
        delegator=docworld.head, deputy=docworld.culture_head, power=Delegation.Power.SIGN
    )
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
        expected_version=fresh(document).version,
    )
    outgoing.approval_decide(
        actor=docworld.culture_head.account,
        step=steps[1],
        approve=True,
        expected_version=fresh(document).version,
    )
    signed = sign(docworld, document, keys.culture, actor=docworld.culture_head.account)
    assert signed.state == State.SIGNED
    assert signed.signer == docworld.culture_head
    record = SignatureRecord.objects.get()
    assert record.on_behalf_of == docworld.head
    event = DocumentEvent.objects.get(document=document, action="sign")
    assert event.note == f"for {docworld.head.full_name}"


def test_signer_may_return_an_approved_document_unsigned(docworld: DocWorld, keys: Keys) -> None:
    document = approve_all(docworld, draft(docworld))
    signer = fresh(document).signer
    assert signer is not None
    with pytest.raises(PermissionDenied):
        outgoing.document_return_unsigned(
            actor=docworld.clerk.account,
            document=document,
            comment="x",
            expected_version=fresh(document).version,
        )
    outgoing.document_return_unsigned(
        actor=signer.account,
        document=document,
        comment="Chưa đủ căn cứ pháp lý.",
        expected_version=fresh(document).version,
    )
    returned = fresh(document)
    assert returned.state == State.RETURNED
    assert DocumentEvent.objects.filter(document=document, action="return").get().note == (
        "Chưa đủ căn cứ pháp lý."
    )
    with pytest.raises(TransitionNotAllowed):
        sign(docworld, returned, keys.head, actor=signer.account)
    assert SignatureRecord.objects.count() == 0


# --- issuing --------------------------------------------------------------------------------------


def test_issue_numbers_seals_and_both_signatures_validate(docworld: DocWorld, keys: Keys) -> None:
    document = issued(docworld, keys)

    assert document.state == State.ISSUED
    assert (document.code_number, document.code_notation) == ("01", "QĐ-UBND")
    assert document.number_notation == "01/QĐ-UBND"
    assert (document.register, document.register_year, document.register_number) == (
        docworld.outgoing,
        document.issued_at.astimezone(VN).year,
        1,
    )
    assert document.issued_on == document.issued_at.astimezone(VN).date()
    main = DocumentFile.objects.get(document=document, role=DocumentFile.Role.MAIN)
    assert document.main_sha256 == main.file.sha256
    reports = verify.verify_pdf(file_bytes(main), [root_der()])
    assert [r.signer_name for r in reports] == ["Nguyễn Hữu Phúc", "Ủy ban nhân dân tỉnh"]
    assert all(r.ok for r in reports)
    seal = SignatureRecord.objects.get(kind=SignatureRecord.Kind.ORGANIZATION)
    assert seal.reference == "01/QĐ-UBND"


def test_cong_van_notation_uses_the_drafting_unit(docworld: DocWorld, keys: Keys) -> None:
    for _ in range(4):
        issued(docworld, keys)
    letter = issued(docworld, keys, type_code="cong-van")
    assert letter.number_notation == "05/UBND-KT"


def test_numbers_pass_two_digits_and_restart_each_year(
    docworld: DocWorld, keys: Keys, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(outgoing, "now", lambda: datetime(2026, 12, 31, 16, 0, tzinfo=VN))
    numbers = [issued(docworld, keys).code_number for _ in range(10)]
    monkeypatch.setattr(outgoing, "now", lambda: datetime(2027, 1, 2, 8, 0, tzinfo=VN))
    first = issued(docworld, keys)

    assert numbers == ["01", "02", "03", "04", "05", "06", "07", "08", "09", "10"]
    assert (first.code_number, first.register_year, first.issued_on) == (
        "01",
        2027,
        date(2027, 1, 2),
    )


def test_confidential_documents_use_their_own_series(docworld: DocWorld, keys: Keys) -> None:
    issued(docworld, keys)
    secret = approve_all(docworld, draft(docworld, secrecy="confidential"))
    secret = sign(docworld, secret, keys.head)
    with pytest.raises(PermissionDenied):  # the ordinary clerk does not keep that register
        issue(docworld, secret, keys.seal)
    done = issue(docworld, secret, keys.seal, actor=docworld.secret_clerk.account)
    assert (done.register, done.code_number) == (docworld.outgoing_secret, "01")


def test_issue_delivers_inside_the_platform_and_queues_the_rest(
    docworld: DocWorld, keys: Keys
) -> None:
    document = issued(docworld, keys)

    deliveries = {d.recipient_name: d for d in Delivery.objects.filter(document=document)}
    assert set(deliveries) == {"Sở Xây dựng", "Bộ Nội vụ", "Báo Quảng Ngãi"}
    internal = deliveries["Sở Xây dựng"]
    assert (internal.channel, internal.state, internal.recipient) == (
        Delivery.Channel.INTERNAL,
        Delivery.State.ARRIVED,
        docworld.department,
    )
    exchange = deliveries["Bộ Nội vụ"]
    assert (exchange.channel, exchange.state, exchange.recipient_code, exchange.incoming) == (
        Delivery.Channel.EXCHANGE,
        Delivery.State.QUEUED,
        "G01",
        None,
    )
    paper = deliveries["Báo Quảng Ngãi"]
    assert (paper.channel, paper.state) == (Delivery.Channel.PAPER, Delivery.State.SENT)

    incoming = internal.incoming
    assert incoming is not None
    assert (incoming.organization, incoming.direction, incoming.state, incoming.channel) == (
        docworld.department,
        Direction.INCOMING,
        State.ARRIVED,
        Document.Channel.INTERNAL,
    )
    assert (incoming.source, incoming.number_notation, incoming.issuer) == (
        document,
        "01/QĐ-UBND",
        docworld.committee,
    )
    assert incoming.subject == document.subject
    sent = DocumentFile.objects.get(document=document, role=DocumentFile.Role.MAIN)
    received = DocumentFile.objects.get(document=incoming, role=DocumentFile.Role.MAIN)
    assert received.file_id == sent.file_id
    # The recipient's clerk sees it in their list, waiting for registration.
    from egov.directory import policy
    from egov.documents.selectors.incoming import incoming_list

    assert list(incoming_list(docworld.department, state=State.ARRIVED)) == [incoming]
    assert policy.can(docworld.dept_clerk.account, "document.read", incoming)
    assert policy.can(docworld.dept_clerk.account, "document.file_read", received)


def test_the_sender_follows_the_recipients_processing(docworld: DocWorld, keys: Keys) -> None:
    document = issued(docworld, keys)
    delivery = Delivery.objects.get(document=document, channel=Delivery.Channel.INTERNAL)
    incoming = delivery.incoming
    assert incoming is not None
    Document.objects.filter(pk=incoming.pk).update(state=State.REGISTERED)
    incoming.refresh_from_db()
    delivery_follow(incoming, at=incoming.updated_at)
    delivery.refresh_from_db()
    assert delivery.state == Delivery.State.REGISTERED


def test_only_a_clerk_of_the_organisation_issues(docworld: DocWorld, keys: Keys) -> None:
    document = sign(docworld, approve_all(docworld, draft(docworld)), keys.head)
    for who in (docworld.head, docworld.dept_clerk, docworld.economy_officer):
        with pytest.raises(PermissionDenied):
            issue(docworld, document, keys.seal, actor=who.account)
    current = fresh(document)
    assert (current.state, current.code_number) == (State.SIGNED, "")
    assert Delivery.objects.count() == 0


def test_an_unsigned_document_cannot_be_issued(docworld: DocWorld, keys: Keys) -> None:
    document = approve_all(docworld, draft(docworld))
    with pytest.raises(TransitionNotAllowed):
        issue(docworld, document, keys.seal)
    assert Delivery.objects.count() == 0


def test_wrong_seal_secret_issues_nothing_and_gives_the_number_back(
    docworld: DocWorld, keys: Keys
) -> None:
    document = sign(docworld, approve_all(docworld, draft(docworld)), keys.head)
    with pytest.raises(ValidationFailed):
        outgoing.document_issue(
            actor=docworld.clerk.account,
            document=document,
            expected_version=fresh(document).version,
            seal_key_id=keys.seal.pk,
            seal_secret="sai",
        )
    assert fresh(document).state == State.SIGNED
    assert Delivery.objects.count() == 0
    assert Document.objects.filter(direction=Direction.INCOMING).count() == 0
    done = issue(docworld, document, keys.seal)
    assert done.code_number == "01"


def test_reply_links_to_the_incoming_document(docworld: DocWorld, keys: Keys) -> None:
    first = issued(docworld, keys)
    incoming = Delivery.objects.get(document=first, channel=Delivery.Channel.INTERNAL).incoming
    assert incoming is not None
    reply = draft(
        docworld,
        "cong-van",
        actor=docworld.dept_officer.account,
        reply_to=incoming,
        recipients=[docworld.committee],
    )
    assert reply.reply_to == incoming
    assert reply.organization == docworld.department
    assert list(incoming.replies.all()) == [reply]


# --- recall ---------------------------------------------------------------------------------------


def test_recall_reaches_the_recipients(docworld: DocWorld, keys: Keys) -> None:
    document = issued(docworld, keys)
    incoming = Delivery.objects.get(document=document, channel=Delivery.Channel.INTERNAL).incoming
    assert incoming is not None

    outgoing.document_recall(
        actor=docworld.clerk.account,
        document=document,
        reason="Sai thể thức",
        expected_version=fresh(document).version,
    )

    assert fresh(document).state == State.RECALLED
    assert fresh(incoming).state == State.RECALLED
    assert set(Delivery.objects.filter(document=document).values_list("state", flat=True)) == {
        Delivery.State.RECALLED
    }
    assert DocumentEvent.objects.get(document=incoming, action="recalled_by_sender").note == (
        "Sai thể thức"
    )


def test_recall_refusals(docworld: DocWorld, keys: Keys) -> None:
    document = issued(docworld, keys)
    with pytest.raises(PermissionDenied):
        outgoing.document_recall(
            actor=docworld.head.account,
            document=document,
            reason="x",
            expected_version=fresh(document).version,
        )
    with pytest.raises(DocumentConflict):
        outgoing.document_recall(
            actor=docworld.clerk.account,
            document=document,
            reason="x",
            expected_version=fresh(document).version - 1,
        )
    draft_only = draft(docworld)
    with pytest.raises(TransitionNotAllowed):
        outgoing.document_recall(
            actor=docworld.clerk.account,
            document=draft_only,
            reason="x",
            expected_version=draft_only.version,
        )
    assert fresh(document).state == State.ISSUED
    assert not Delivery.objects.filter(state=Delivery.State.RECALLED).exists()


def test_uploaded_final_pdf_is_what_gets_signed(docworld: DocWorld, keys: Keys) -> None:
    document = draft(docworld, upload=docx_upload())
    outgoing.draft_update(
        actor=docworld.economy_officer.account,
        document=document,
        expected_version=fresh(document).version,
        upload=pdf_upload(text="Ban cuoi cung"),
        change_note="PDF",
    )
    signed = sign(docworld, approve_all(docworld, document), keys.head)
    assert signed.state == State.SIGNED


# --- concurrency on PostgreSQL --------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_issuing_gives_gap_free_distinct_numbers(docworld: DocWorld) -> None:
    the_keys = make_keys(docworld)
    count = 6
    documents = [
        sign(docworld, approve_all(docworld, draft(docworld)), the_keys.head) for _ in range(count)
    ]
    barrier = threading.Barrier(count)
    errors: list[BaseException] = []

    def run(document: Document) -> None:
        try:
            barrier.wait(timeout=30)
            issue(docworld, document, the_keys.seal)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(d,)) for d in documents]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    numbers = sorted(
        Document.objects.filter(direction=Direction.OUTGOING, state=State.ISSUED).values_list(
            "register_number", flat=True
        )
    )
    assert numbers == list(range(1, count + 1))
    assert Delivery.objects.filter(channel=Delivery.Channel.INTERNAL).count() == count


def test_issued_text_is_extracted_for_both_sides(
    docworld: DocWorld, keys: Keys, django_capture_on_commit_callbacks: Any
) -> None:
    from egov.documents.services.text import document_text_extract

    with django_capture_on_commit_callbacks() as callbacks:
        document = issued(docworld, keys)
    incoming = Delivery.objects.get(document=document, channel=Delivery.Channel.INTERNAL).incoming
    assert incoming is not None
    assert (fresh(document).text_state, fresh(incoming).text_state) == ("pending", "pending")
    assert len(callbacks) == 2  # one extraction per row that holds the issued file
    for row in (document, incoming):
        done = document_text_extract(document_id=row.pk)
        assert done is not None
        assert done.text_state == Document.TextState.TEXT_LAYER
        assert "Phê duyệt kế hoạch phát triển kinh tế năm 2026" in " ".join(
            done.extracted_text.split()
        )

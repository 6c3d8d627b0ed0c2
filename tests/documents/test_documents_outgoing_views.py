"""The outgoing-document screens: new draft, document page and its actions, waiting list,
outgoing list, sign and issue forms, file downloads."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse
from documents_support import DocWorld

from egov.directory.models import Officer
from egov.documents.models import ApprovalStep, Comment, Delivery, Document, DocumentFile, State


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
    approve_all,
    draft,
    fresh,
    make_keys,
    sign,
)


def _client(officer: Officer) -> Client:
    client = Client()
    client.force_login(officer.account)
    return client


def _url(name: str, document: Document, **kwargs: object) -> str:
    return reverse(f"documents:{name}", kwargs={"pk": document.pk, **kwargs})


def _file_url(document: Document, file_id: int) -> str:
    return reverse(
        "documents:reading_file", kwargs={"document_id": document.pk, "file_id": file_id}
    )


def test_new_draft_form_creates_a_draft_from_the_template(docworld: DocWorld) -> None:
    client = _client(docworld.economy_officer)
    page = client.get(reverse("documents:outgoing_new"))
    assert page.status_code == 200
    assert b'name="recipient_organizations"' in page.content

    response = client.post(
        reverse("documents:outgoing_new"),
        {
            "document_type": docworld.doc_type("cong-van").pk,
            "subject": "đề nghị báo cáo số liệu",
            "body": "Đề nghị Sở báo cáo.",
            "recipient_organizations": [docworld.department.pk],
            "recipients_typed": "Bộ Nội vụ [G01]\nBáo Quảng Ngãi",
            "urgency": "normal",
            "secrecy": "none",
            "signing_authority": "KT.",
            "signer": docworld.deputy_head.pk,
        },
    )

    document = Document.objects.get()
    assert response.status_code == 302
    assert response["Location"] == _url("outgoing_document", document)
    assert document.recipients_text == ("Sở Xây dựng [H51.04]\nBộ Nội vụ [G01]\nBáo Quảng Ngãi")
    assert document.signer == docworld.deputy_head
    assert DocumentFile.objects.filter(document=document, draft_version=1).count() == 1


def test_new_draft_errors_are_shown_next_to_the_field(docworld: DocWorld) -> None:
    response = _client(docworld.economy_officer).post(
        reverse("documents:outgoing_new"),
        {
            "document_type": docworld.doc_type("quyet-dinh").pk,
            "subject": "x",
            "urgency": "normal",
            "secrecy": "none",
            "recipients_typed": "H51.01.03",  # a unit: refused by the service
        },
    )
    assert response.status_code == 422
    assert b'data-error-for="recipients_typed"' in response.content
    assert Document.objects.count() == 0


def test_citizen_cannot_open_the_draft_form(docworld: DocWorld) -> None:
    from directory_factories import AccountFactory

    client = Client()
    client.force_login(AccountFactory(applicant=True))
    assert client.get(reverse("documents:outgoing_new")).status_code == 403


def test_document_page_shows_versions_and_the_drafters_actions(docworld: DocWorld) -> None:
    document = draft(docworld)
    page = _client(docworld.economy_officer).get(_url("outgoing_document", document))
    assert page.status_code == 200
    text = page.content.decode()
    assert 'data-action="update"' in text
    assert 'data-action="submit"' in text
    assert "(no number yet) /QĐ-UBND" in text
    assert _file_url(document, DocumentFile.objects.get().pk) in text


def test_officer_of_another_organisation_gets_404(docworld: DocWorld) -> None:
    document = draft(docworld)
    client = _client(docworld.dept_officer)
    assert client.get(_url("outgoing_document", document)).status_code == 404
    row = DocumentFile.objects.get(document=document)
    assert client.get(_file_url(document, row.pk)).status_code == 404


def test_download_a_version(docworld: DocWorld) -> None:
    document = draft(docworld)
    row = DocumentFile.objects.get(document=document)
    response = _client(docworld.economy_officer).get(_file_url(document, row.pk))
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"%PDF")  # type: ignore[attr-defined]


def test_new_version_comment_and_submit_through_the_page(docworld: DocWorld) -> None:
    document = draft(docworld)
    officer = _client(docworld.economy_officer)
    response = officer.post(
        _url("outgoing_update", document),
        {
            "version": document.version,
            "subject": document.subject,
            "body": "Điều 1. Mới.",
            "change_note": "Sửa nội dung",
        },
    )
    assert response.status_code == 302
    assert DocumentFile.objects.filter(document=document).count() == 2

    colleague = _client(docworld.culture_head)
    assert colleague.post(_url("outgoing_comment", document), {"text": "Góp ý"}).status_code == 302
    assert Comment.objects.get().draft_version == 2

    current = fresh(document)
    response = officer.post(
        _url("outgoing_submit", document),
        {"version": current.version, "review": docworld.economy_head.pk, "sign": docworld.head.pk},
    )
    assert response.status_code == 302
    assert fresh(document).state == State.IN_REVIEW


def test_stale_version_on_the_page_is_a_conflict_message(docworld: DocWorld) -> None:
    document = draft(docworld)
    response = _client(docworld.economy_officer).post(
        _url("outgoing_update", document),
        {"version": document.version + 5, "subject": "x", "body": "y", "change_note": "z"},
    )
    assert response.status_code == 422
    assert b"Someone else changed this document" in response.content
    assert DocumentFile.objects.filter(document=document).count() == 1


def test_waiting_list_and_the_approve_return_form(docworld: DocWorld) -> None:
    document = draft(docworld)
    from egov.documents.services import outgoing

    steps = outgoing.draft_submit(
        actor=docworld.economy_officer.account,
        document=document,
        expected_version=document.version,
        approvers={"sign": docworld.head},
    )
    reviewer = _client(docworld.economy_head)
    waiting = reviewer.get(reverse("documents:outgoing_waiting"))
    assert waiting.status_code == 200
    assert f'data-step="{steps[0].pk}"'.encode() in waiting.content
    head_waiting = _client(docworld.head).get(reverse("documents:outgoing_waiting"))
    assert f'data-step="{steps[1].pk}"'.encode() not in head_waiting.content  # not reached yet

    page = reviewer.get(_url("outgoing_document", document))
    assert b'data-action="decide"' in page.content
    missing_comment = reviewer.post(
        _url("outgoing_decide", document),
        {"version": fresh(document).version, "step": steps[0].pk, "decision": "return"},
    )
    assert missing_comment.status_code == 422
    assert ApprovalStep.objects.get(pk=steps[0].pk).outcome == "pending"

    response = reviewer.post(
        _url("outgoing_decide", document),
        {
            "version": fresh(document).version,
            "step": steps[0].pk,
            "decision": "return",
            "comment": "Bổ sung căn cứ.",
        },
    )
    assert response.status_code == 302
    assert fresh(document).state == State.RETURNED


def test_sign_and_issue_forms(docworld: DocWorld) -> None:
    keys = make_keys(docworld)
    document = approve_all(docworld, draft(docworld))
    head = _client(docworld.head)
    page = head.get(_url("outgoing_document", document))
    assert b'data-action="sign"' in page.content
    assert f'value="{keys.head.pk}"'.encode() in page.content
    wrong = head.post(
        _url("outgoing_sign", document),
        {"version": document.version, "key": keys.head.pk, "secret": "sai"},
    )
    assert wrong.status_code == 422
    assert fresh(document).state == State.APPROVED
    response = head.post(
        _url("outgoing_sign", document),
        {"version": document.version, "key": keys.head.pk, "secret": PASSWORD},
    )
    assert response.status_code == 302
    signed = fresh(document)
    assert signed.state == State.SIGNED

    clerk = _client(docworld.clerk)
    page = clerk.get(_url("outgoing_document", signed))
    assert b'data-action="issue"' in page.content
    response = clerk.post(
        _url("outgoing_issue", signed),
        {"version": signed.version, "key": keys.seal.pk, "secret": PASSWORD},
    )
    assert response.status_code == 302
    issued = fresh(document)
    assert issued.number_notation == "01/QĐ-UBND"

    page = clerk.get(_url("outgoing_document", issued))
    text = page.content.decode()
    assert "01/QĐ-UBND" in text
    assert 'data-testid="deliveries"' in text
    assert text.count('data-state="arrived"') == 1
    assert 'data-state="queued"' in text
    assert 'data-action="recall"' in text

    # the recipient registers it: the sender sees "registered"
    delivery = Delivery.objects.get(document=issued, channel=Delivery.Channel.INTERNAL)
    Delivery.objects.filter(pk=delivery.pk).update(state=Delivery.State.REGISTERED)
    assert (
        'data-state="registered"' in clerk.get(_url("outgoing_document", issued)).content.decode()
    )

    response = clerk.post(
        _url("outgoing_recall", issued), {"version": issued.version, "reason": ""}
    )
    assert response.status_code == 422
    response = clerk.post(
        _url("outgoing_recall", issued), {"version": issued.version, "reason": "Sai sót"}
    )
    assert response.status_code == 302
    assert fresh(document).state == State.RECALLED


def test_sign_form_is_not_offered_to_others_and_posting_is_refused(docworld: DocWorld) -> None:
    keys = make_keys(docworld)
    document = approve_all(docworld, draft(docworld))
    clerk = _client(docworld.clerk)
    assert b'data-action="sign"' not in clerk.get(_url("outgoing_document", document)).content
    response = clerk.post(
        _url("outgoing_sign", document),
        {"version": document.version, "key": keys.head.pk, "secret": PASSWORD},
    )
    assert response.status_code == 422
    assert fresh(document).state == State.APPROVED


def test_signer_returns_unsigned_through_the_page(docworld: DocWorld) -> None:
    document = approve_all(docworld, draft(docworld))
    signer = fresh(document).signer
    assert signer is not None
    client = _client(signer)
    assert (
        b'data-action="return_unsigned"' in client.get(_url("outgoing_document", document)).content
    )
    empty = client.post(_url("outgoing_return", document), {"version": document.version})
    assert empty.status_code == 422
    response = client.post(
        _url("outgoing_return", document), {"version": document.version, "comment": "Sửa lại"}
    )
    assert response.status_code == 302
    assert fresh(document).state == State.RETURNED


def test_outgoing_list_of_the_organisation(docworld: DocWorld) -> None:
    keys = make_keys(docworld)
    mine = draft(docworld)
    signed = sign(docworld, approve_all(docworld, draft(docworld, subject="Đã ký")), keys.head)
    other = draft(docworld, actor=docworld.dept_officer.account, subject="Của Sở")
    response = _client(docworld.clerk).get(reverse("documents:outgoing_list"))
    assert response.status_code == 200
    text = response.content.decode()
    assert f'data-document="{mine.pk}"' in text
    assert f'data-document="{signed.pk}"' in text
    assert f'data-document="{other.pk}"' not in text
    filtered = _client(docworld.clerk).get(
        reverse("documents:outgoing_list"), {"trang-thai": "signed"}
    )
    assert f'data-document="{mine.pk}"'.encode() not in filtered.content
    assert f'data-document="{signed.pk}"'.encode() in filtered.content


@pytest.mark.parametrize(
    "name", ["outgoing_list", "outgoing_new", "outgoing_waiting", "casefile_list"]
)
def test_anonymous_visitors_are_sent_to_sign_in(docworld: DocWorld, name: str) -> None:
    response = Client().get(reverse(f"documents:{name}"))
    assert response.status_code == 302
    assert "next=" in response["Location"]


def test_outgoing_list_reaches_the_oldest_of_a_long_list_and_hides_confidential_drafts(
    docworld: DocWorld,
) -> None:
    common = {
        "organization": docworld.committee,
        "direction": "outgoing",
        "state": "draft",
        "channel": "drafted",
        "document_type": docworld.doc_type("cong-van"),
        "issuer_name": "Ủy ban nhân dân tỉnh",
        "created_by": docworld.economy_officer.account,
    }
    Document.objects.bulk_create(
        [Document(subject=f"Dự thảo số {n:03d}", **common) for n in range(520)]
    )
    Document.objects.create(subject="Dự thảo mật", secrecy="confidential", **common)
    oldest = Document.objects.get(subject="Dự thảo số 000")
    client = _client(docworld.culture_officer)  # same organisation, not a participant
    first = client.get(reverse("documents:outgoing_list")).content.decode()
    assert "520 documents" in first
    assert "Dự thảo mật" not in first
    last_page = -(-520 // 25)  # 25 a page: page 21 is the last, with the oldest draft
    assert last_page == 21
    last = client.get(reverse("documents:outgoing_list"), {"page": last_page}).content.decode()
    assert reverse("documents:outgoing_document", kwargs={"pk": oldest.pk}) in last
    drafter = _client(docworld.economy_officer).get(reverse("documents:outgoing_list"))
    assert "521 documents" in drafter.content.decode()

"""Incoming-document screens through the Django test client: register, list, page, my list."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation
from documents_support import DocWorld

from egov.directory.models import Officer
from egov.documents.forms_incoming import RegisterIncomingForm
from egov.documents.models import Delivery, Direction, Document, Route, Secrecy, State, Urgency
from egov.documents.services.incoming import (
    IncomingFile,
    document_direct,
    document_present,
    document_register_incoming,
)

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def client_for(officer: Officer) -> Client:
    client = Client()
    client.force_login(officer.account)
    return client


def registered(world: DocWorld, **overrides: Any) -> Document:
    values: dict[str, Any] = {
        "actor": world.clerk.account,
        "organization": world.committee,
        "document_type": world.doc_type("cong-van"),
        "subject": "V/v kế hoạch cải cách hành chính năm 2027",
        "issuer": world.department,
        "code_number": "88",
        "code_notation": "SXD-VP",
        "issued_on": date(2026, 11, 18),
        "channel": "paper",
        "files": [IncomingFile(name="cv88.pdf", upload=PDF)],
    }
    values.update(overrides)
    return document_register_incoming(**values)


def post_data(world: DocWorld, **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "main_file": SimpleUploadedFile("scan.pdf", PDF, content_type="application/pdf"),
        "document_type": world.doc_type("cong-van").pk,
        "issuer": world.department.pk,
        "issuer_name": "",
        "code_number": "88",
        "code_notation": "SXD-VP",
        "issued_on": "2026-11-18",
        "subject": "V/v kế hoạch cải cách hành chính năm 2027",
        "urgency": Urgency.NORMAL,
        "secrecy": Secrecy.NONE,
        "channel": "paper",
    }
    data.update(overrides)
    return data


# --- register ------------------------------------------------------------------------------------


def test_the_clerk_registers_a_scanned_document(docworld: DocWorld) -> None:
    client = client_for(docworld.clerk)
    url = reverse("documents:incoming_register")
    assert client.get(url).status_code == 200
    answer = client.post(
        url,
        post_data(
            docworld,
            appendices=[SimpleUploadedFile("phu-luc.pdf", PDF + b"%x\n")],
        ),
    )
    document = Document.objects.get()
    assert answer.status_code == 302
    assert answer["Location"] == reverse("documents:incoming_document", kwargs={"pk": document.pk})
    assert (document.register_number, document.issuer_name, document.state) == (
        1,
        "Sở Xây dựng",
        State.REGISTERED,
    )
    assert list(document.files.values_list("role", flat=True)) == ["main", "appendix"]


@pytest.mark.parametrize("who", ["head", "economy_officer", "dept_officer"])
def test_the_register_screen_is_for_clerks(docworld: DocWorld, who: str) -> None:
    answer = client_for(getattr(docworld, who)).get(reverse("documents:incoming_register"))
    assert answer.status_code == 403


def test_anonymous_visitors_are_sent_to_sign_in(docworld: DocWorld) -> None:
    answer = Client().get(reverse("documents:incoming_register"))
    assert answer.status_code == 302
    assert Document.objects.count() == 0


def test_form_errors_are_shown_in_vietnamese_next_to_the_named_field(
    docworld: DocWorld, settings: Any
) -> None:
    settings.LANGUAGE_CODE = "vi"  # the platform's default language, no choice made
    client = client_for(docworld.clerk)
    with translation.override("vi"):
        answer = client.post(
            reverse("documents:incoming_register"),
            post_data(docworld, subject="", issuer="", issued_on=""),
            HTTP_ACCEPT_LANGUAGE="vi",
        )
    html = answer.content.decode()
    assert answer.status_code == 422
    assert Document.objects.count() == 0
    for field in ("subject", "issued_on", "issuer_name"):
        assert f'data-error-for="{field}"' in html
    block = html.split('data-error-for="subject"')[1].split("</div>")[0]
    with translation.override("vi"):
        label = str(RegisterIncomingForm.base_fields["subject"].label)
    # Django's own Vietnamese message, preceded by the field's label.
    assert f"{label}: Trường này là bắt buộc." in block


def test_a_refused_file_type_is_shown_on_the_file_field(docworld: DocWorld) -> None:
    client = client_for(docworld.clerk)
    answer = client.post(
        reverse("documents:incoming_register"),
        post_data(docworld, main_file=SimpleUploadedFile("a.exe", b"MZ\x90\x00 program")),
    )
    assert answer.status_code == 422
    assert 'data-error-for="main_file"' in answer.content.decode()
    assert Document.objects.count() == 0


def test_a_duplicate_is_shown_with_register_anyway(docworld: DocWorld) -> None:
    first = registered(docworld)
    client = client_for(docworld.clerk)
    url = reverse("documents:incoming_register")
    answer = client.post(url, post_data(docworld))
    html = answer.content.decode()
    assert answer.status_code == 422
    assert 'data-testid="duplicates"' in html
    assert f'data-duplicate="{first.pk}"' in html
    assert 'data-testid="confirm-duplicate"' in html
    assert Document.objects.count() == 1
    again = client.post(url, post_data(docworld, confirm_duplicate="on"))
    assert again.status_code == 302
    assert sorted(Document.objects.values_list("register_number", flat=True)) == [1, 2]


# --- list, page, actions -------------------------------------------------------------------------


def test_the_list_shows_the_organisations_documents(docworld: DocWorld) -> None:
    document = registered(docworld)
    client = client_for(docworld.clerk)
    answer = client.get(reverse("documents:incoming_list"), {"q": "88"})
    assert answer.status_code == 200
    assert f'data-document="{document.pk}"' in answer.content.decode()
    empty = client.get(reverse("documents:incoming_list"), {"state": State.COMPLETED})
    assert f'data-document="{document.pk}"' not in empty.content.decode()
    assert (
        client_for(docworld.economy_officer).get(reverse("documents:incoming_list")).status_code
        == 403
    )
    other = client_for(docworld.dept_clerk).get(reverse("documents:incoming_list"))
    assert f'data-document="{document.pk}"' not in other.content.decode()


def test_the_list_pages(docworld: DocWorld) -> None:
    for n in range(27):
        registered(
            docworld, code_number=str(100 + n), files=[IncomingFile("a.pdf", PDF + bytes([n]))]
        )
    client = client_for(docworld.clerk)
    first = client.get(reverse("documents:incoming_list"))
    second = client.get(reverse("documents:incoming_list"), {"page": 2})
    assert first.content.decode().count("data-document=") == 25
    assert second.content.decode().count("data-document=") == 2
    assert 'rel="next"' in first.content.decode()


def test_the_document_page_and_its_routing_actions(docworld: DocWorld) -> None:
    w = docworld
    document = registered(w)
    clerk = client_for(w.clerk)
    page = clerk.get(reverse("documents:incoming_document", kwargs={"pk": document.pk}))
    html = page.content.decode()
    assert page.status_code == 200
    assert 'data-action="trinh"' in html
    assert 'data-action="but-phe"' not in html
    action = reverse("documents:incoming_action", kwargs={"pk": document.pk, "action": "trinh"})
    answer = clerk.post(action, {"version": document.version, "head": w.head.pk})
    assert answer.status_code == 302
    document.refresh_from_db()
    assert document.state == State.PRESENTED

    head = client_for(w.head)
    html = head.get(reverse("documents:incoming_document", kwargs={"pk": document.pk})).content
    assert b'data-action="but-phe"' in html
    assert Route.objects.get(role=Route.Role.HEAD).read_at is not None  # read receipt
    direct = reverse("documents:incoming_action", kwargs={"pk": document.pk, "action": "but-phe"})
    missing = head.post(direct, {"version": document.version, "direction_text": "Xử lý"})
    assert missing.status_code == 422
    assert b'data-testid="action-error"' in missing.content or b"data-error-for" in missing.content
    due = (timezone.localdate() + timedelta(days=7)).isoformat()
    answer = head.post(
        direct,
        {
            "version": document.version,
            "direction_text": "Phòng Kinh tế chủ trì",
            "lead_unit": w.economy.pk,
            "co_units": [w.culture.pk],
            "due_on": due,
        },
    )
    assert answer.status_code == 302
    document.refresh_from_db()
    assert document.state == State.IN_PROCESS
    lead = Route.objects.get(role=Route.Role.LEAD)

    unit_head = client_for(w.economy_head)
    html = unit_head.get(reverse("documents:incoming_document", kwargs={"pk": document.pk}))
    assert b'data-action="chuyen"' in html.content
    chuyen = reverse("documents:incoming_action", kwargs={"pk": document.pk, "action": "chuyen"})
    answer = unit_head.post(chuyen, {"route": lead.pk, "officer": w.economy_officer.pk})
    assert answer.status_code == 302
    child = Route.objects.get(parent=lead)

    officer = client_for(w.economy_officer)
    mine = officer.get(reverse("documents:incoming_mine"))
    assert f'data-route="{child.pk}"'.encode() in mine.content
    officer.get(reverse("documents:incoming_document", kwargs={"pk": document.pk}))
    child.refresh_from_db()
    assert child.state == Route.State.READ
    complete = reverse(
        "documents:incoming_action", kwargs={"pk": document.pk, "action": "hoan-thanh"}
    )
    empty = officer.post(complete, {"route": child.pk, "result_note": ""})
    assert empty.status_code == 422
    assert b'data-error-for="result_note"' in empty.content
    answer = officer.post(
        complete, {"route": child.pk, "result_note": "Đã tham mưu văn bản trả lời"}
    )
    assert answer.status_code == 302
    document.refresh_from_db()
    assert document.state == State.COMPLETED
    page = head.get(reverse("documents:incoming_document", kwargs={"pk": document.pk}))
    assert b'data-action="mo-lai"' in page.content
    assert b'data-testid="routes"' in page.content


def test_a_stale_form_answers_409_and_shows_the_conflict(docworld: DocWorld) -> None:
    document = registered(docworld)
    stale = document.version
    document_present(
        actor=docworld.clerk.account, document=document, head=docworld.head, expected_version=stale
    )
    head = client_for(docworld.head)
    answer = head.post(
        reverse("documents:incoming_action", kwargs={"pk": document.pk, "action": "but-phe"}),
        {"version": stale, "direction_text": "Xử lý", "lead_unit": docworld.economy.pk},
    )
    assert answer.status_code == 409
    assert b'data-testid="action-error"' in answer.content
    assert Route.objects.filter(role=Route.Role.LEAD).count() == 0


def test_actions_of_others_are_refused(docworld: DocWorld) -> None:
    document = registered(docworld)
    answer = client_for(docworld.economy_officer).post(
        reverse("documents:incoming_action", kwargs={"pk": document.pk, "action": "trinh"}),
        {"version": document.version, "head": docworld.head.pk},
    )
    assert answer.status_code == 403
    document.refresh_from_db()
    assert document.state == State.REGISTERED


def test_people_of_other_organisations_do_not_see_the_document(docworld: DocWorld) -> None:
    document = registered(docworld)
    file_id = document.files.get().pk
    for who in (docworld.dept_clerk, docworld.outsider):
        client = client_for(who)
        assert (
            client.get(
                reverse("documents:incoming_document", kwargs={"pk": document.pk})
            ).status_code
            == 404
        )
        url = reverse(
            "documents:reading_file", kwargs={"document_id": document.pk, "file_id": file_id}
        )
        assert client.get(url).status_code == 404
    own = client_for(docworld.clerk).get(
        reverse("documents:reading_file", kwargs={"document_id": document.pk, "file_id": file_id})
    )
    assert own.status_code == 200
    assert b"".join(own.streaming_content) == PDF  # type: ignore[attr-defined]


def test_ocr_suggestions_are_offered_and_copied_only_on_request(docworld: DocWorld) -> None:
    document = registered(docworld)
    Document.objects.filter(pk=document.pk).update(
        ocr_suggestions={"code_number": "89", "subject": "V/v kế hoạch CCHC 2027"}
    )
    client = client_for(docworld.clerk)
    url = reverse("documents:incoming_document", kwargs={"pk": document.pk})
    html = client.get(url).content.decode()
    assert 'data-testid="ocr-suggestions"' in html
    assert 'data-copy="code_number"' in html
    assert 'value="88"' in html  # the form still holds the registered number
    copied = client.get(url, {"dung": "code_number"}).content.decode()
    assert 'value="89"' in copied
    document.refresh_from_db()
    assert document.code_number == "88"  # never applied silently
    answer = client.post(
        reverse("documents:incoming_action", kwargs={"pk": document.pk, "action": "sua"}),
        {
            "version": document.version,
            "code_number": "89",
            "code_notation": "SXD-VP",
            "issued_on": "2026-11-18",
            "issuer_name": "Sở Xây dựng",
            "subject": document.subject,
        },
    )
    assert answer.status_code == 302
    document.refresh_from_db()
    assert document.code_number == "89"
    assert document.events.filter(action="correct_metadata").count() == 1


def test_my_documents_shows_due_colours_and_filters(docworld: DocWorld) -> None:
    w = docworld
    today = timezone.localdate()
    late = registered(w, urgency=Urgency.FLASH)
    late = document_direct(
        actor=w.head.account,
        document=late,
        direction_text="Xử lý gấp",
        lead_officer=w.culture_officer,
        due_on=today + timedelta(days=1),
        expected_version=late.version,
    )
    Route.objects.filter(document=late).update(due_on=today - timedelta(days=2))
    client = client_for(w.culture_officer)
    html = client.get(reverse("documents:incoming_mine")).content.decode()
    assert 'data-due="overdue"' in html
    assert 'data-urgency="flash"' in html
    done = client.get(reverse("documents:incoming_mine"), {"show": "done"}).content.decode()
    assert 'data-testid="mine-empty"' in done
    assert client_for(w.economy_officer).get(reverse("documents:incoming_mine")).status_code == 200


def _arrived(world: DocWorld) -> tuple[Document, Delivery]:
    outgoing = Document.objects.create(
        organization=world.department,
        direction=Direction.OUTGOING,
        state=State.ISSUED,
        channel=Document.Channel.DRAFTED,
        document_type=world.doc_type("cong-van"),
        code_number="07",
        code_notation="SXD-QLXD",
        issuer_name="Sở Xây dựng",
        subject="V/v báo cáo tiến độ",
        created_by=world.dept_clerk.account,
    )
    incoming = Document.objects.create(
        organization=world.committee,
        direction=Direction.INCOMING,
        state=State.ARRIVED,
        channel=Document.Channel.INTERNAL,
        document_type=outgoing.document_type,
        code_number="07",
        code_notation="SXD-QLXD",
        issuer=world.department,
        issuer_name="Sở Xây dựng",
        subject=outgoing.subject,
        arrived_at=timezone.now(),
        source=outgoing,
        created_by=world.dept_clerk.account,
    )
    delivery = Delivery.objects.create(
        document=outgoing,
        recipient=world.committee,
        recipient_name=world.committee.name_vi,
        channel=Delivery.Channel.INTERNAL,
        state=Delivery.State.ARRIVED,
        incoming=incoming,
        state_changed_at=timezone.now(),
    )
    return incoming, delivery


@pytest.mark.parametrize(
    ("slug", "data", "state", "delivery_state"),
    [
        ("vao-so", {"urgency": Urgency.URGENT, "page_count": 2}, State.REGISTERED, "registered"),
        ("tra-lai", {"reason": "Gửi nhầm cơ quan"}, State.RETURNED_TO_SENDER, "refused"),
    ],
)
def test_an_arrived_document_is_registered_or_returned_on_its_page(
    docworld: DocWorld, slug: str, data: dict[str, Any], state: str, delivery_state: str
) -> None:
    incoming, delivery = _arrived(docworld)
    client = client_for(docworld.clerk)
    page = client.get(reverse("documents:incoming_document", kwargs={"pk": incoming.pk}))
    assert b'data-action="vao-so"' in page.content
    assert b'data-action="tra-lai"' in page.content
    answer = client.post(
        reverse("documents:incoming_action", kwargs={"pk": incoming.pk, "action": slug}),
        {"version": incoming.version, **data},
    )
    assert answer.status_code == 302
    incoming.refresh_from_db()
    delivery.refresh_from_db()
    assert (incoming.state, delivery.state) == (state, delivery_state)


def test_list_pages_do_not_query_per_row(docworld: DocWorld) -> None:
    w = docworld

    def routed(number: str) -> None:
        document = registered(
            w, code_number=number, files=[IncomingFile("a.pdf", PDF + number.encode())]
        )
        document_direct(
            actor=w.head.account,
            document=document,
            direction_text="Xử lý",
            lead_officer=w.economy_officer,
            expected_version=document.version,
        )

    def queries(officer: Officer, name: str) -> int:
        client = client_for(officer)
        client.get(reverse(name))  # warm the session and the caches
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse(name)).status_code == 200
        return len(captured.captured_queries)

    routed("1")
    before = (
        queries(w.clerk, "documents:incoming_list"),
        queries(w.economy_officer, "documents:incoming_mine"),
    )
    for n in range(2, 6):
        routed(str(n))
    after = (
        queries(w.clerk, "documents:incoming_list"),
        queries(w.economy_officer, "documents:incoming_mine"),
    )
    assert after == before

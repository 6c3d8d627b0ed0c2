"""Incoming documents: registration, duplicates, routing to completion, refusals, conflicts."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from directory_factories import DelegationFactory, OfficerFactory
from django.conf import settings
from django.utils import timezone
from documents_support import DocWorld

from egov.core.audit import AuditEntry
from egov.core.errors import PermissionDenied, ValidationFailed
from egov.core.models import Sequence, StoredFile
from egov.directory.models import Delegation, Role, Scope
from egov.documents.models import (
    Delivery,
    Direction,
    Document,
    DocumentEvent,
    DocumentFile,
    Route,
    Secrecy,
    State,
    Urgency,
)
from egov.documents.selectors.incoming import (
    document_duplicates,
    document_routes_tree,
    incoming_list,
    my_documents,
)
from egov.documents.services._common import DocumentConflict, TransitionNotAllowed
from egov.documents.services.incoming import (
    IncomingFile,
    document_direct,
    document_present,
    document_register_arrived,
    document_register_incoming,
    document_reopen,
    document_return_to_sender,
    route_complete,
    route_mark_read,
    route_pass_on,
)

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def pdf(tag: str = "a") -> bytes:
    return PDF + f"% {tag}\n".encode()


def register(world: DocWorld, **overrides: Any) -> Document:
    values: dict[str, Any] = {
        "actor": world.clerk.account,
        "organization": world.committee,
        "document_type": world.doc_type("cong-van"),
        "subject": "V/v triển khai chuyển đổi số năm 2026",
        "issuer": world.department,
        "code_number": "125",
        "code_notation": "SXD-QLXD",
        "issued_on": date(2026, 11, 20),
        "signer_name": "Trần Văn Hải",
        "signer_position": "Giám đốc",
        "page_count": 2,
        "urgency": Urgency.NORMAL,
        "secrecy": Secrecy.NONE,
        "channel": "paper",
        "files": [IncomingFile(name="cong-van-125.pdf", upload=pdf())],
    }
    values.update(overrides)
    return document_register_incoming(**values)


def counts() -> tuple[int, int, int, int, int]:
    return (
        Document.objects.count(),
        DocumentFile.objects.count(),
        StoredFile.objects.count(),
        Sequence.objects.filter(register="documents").count(),
        AuditEntry.objects.count(),
    )


# --- registration ------------------------------------------------------------------------------


def test_registration_numbers_the_document_in_the_register_of_the_arrival_year(
    docworld: DocWorld,
) -> None:
    first = register(docworld)
    second = register(
        docworld,
        code_number="126",
        files=[
            IncomingFile(name="cv126.pdf", upload=pdf("b")),
            IncomingFile(name="phu-luc.png", upload=PNG),
        ],
    )
    year = timezone.localdate().year
    assert (first.state, first.register, first.register_year, first.register_number) == (
        State.REGISTERED,
        docworld.incoming,
        year,
        1,
    )
    assert second.register_number == 2
    assert first.issuer_name == "Sở Xây dựng"
    assert first.issuer_code == "000.00.04.H51"
    assert first.direction == Direction.INCOMING
    assert first.arrived_at is not None
    assert first.text_state == Document.TextState.PENDING
    roles = list(second.files.order_by("pk").values_list("role", "file__original_name"))
    assert roles == [("main", "cv126.pdf"), ("appendix", "phu-luc.png")]
    assert second.main_sha256 == StoredFile.objects.get(original_name="cv126.pdf").sha256
    assert list(first.events.values_list("action", flat=True)) == ["register"]
    assert AuditEntry.objects.filter(action="document.register_incoming").count() == 2


def test_a_typed_issuer_is_kept_as_typed(docworld: DocWorld) -> None:
    document = register(docworld, issuer=None, issuer_name="  Bộ  Nội vụ ")
    assert (document.issuer, document.issuer_name, document.issuer_code) == (None, "Bộ Nội vụ", "")


def test_confidential_documents_go_to_the_confidential_register_kept_by_its_clerks(
    docworld: DocWorld,
) -> None:
    with pytest.raises(PermissionDenied) as caught:
        register(docworld, secrecy=Secrecy.CONFIDENTIAL)
    assert caught.value.code == "document.not_keeper"
    secret = register(docworld, actor=docworld.secret_clerk.account, secrecy=Secrecy.SECRET)
    assert (secret.register, secret.register_number) == (docworld.incoming_secret, 1)


@pytest.mark.parametrize("who", ["head", "economy_officer", "dept_clerk", "outsider"])
def test_only_a_clerk_of_the_organisation_registers(docworld: DocWorld, who: str) -> None:
    before = counts()
    with pytest.raises(PermissionDenied):
        register(docworld, actor=getattr(docworld, who).account)
    assert counts() == before


def test_a_refused_file_writes_nothing_and_takes_no_number(docworld: DocWorld) -> None:
    before = counts()
    with pytest.raises(ValidationFailed) as caught:
        register(
            docworld,
            files=[
                IncomingFile(name="ok.pdf", upload=pdf()),
                IncomingFile(name="virus.exe", upload=b"MZ\x90\x00 not a document"),
            ],
        )
    assert caught.value.code == "file.type_not_allowed"
    assert counts() == before
    assert _files_on_disk() == set()
    assert register(docworld).register_number == 1  # the number was not consumed


def test_word_files_are_not_accepted_as_scans(docworld: DocWorld) -> None:
    with pytest.raises(ValidationFailed) as caught:
        register(docworld, files=[IncomingFile(name="a.xml", upload=b"<a>x</a>")])
    assert caught.value.code == "file.type_not_allowed"
    assert Document.objects.count() == 0


def _files_on_disk() -> set[str]:
    root = Path(settings.MEDIA_ROOT)
    return {p.name for p in root.rglob("*") if p.is_file()} if root.exists() else set()


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"subject": "  "}, "subject"),
        ({"issuer": None, "issuer_name": ""}, "issuer_name"),
        ({"files": []}, "files"),
        ({"channel": "internal"}, "channel"),
        ({"issued_on": timezone.localdate() + timedelta(days=3)}, "issued_on"),
        ({"code_number": "1" * 12}, "code_number"),
        ({"page_count": 0}, "page_count"),
    ],
)
def test_bad_metadata_is_refused_with_its_field(
    docworld: DocWorld, overrides: dict[str, Any], field: str
) -> None:
    before = counts()
    with pytest.raises(ValidationFailed) as caught:
        register(docworld, **overrides)
    assert caught.value.field == field
    assert counts() == before


# --- duplicates ----------------------------------------------------------------------------------


def test_same_issuer_number_and_date_is_flagged_before_saving(docworld: DocWorld) -> None:
    first = register(docworld)
    before = counts()
    with pytest.raises(ValidationFailed) as caught:
        register(docworld, files=[IncomingFile(name="other-scan.pdf", upload=pdf("other"))])
    assert caught.value.code == "document.duplicate"
    assert [d["id"] for d in caught.value.details["duplicates"]] == [first.pk]
    assert caught.value.details["duplicates"][0]["arrival_number"] == 1
    assert caught.value.details["duplicates"][0]["subject"] == first.subject
    assert counts() == before
    assert _files_on_disk() == _stored_names()  # the refused scan left no bytes behind


def _stored_names() -> set[str]:
    return {str(f.file.name).rsplit("/", 1)[-1] for f in StoredFile.objects.all()}


def test_the_same_file_is_flagged_even_with_other_metadata(docworld: DocWorld) -> None:
    first = register(docworld)
    with pytest.raises(ValidationFailed) as caught:
        register(docworld, code_number="999", issuer=None, issuer_name="Bộ Tài chính")
    assert [d["id"] for d in caught.value.details["duplicates"]] == [first.pk]


def test_a_confirmed_duplicate_is_registered_with_the_next_number(docworld: DocWorld) -> None:
    register(docworld)
    again = register(docworld, confirm_duplicate=True)
    assert again.register_number == 2
    entry = AuditEntry.objects.filter(action="document.register_incoming").order_by("pk").last()
    assert entry is not None
    assert entry.summary["after"]["confirmed_duplicate"] is True


def test_other_organisations_and_other_numbers_are_not_duplicates(docworld: DocWorld) -> None:
    register(docworld)
    found = document_duplicates(
        organization=docworld.department,
        issuer_name="Sở Xây dựng",
        code_number="125",
        code_notation="SXD-QLXD",
        issued_on=date(2026, 11, 20),
        sha256s=[],
    )
    other_number = document_duplicates(
        organization=docworld.committee,
        issuer_name="Sở Xây dựng",
        code_number="127",
        code_notation="SXD-QLXD",
        issued_on=date(2026, 11, 20),
        sha256s=["0" * 64],
    )
    assert (found, other_number) == ([], [])


# --- routing -------------------------------------------------------------------------------------


def _route(document: Document, **filters: Any) -> Route:
    return Route.objects.get(document=document, **filters)


def test_full_routing_lifecycle(docworld: DocWorld) -> None:
    w = docworld
    document = register(w)
    document = document_present(
        actor=w.clerk.account, document=document, head=w.head, expected_version=document.version
    )
    assert document.state == State.PRESENTED
    head_route = _route(document, role=Route.Role.HEAD)
    assert (head_route.officer, head_route.state) == (w.head, Route.State.PENDING)
    assert my_documents(w.head).total == 1

    due = timezone.localdate() + timedelta(days=10)
    document = document_direct(
        actor=w.head.account,
        document=document,
        direction_text="Giao Phòng Kinh tế chủ trì, Phòng VH-XH phối hợp tham mưu.",
        lead_unit=w.economy,
        co_units=[w.culture],
        info_officers=[w.deputy_head],
        due_on=due,
        expected_version=document.version,
    )
    assert (document.state, document.due_on) == (State.IN_PROCESS, due)
    head_route.refresh_from_db()
    assert head_route.state == Route.State.COMPLETED
    lead = _route(document, role=Route.Role.LEAD)
    co = _route(document, role=Route.Role.CO)
    info = _route(document, role=Route.Role.INFO)
    assert (lead.unit, lead.officer, lead.due_on, lead.parent) == (w.economy, None, due, None)
    assert (co.unit, info.officer, info.due_on) == (w.culture, w.deputy_head, None)
    assert [r.pk for r in my_documents(w.economy_head).items] == [lead.pk]
    assert my_documents(w.economy_officer).total == 0

    child = route_pass_on(
        actor=w.economy_head.account, route=lead, officer=w.economy_officer, note="Đồng chí xử lý"
    )
    lead.refresh_from_db()
    assert lead.state == Route.State.PASSED_ON
    assert (child.parent, child.role, child.officer, child.due_on) == (
        lead,
        Route.Role.LEAD,
        w.economy_officer,
        due,
    )
    assert [r.pk for r in my_documents(w.economy_officer).items] == [child.pk]
    assert my_documents(w.economy_head).total == 0
    assert my_documents(w.economy_head, state="done").total == 1

    read = route_mark_read(actor=w.economy_officer.account, route=child)
    first_read = read.read_at
    again = route_mark_read(actor=w.economy_officer.account, route=child)
    assert (again.state, again.read_at) == (Route.State.READ, first_read)
    info = route_mark_read(actor=w.deputy_head.account, route=info)
    assert info.state == Route.State.COMPLETED  # "for information" only needs reading

    route_complete(actor=w.culture_head.account, route=co, result_note="Đã góp ý bằng văn bản")
    document.refresh_from_db()
    assert document.state == State.IN_PROCESS  # a co-unit's part does not close the document

    route_complete(actor=w.economy_officer.account, route=child, result_note="Đã tham mưu trả lời")
    document.refresh_from_db()
    lead.refresh_from_db()
    assert document.state == State.COMPLETED
    assert document.completed_at is not None
    assert lead.state == Route.State.COMPLETED

    tree = document_routes_tree(document)
    assert [(n.route.role, [c.route.pk for c in n.children]) for n in tree] == [
        ("head", []),
        ("lead", [child.pk]),
        ("co", []),
        ("info", []),
    ]
    actions = list(document.events.order_by("pk").values_list("action", flat=True))
    assert actions == [
        "register",
        "present",
        "direct",
        "pass_on",
        "read",
        "read",
        "route_complete",
        "complete",
    ]

    document = document_reopen(
        actor=w.head.account,
        document=document,
        reason="Cần bổ sung số liệu",
        expected_version=document.version,
    )
    child.refresh_from_db()
    lead.refresh_from_db()
    assert (document.state, document.completed_at) == (State.IN_PROCESS, None)
    assert (child.state, lead.state) == (Route.State.READ, Route.State.PASSED_ON)
    assert my_documents(w.economy_officer).total == 1


def test_for_information_only(docworld: DocWorld) -> None:
    document = register(docworld)
    document = document_direct(
        actor=docworld.head.account,
        document=document,
        direction_text="",
        info_units=[docworld.economy, docworld.culture],
        expected_version=document.version,
    )
    assert document.state == State.FOR_INFORMATION
    assert Route.objects.filter(document=document, role=Route.Role.INFO).count() == 2


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"lead_unit": "economy", "lead_officer": "culture_officer"}, "document.one_lead"),
        ({"co_units": ["culture"]}, "document.lead_required"),
        ({}, "document.lead_required"),
        ({"lead_unit": "dept_unit"}, "document.bad_receiver"),
        ({"lead_officer": "dept_officer"}, "document.bad_receiver"),
    ],
)
def test_direction_needs_exactly_one_lead_inside_the_organisation(
    docworld: DocWorld, kwargs: dict[str, Any], code: str
) -> None:
    document = register(docworld)
    resolved = {
        key: [getattr(docworld, v) for v in value]
        if isinstance(value, list)
        else getattr(docworld, value)
        for key, value in kwargs.items()
    }
    with pytest.raises(ValidationFailed) as caught:
        document_direct(
            actor=docworld.head.account,
            document=document,
            direction_text="Xử lý",
            expected_version=document.version,
            **resolved,
        )
    assert caught.value.code == code
    assert Route.objects.count() == 0
    document.refresh_from_db()
    assert document.state == State.REGISTERED


def test_a_deputy_directs_under_the_heads_delegation(docworld: DocWorld) -> None:
    deputy = OfficerFactory(unit=docworld.committee, roles=[(Role.OFFICER, Scope.ORGANIZATION)])
    document = register(docworld)
    with pytest.raises(PermissionDenied):
        document_direct(
            actor=deputy.account,
            document=document,
            direction_text="Xử lý",
            lead_unit=docworld.economy,
            expected_version=document.version,
        )
    DelegationFactory(delegator=docworld.head, deputy=deputy, power=Delegation.Power.APPROVE)
    deputy.account.refresh_from_db()
    actor = type(deputy.account).objects.get(pk=deputy.account.pk)
    document = document_direct(
        actor=actor,
        document=document,
        direction_text="Xử lý",
        lead_unit=docworld.economy,
        expected_version=document.version,
    )
    assert document.state == State.IN_PROCESS
    note = document.events.get(action="direct").note
    assert note == f"On behalf of {docworld.head.full_name}: Xử lý"
    entry = AuditEntry.objects.get(action="document.direct")
    assert entry.summary["after"]["on_behalf_of"] == docworld.head.pk


def test_routing_refusals(docworld: DocWorld) -> None:
    w = docworld
    document = register(w)
    with pytest.raises(PermissionDenied):
        document_present(
            actor=w.economy_officer.account,
            document=document,
            head=w.head,
            expected_version=document.version,
        )
    with pytest.raises(ValidationFailed) as caught:
        document_present(
            actor=w.clerk.account,
            document=document,
            head=w.economy_officer,
            expected_version=document.version,
        )
    assert caught.value.field == "head"
    with pytest.raises(PermissionDenied):
        document_direct(
            actor=w.economy_head.account,
            document=document,
            direction_text="x",
            lead_unit=w.economy,
            expected_version=document.version,
        )
    document = document_direct(
        actor=w.head.account,
        document=document,
        direction_text="Xử lý",
        lead_unit=w.economy,
        expected_version=document.version,
    )
    lead = _route(document, role=Route.Role.LEAD)
    for outsider in (w.culture_head, w.economy_officer, w.dept_head):
        with pytest.raises(PermissionDenied):
            route_pass_on(actor=outsider.account, route=lead, officer=w.economy_officer)
    with pytest.raises(ValidationFailed) as caught:
        route_pass_on(actor=w.economy_head.account, route=lead, officer=w.culture_officer)
    assert caught.value.code == "document.bad_receiver"
    for outsider in (w.culture_head, w.economy_officer, w.clerk):
        with pytest.raises(PermissionDenied):
            route_complete(actor=outsider.account, route=lead, result_note="x")
    with pytest.raises(ValidationFailed) as caught:
        route_complete(actor=w.economy_head.account, route=lead, result_note=" ")
    assert caught.value.field == "result_note"
    with pytest.raises(PermissionDenied):
        route_mark_read(actor=w.economy_officer.account, route=lead)
    with pytest.raises(PermissionDenied):
        document_reopen(
            actor=w.clerk.account, document=document, reason="x", expected_version=document.version
        )
    with pytest.raises(TransitionNotAllowed):
        document_reopen(
            actor=w.head.account, document=document, reason="x", expected_version=document.version
        )
    assert Route.objects.filter(document=document).count() == 1
    assert Route.objects.get(pk=lead.pk).state == Route.State.PENDING


def test_stale_version_is_a_conflict(docworld: DocWorld) -> None:
    document = register(docworld)
    stale = document.version
    document_present(
        actor=docworld.clerk.account, document=document, head=docworld.head, expected_version=stale
    )
    with pytest.raises(DocumentConflict) as caught:
        document_direct(
            actor=docworld.head.account,
            document=document,
            direction_text="Xử lý",
            lead_unit=docworld.economy,
            expected_version=stale,
        )
    assert caught.value.details == {"expected": stale, "current": stale + 1}
    assert Route.objects.filter(role=Route.Role.LEAD).count() == 0


# --- documents delivered inside the platform -----------------------------------------------------


def _arrived(world: DocWorld) -> tuple[Document, Delivery]:
    """An outgoing document of the department delivered to the committee (as issuing does)."""
    sent_at = timezone.now() - timedelta(hours=1)
    outgoing = Document.objects.create(
        organization=world.department,
        direction=Direction.OUTGOING,
        state=State.ISSUED,
        channel=Document.Channel.DRAFTED,
        register=world.dept_outgoing,
        register_year=sent_at.year,
        register_number=7,
        document_type=world.doc_type("cong-van"),
        code_number="07",
        code_notation="SXD-QLXD",
        issued_on=timezone.localdate(),
        issuer=world.department,
        issuer_name="Sở Xây dựng",
        subject="V/v báo cáo tiến độ dự án",
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
        issued_on=outgoing.issued_on,
        issuer=world.department,
        issuer_name="Sở Xây dựng",
        subject=outgoing.subject,
        arrived_at=sent_at,
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
        state_changed_at=sent_at,
    )
    return incoming, delivery


def test_registering_an_internal_arrival_tells_the_sender(docworld: DocWorld) -> None:
    incoming, delivery = _arrived(docworld)
    document = document_register_arrived(
        actor=docworld.clerk.account,
        document=incoming,
        expected_version=incoming.version,
        page_count=3,
        urgency=Urgency.URGENT,
    )
    delivery.refresh_from_db()
    assert (document.state, document.register, document.register_number) == (
        State.REGISTERED,
        docworld.incoming,
        1,
    )
    assert (document.page_count, document.urgency) == (3, Urgency.URGENT)
    assert delivery.state == Delivery.State.REGISTERED

    document = document_direct(
        actor=docworld.head.account,
        document=document,
        direction_text="Phòng Kinh tế xử lý",
        lead_officer=docworld.economy_officer,
        expected_version=document.version,
    )
    delivery.refresh_from_db()
    assert delivery.state == Delivery.State.ASSIGNED
    route_complete(
        actor=docworld.economy_officer.account,
        route=_route(document, role=Route.Role.LEAD),
        result_note="Đã xử lý",
    )
    delivery.refresh_from_db()
    assert delivery.state == Delivery.State.COMPLETED


def test_returning_a_wrongly_addressed_document_refuses_the_delivery(docworld: DocWorld) -> None:
    incoming, delivery = _arrived(docworld)
    with pytest.raises(ValidationFailed):
        document_return_to_sender(
            actor=docworld.clerk.account,
            document=incoming,
            reason="",
            expected_version=incoming.version,
        )
    document = document_return_to_sender(
        actor=docworld.clerk.account,
        document=incoming,
        reason="Gửi nhầm: không thuộc thẩm quyền",
        expected_version=incoming.version,
    )
    delivery.refresh_from_db()
    assert document.state == State.RETURNED_TO_SENDER
    assert (delivery.state, delivery.note) == (
        Delivery.State.REFUSED,
        "Gửi nhầm: không thuộc thẩm quyền",
    )
    assert document.register_number is None
    with pytest.raises(TransitionNotAllowed):
        document_register_arrived(
            actor=docworld.clerk.account, document=document, expected_version=document.version
        )


def test_an_arrival_of_another_organisation_cannot_be_registered(docworld: DocWorld) -> None:
    incoming, delivery = _arrived(docworld)
    with pytest.raises(PermissionDenied):
        document_register_arrived(
            actor=docworld.dept_clerk.account, document=incoming, expected_version=incoming.version
        )
    delivery.refresh_from_db()
    assert delivery.state == Delivery.State.ARRIVED
    assert DocumentEvent.objects.filter(document=incoming).count() == 0


# --- lists ---------------------------------------------------------------------------------------


def test_my_documents_puts_overdue_then_urgent_first(docworld: DocWorld) -> None:
    w = docworld
    today = timezone.localdate()
    made = {}
    for name, urgency, number in (
        ("normal", Urgency.NORMAL, "1"),
        ("flash", Urgency.FLASH, "2"),
        ("late", Urgency.NORMAL, "3"),
    ):
        document = register(
            w, urgency=urgency, code_number=number, files=[IncomingFile("a.pdf", pdf(name))]
        )
        made[name] = document_direct(
            actor=w.head.account,
            document=document,
            direction_text="Xử lý",
            lead_officer=w.economy_officer,
            due_on=today + timedelta(days=5),
            expected_version=document.version,
        )
    Route.objects.filter(document=made["late"]).update(due_on=today - timedelta(days=1))
    page = my_documents(w.economy_officer)
    assert [r.document_id for r in page.items] == [
        made["late"].pk,
        made["flash"].pk,
        made["normal"].pk,
    ]
    assert page.total == 3
    assert [r.document_id for r in my_documents(w.economy_officer, overdue_only=True).items] == [
        made["late"].pk
    ]
    assert my_documents(w.economy_officer, urgency=Urgency.FLASH).total == 1
    assert my_documents(w.economy_officer, state="done").total == 0


def test_incoming_list_hides_confidential_documents_from_other_clerks(docworld: DocWorld) -> None:
    plain = register(docworld)
    secret = register(
        docworld,
        actor=docworld.secret_clerk.account,
        secrecy=Secrecy.SECRET,
        code_number="9",
        files=[IncomingFile("mat.pdf", pdf("secret"))],
    )
    assert list(incoming_list(docworld.committee)) == [plain]
    both = incoming_list(docworld.committee, confidential_registers=[docworld.incoming_secret.pk])
    assert {d.pk for d in both} == {plain.pk, secret.pk}
    assert list(incoming_list(docworld.committee, query="125")) == [plain]
    assert list(incoming_list(docworld.committee, state=State.COMPLETED)) == []


def test_a_confidential_duplicate_is_flagged_without_its_content(docworld: DocWorld) -> None:
    secret = register(docworld, actor=docworld.secret_clerk.account, secrecy=Secrecy.SECRET)
    with pytest.raises(ValidationFailed) as caught:
        register(docworld)
    assert caught.value.details["duplicates"] == [
        {
            "id": secret.pk,
            "arrival_number": 1,
            "register_year": secret.register_year,
            "confidential": True,
        }
    ]


def test_my_documents_costs_the_same_queries_whatever_the_number_of_items(
    docworld: DocWorld, django_assert_num_queries: Any
) -> None:
    w = docworld

    def route_one(number: str) -> None:
        document = register(w, code_number=number, files=[IncomingFile("a.pdf", pdf(number))])
        document_direct(
            actor=w.head.account,
            document=document,
            direction_text="Xử lý",
            lead_officer=w.economy_officer,
            expected_version=document.version,
        )

    route_one("1")
    officer = type(w.economy_officer).objects.select_related("unit").get(pk=w.economy_officer.pk)
    my_documents(officer)  # roles cached on the instance, as in a request
    with django_assert_num_queries(3):  # count, page ids, page rows
        assert len(my_documents(officer).items) == 1
    for n in range(2, 6):
        route_one(str(n))
    with django_assert_num_queries(3):
        page = my_documents(officer)
        assert [r.document.subject for r in page.items] == [page.items[0].document.subject] * 5

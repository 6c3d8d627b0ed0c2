"""Who reads which document: the confidential-visibility matrix through every route.

For each person of `docworld` and three documents (an ordinary incoming one, a confidential
incoming one routed to the economy unit, a confidential outgoing draft), the same answer must
come from the list selector, the policy rule, the search selector, the API list, detail and
search, and the file URLs (screen and API); a refused file is 404, and every download of a
confidential document's file is audited.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date

import pytest
from django.core.files.base import ContentFile
from django.test import Client
from django.urls import reverse
from documents_support import DocWorld, vn
from reportlab.pdfgen import canvas

from egov.core.files import file_store
from egov.core.models import AuditEntry
from egov.directory import policy
from egov.directory.models import Account, ApiKey, Officer
from egov.documents.models import (
    ApprovalStep,
    Direction,
    Document,
    DocumentFile,
    Route,
    Secrecy,
    State,
)
from egov.documents.search import search_index
from egov.documents.selectors.search import document_search
from egov.documents.selectors.visibility import document_readable, documents_visible_to

PEOPLE = (
    "clerk",
    "secret_clerk",
    "head",
    "deputy_head",
    "economy_head",
    "economy_officer",
    "culture_head",
    "culture_officer",
    "dept_clerk",
    "dept_head",
    "dept_officer",
    "outsider",
)
COMMITTEE = PEOPLE[:8]


def pdf_bytes(text: str = "Văn bản thử") -> bytes:
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer)
    page.drawString(72, 720, text.encode("ascii", "ignore").decode() or "test")
    page.save()
    return buffer.getvalue()


def make_document(
    world: DocWorld,
    *,
    subject: str,
    author: Officer,
    direction: str = Direction.INCOMING,
    state: str = State.REGISTERED,
    secrecy: str = Secrecy.NONE,
    register: object = None,
    number: int | None = None,
    **extra: object,
) -> Document:
    document = Document.objects.create(
        organization=world.committee,
        direction=direction,
        state=state,
        channel=Document.Channel.PAPER if direction == Direction.INCOMING else "drafted",
        register=register,
        register_year=2026 if number else None,
        register_number=number,
        document_type=world.doc_type("quyet-dinh"),
        code_number="15",
        code_notation="QĐ-UBND",
        issued_on=date(2026, 1, 5),
        issuer_name="Ủy ban nhân dân tỉnh Quảng Ngãi",
        subject=subject,
        secrecy=secrecy,
        created_by=author.account,
        **extra,
    )
    search_index(document)
    return document


def attach(document: Document, author: Officer) -> DocumentFile:
    stored = file_store(upload=ContentFile(pdf_bytes()), name="van-ban.pdf", actor=author.account)
    return DocumentFile.objects.create(
        document=document, role=DocumentFile.Role.MAIN, file=stored, added_by=author.account
    )


@dataclass
class Case:
    document: Document
    file: DocumentFile
    query: str
    readers: frozenset[str]


def ordinary(world: DocWorld) -> Case:
    doc = make_document(
        world,
        subject="Kế hoạch phát triển thủy lợi",
        author=world.clerk,
        register=world.incoming,
        number=1,
    )
    return Case(doc, attach(doc, world.clerk), "thuy loi", frozenset(COMMITTEE))


def confidential_incoming(world: DocWorld) -> Case:
    doc = make_document(
        world,
        subject="Phương án bảo vệ công trình quốc phòng",
        author=world.secret_clerk,
        register=world.incoming_secret,
        number=1,
        secrecy=Secrecy.CONFIDENTIAL,
        state=State.IN_PROCESS,
    )
    Route.objects.create(
        document=doc,
        role=Route.Role.LEAD,
        unit=world.economy,
        sent_by=world.head.account,
        sent_at=vn(2026, 1, 6),
    )
    return Case(
        doc,
        attach(doc, world.secret_clerk),
        "quoc phong",
        frozenset({"secret_clerk", "economy_head"}),
    )


def confidential_draft(world: DocWorld) -> Case:
    doc = make_document(
        world,
        subject="Tờ trình về biên chế giáo dục",
        author=world.economy_officer,
        direction=Direction.OUTGOING,
        state=State.IN_REVIEW,
        secrecy=Secrecy.SECRET,
    )
    ApprovalStep.objects.create(
        document=doc, order=1, kind=ApprovalStep.Kind.REVIEW, approver=world.economy_head
    )
    return Case(
        doc,
        attach(doc, world.economy_officer),
        "bien che giao duc",
        frozenset({"economy_officer", "economy_head"}),
    )


def _reads_everywhere(client: Client, account: Account, case: Case) -> dict[str, bool]:
    """Whether `account` reads the case's document through each route."""
    doc = case.document
    client.force_login(account)
    api_list = client.get("/api/v1/documents", {"page_size": 100}).json()["items"]
    api_search = client.get("/api/v1/documents/search", {"q": case.query}).json()["items"]
    detail = client.get(f"/api/v1/documents/{doc.pk}")
    api_file = client.get(f"/api/v1/documents/{doc.pk}/files/{case.file.pk}")
    screen_file = client.get(
        reverse("documents:reading_file", kwargs={"document_id": doc.pk, "file_id": case.file.pk})
    )
    page = client.get(reverse("documents:reading_search"), {"q": case.query})
    client.logout()
    assert detail.status_code in (200, 404)
    assert api_file.status_code in (200, 404)
    assert screen_file.status_code in (200, 404)
    return {
        "selector": documents_visible_to(account).filter(pk=doc.pk).exists(),
        "readable": document_readable(account, doc),
        "policy": policy.can(account, "document.read", doc),
        "file_policy": policy.can(account, "document.file_read", case.file),
        "search": doc.pk in [d.pk for d in document_search(account, case.query).documents],
        "api_list": doc.pk in [item["id"] for item in api_list],
        "api_search": doc.pk in [item["id"] for item in api_search],
        "api_detail": detail.status_code == 200,
        "api_file": api_file.status_code == 200,
        "screen_file": screen_file.status_code == 200,
        "search_page": f'data-document="{doc.pk}"' in page.content.decode(),
    }


@pytest.mark.parametrize("build", [ordinary, confidential_incoming, confidential_draft])
def test_visibility_matrix_is_the_same_through_every_route(
    docworld: DocWorld, client: Client, build: object
) -> None:
    case = build(docworld)  # type: ignore[operator]
    # Another document of each kind in the same organisation, so that lists are not trivial.
    make_document(docworld, subject="Báo cáo thủy lợi quốc phòng giáo dục", author=docworld.clerk)
    for name in PEOPLE:
        officer: Officer = getattr(docworld, name)
        routes = _reads_everywhere(client, Account.objects.get(pk=officer.account_id), case)
        expected = name in case.readers
        assert routes == dict.fromkeys(routes, expected), (name, routes)


def test_confidential_file_reads_are_audited_and_refusals_write_nothing(
    docworld: DocWorld, client: Client
) -> None:
    case = confidential_incoming(docworld)
    doc = case.document
    url = reverse("documents:reading_file", kwargs={"document_id": doc.pk, "file_id": case.file.pk})
    client.force_login(docworld.head.account)
    assert client.get(url).status_code == 404
    assert client.get(f"/api/v1/documents/{doc.pk}/files/{case.file.pk}").status_code == 404
    assert not AuditEntry.objects.filter(action="document.file_read").exists()

    client.force_login(docworld.economy_head.account)
    response = client.get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"%PDF")
    assert client.get(f"/api/v1/documents/{doc.pk}/files/{case.file.pk}").status_code == 200
    entries = list(AuditEntry.objects.filter(action="document.file_read").order_by("pk"))
    assert [(e.actor_id, e.object_id) for e in entries] == [
        (docworld.economy_head.account_id, str(doc.pk)),
        (docworld.economy_head.account_id, str(doc.pk)),
    ]
    assert entries[0].summary["after"]["file"] == str(case.file.file_id)


def test_ordinary_file_reads_are_not_audited(docworld: DocWorld, client: Client) -> None:
    case = ordinary(docworld)
    client.force_login(docworld.culture_officer.account)
    url = reverse(
        "documents:reading_file",
        kwargs={"document_id": case.document.pk, "file_id": case.file.pk},
    )
    assert client.get(url).status_code == 200
    assert not AuditEntry.objects.filter(action="document.file_read").exists()


def test_a_file_of_another_document_is_404(docworld: DocWorld, client: Client) -> None:
    mine = ordinary(docworld)
    secret = confidential_incoming(docworld)
    client.force_login(docworld.clerk.account)
    # The clerk reads `mine`, but the file id belongs to the confidential document.
    url = reverse(
        "documents:reading_file",
        kwargs={"document_id": mine.document.pk, "file_id": secret.file.pk},
    )
    assert client.get(url).status_code == 404


def test_who_else_reads_a_confidential_document(docworld: DocWorld) -> None:
    """Officer routes, signer, deputies who acted, and withdrawn routes."""
    case = confidential_incoming(docworld)
    doc = case.document
    officer = docworld.culture_officer
    route = Route.objects.create(
        document=doc,
        role=Route.Role.CO,
        officer=officer,
        sent_by=docworld.head.account,
        sent_at=vn(2026, 1, 7),
    )
    assert document_readable(officer.account, doc)
    route.state = Route.State.WITHDRAWN
    route.save()
    assert not document_readable(officer.account, doc)
    assert not documents_visible_to(officer.account).filter(pk=doc.pk).exists()

    draft = confidential_draft(docworld).document
    assert not document_readable(docworld.head.account, draft)
    draft.signer = docworld.head
    draft.save()
    assert document_readable(docworld.head.account, draft)
    assert documents_visible_to(docworld.head.account).filter(pk=draft.pk).exists()
    ApprovalStep.objects.create(
        document=draft,
        order=2,
        kind=ApprovalStep.Kind.SIGN,
        approver=docworld.head,
        acted_by=docworld.deputy_head,
    )
    assert documents_visible_to(docworld.deputy_head.account).filter(pk=draft.pk).exists()


def test_keepers_read_confidential_documents_waiting_for_them(docworld: DocWorld) -> None:
    """A confidential document delivered inside the platform (ARRIVED, no register yet) and a
    signed one waiting to be issued reach the keepers of the confidential register, not the
    other clerks; a draft does not."""
    arrived = make_document(
        docworld,
        subject="Công văn mật",
        author=docworld.dept_clerk,
        state=State.ARRIVED,
        secrecy=Secrecy.CONFIDENTIAL,
    )
    signed = make_document(
        docworld,
        subject="Quyết định mật",
        author=docworld.economy_officer,
        direction=Direction.OUTGOING,
        state=State.SIGNED,
        secrecy=Secrecy.CONFIDENTIAL,
    )
    draft = make_document(
        docworld,
        subject="Dự thảo mật",
        author=docworld.economy_officer,
        direction=Direction.OUTGOING,
        state=State.DRAFT,
        secrecy=Secrecy.CONFIDENTIAL,
    )
    keeper = docworld.secret_clerk.account
    visible = set(documents_visible_to(keeper).values_list("pk", flat=True))
    assert {arrived.pk, signed.pk} <= visible
    assert draft.pk not in visible
    assert document_readable(keeper, arrived)
    assert not document_readable(keeper, draft)
    assert not document_readable(docworld.clerk.account, arrived)
    assert not documents_visible_to(docworld.clerk.account).filter(pk=signed.pk).exists()


def test_superuser_reads_everything_and_anonymous_nothing(docworld: DocWorld) -> None:
    case = confidential_draft(docworld)
    root = Account.objects.create_superuser("root-docread", password="x")  # noqa: S106
    assert documents_visible_to(root).filter(pk=case.document.pk).exists()
    from django.contrib.auth.models import AnonymousUser

    assert not documents_visible_to(AnonymousUser()).exists()
    assert not document_readable(AnonymousUser(), case.document)


def test_api_key_reads_only_ordinary_documents_of_its_subtree(
    docworld: DocWorld, client: Client
) -> None:
    from egov.directory.services.apikeys import apikey_create

    plain = ordinary(docworld)
    secret = confidential_incoming(docworld)
    admin = Account.objects.create_superuser("it-docread", password="x")  # noqa: S106
    key, raw = apikey_create(
        actor=admin, organization=docworld.committee, name="Hệ thống", scopes=["documents.read"]
    )
    assert isinstance(key, ApiKey)
    headers = {"HTTP_X_API_KEY": raw}
    ids = [i["id"] for i in client.get("/api/v1/documents", **headers).json()["items"]]
    assert plain.document.pk in ids
    assert secret.document.pk not in ids
    assert client.get(f"/api/v1/documents/{secret.document.pk}", **headers).status_code == 404
    got = client.get(f"/api/v1/documents/{plain.document.pk}/files/{plain.file.pk}", **headers)
    assert got.status_code == 200
    found = client.get("/api/v1/documents/search", {"q": "quoc phong"}, **headers).json()
    assert found["items"] == []

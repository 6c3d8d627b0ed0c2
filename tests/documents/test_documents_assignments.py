"""Heads give work from a document: the link, the form that names the source, the list."""

from __future__ import annotations

from datetime import timedelta

from django.test import Client
from django.urls import reverse
from django.utils import timezone
from documents_support import DocWorld

from egov.assignments.models import Assignment
from egov.documents.models import Direction, Document, Secrecy, State


def _document(world: DocWorld, secrecy: str = Secrecy.NONE) -> Document:
    return Document.objects.create(
        organization=world.committee,
        direction=Direction.INCOMING,
        state=State.REGISTERED,
        channel=Document.Channel.PAPER,
        register=world.incoming_secret if secrecy != Secrecy.NONE else world.incoming,
        register_year=2026,
        register_number=7,
        document_type=world.doc_type("cong-van"),
        code_number="125",
        code_notation="SXD-QLXD",
        issuer_name="Sở Xây dựng",
        subject="V/v rà soát thủ tục hành chính",
        secrecy=secrecy,
        created_by=world.clerk.account,
    )


def _client(officer: object) -> Client:
    client = Client()
    client.force_login(officer.account)  # type: ignore[attr-defined]
    return client


def test_a_head_gives_work_from_the_document_and_sees_it_listed(docworld: DocWorld) -> None:
    document = _document(docworld)
    head = _client(docworld.head)
    page = head.get(reverse("documents:incoming_document", kwargs={"pk": document.pk}))
    link = f"{reverse('assignments:create')}?nguon=document:{document.pk}"
    assert link in page.content.decode()

    form = head.get(link)
    assert form.status_code == 200
    assert "125/SXD-QLXD — V/v rà soát thủ tục hành chính" in form.content.decode()
    today = timezone.localdate()
    due = today + timedelta(days=10)
    answer = head.post(
        reverse("assignments:create"),
        {
            "nguon": f"document:{document.pk}",
            "title": "Rà soát và báo cáo",
            "description": "",
            "assignee_unit": docworld.economy.pk,
            "assignee_officer": "",
            "priority": "normal",
            "starts_on": today.isoformat(),
            "due_on": due.isoformat(),
        },
    )
    assert answer.status_code == 302
    given = Assignment.objects.get()
    assert (given.source_type, given.source_id) == ("document", str(document.pk))
    assert given.source_label == "125/SXD-QLXD — V/v rà soát thủ tục hành chính"
    assert given.source_url == reverse("documents:incoming_document", kwargs={"pk": document.pk})
    again = head.get(reverse("documents:incoming_document", kwargs={"pk": document.pk}))
    assert reverse("assignments:detail", kwargs={"pk": given.pk}) in again.content.decode()


def test_an_officer_sees_no_assign_link(docworld: DocWorld) -> None:
    document = _document(docworld)
    page = _client(docworld.economy_officer).get(
        reverse("documents:incoming_document", kwargs={"pk": document.pk})
    )
    assert page.status_code == 200
    assert 'data-testid="assign-work"' not in page.content.decode()


def test_a_source_the_head_may_not_read_or_a_bad_reference_is_not_found(
    docworld: DocWorld,
) -> None:
    secret = _document(docworld, Secrecy.CONFIDENTIAL)  # routed to nobody: the head cannot read
    head = _client(docworld.head)
    url = reverse("assignments:create")
    assert head.get(f"{url}?nguon=document:{secret.pk}").status_code == 404
    assert head.get(f"{url}?nguon=document:abc").status_code == 404
    assert head.get(f"{url}?nguon=nothing:1").status_code == 404
    assert Assignment.objects.count() == 0

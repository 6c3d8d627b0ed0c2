"""The read-only document API at /api/v1/documents (list, search, detail, file)."""

from __future__ import annotations

import typing
from datetime import date

from django.core.files.base import ContentFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from documents_support import DocWorld, vn

from egov.core.files import file_store
from egov.documents import api
from egov.documents.models import Direction, Document, DocumentFile, Route, Secrecy, State
from egov.documents.search import search_index

BASE = "/api/v1/documents"


def doc(world: DocWorld, subject: str, **extra: object) -> Document:
    values: dict[str, object] = {
        "organization": world.committee,
        "direction": Direction.INCOMING,
        "state": State.REGISTERED,
        "channel": Document.Channel.PAPER,
        "document_type": world.doc_type("quyet-dinh"),
        "issuer_name": "Sở Xây dựng",
        "code_number": "3",
        "code_notation": "QĐ-SXD",
        "issued_on": date(2026, 3, 2),
        "created_by": world.clerk.account,
        "subject": subject,
    }
    values.update(extra)
    document = Document.objects.create(**values)
    search_index(document)
    return document


def test_state_values_match_the_model() -> None:
    assert set(typing.get_args(api.StateValue)) == set(State.values)
    assert set(typing.get_args(api.DirectionValue)) == set(Direction.values)


def test_list_filters_pages_and_a_fixed_number_of_queries(
    docworld: DocWorld, client: Client
) -> None:
    made = [doc(docworld, f"Quyết định số {n}") for n in range(5)]
    out = doc(docworld, "Văn bản đi", direction=Direction.OUTGOING, state=State.ISSUED)
    doc(docworld, "Mật", secrecy=Secrecy.SECRET)
    client.force_login(docworld.culture_officer.account)

    body = client.get(BASE, {"page_size": 3}).json()
    assert body["count"] == 6
    assert [i["id"] for i in body["items"]] == [out.pk, made[4].pk, made[3].pk]
    first = body["items"][1]
    assert first["number_notation"] == "3/QĐ-SXD"
    assert first["organization"] == {"code": "H51.01", "name": "Ủy ban nhân dân tỉnh"}
    assert first["state_label"] == "Registered"

    outgoing = client.get(BASE, {"direction": "outgoing"}).json()
    assert [i["id"] for i in outgoing["items"]] == [out.pk]
    assert client.get(BASE, {"year": 2025}).json()["count"] == 0
    assert client.get(BASE, {"document_type": "quyet-dinh", "state": "issued"}).json()["count"] == 1
    assert client.get(BASE, {"state": "nonsense"}).status_code == 422

    with CaptureQueriesContext(connection) as few:
        client.get(BASE, {"page_size": 2})
    with CaptureQueriesContext(connection) as many:
        client.get(BASE, {"page_size": 6})
    assert len(few) == len(many)


def test_detail_has_routes_and_files_with_download_urls(docworld: DocWorld, client: Client) -> None:
    document = doc(docworld, "Quyết định phê duyệt", text_state=Document.TextState.OCR_DONE)
    document.ocr_suggestions = {"code_number": "3"}
    document.save()
    stored = file_store(
        upload=ContentFile(b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"),
        name="qd.pdf",
        actor=docworld.clerk.account,
    )
    item = DocumentFile.objects.create(
        document=document, role=DocumentFile.Role.MAIN, file=stored, added_by=docworld.clerk.account
    )
    Route.objects.create(
        document=document,
        role=Route.Role.LEAD,
        unit=docworld.economy,
        direction_text="Phòng Kinh tế chủ trì",
        due_on=date(2026, 3, 20),
        sent_by=docworld.head.account,
        sent_at=vn(2026, 3, 3),
    )
    client.force_login(docworld.economy_officer.account)

    body = client.get(f"{BASE}/{document.pk}").json()

    assert body["subject"] == "Quyết định phê duyệt"
    assert body["text_state"] == "ocr_done"
    assert body["ocr_suggestions"] == {"code_number": "3"}
    assert [(r["role"], r["unit"]["code"], r["due_on"]) for r in body["routes"]] == [
        ("lead", "H51.01.02", "2026-03-20")
    ]
    assert body["routes"][0]["sent_at"] == "2026-03-03T09:00:00+07:00"
    [file] = body["files"]
    assert file["download_url"] == f"{BASE}/{document.pk}/files/{item.pk}"
    assert (file["name"], file["role"], file["sha256"]) == ("qd.pdf", "main", stored.sha256)
    download = client.get(file["download_url"])
    assert download.status_code == 200
    assert download["Content-Type"] == "application/pdf"
    assert b"".join(download.streaming_content).startswith(b"%PDF-1.4")


def test_search_answers_items_with_snippets_and_facets(docworld: DocWorld, client: Client) -> None:
    a = doc(docworld, "Kế hoạch cải cách hành chính", extracted_text="Nâng cao chỉ số cải cách")
    doc(docworld, "Báo cáo cải cách hành chính", document_type=docworld.doc_type("bao-cao"))
    client.force_login(docworld.clerk.account)

    body = client.get(f"{BASE}/search", {"q": "cai cach", "document_type": "quyet-dinh"}).json()
    assert body["total"] == 1
    assert body["capped"] is False
    assert (body["page"], body["pages"]) == (1, 1)
    [hit] = body["items"]
    assert hit["id"] == a.pk
    assert hit["snippet"] == "Nâng cao chỉ số cải cách"
    assert body["facets"]["document_type"] == [
        {"value": "quyet-dinh", "label": "Quyết định", "count": 1}
    ]
    everything = client.get(f"{BASE}/search", {"q": "cai cach"}).json()
    assert everything["total"] == 2
    assert client.get(f"{BASE}/search", {"q": "x" * 201}).status_code == 422


def test_missing_and_hidden_documents_are_the_same_404(docworld: DocWorld, client: Client) -> None:
    hidden = doc(
        docworld, "Mật", secrecy=Secrecy.CONFIDENTIAL, created_by=docworld.secret_clerk.account
    )
    client.force_login(docworld.clerk.account)
    for path in (f"{BASE}/{hidden.pk}", f"{BASE}/987654", f"{BASE}/{hidden.pk}/files/1"):
        response = client.get(path)
        assert response.status_code == 404
        assert response["Content-Type"] == "application/problem+json"
        assert response.json()["code"] == "document.not_found"


def test_unauthenticated_callers_are_refused(client: Client, db: None) -> None:
    response = client.get(BASE)
    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"

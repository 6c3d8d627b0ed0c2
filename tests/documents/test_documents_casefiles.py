"""Case files (hồ sơ công việc): open, add and remove documents, close, archive, the index."""

from __future__ import annotations

import importlib.util
import sys
from datetime import date
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse
from documents_support import DocWorld

from egov.core.errors import PermissionDenied, ValidationFailed
from egov.core.models import AuditEntry
from egov.documents.models import CaseFile, Document
from egov.documents.services import casefiles
from egov.documents.services.casefiles import CaseFileConflict, CaseFileState


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

from outgoing_support import draft  # noqa: E402


def _open(world: DocWorld, code: str = "01.KT", **kwargs: object) -> CaseFile:
    values: dict[str, object] = {
        "actor": world.economy_officer.account,
        "code": code,
        "title": "Hồ sơ kế hoạch phát triển kinh tế 2026",
        "year": 2026,
        "retention": "10 năm",
        "opened_on": date(2026, 1, 5),
    }
    values.update(kwargs)
    return casefiles.case_file_create(**values)  # type: ignore[arg-type]


def test_open_a_case_file_of_the_officers_organisation(docworld: DocWorld) -> None:
    case_file = _open(docworld)
    assert (case_file.organization, case_file.owner, case_file.state, case_file.year) == (
        docworld.committee,
        docworld.economy_officer,
        CaseFile.State.OPEN,
        2026,
    )
    assert AuditEntry.objects.filter(action="casefile.create").count() == 1


def test_the_code_is_unique_per_organisation_and_year(docworld: DocWorld) -> None:
    _open(docworld)
    with pytest.raises(ValidationFailed) as caught:
        _open(docworld)
    assert caught.value.code == "casefile.code_taken"
    _open(docworld, year=2027)
    _open(docworld, actor=docworld.dept_officer.account)
    assert CaseFile.objects.count() == 3


def test_documents_go_in_and_out_and_the_index_counts_them(docworld: DocWorld) -> None:
    case_file = _open(docworld)
    first, second = draft(docworld), draft(docworld, subject="Thứ hai")
    Document.objects.filter(pk=first.pk).update(page_count=3)
    casefiles.case_file_add_document(
        actor=docworld.economy_officer.account, case_file=case_file, document=first
    )
    casefiles.case_file_add_document(
        actor=docworld.economy_officer.account, case_file=case_file, document=second
    )
    [row] = casefiles.case_file_index(docworld.committee, 2026)
    assert (row.case_file, row.doc_total, row.page_total) == (case_file, 2, 3)
    assert list(casefiles.case_file_documents(case_file)) == [first, second]

    casefiles.case_file_remove_document(
        actor=docworld.economy_officer.account, case_file=case_file, document=first
    )
    assert list(casefiles.case_file_documents(case_file)) == [second]
    assert Document.objects.get(pk=first.pk).case_file is None


def test_a_document_of_another_organisation_is_refused(docworld: DocWorld) -> None:
    case_file = _open(docworld)
    foreign = draft(docworld, actor=docworld.dept_officer.account)
    with pytest.raises(ValidationFailed) as caught:
        casefiles.case_file_add_document(
            actor=docworld.economy_officer.account, case_file=case_file, document=foreign
        )
    assert caught.value.code == "casefile.other_organization"
    assert Document.objects.get(pk=foreign.pk).case_file is None


def test_close_then_archive_and_nothing_changes_afterwards(docworld: DocWorld) -> None:
    case_file = _open(docworld)
    document = draft(docworld)
    casefiles.case_file_close(
        actor=docworld.economy_officer.account,
        case_file=case_file,
        expected_version=case_file.version,
        closed_on=date(2026, 6, 30),
    )
    with pytest.raises(CaseFileState):
        casefiles.case_file_add_document(
            actor=docworld.economy_officer.account, case_file=case_file, document=document
        )
    casefiles.case_file_archive(
        actor=docworld.clerk.account, case_file=case_file, expected_version=case_file.version
    )
    stored = CaseFile.objects.get(pk=case_file.pk)
    assert (stored.state, stored.closed_on) == (CaseFile.State.ARCHIVED, date(2026, 6, 30))
    assert stored.archived_at is not None
    with pytest.raises(CaseFileState):
        casefiles.case_file_close(
            actor=docworld.economy_officer.account,
            case_file=stored,
            expected_version=stored.version,
        )


def test_an_open_file_cannot_be_archived(docworld: DocWorld) -> None:
    case_file = _open(docworld)
    with pytest.raises(CaseFileState):
        casefiles.case_file_archive(
            actor=docworld.clerk.account, case_file=case_file, expected_version=case_file.version
        )
    assert CaseFile.objects.get(pk=case_file.pk).state == CaseFile.State.OPEN


def test_stale_version_is_refused(docworld: DocWorld) -> None:
    case_file = _open(docworld)
    with pytest.raises(CaseFileConflict):
        casefiles.case_file_close(
            actor=docworld.economy_officer.account,
            case_file=case_file,
            expected_version=case_file.version + 1,
        )
    assert CaseFile.objects.get(pk=case_file.pk).state == CaseFile.State.OPEN


def test_only_the_creator_or_clerks_and_heads_manage_a_file(docworld: DocWorld) -> None:
    case_file = _open(docworld)
    for who in (docworld.culture_officer, docworld.dept_clerk):
        with pytest.raises(PermissionDenied):
            casefiles.case_file_close(
                actor=who.account, case_file=case_file, expected_version=case_file.version
            )
    casefiles.case_file_close(
        actor=docworld.head.account, case_file=case_file, expected_version=case_file.version
    )
    assert CaseFile.objects.get(pk=case_file.pk).state == CaseFile.State.CLOSED


def test_officer_of_another_organisation_cannot_open_a_file_there(docworld: DocWorld) -> None:
    with pytest.raises(PermissionDenied):
        _open(docworld, actor=docworld.dept_officer.account, organization=docworld.committee)
    assert CaseFile.objects.count() == 0


# --- screens --------------------------------------------------------------------------------------


def _client(world: DocWorld) -> Client:
    client = Client()
    client.force_login(world.economy_officer.account)
    return client


def test_case_file_screens_open_add_close_archive(docworld: DocWorld) -> None:
    client = _client(docworld)
    listing = client.get(reverse("documents:casefile_list"), {"nam": 2026})
    assert listing.status_code == 200
    response = client.post(
        reverse("documents:casefile_list"),
        {"code": "02.KT", "title": "Hồ sơ thử", "year": 2026, "retention": "5 năm"},
    )
    case_file = CaseFile.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("documents:casefile_detail", kwargs={"pk": case_file.pk})

    document = draft(docworld)
    page = client.get(response["Location"])
    assert f'<option value="{document.pk}"'.encode() in page.content
    added = client.post(
        reverse("documents:casefile_action", kwargs={"pk": case_file.pk, "action": "them"}),
        {"version": case_file.version, "document": document.pk},
    )
    assert added.status_code == 302
    page = client.get(response["Location"])
    assert f'data-document="{document.pk}"'.encode() in page.content

    listing = client.get(reverse("documents:casefile_list"), {"nam": 2026})
    assert f'data-casefile="{case_file.pk}"'.encode() in listing.content

    stale = client.post(
        reverse("documents:casefile_action", kwargs={"pk": case_file.pk, "action": "dong"}),
        {"version": 1},
    )
    assert stale.status_code == 422
    current = CaseFile.objects.get(pk=case_file.pk)
    client.post(
        reverse("documents:casefile_action", kwargs={"pk": case_file.pk, "action": "dong"}),
        {"version": current.version},
    )
    assert CaseFile.objects.get(pk=case_file.pk).state == CaseFile.State.CLOSED


def test_duplicate_code_on_the_screen_is_shown_next_to_the_field(docworld: DocWorld) -> None:
    _open(docworld, code="03.KT")
    response = _client(docworld).post(
        reverse("documents:casefile_list"), {"code": "03.KT", "title": "Trùng", "year": 2026}
    )
    assert response.status_code == 422
    assert b'data-error-for="code"' in response.content
    assert CaseFile.objects.count() == 1


def test_another_organisations_case_file_is_404(docworld: DocWorld) -> None:
    case_file = _open(docworld, actor=docworld.dept_officer.account)
    response = _client(docworld).get(
        reverse("documents:casefile_detail", kwargs={"pk": case_file.pk})
    )
    assert response.status_code == 404

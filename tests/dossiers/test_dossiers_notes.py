"""Notes between officers on a dossier (issue #4 §3): staff who may see the dossier write and
read them; the applicant, other organisations and the public status page never see them."""

from __future__ import annotations

from typing import Any

import pytest
from directory_factories import OfficerFactory, OrganizationFactory
from django.test import Client
from dossiers_support import Clock, World, vn

from egov.core.botguard import form_token
from egov.core.errors import PermissionDenied, ValidationFailed
from egov.core.models import AuditEntry
from egov.directory.models import Role, Scope
from egov.dossiers import services
from egov.dossiers.models import Dossier, DossierNote
from egov.dossiers.notes import dossier_note_add

MATRIX = ["anonymous", "citizen", "other_org_officer", "staff_who_sees_it"]
SECRET_NOTE = "Chủ đầu tư hẹn bổ sung bản vẽ trong tuần — ghi chú nội bộ"


def _account(who: str, world: World) -> Any:
    if who == "anonymous":
        return None
    if who == "citizen":
        return world.applicant.account
    if who == "other_org_officer":
        other = OrganizationFactory(code="H51.40", parent=world.root)
        return OfficerFactory(unit=other, roles=[(Role.OFFICER, Scope.ORGANIZATION)]).account
    return world.reviewer.account


def _client(account: Any) -> Client:
    client = Client()
    if account is not None:
        client.force_login(account)
    return client


@pytest.fixture
def dossier(world: World, clock: Clock, receive: Any) -> Dossier:
    """Accepted, so the appraisal unit's reviewer sees it through its steps."""
    received = receive()
    clock.set(vn(2026, 2, 12, 10, 0))
    accepted: Dossier = services.dossier_accept(actor=world.counter.account, dossier=received)
    return accepted


@pytest.mark.parametrize("who", MATRIX)
def test_adding_a_note_on_the_dossier_page_permission_matrix(
    world: World, clock: Clock, dossier: Dossier, who: str
) -> None:
    client = _client(_account(who, world))
    url = f"/lam-viec/ho-so/{dossier.code}/ghi-chu/"
    response = client.post(url, {"text": SECRET_NOTE})
    if who == "anonymous":
        assert response.status_code == 302
        assert response["Location"].startswith("/dang-nhap/")
    elif who == "staff_who_sees_it":
        assert response.status_code == 302
        assert response["Location"] == f"/lam-viec/ho-so/{dossier.code}/#notes"
        note = DossierNote.objects.get()
        assert (note.dossier_id, note.author_id, note.author_name, note.text) == (
            dossier.pk,
            world.reviewer.account.pk,
            world.reviewer.full_name,
            SECRET_NOTE,
        )
        page = client.get(f"/lam-viec/ho-so/{dossier.code}/")
        assert page.status_code == 200
        assert SECRET_NOTE in page.content.decode()
        return
    else:
        assert response.status_code == 404
    assert DossierNote.objects.count() == 0
    assert not AuditEntry.objects.filter(action="dossier.note_add").exists()


@pytest.mark.parametrize("who", ["citizen", "other_org_officer"])
def test_the_service_refuses_those_who_may_not_see_the_dossier(
    world: World, dossier: Dossier, who: str
) -> None:
    with pytest.raises(PermissionDenied):
        dossier_note_add(actor=_account(who, world), dossier=dossier, text=SECRET_NOTE)
    assert DossierNote.objects.count() == 0
    assert not AuditEntry.objects.filter(action="dossier.note_add").exists()


def test_a_note_is_audited(world: World, clock: Clock, dossier: Dossier) -> None:
    clock.set(vn(2026, 2, 13, 11, 0))
    note = dossier_note_add(actor=world.counter.account, dossier=dossier, text=f"  {SECRET_NOTE} ")
    assert note.text == SECRET_NOTE
    assert note.created_at == vn(2026, 2, 13, 11, 0)
    entry = AuditEntry.objects.get(action="dossier.note_add")
    assert (entry.actor_id, entry.object_type, entry.object_id) == (
        world.counter.account.pk,
        "dossiers.dossier",
        str(dossier.pk),
    )
    assert entry.summary == {"after": {"note": note.pk, "length": len(SECRET_NOTE)}}


@pytest.mark.parametrize(
    ("text", "code"), [("   ", "dossier.note_empty"), ("x" * 2001, "dossier.note_too_long")]
)
def test_an_empty_or_overlong_note_is_refused(
    world: World, dossier: Dossier, text: str, code: str
) -> None:
    with pytest.raises(ValidationFailed) as caught:
        dossier_note_add(actor=world.counter.account, dossier=dossier, text=text)
    assert caught.value.code == code
    assert DossierNote.objects.count() == 0
    assert not AuditEntry.objects.filter(action="dossier.note_add").exists()


def test_an_empty_note_on_the_page_shows_the_error(world: World, dossier: Dossier) -> None:
    client = _client(world.reviewer.account)
    response = client.post(f"/lam-viec/ho-so/{dossier.code}/ghi-chu/", {"text": "  "})
    assert response.status_code == 422
    assert 'data-testid="note-error"' in response.content.decode()
    assert DossierNote.objects.count() == 0


def test_notes_never_reach_the_public_status_page(world: World, dossier: Dossier) -> None:
    dossier_note_add(actor=world.reviewer.account, dossier=dossier, text=SECRET_NOTE)
    response = Client().post(
        f"/tra-cuu-ho-so/{dossier.code}/",
        {"code": dossier.code, "secret": "0900000001", "form_started": form_token()},
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert dossier.code in body
    assert SECRET_NOTE not in body
    assert world.reviewer.full_name not in body

"""Officers download a dossier's stored slips (Mẫu 01–05) and export the dossier log (Mẫu 06)."""

from __future__ import annotations

import io
import zipfile
from typing import Any

import pytest
from directory_factories import OfficerFactory, OrganizationFactory
from django.test import Client
from dossiers_support import Clock, World, vn

from egov.directory.models import Role, Scope
from egov.dossiers import services
from egov.dossiers.models import DossierSlip

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _client(account: Any) -> Client:
    client = Client()
    if account is not None:
        client.force_login(account)
    return client


def _who(name: str, world: World) -> Any:
    if name == "anonymous":
        return None
    if name == "citizen":
        return world.applicant.account
    if name == "other_org_officer":
        other = OrganizationFactory(code="H51.40", parent=world.root)
        return OfficerFactory(unit=other, roles=[(Role.OFFICER, Scope.ORGANIZATION)]).account
    return world.counter.account


def _body(response: Any) -> bytes:
    return b"".join(response.streaming_content)


@pytest.mark.parametrize(
    ("who", "status"),
    [("anonymous", 302), ("citizen", 404), ("other_org_officer", 404), ("staff", 200)],
)
def test_only_staff_who_see_the_dossier_download_its_receipt_slip(
    world: World, clock: Clock, receive: Any, who: str, status: int
) -> None:
    clock.set(vn(2025, 3, 3))
    dossier = receive()
    response = _client(_who(who, world)).get(f"/lam-viec/ho-so/{dossier.code}/phieu/01/")
    assert response.status_code == status
    if status == 200:
        assert response["Content-Type"] == "application/pdf"
        assert _body(response).startswith(b"%PDF-")
        assert DossierSlip.objects.filter(dossier=dossier, form="01").count() == 1
    else:
        assert DossierSlip.objects.filter(dossier=dossier).count() == 0  # nothing drawn


def test_a_stored_slip_is_served_again_without_drawing_a_new_one(
    world: World, clock: Clock, receive: Any
) -> None:
    clock.set(vn(2025, 3, 3))
    dossier = receive()
    client = _client(world.counter.account)
    first = _body(client.get(f"/lam-viec/ho-so/{dossier.code}/phieu/01/"))
    second = _body(client.get(f"/lam-viec/ho-so/{dossier.code}/phieu/01/"))
    assert first == second
    assert DossierSlip.objects.filter(dossier=dossier).count() == 1


def test_a_slip_without_its_event_or_an_unknown_form_is_not_found(
    world: World, clock: Clock, receive: Any
) -> None:
    clock.set(vn(2025, 3, 3))
    dossier = receive()
    client = _client(world.counter.account)
    assert client.get(f"/lam-viec/ho-so/{dossier.code}/phieu/03/").status_code == 404
    assert client.get(f"/lam-viec/ho-so/{dossier.code}/phieu/06/").status_code == 404
    assert DossierSlip.objects.filter(dossier=dossier).count() == 0


def test_dossier_page_links_the_slips_its_log_has_events_for(
    world: World, clock: Clock, receive: Any
) -> None:
    clock.set(vn(2025, 3, 3))
    dossier = receive()
    services.dossier_request_supplement(
        actor=world.counter.account,
        dossier=dossier,
        items=[{"document_code": "TP2", "name": "Bản vẽ thiết kế", "reason": "Thiếu chữ ký"}],
    )
    page = _client(world.counter.account).get(f"/lam-viec/ho-so/{dossier.code}/")
    forms = [slip["form"] for slip in page.context["slips"]]
    assert forms == ["01", "02", "05"]
    html = page.content.decode()
    assert f"/lam-viec/ho-so/{dossier.code}/phieu/02/" in html
    response = _client(world.counter.account).get(f"/lam-viec/ho-so/{dossier.code}/phieu/02/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"


def test_the_receipt_page_links_the_receipt_pdf(world: World, clock: Clock, receive: Any) -> None:
    clock.set(vn(2025, 3, 3))
    dossier = receive()
    html = _client(world.counter.account).get(f"/lam-viec/ho-so/{dossier.code}/bien-nhan/")
    assert f'href="/lam-viec/ho-so/{dossier.code}/phieu/01/"' in html.content.decode()


def test_the_board_exports_the_dossier_log_as_xlsx(
    world: World, clock: Clock, receive: Any
) -> None:
    clock.set(vn(2025, 3, 3))
    dossier = receive()
    client = _client(world.head.account)
    board = client.get("/lam-viec/ho-so/bang-theo-doi/")
    assert 'action="/lam-viec/ho-so/so-theo-doi/"' in board.content.decode()
    response = client.get(
        "/lam-viec/ho-so/so-theo-doi/", {"start": "2025-03-01", "end": "2025-03-31", "fmt": "xlsx"}
    )
    assert response.status_code == 200
    assert response["Content-Type"] == XLSX
    assert response["Content-Disposition"] == (
        'attachment; filename="so-theo-doi-ho-so-20250301-20250331.xlsx"'
    )
    with zipfile.ZipFile(io.BytesIO(response.content)) as book:
        sheets = "".join(
            book.read(name).decode() for name in book.namelist() if name.startswith("xl/")
        )
    assert dossier.code in sheets


def test_the_board_exports_the_dossier_log_as_pdf(world: World, clock: Clock, receive: Any) -> None:
    clock.set(vn(2025, 3, 3))
    receive()
    response = _client(world.head.account).get(
        "/lam-viec/ho-so/so-theo-doi/", {"start": "2025-03-01", "end": "2025-03-31", "fmt": "pdf"}
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")


@pytest.mark.parametrize(
    ("who", "status"), [("anonymous", 302), ("citizen", 403), ("other_org_officer", 200)]
)
def test_the_log_export_is_refused_or_empty_for_those_outside(
    world: World, clock: Clock, receive: Any, who: str, status: int
) -> None:
    clock.set(vn(2025, 3, 3))
    dossier = receive()
    response = _client(_who(who, world)).get(
        "/lam-viec/ho-so/so-theo-doi/", {"start": "2025-03-01", "end": "2025-03-31", "fmt": "xlsx"}
    )
    assert response.status_code == status
    if status == 200:  # their own organisation's log: the dossier of another one is not in it
        with zipfile.ZipFile(io.BytesIO(response.content)) as book:
            sheets = "".join(book.read(name).decode() for name in book.namelist())
        assert dossier.code not in sheets


def test_a_bad_period_redraws_the_board_with_the_error(world: World, clock: Clock) -> None:
    clock.set(vn(2025, 3, 3))
    response = _client(world.head.account).get(
        "/lam-viec/ho-so/so-theo-doi/", {"start": "2025-03-31", "end": "2025-03-01", "fmt": "pdf"}
    )
    assert response.status_code == 422
    assert response.context["log_form"].errors == {  # the page speaks Vietnamese
        "end": ["Ngày kết thúc của kỳ trước ngày bắt đầu."]
    }

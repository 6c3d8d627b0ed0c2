"""The dossier router through a locally mounted API (the lead mounts it under /api/v1)."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from dossiers_support import FORM, PROCEDURE_CODE, Clock, World
from ninja import NinjaAPI
from ninja.testing import TestClient

from egov.api import problems
from egov.api.auth import API_AUTH
from egov.core.models import StoredFile
from egov.directory import services as directory_services
from egov.directory.models import Account
from egov.dossiers.api import router
from egov.dossiers.models import Dossier

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
_api = NinjaAPI(urls_namespace="dossiers-test", auth=API_AUTH)
problems.install(_api)
_api.add_router("/", router)


@pytest.fixture
def api_client() -> TestClient:
    return TestClient(_api)


@pytest.fixture
def key(world: World) -> str:
    _key, raw = directory_services.apikey_create(
        actor=Account.objects.create_superuser("quantri", "qt@example.vn", "Mat-khau-2025!"),
        organization=world.root,
        name="Cổng dịch vụ công",
        scopes=["dossiers.submit"],
    )
    return raw


def _body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "procedure_code": PROCEDURE_CODE,
        "receiving_organization": "H51.20",
        "applicant_national_id": "051185000123",
        "form": dict(FORM),
        "files": [
            {
                "name": "don.pdf",
                "document_code": "TP1",
                "content_base64": base64.b64encode(PDF).decode(),
            }
        ],
    }
    body.update(overrides)
    return body


def test_submission_with_a_key_creates_one_dossier_per_idempotency_key(
    world: World, clock: Clock, api_client: TestClient, key: str
) -> None:
    headers = {"X-API-Key": key, "Idempotency-Key": "portal-0001"}
    first = api_client.post("/dossiers", json=_body(), headers=headers)
    assert first.status_code == 201, first.content
    data = first.json()
    assert data["code"] == "000.00.20.H51-260212-0001"
    assert data["portal_status"] == 1
    assert data["appointment_at"] == "2026-02-26T17:00:00+07:00"
    assert [f["amount"] for f in data["fees"]] == [75000, 1000000]
    again = api_client.post("/dossiers", json=_body(), headers=headers)
    assert again.status_code == 201
    assert again.json() == data
    assert Dossier.objects.count() == 1
    assert StoredFile.objects.count() == 1


def test_submission_without_idempotency_key_is_refused(
    world: World, clock: Clock, api_client: TestClient, key: str
) -> None:
    answer = api_client.post("/dossiers", json=_body(), headers={"X-API-Key": key})
    assert answer.status_code == 422
    assert answer.json()["code"] == "dossier.idempotency_key_required"
    assert answer["Content-Type"] == "application/problem+json"
    assert Dossier.objects.count() == 0


def test_submission_problems_name_the_field(
    world: World, clock: Clock, api_client: TestClient, key: str
) -> None:
    headers = {"X-API-Key": key, "Idempotency-Key": "k"}
    bad_form = api_client.post(
        "/dossiers", json=_body(form={**FORM, "so_dinh_danh": "1"}), headers=headers
    )
    assert bad_form.status_code == 422
    assert bad_form.json()["code"] == "dossier.form_invalid"
    unknown = api_client.post(
        "/dossiers", json=_body(applicant_national_id="051185999999"), headers=headers
    )
    assert unknown.json()["code"] == "dossier.applicant_unknown"
    anonymous = api_client.post("/dossiers", json=_body(), headers={"Idempotency-Key": "k"})
    assert anonymous.status_code == 401
    assert Dossier.objects.count() == 0
    assert StoredFile.objects.count() == 0


def test_status_needs_the_second_factor(
    world: World, clock: Clock, api_client: TestClient, receive: Any
) -> None:
    dossier = receive()
    url = f"/dossiers/{dossier.code}/status"
    by_phone = api_client.get(f"{url}?phone=090 000 0001")
    assert by_phone.status_code == 200
    assert by_phone.json() == {
        "code": dossier.code,
        "state": "submitted",
        "state_label": "Awaiting completeness check",
        "portal_status": 2,
        "received_at": "2026-02-12T09:00:00+07:00",
        "appointment_at": "2026-02-26T17:00:00+07:00",
        "timeline": [
            {"at": "2026-02-12T09:00:00+07:00", "action": "receive", "state": "submitted"}
        ],
    }
    assert api_client.get(f"{url}?national_id=051185000123").status_code == 200
    for query in ("", "?phone=0900000002", "?national_id=051185000124", "?phone="):
        answer = api_client.get(f"{url}{query}")
        assert answer.status_code == 404
        assert answer.json()["code"] == "dossier.not_found"
    unknown = api_client.get("/dossiers/000.00.20.H51-260212-9999/status?phone=0900000001")
    assert unknown.status_code == 404
    assert unknown.json()["code"] == "dossier.not_found"

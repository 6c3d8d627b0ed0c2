"""Every API error is an application/problem+json document with a stable code."""

from __future__ import annotations

import json

import pytest
from django.test import Client, RequestFactory

from egov.api import problems
from egov.api.routers import system
from egov.core.errors import Conflict

from .conftest import Province
from .problems import assert_problem

pytestmark = pytest.mark.django_db


def test_no_credentials_is_401_problem_with_bearer_challenge(client: Client) -> None:
    response = client.get("/api/v1/me", HTTP_X_REQUEST_ID="req-12345678")
    body = assert_problem(response, 401, "not_authenticated")
    assert response["WWW-Authenticate"] == 'Bearer realm="egov"'
    assert body["instance"] == "/api/v1/me"
    assert body["request_id"] == "req-12345678"
    assert body["errors"] == []


def test_forbidden_is_403_problem(client: Client, province: Province) -> None:
    client.force_login(province.clerk.account)
    response = client.get("/api/v1/audit/directory.organization/1")
    body = assert_problem(response, 403, "permission_denied")
    assert body["detail"] == "You are not allowed to do this."


def test_unknown_object_is_404_problem(client: Client, province: Province) -> None:
    client.force_login(province.clerk.account)
    response = client.get("/api/v1/organizations/KHONG-CO")
    body = assert_problem(response, 404, "directory.organization_not_found")
    assert body["detail"] == "No organisation has the code KHONG-CO."
    assert body["title"] == "Not found."


def test_unknown_path_under_api_is_404_problem_not_html(client: Client) -> None:
    response = client.post("/api/v1/khong/co/gi", data={})
    body = assert_problem(response, 404, "not_found")
    assert body["instance"] == "/api/v1/khong/co/gi"


def test_invalid_query_is_422_problem_listing_each_field(
    client: Client, province: Province
) -> None:
    client.force_login(province.clerk.account)
    response = client.get("/api/v1/organizations?kind=province&page=0")
    body = assert_problem(response, 422, "validation")
    fields = {(e["location"], e["field"]) for e in body["errors"]}
    assert fields == {("query", "kind"), ("query", "page")}
    assert all(e["code"] and e["message"] for e in body["errors"])


def test_domain_error_keeps_its_code_and_field(client: Client, province: Province) -> None:
    client.force_login(province.clerk.account)
    response = client.get("/api/v1/calendar/day", {"date": "31/02/2026"})
    body = assert_problem(response, 422, "calendar.bad_date")
    assert body["errors"] == []
    assert "31/02/2026" in body["detail"]


def test_unexpected_exception_is_500_problem_and_logged(
    client: Client,
    province: Province,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    def boom(*args: object, **kwargs: object) -> None:
        raise RuntimeError("database exploded")

    monkeypatch.setattr(system.directory_selectors, "officer_for", boom)
    client.force_login(province.clerk.account)
    response = client.get("/api/v1/me")
    body = assert_problem(response, 500, "server_error")
    assert "exploded" not in body["detail"]
    assert any("unhandled API error" in r.getMessage() for r in caplog.records)


def test_egov_error_with_field_lists_it_in_errors(rf: RequestFactory) -> None:
    request = rf.post("/api/v1/dossiers/1")
    request.request_id = "abcdefgh"  # type: ignore[attr-defined]
    response = problems.egov_error(
        request, Conflict("Changed meanwhile", code="dossier.version", field="version")
    )
    assert response["Content-Type"] == "application/problem+json"
    assert json.loads(response.content) == {
        "type": "https://egov.example/problems/dossier.version",
        "title": "The object was changed by someone else.",
        "status": 409,
        "detail": "Changed meanwhile",
        "code": "dossier.version",
        "instance": "/api/v1/dossiers/1",
        "request_id": "abcdefgh",
        "errors": [
            {
                "location": None,
                "field": "version",
                "code": "dossier.version",
                "message": "Changed meanwhile",
            }
        ],
    }


def test_api_root_says_where_the_contract_and_docs_are(client: Client) -> None:
    response = client.get("/api/v1/")
    assert response.status_code == 200
    assert response.json() == {
        "title": "Open eGov VN API",
        "version": "1",
        "openapi": "/api/v1/openapi.json",
        "docs": "/api/v1/docs",
    }

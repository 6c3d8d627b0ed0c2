"""API keys (Bearer or X-API-Key) and the browser session, and what each may reach."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.middleware.csrf import get_token
from django.test import Client, RequestFactory
from django.utils import timezone

from egov.api.auth import SessionCookie
from egov.core.errors import PermissionDenied
from egov.directory import services
from egov.directory.models import ApiKey

from .conftest import Province
from .problems import assert_problem

pytestmark = pytest.mark.django_db

IssueKey = Callable[..., tuple[ApiKey, str]]


def test_bearer_key_authenticates_as_the_system(
    client: Client, province: Province, issue_key: IssueKey
) -> None:
    key, raw = issue_key("audit:read", "directory:read")
    response = client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert response.status_code == 200
    assert response.json() == {
        "kind": "api_key",
        "username": None,
        "full_name": None,
        "is_officer": False,
        "organization": {
            "code": "000.01.00.H53",
            "name_vi": "Sở Tư pháp",
            "name_en": "Department of Justice",
            "kind": "department",
        },
        "unit": None,
        "roles": [],
        "system_name": "Hệ thống một cửa",
        "key_prefix": key.prefix,
        "scopes": ["audit:read", "directory:read"],
    }


def test_x_api_key_header_authenticates_and_marks_the_key_used(
    client: Client, province: Province, issue_key: IssueKey
) -> None:
    key, raw = issue_key()
    assert key.last_used_at is None
    before = timezone.now()
    response = client.get("/api/v1/me", HTTP_X_API_KEY=raw)
    assert response.status_code == 200
    assert response.json()["kind"] == "api_key"
    key.refresh_from_db()
    assert key.last_used_at is not None
    assert key.last_used_at >= before


@pytest.mark.parametrize(
    "mangle",
    [
        pytest.param(lambda raw: raw[:-1] + ("A" if raw[-1] != "A" else "B"), id="wrong-secret"),
        pytest.param(lambda raw: "ffffffffff." + raw.split(".", 1)[1], id="unknown-prefix"),
        pytest.param(lambda raw: raw.split(".", 1)[0], id="no-secret"),
        pytest.param(lambda raw: "", id="empty"),
    ],
)
@pytest.mark.parametrize("header", ["HTTP_AUTHORIZATION", "HTTP_X_API_KEY"])
def test_bad_key_is_401_and_never_marks_a_key_used(
    client: Client,
    province: Province,
    issue_key: IssueKey,
    mangle: Callable[[str], str],
    header: str,
) -> None:
    key, raw = issue_key()
    value = mangle(raw)
    if header == "HTTP_AUTHORIZATION":
        value = f"Bearer {value}"
    response = client.get("/api/v1/me", **{header: value})
    assert_problem(response, 401, "not_authenticated")
    key.refresh_from_db()
    assert key.last_used_at is None


def test_revoked_key_is_refused(client: Client, province: Province, issue_key: IssueKey) -> None:
    key, raw = issue_key()
    assert client.get("/api/v1/me", HTTP_X_API_KEY=raw).status_code == 200
    services.apikey_revoke(actor=province.superuser, api_key=key)
    assert_problem(client.get("/api/v1/me", HTTP_X_API_KEY=raw), 401, "not_authenticated")


def test_bad_key_is_refused_even_with_a_signed_in_session(
    client: Client, province: Province
) -> None:
    client.force_login(province.it_admin.account)
    response = client.get("/api/v1/me", HTTP_AUTHORIZATION="Bearer abc.def")
    assert_problem(response, 401, "not_authenticated")


def test_session_authenticates_the_officer(client: Client, province: Province) -> None:
    client.force_login(province.it_admin.account)
    response = client.get("/api/v1/me")
    assert response.status_code == 200
    assert response.json() == {
        "kind": "account",
        "username": "it.admin",
        "full_name": "Trần Quản Trị",
        "is_officer": True,
        "organization": {
            "code": "000.01.00.H53",
            "name_vi": "Sở Tư pháp",
            "name_en": "Department of Justice",
            "kind": "department",
        },
        "unit": {
            "code": "000.01.01.H53",
            "name_vi": "Văn phòng Sở",
            "name_en": "",
            "kind": "unit",
        },
        "roles": [{"role": "it_admin", "scope": "subtree"}],
        "system_name": None,
        "key_prefix": None,
        "scopes": [],
    }


def test_inactive_account_session_is_refused(client: Client, province: Province) -> None:
    account = province.clerk.account
    client.force_login(account)
    account.is_active = False
    account.save(update_fields=["is_active"])
    assert_problem(client.get("/api/v1/me"), 401, "not_authenticated")


def test_session_unsafe_method_without_csrf_token_is_refused(
    rf: RequestFactory, province: Province
) -> None:
    # No write endpoint exists yet, so the session authenticator is exercised directly.
    request = rf.post("/api/v1/anything")
    request.user = province.clerk.account
    request._dont_enforce_csrf_checks = False  # type: ignore[attr-defined]
    with pytest.raises(PermissionDenied) as caught:
        SessionCookie(csrf=True)(request)
    assert caught.value.code == "csrf_failed"


def test_session_unsafe_method_with_csrf_token_passes(
    rf: RequestFactory, province: Province
) -> None:
    token = get_token(rf.get("/"))
    request = rf.post("/api/v1/anything", HTTP_X_CSRFTOKEN=token)
    request.COOKIES[settings.CSRF_COOKIE_NAME] = token
    request.user = province.clerk.account
    assert SessionCookie(csrf=True)(request) == province.clerk.account


def test_anonymous_session_is_not_authenticated_without_csrf_complaint(
    rf: RequestFactory,
) -> None:
    request = rf.post("/api/v1/anything")
    request.user = AnonymousUser()
    assert SessionCookie(csrf=True)(request) is None


def test_citizen_session_is_an_account_without_officer_data(
    client: Client, province: Province
) -> None:
    citizen = services.applicant_register_citizen(
        full_name="Nguyễn Thị Dân",
        national_id="051200001234",
        phone="0905123456",
        email="dan@example.vn",
        password="Mật-khẩu-Dân-2025!",
    )
    client.force_login(citizen.account)
    body = client.get("/api/v1/me").json()
    assert body["kind"] == "account"
    assert body["username"] == "051200001234"
    assert body["full_name"] == "Nguyễn Thị Dân"
    assert body["is_officer"] is False
    assert body["roles"] == []
    assert body["organization"] is None

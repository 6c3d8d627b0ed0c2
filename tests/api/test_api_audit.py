"""Object history through the API: IT admins and keys with the `audit:read` scope only."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client

from egov.directory import services
from egov.directory.models import ApiKey

from .conftest import Province
from .problems import assert_problem

pytestmark = pytest.mark.django_db

IssueKey = Callable[..., tuple[ApiKey, str]]


def _url(province: Province) -> str:
    return f"/api/v1/audit/directory.organization/{province.department.pk}"


def test_it_admin_reads_the_history_oldest_first(client: Client, province: Province) -> None:
    services.organization_update(
        actor=province.it_admin.account, organization=province.department, phone="0255 111 222"
    )
    client.force_login(province.it_admin.account)
    response = client.get(_url(province))
    assert response.status_code == 200
    body = response.json()
    actions = [item["action"] for item in body["items"]]
    assert actions == [
        "directory.organization.create",
        "directory.organization.update",
    ]
    assert body["count"] == 2
    last = body["items"][-1]
    assert last["object_type"] == "directory.organization"
    assert last["object_id"] == str(province.department.pk)
    assert last["actor_id"] == province.it_admin.account.pk
    # the chain is global (not per object): each entry links to the entry before it in the log
    assert len(last["hash"]) == 64
    assert last["prev_hash"] != last["hash"]


def test_key_with_audit_scope_reads_the_history(
    client: Client, province: Province, issue_key: IssueKey
) -> None:
    _key, raw = issue_key("audit:read")
    response = client.get(_url(province), HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert response.status_code == 200
    assert [item["action"] for item in response.json()["items"]] == [
        "directory.organization.create"
    ]


def test_key_without_audit_scope_is_refused(
    client: Client, province: Province, issue_key: IssueKey
) -> None:
    _key, raw = issue_key("directory:read")
    response = client.get(_url(province), HTTP_X_API_KEY=raw)
    body = assert_problem(response, 403, "api_key.scope_missing")
    assert body["detail"] == "This API key was not issued with the scope audit:read."


def test_officer_without_it_admin_role_is_refused(client: Client, province: Province) -> None:
    client.force_login(province.clerk.account)
    assert_problem(client.get(_url(province)), 403, "permission_denied")


def test_citizen_account_is_refused(client: Client, province: Province) -> None:
    citizen = services.applicant_register_citizen(
        full_name="Nguyễn Thị Dân",
        national_id="051200001234",
        phone="0905123456",
        email="dan@example.vn",
        password="Mật-khẩu-Dân-2025!",
    )
    client.force_login(citizen.account)
    assert_problem(client.get(_url(province)), 403, "permission_denied")


def test_anonymous_is_401(client: Client, province: Province) -> None:
    assert_problem(client.get(_url(province)), 401, "not_authenticated")


def test_unknown_object_answers_an_empty_history(client: Client, province: Province) -> None:
    client.force_login(province.it_admin.account)
    response = client.get("/api/v1/audit/directory.organization/999999")
    assert response.json() == {"items": [], "count": 0}


def test_history_query_count(
    client: Client, province: Province, django_assert_num_queries: Callable[..., object]
) -> None:
    for number in range(5):
        services.organization_update(
            actor=province.it_admin.account,
            organization=province.department,
            phone=f"0255 000 00{number}",
        )
    client.force_login(province.it_admin.account)
    client.get(_url(province))
    # session, account, officer (with unit), roles, count, page
    with django_assert_num_queries(6):  # type: ignore[operator]
        response = client.get(_url(province))
    assert response.json()["count"] == 6

"""The organisation directory endpoints: filters, pagination, query counts."""

from __future__ import annotations

from collections.abc import Callable
from typing import get_args

import pytest
from django.test import Client

from egov.api.routers.organizations import OrganizationKind, OrganizationLevel
from egov.directory import services
from egov.directory.models import ApiKey, Organization

from .conftest import Province
from .problems import assert_problem

pytestmark = pytest.mark.django_db

IssueKey = Callable[..., tuple[ApiKey, str]]


def _codes(response) -> list[str]:  # type: ignore[no-untyped-def]
    return [item["code"] for item in response.json()["items"]]


def test_schema_literals_match_the_model_choices() -> None:
    assert list(get_args(OrganizationKind)) == Organization.Kind.values
    assert list(get_args(OrganizationLevel)) == Organization.Level.values


def test_list_gives_active_nodes_in_tree_order(
    client: Client, province: Province, issue_key: IssueKey
) -> None:
    _key, raw = issue_key()
    response = client.get("/api/v1/organizations", HTTP_X_API_KEY=raw)
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 4
    assert _codes(response) == [
        "000.00.00.H53",
        "000.01.00.H53",
        "000.01.01.H53",
        "000.00.21.H53",
    ]
    root = body["items"][0]
    assert root == {
        "code": "000.00.00.H53",
        "qcvn_code": "",
        "admin_unit_code": "",
        "kind": "people_committee",
        "level": "province",
        "name_vi": "Ủy ban nhân dân tỉnh Quảng Ngãi",
        "name_en": "Quang Ngai Provincial People's Committee",
        "abbreviation": "",
        "parent_code": None,
        "depth": 0,
        "address": "52 Hùng Vương, Quảng Ngãi",
        "phone": "0255 3822 123",
        "email": "ubnd@quangngai.gov.vn",
        "website": "",
        "valid_from": None,
        "valid_to": None,
        "successor_code": None,
    }
    assert body["items"][2]["parent_code"] == "000.01.00.H53"


def test_list_filters_by_kind_and_parent(
    client: Client, province: Province, issue_key: IssueKey
) -> None:
    _key, raw = issue_key()
    by_kind = client.get("/api/v1/organizations?kind=commune", HTTP_X_API_KEY=raw)
    assert _codes(by_kind) == ["000.00.21.H53"]
    by_parent = client.get("/api/v1/organizations?parent=000.00.00.H53", HTTP_X_API_KEY=raw)
    assert _codes(by_parent) == ["000.01.00.H53", "000.00.21.H53"]
    both = client.get(
        "/api/v1/organizations?parent=000.00.00.H53&kind=department", HTTP_X_API_KEY=raw
    )
    assert _codes(both) == ["000.01.00.H53"]
    unknown_parent = client.get("/api/v1/organizations?parent=NOPE", HTTP_X_API_KEY=raw)
    assert unknown_parent.json() == {"items": [], "count": 0}


def test_ended_nodes_are_listed_only_on_request_with_their_successor(
    client: Client, province: Province, issue_key: IssueKey
) -> None:
    _key, raw = issue_key()
    response = client.get(
        "/api/v1/organizations?kind=commune&include_ended=true", HTTP_X_API_KEY=raw
    )
    items = {item["code"]: item for item in response.json()["items"]}
    assert set(items) == {"000.00.21.H53", "000.00.22.H53"}
    assert items["000.00.22.H53"]["valid_to"] == "2025-06-30"
    assert items["000.00.22.H53"]["successor_code"] == "000.00.21.H53"


def test_pagination_pages_through_the_whole_list(
    client: Client, province: Province, issue_key: IssueKey
) -> None:
    _key, raw = issue_key()
    seen: list[str] = []
    for page in (1, 2, 3):
        response = client.get(f"/api/v1/organizations?page={page}&page_size=2", HTTP_X_API_KEY=raw)
        assert response.json()["count"] == 4
        seen += _codes(response)
    assert seen == [
        "000.00.00.H53",
        "000.01.00.H53",
        "000.01.01.H53",
        "000.00.21.H53",
    ]


def test_page_size_is_capped(client: Client, province: Province, issue_key: IssueKey) -> None:
    su = province.superuser
    for number in range(205):
        services.organization_create(
            actor=su,
            parent=province.department,
            code=f"T{number:04d}",
            kind=Organization.Kind.UNIT,
            level=Organization.Level.PROVINCE,
            name_vi=f"Phòng {number}",
        )
    _key, raw = issue_key()
    response = client.get("/api/v1/organizations?page_size=1000", HTTP_X_API_KEY=raw)
    body = response.json()
    assert body["count"] == 209
    assert len(body["items"]) == 200
    default = client.get("/api/v1/organizations", HTTP_X_API_KEY=raw).json()
    assert len(default["items"]) == 50


def test_list_query_count_does_not_grow_with_the_page(
    client: Client,
    province: Province,
    issue_key: IssueKey,
    django_assert_num_queries: Callable[..., object],
) -> None:
    key, raw = issue_key()
    client.get("/api/v1/me", HTTP_X_API_KEY=raw)  # last_used_at is now fresh: no write
    for number in range(30):
        services.organization_create(
            actor=province.superuser,
            parent=province.department,
            code=f"Q{number:03d}",
            kind=Organization.Kind.UNIT,
            level=Organization.Level.PROVINCE,
            name_vi=f"Phòng {number}",
        )
    # 1 key look-up (with its organisation), 1 count, 1 page with parents and successors
    with django_assert_num_queries(3):  # type: ignore[operator]
        response = client.get("/api/v1/organizations?page_size=100", HTTP_X_API_KEY=raw)
    assert len(response.json()["items"]) == 34


def test_list_query_count_with_a_session(
    client: Client, province: Province, django_assert_num_queries: Callable[..., object]
) -> None:
    client.force_login(province.clerk.account)
    client.get("/api/v1/me")
    # session, account, count, page
    with django_assert_num_queries(4):  # type: ignore[operator]
        response = client.get("/api/v1/organizations")
    assert response.json()["count"] == 4


def test_detail_by_code_includes_ended_nodes(
    client: Client, province: Province, issue_key: IssueKey
) -> None:
    _key, raw = issue_key()
    response = client.get("/api/v1/organizations/000.00.22.H53", HTTP_X_API_KEY=raw)
    assert response.status_code == 200
    body = response.json()
    assert body["name_vi"] == "UBND xã Tịnh Thọ"
    assert body["parent_code"] == "000.00.00.H53"
    assert body["successor_code"] == "000.00.21.H53"


def test_detail_of_unknown_code_is_a_404_problem(
    client: Client, province: Province, issue_key: IssueKey
) -> None:
    _key, raw = issue_key()
    response = client.get("/api/v1/organizations/000.99.99.H53", HTTP_X_API_KEY=raw)
    assert_problem(response, 404, "directory.organization_not_found")


def test_list_needs_credentials(client: Client, province: Province) -> None:
    assert_problem(client.get("/api/v1/organizations"), 401, "not_authenticated")

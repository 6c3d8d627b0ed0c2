"""A small province for the API tests, built through the directory's services."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.test import Client

from egov.directory import services
from egov.directory.models import Account, ApiKey, Officer, Organization, Role, Scope

PASSWORD = "Mật-khẩu-Thử-2025!"


@dataclass
class Province:
    root: Organization
    department: Organization
    office: Organization
    commune: Organization
    ended_commune: Organization
    superuser: Account
    it_admin: Officer
    clerk: Officer


@pytest.fixture
def province(db: None) -> Province:
    su = Account.objects.create_superuser("quantri-goc", "root@example.vn", PASSWORD)
    root = services.organization_create(
        actor=su,
        parent=None,
        code="000.00.00.H53",
        kind=Organization.Kind.PEOPLE_COMMITTEE,
        level=Organization.Level.PROVINCE,
        name_vi="Ủy ban nhân dân tỉnh Quảng Ngãi",
        name_en="Quang Ngai Provincial People's Committee",
        address="52 Hùng Vương, Quảng Ngãi",
        phone="0255 3822 123",
        email="ubnd@quangngai.gov.vn",
    )
    department = services.organization_create(
        actor=su,
        parent=root,
        code="000.01.00.H53",
        kind=Organization.Kind.DEPARTMENT,
        level=Organization.Level.PROVINCE,
        name_vi="Sở Tư pháp",
        name_en="Department of Justice",
    )
    office = services.organization_create(
        actor=su,
        parent=department,
        code="000.01.01.H53",
        kind=Organization.Kind.UNIT,
        level=Organization.Level.PROVINCE,
        name_vi="Văn phòng Sở",
    )
    commune = services.organization_create(
        actor=su,
        parent=root,
        code="000.00.21.H53",
        kind=Organization.Kind.COMMUNE,
        level=Organization.Level.COMMUNE,
        name_vi="UBND xã Tịnh Phong",
    )
    ended = services.organization_create(
        actor=su,
        parent=root,
        code="000.00.22.H53",
        kind=Organization.Kind.COMMUNE,
        level=Organization.Level.COMMUNE,
        name_vi="UBND xã Tịnh Thọ",
        valid_from=dt.date(2020, 1, 1),
    )
    services.organization_succeed(
        actor=su,
        organization=ended,
        successor=commune,
        effective_on=dt.date(2025, 7, 1),
        basis="Nghị quyết 1234/NQ-UBTVQH15",
    )
    ended.refresh_from_db()
    position = services.position_save(actor=su, code="chuyen-vien", name_vi="Chuyên viên")
    it_admin = services.officer_create(
        actor=su,
        unit=office,
        position=position,
        username="it.admin",
        full_name="Trần Quản Trị",
        password=PASSWORD,
        roles=[(Role.IT_ADMIN, Scope.SUBTREE)],
    )
    clerk = services.officer_create(
        actor=su,
        unit=office,
        position=position,
        username="van.thu",
        full_name="Lê Văn Thư",
        password=PASSWORD,
        roles=[(Role.CLERK, Scope.UNIT)],
    )
    return Province(root, department, office, commune, ended, su, it_admin, clerk)


@pytest.fixture
def issue_key(province: Province) -> Callable[..., tuple[ApiKey, str]]:
    """Issue an API key through the service; returns (ApiKey, raw text)."""

    def issue(*scopes: str, organization: Organization | None = None) -> tuple[ApiKey, str]:
        return services.apikey_create(
            actor=province.superuser,
            organization=organization or province.department,
            name="Hệ thống một cửa",
            scopes=scopes,
        )

    return issue


@pytest.fixture
def client() -> Client:
    """A test client that asks for English, so messages are compared in their source language."""
    return Client(headers={"accept-language": "en"})

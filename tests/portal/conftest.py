"""A few organisations for the portal pages, built through the directory's services."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client
from egov_testing import language_client

from egov.directory import services
from egov.directory.models import Account, Officer, Organization, Role, Scope

PASSWORD = "Mật-khẩu-Thử-2025!"


@dataclass
class Tree:
    root: Organization
    justice: Organization
    justice_office: Organization
    centre: Organization
    commune_b: Organization
    commune_a: Organization
    ended: Organization
    superuser: Account
    officer: Officer


@pytest.fixture
def tree(db: None) -> Tree:
    su = Account.objects.create_superuser("quantri-goc", "root@example.vn", PASSWORD)

    def node(
        parent: Organization | None, code: str, kind: str, level: str, **kw: Any
    ) -> Organization:
        return services.organization_create(
            actor=su, parent=parent, code=code, kind=kind, level=level, **kw
        )

    K, L = Organization.Kind, Organization.Level
    root = node(
        None,
        "H51",
        K.PEOPLE_COMMITTEE,
        L.PROVINCE,
        name_vi="Ủy ban nhân dân tỉnh Quảng Ngãi",
        name_en="Quang Ngai Provincial People's Committee",
        address="52 Hùng Vương, phường Cẩm Thành",
        phone="0255 3822 123",
        email="ubnd@quangngai.egov.example",
    )
    justice = node(
        root,
        "H51.10",
        K.DEPARTMENT,
        L.PROVINCE,
        name_vi="Sở Tư pháp",
        name_en="Department of Justice",
        abbreviation="STP",
        email="stp@quangngai.egov.example",
    )
    office = node(justice, "H51.10.01", K.UNIT, L.PROVINCE, name_vi="Văn phòng Sở Tư pháp")
    centre = node(
        root,
        "H51.20",
        K.AGENCY,
        L.PROVINCE,
        name_vi="Trung tâm Phục vụ hành chính công tỉnh",
    )
    commune_b = node(root, "H51.21001", K.PEOPLE_COMMITTEE, L.COMMUNE, name_vi="UBND xã Bình Sơn")
    commune_a = node(root, "H51.21002", K.PEOPLE_COMMITTEE, L.COMMUNE, name_vi="UBND xã An Phú")
    ended = node(
        root,
        "H51.21003",
        K.PEOPLE_COMMITTEE,
        L.COMMUNE,
        name_vi="UBND xã Tịnh Thọ",
        valid_from=dt.date(2020, 1, 1),
    )
    services.organization_succeed(
        actor=su,
        organization=ended,
        successor=commune_a,
        effective_on=dt.date(2025, 7, 1),
        basis="Nghị quyết 1234/NQ-UBTVQH15",
    )
    position = services.position_save(actor=su, code="chuyen-vien", name_vi="Chuyên viên")
    officer = services.officer_create(
        actor=su,
        unit=office,
        position=position,
        username="chuyen.vien",
        full_name="Nguyễn Văn Minh",
        password=PASSWORD,
        roles=[(Role.OFFICER, Scope.UNIT)],
    )
    return Tree(root, justice, office, centre, commune_b, commune_a, ended, su, officer)


@pytest.fixture
def client() -> Client:
    """A browser that asks for English, so texts are compared in their source language."""
    return language_client("en")


@pytest.fixture
def vi_client() -> Client:
    return language_client("vi")

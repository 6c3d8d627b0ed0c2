"""Meetings test set-up: an organisation with its office, a unit, heads, clerks and officers."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.utils import translation


def _load(name: str, path: Path) -> None:
    if name in sys.modules:
        return
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)


_load("directory_factories", Path(__file__).parent.parent / "directory" / "factories.py")
_load("meetings_support", Path(__file__).with_name("support.py"))

from directory_factories import AccountFactory, OfficerFactory, OrganizationFactory  # noqa: E402
from meetings_support import World  # noqa: E402

from egov.directory.models import Officer, Organization, Role, Scope  # noqa: E402


def _officer(unit: Organization, roles: list[tuple[str, str]], email: str = "") -> Officer:
    account = AccountFactory(email=email or "")
    return OfficerFactory(unit=unit, account=account, roles=roles, email=email)


@pytest.fixture
def world(db: None) -> World:
    root = OrganizationFactory(code="H25", committee=True, name_vi="Tỉnh Phú Thọ")
    committee = OrganizationFactory(
        code="H25.01", parent=root, committee=True, name_vi="Ủy ban nhân dân tỉnh Phú Thọ"
    )
    office = OrganizationFactory(code="H25.01.01", parent=committee, unit=True, name_vi="Văn phòng")
    economy = OrganizationFactory(
        code="H25.01.02", parent=committee, unit=True, name_vi="Phòng Kinh tế"
    )
    department = OrganizationFactory(code="H25.04", parent=root, name_vi="Sở Xây dựng")
    return World(
        committee=committee,
        office=office,
        economy=economy,
        department=department,
        head=_officer(committee, [(Role.HEAD, Scope.ORGANIZATION)], "chu.tich@phutho.gov.vn"),
        deputy=_officer(committee, [(Role.HEAD, Scope.ORGANIZATION)], "pho.chu.tich@phutho.gov.vn"),
        clerk=_officer(office, [(Role.CLERK, Scope.ORGANIZATION)], "van.thu@phutho.gov.vn"),
        economy_head=_officer(economy, [(Role.HEAD, Scope.UNIT)], "truong.phong.kt@phutho.gov.vn"),
        officer=_officer(economy, [(Role.OFFICER, Scope.UNIT)], "chuyen.vien@phutho.gov.vn"),
        colleague=_officer(economy, [(Role.OFFICER, Scope.UNIT)], ""),
        outsider=_officer(department, [(Role.OFFICER, Scope.UNIT)], "ngoai@xaydung.gov.vn"),
        outsider_head=_officer(department, [(Role.HEAD, Scope.ORGANIZATION)], "gd@xaydung.gov.vn"),
    )


@pytest.fixture(autouse=True)
def _english(settings: Any) -> Iterator[None]:
    """Tests read English messages: screens and the API fall back to LANGUAGE_CODE when no
    language was chosen (test_documents_vietnamese.py checks the Vietnamese default)."""
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield

"""Assignment test set-up: a people's committee with three units, a department, and the heads
and officers who give and do the work."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
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
_load("assignments_support", Path(__file__).with_name("support.py"))

from assignments_support import World  # noqa: E402
from directory_factories import OfficerFactory, OrganizationFactory  # noqa: E402
from egov_testing import language_client  # noqa: E402

from egov.assignments import services  # noqa: E402
from egov.assignments.models import Assignment  # noqa: E402
from egov.directory.models import Organization, Role, Scope  # noqa: E402


@pytest.fixture
def world(db: None) -> World:
    root = OrganizationFactory(code="H51", committee=True, name_vi="Tỉnh Quảng Ngãi")
    committee = OrganizationFactory(
        code="H51.01", parent=root, committee=True, name_vi="Ủy ban nhân dân tỉnh"
    )
    office = OrganizationFactory(code="H51.01.01", parent=committee, unit=True, name_vi="Văn phòng")
    economy = OrganizationFactory(
        code="H51.01.02", parent=committee, unit=True, name_vi="Phòng Kinh tế"
    )
    culture = OrganizationFactory(
        code="H51.01.03", parent=committee, unit=True, name_vi="Phòng Văn hóa - Xã hội"
    )
    department = OrganizationFactory(code="H51.04", parent=root, name_vi="Sở Xây dựng")
    dept_unit = OrganizationFactory(
        code="H51.04.02", parent=department, unit=True, name_vi="Phòng Quản lý xây dựng"
    )
    other = OrganizationFactory(code="H51.30", parent=root, kind=Organization.Kind.AGENCY)
    return World(
        committee=committee,
        office=office,
        economy=economy,
        culture=culture,
        department=department,
        dept_unit=dept_unit,
        head=OfficerFactory(
            unit=committee, full_name="Trần Chủ Tịch", roles=[(Role.HEAD, Scope.ORGANIZATION)]
        ),
        economy_head=OfficerFactory(
            unit=economy, full_name="Lê Trưởng Phòng", roles=[(Role.HEAD, Scope.UNIT)]
        ),
        economy_officer=OfficerFactory(
            unit=economy, full_name="Phạm Chuyên Viên", roles=[(Role.OFFICER, Scope.UNIT)]
        ),
        economy_officer2=OfficerFactory(
            unit=economy, full_name="Hoàng Chuyên Viên", roles=[(Role.OFFICER, Scope.UNIT)]
        ),
        culture_head=OfficerFactory(
            unit=culture, full_name="Vũ Trưởng Phòng", roles=[(Role.HEAD, Scope.UNIT)]
        ),
        culture_officer=OfficerFactory(unit=culture, roles=[(Role.OFFICER, Scope.UNIT)]),
        dept_head=OfficerFactory(unit=department, roles=[(Role.HEAD, Scope.ORGANIZATION)]),
        dept_officer=OfficerFactory(unit=dept_unit, roles=[(Role.OFFICER, Scope.UNIT)]),
        outsider=OfficerFactory(unit=other, roles=[(Role.HEAD, Scope.ORGANIZATION)]),
    )


@pytest.fixture
def give(world: World) -> Any:
    """Create an assignment through the service (the chairman to the economy unit by default)."""

    def make(**kwargs: Any) -> Assignment:
        values: dict[str, Any] = {
            "actor": world.head.account,
            "title": "Báo cáo tình hình kinh tế quý IV",
            "assignee_unit": world.economy,
            "starts_on": date(2026, 4, 20),
            "due_on": date(2026, 5, 4),
        }
        values.update(kwargs)
        return services.assignment_create(**values)

    return make


@pytest.fixture(autouse=True)
def _english(settings: Any) -> Iterator[None]:
    """Tests read English messages: screens and the API fall back to LANGUAGE_CODE when no
    language was chosen (test_documents_vietnamese.py checks the Vietnamese default)."""
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def client() -> Client:
    """A client that asks for English, so messages are compared in their source language."""
    return language_client("en")

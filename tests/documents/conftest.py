"""Document test set-up: two organisations with registers, clerks, heads and officers."""

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
_load("documents_support", Path(__file__).with_name("support.py"))

from directory_factories import OfficerFactory, OrganizationFactory  # noqa: E402
from documents_support import DocWorld  # noqa: E402

from egov.directory.models import Organization, Role, Scope  # noqa: E402
from egov.documents.doctypes import document_types_ensure  # noqa: E402
from egov.documents.services.registers import registers_ensure_default  # noqa: E402


@pytest.fixture
def docworld(db: None) -> DocWorld:
    document_types_ensure()  # a transactional test's flush empties the migration's code list
    root = OrganizationFactory(code="H51", committee=True, name_vi="Tỉnh Quảng Ngãi")
    committee = OrganizationFactory(
        code="H51.01",
        qcvn_code="000.00.01.H51",
        parent=root,
        committee=True,
        name_vi="Ủy ban nhân dân tỉnh",
        abbreviation="UBND",
    )
    office = OrganizationFactory(
        code="H51.01.01", parent=committee, unit=True, name_vi="Văn phòng", abbreviation="VP"
    )
    economy = OrganizationFactory(
        code="H51.01.02", parent=committee, unit=True, name_vi="Phòng Kinh tế", abbreviation="KT"
    )
    culture = OrganizationFactory(
        code="H51.01.03",
        parent=committee,
        unit=True,
        name_vi="Phòng Văn hóa - Xã hội",
        abbreviation="VX",
    )
    department = OrganizationFactory(
        code="H51.04",
        qcvn_code="000.00.04.H51",
        parent=root,
        name_vi="Sở Xây dựng",
        abbreviation="SXD",
    )
    dept_unit = OrganizationFactory(
        code="H51.04.02", parent=department, unit=True, name_vi="Phòng Quản lý xây dựng"
    )
    other = OrganizationFactory(code="H51.30", parent=root, kind=Organization.Kind.AGENCY)

    clerk = OfficerFactory(unit=office, roles=[(Role.CLERK, Scope.ORGANIZATION)])
    secret_clerk = OfficerFactory(unit=office, roles=[(Role.CLERK, Scope.ORGANIZATION)])
    head = OfficerFactory(unit=committee, roles=[(Role.HEAD, Scope.ORGANIZATION)])
    deputy_head = OfficerFactory(unit=committee, roles=[(Role.HEAD, Scope.ORGANIZATION)])
    economy_head = OfficerFactory(unit=economy, roles=[(Role.HEAD, Scope.UNIT)])
    economy_officer = OfficerFactory(unit=economy, roles=[(Role.OFFICER, Scope.UNIT)])
    culture_head = OfficerFactory(unit=culture, roles=[(Role.HEAD, Scope.UNIT)])
    culture_officer = OfficerFactory(unit=culture, roles=[(Role.OFFICER, Scope.UNIT)])
    dept_clerk = OfficerFactory(unit=department, roles=[(Role.CLERK, Scope.ORGANIZATION)])
    dept_head = OfficerFactory(unit=department, roles=[(Role.HEAD, Scope.ORGANIZATION)])
    dept_officer = OfficerFactory(unit=dept_unit, roles=[(Role.OFFICER, Scope.UNIT)])
    outsider = OfficerFactory(unit=other, roles=[(Role.CLERK, Scope.ORGANIZATION)])

    incoming, incoming_secret, outgoing, outgoing_secret = registers_ensure_default(committee)
    incoming_secret.keepers.add(secret_clerk)
    outgoing_secret.keepers.add(secret_clerk)
    dept_incoming, _dis, dept_outgoing, _dos = registers_ensure_default(department)
    return DocWorld(
        root=root,
        committee=committee,
        office=office,
        economy=economy,
        culture=culture,
        department=department,
        dept_unit=dept_unit,
        clerk=clerk,
        secret_clerk=secret_clerk,
        head=head,
        deputy_head=deputy_head,
        economy_head=economy_head,
        economy_officer=economy_officer,
        culture_head=culture_head,
        culture_officer=culture_officer,
        dept_clerk=dept_clerk,
        dept_head=dept_head,
        dept_officer=dept_officer,
        outsider=outsider,
        incoming=incoming,
        incoming_secret=incoming_secret,
        outgoing=outgoing,
        outgoing_secret=outgoing_secret,
        dept_incoming=dept_incoming,
        dept_outgoing=dept_outgoing,
    )


@pytest.fixture(autouse=True)
def _english(settings: Any) -> Iterator[None]:
    """Tests read English messages: screens and the API fall back to LANGUAGE_CODE when no
    language was chosen (test_documents_vietnamese.py checks the Vietnamese default)."""
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield

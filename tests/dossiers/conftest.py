"""Dossier test set-up: a province with a service centre, two departments, the people who act,
a published procedure whose process crosses two organisations, and a settable clock."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.utils import translation

_NAME = "directory_factories"
if _NAME not in sys.modules:
    _path = Path(__file__).parent.parent / "directory" / "factories.py"
    _spec = importlib.util.spec_from_file_location(_NAME, _path)
    assert _spec is not None
    assert _spec.loader is not None
    _module = importlib.util.module_from_spec(_spec)
    sys.modules[_NAME] = _module
    _spec.loader.exec_module(_module)

from directory_factories import (  # noqa: E402
    ApplicantFactory,
    OfficerFactory,
    OrganizationFactory,
)

_SUPPORT = "dossiers_support"
if _SUPPORT not in sys.modules:
    _sspec = importlib.util.spec_from_file_location(
        _SUPPORT, Path(__file__).with_name("support.py")
    )
    assert _sspec is not None
    assert _sspec.loader is not None
    _smodule = importlib.util.module_from_spec(_sspec)
    sys.modules[_SUPPORT] = _smodule
    _sspec.loader.exec_module(_smodule)

from dossiers_support import FORM, PROCEDURE, PROCEDURE_CODE, Clock, World  # noqa: E402

from egov.directory.models import Organization, Role, Scope  # noqa: E402
from egov.dossiers import deadlines  # noqa: E402
from egov.dossiers.services import dossier_receive  # noqa: E402
from egov.procedures.models import Field  # noqa: E402
from egov.procedures.services import procedure_create  # noqa: E402


@pytest.fixture
def world(db: None) -> World:
    root = OrganizationFactory(code="H51", committee=True, name_vi="UBND tỉnh")
    centre = OrganizationFactory(
        code="H51.20",
        qcvn_code="000.00.20.H51",
        parent=root,
        kind=Organization.Kind.AGENCY,
        name_vi="Trung tâm Phục vụ hành chính công",
    )
    construction = OrganizationFactory(code="H51.04", parent=root, name_vi="Sở Xây dựng")
    unit = OrganizationFactory(code="H51.04.02", parent=construction, unit=True)
    environment = OrganizationFactory(
        code="H51.08", parent=root, name_vi="Sở Nông nghiệp và Môi trường"
    )
    env_unit = OrganizationFactory(code="H51.08.01", parent=environment, unit=True)
    other = OrganizationFactory(code="H51.30", parent=root, kind=Organization.Kind.AGENCY)
    Field.objects.create(code="XD", name="Hoạt động xây dựng")
    procedure_create(actor=None, data=PROCEDURE, as_system=True)
    return World(
        root=root,
        centre=centre,
        construction=construction,
        construction_unit=unit,
        environment=environment,
        environment_unit=env_unit,
        counter=OfficerFactory(unit=centre, roles=[(Role.COUNTER, Scope.ORGANIZATION)]),
        reviewer=OfficerFactory(unit=unit, roles=[(Role.OFFICER, Scope.UNIT)]),
        env_officer=OfficerFactory(unit=env_unit, roles=[(Role.OFFICER, Scope.ORGANIZATION)]),
        head=OfficerFactory(unit=construction, roles=[(Role.HEAD, Scope.ORGANIZATION)]),
        outsider_counter=OfficerFactory(unit=other, roles=[(Role.COUNTER, Scope.ORGANIZATION)]),
        centre_officer=OfficerFactory(unit=centre, roles=[(Role.OFFICER, Scope.ORGANIZATION)]),
        applicant=ApplicantFactory(national_id="051185000123", phone="0900000001"),
    )


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    """Services read the moment from `deadlines.now`; tests walk it through given dates."""
    instance = Clock()
    monkeypatch.setattr(deadlines, "now", instance)
    return instance


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    with translation.override("en"):
        yield


@pytest.fixture
def receive(world: World, clock: Clock) -> Any:
    """Receive a dossier at the centre's counter (keyword overrides pass through)."""

    def _receive(**overrides: Any) -> Any:
        arguments: dict[str, Any] = {
            "actor": world.counter.account,
            "procedure_code": PROCEDURE_CODE,
            "receiving_organization": world.centre,
            "applicant": world.applicant,
            "channel": "counter",
            "form_data": dict(FORM),
        }
        arguments.update(overrides)
        return dossier_receive(**arguments)

    return _receive

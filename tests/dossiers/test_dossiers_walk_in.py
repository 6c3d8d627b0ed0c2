"""A first-time applicant at the counter: recorded without an account, never twice."""

from __future__ import annotations

from typing import Any

import pytest
from directory_factories import OfficerFactory
from django.test import Client
from dossiers_support import FORM, PROCEDURE_CODE, Clock, World

from egov.core.errors import PermissionDenied, ValidationFailed
from egov.core.models import AuditEntry
from egov.directory.models import Applicant, Role, Scope
from egov.directory.services import applicant_record_walk_in
from egov.dossiers.models import Dossier

NEW_ID = "051090009876"


def _post(**extra: Any) -> dict[str, Any]:
    data = {
        "applicant_id": NEW_ID,
        "applicant_name": "Lê Văn Tâm",
        "applicant_phone": "0912 345 678",
        "applicant_address": "Thôn 1, xã Tịnh Khê",
        "f_ho_ten": FORM["ho_ten"],
        "f_so_dinh_danh": FORM["so_dinh_danh"],
        "f_gia_tri": "2000000000",
        "doc_TP1": "on",
        "doc_TP2": "on",
        "action": "receive",
    }
    data.update(extra)
    return data


def test_counter_records_a_walk_in_applicant_and_receives(world: World, clock: Clock) -> None:
    client = Client()
    client.force_login(world.counter.account)
    response = client.post(f"/lam-viec/ho-so/tiep-nhan/{PROCEDURE_CODE}/", _post())
    assert response.status_code == 302
    applicant = Applicant.objects.get(national_id=NEW_ID)
    assert (applicant.full_name, applicant.phone, applicant.account) == (
        "Lê Văn Tâm",
        "0912345678",
        None,
    )
    assert Dossier.objects.get().applicant == applicant
    assert AuditEntry.objects.filter(action="directory.applicant.record_walk_in").count() == 1


def test_walk_in_without_a_phone_is_refused_next_to_the_field(world: World, clock: Clock) -> None:
    client = Client()
    client.force_login(world.counter.account)
    response = client.post(
        f"/lam-viec/ho-so/tiep-nhan/{PROCEDURE_CODE}/", _post(applicant_phone="12")
    )
    assert response.status_code == 422
    assert response.context["form"].errors["applicant_phone"]
    assert not Applicant.objects.filter(national_id=NEW_ID).exists()
    assert Dossier.objects.count() == 0


def test_a_known_number_returns_the_same_applicant(world: World) -> None:
    first = applicant_record_walk_in(
        actor=world.counter.account, identifier=NEW_ID, full_name="Lê Văn Tâm", phone="0912345678"
    )
    again = applicant_record_walk_in(
        actor=world.counter.account, identifier=NEW_ID, full_name="Tên Khác", phone="0987654321"
    )
    assert again.pk == first.pk
    assert again.full_name == "Lê Văn Tâm"
    assert Applicant.objects.filter(national_id=NEW_ID).count() == 1


def test_only_counter_staff_may_record_walk_ins(world: World) -> None:
    officer = OfficerFactory(unit=world.counter.unit, roles=[(Role.OFFICER, Scope.ORGANIZATION)])
    with pytest.raises(PermissionDenied):
        applicant_record_walk_in(
            actor=officer.account, identifier=NEW_ID, full_name="Lê Văn Tâm", phone="0912345678"
        )
    assert not Applicant.objects.filter(national_id=NEW_ID).exists()


@pytest.mark.parametrize("identifier", ["12345", "abc", "051090009876999"])
def test_a_bad_number_is_refused(world: World, identifier: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        applicant_record_walk_in(
            actor=world.counter.account,
            identifier=identifier,
            full_name="Lê Văn Tâm",
            phone="0912345678",
        )
    assert caught.value.code == "applicant.identifier_invalid"

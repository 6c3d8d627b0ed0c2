"""Citizen and business registration, identifier checks, API keys."""

from __future__ import annotations

import hashlib
from datetime import date, timedelta

import pytest
from directory_factories import (
    AccountFactory,
    ApplicantFactory,
    OfficerFactory,
    OrganizationFactory,
)
from django.test import override_settings
from django.utils import timezone

from egov.core.errors import Conflict, NotAuthenticated, PermissionDenied, ValidationFailed
from egov.core.models import AuditEntry
from egov.directory import identifiers, selectors, services
from egov.directory.models import Account, ApiKey, Applicant, Role, Scope

CITIZEN = {
    "full_name": "Nguyễn Thị Lan",
    "national_id": "051185000123",
    "phone": "0905 123 456",
    "email": "lan@test.example",
    "password": "Cong-dan-2025",
}
BUSINESS = {
    "business_name": "Công ty TNHH Thử Nghiệm",
    "tax_code": "0100233488",
    "phone": "+84 912 345 678",
    "email": "lienhe@test.example",
    "password": "Doanh-nghiep-2025",
}


# --- identifiers --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "valid"),
    [
        ("051185000123", True),  # Quảng Ngãi, woman born 1985
        ("001099012345", True),  # Hà Nội, man born 1999
        ("096300000001", True),  # Cà Mau, woman born 2000
        ("05118500012", False),  # 11 digits
        ("0511850001234", False),  # 13 digits
        ("05118500012a", False),
        ("003185000123", False),  # 003 is not a province code
        ("097185000123", False),  # nor is 097
        ("051485000123", False),  # century digit 4 = 22nd century
        ("051399000123", False),  # born 2099: the future
    ],
)
def test_national_id(value: str, valid: bool) -> None:
    assert identifiers.national_id_is_valid(value, today=date(2026, 1, 1)) is valid


@override_settings(EGOV_NATIONAL_ID_PROVINCE_CHECK=False)
def test_national_id_province_check_can_be_switched_off() -> None:
    assert identifiers.national_id_is_valid("003185000123", today=date(2026, 1, 1)) is True


@pytest.mark.parametrize(
    ("value", "normalized"),
    [
        ("0100233488", "0100233488"),
        ("0314409058-002", "0314409058-002"),
        ("0314409058002", "0314409058-002"),
        ("01.00.233.488", "0100233488"),
        ("4300123458", "4300123458"),
        ("0100233480", None),  # wrong check digit
        ("0100000003", None),  # right check digit, but sequence 0000000
        ("0314409058-000", None),  # branch 000
        ("031440905", None),
        ("031440905812", None),
        ("abcdefghij", None),
    ],
)
def test_tax_code(value: str, normalized: str | None) -> None:
    assert identifiers.normalize_tax_code(value) == normalized


def test_tax_code_without_a_possible_check_digit_is_invalid() -> None:
    """When the weighted sum is a multiple of 11, no check digit fits (10 − 0 = 10)."""
    first_nine = next(
        f"01{n:07d}" for n in range(1, 10000) if identifiers.tax_check_digit(f"01{n:07d}") is None
    )
    assert all(
        identifiers.normalize_tax_code(first_nine + str(digit)) is None for digit in range(10)
    )


@pytest.mark.parametrize(
    ("value", "normalized"),
    [
        ("0905123456", "0905123456"),
        ("090 512 3456", "0905123456"),
        ("+84905123456", "0905123456"),
        ("84905123456", "0905123456"),
        ("0312345678", "0312345678"),
        ("0212345678", None),  # landline-style prefix
        ("0612345678", None),
        ("090512345", None),
        ("09051234567", None),
    ],
)
def test_mobile(value: str, normalized: str | None) -> None:
    assert identifiers.normalize_mobile(value) == normalized


# --- registration -----------------------------------------------------------------------------


def test_citizen_registers(db: None) -> None:
    applicant = services.applicant_register_citizen(**CITIZEN, ward_code="21211")
    assert (applicant.kind, applicant.national_id, applicant.phone) == (
        Applicant.Kind.PERSON,
        "051185000123",
        "0905123456",
    )
    account = applicant.account
    assert account is not None
    assert (account.username, account.kind) == ("051185000123", Account.Kind.APPLICANT)
    assert account.check_password("Cong-dan-2025")
    assert not hasattr(account, "officer")
    entry = AuditEntry.objects.get(action="directory.applicant.register")
    assert entry.actor_id == account.pk
    assert entry.summary["after"]["national_id"] == "051185000123"


@pytest.mark.parametrize(
    ("field", "value", "code"),
    [
        ("national_id", "12345", "applicant.national_id_invalid"),
        ("national_id", "003185000123", "applicant.national_id_invalid"),
        ("phone", "0212345678", "applicant.phone_invalid"),
        ("email", "lan@", "applicant.email_invalid"),
        ("full_name", "   ", "applicant.name_required"),
        ("password", "123", "auth.password_invalid"),
        ("ward_code", "99999", "applicant.ward_invalid"),
    ],
)
def test_citizen_bad_input_gives_its_code(db: None, field: str, value: str, code: str) -> None:
    data = {**CITIZEN, field: value}
    with pytest.raises(ValidationFailed) as exc:
        services.applicant_register_citizen(**data)
    assert exc.value.code == code
    assert exc.value.field in (field, None)
    assert not Applicant.objects.exists()
    assert not Account.objects.exists()
    assert not AuditEntry.objects.exists()


def test_citizen_every_bad_field_is_reported(db: None) -> None:
    with pytest.raises(ValidationFailed) as exc:
        services.applicant_register_citizen(
            **{**CITIZEN, "national_id": "1", "phone": "1", "email": "x"}
        )
    assert set(exc.value.details["errors"]) == {"national_id", "phone", "email"}
    assert exc.value.details["errors"]["phone"]["code"] == "applicant.phone_invalid"


def test_citizen_registers_once(db: None) -> None:
    services.applicant_register_citizen(**CITIZEN)
    with pytest.raises(ValidationFailed) as exc:
        services.applicant_register_citizen(**{**CITIZEN, "email": "other@test.example"})
    assert exc.value.code == "applicant.national_id_taken"
    assert Applicant.objects.count() == 1


def test_business_registers_with_a_normalised_tax_code(db: None) -> None:
    applicant = services.applicant_register_business(**{**BUSINESS, "tax_code": "0314409058002"})
    assert (applicant.kind, applicant.tax_code, applicant.phone) == (
        Applicant.Kind.BUSINESS,
        "0314409058-002",
        "0912345678",
    )
    assert applicant.account is not None
    assert applicant.account.username == "0314409058-002"


@pytest.mark.parametrize(
    ("field", "value", "code"),
    [
        ("tax_code", "0100233480", "applicant.tax_code_invalid"),
        ("tax_code", "12345", "applicant.tax_code_invalid"),
        ("phone", "12", "applicant.phone_invalid"),
        ("email", "no-at-sign", "applicant.email_invalid"),
        ("business_name", "", "applicant.name_required"),
    ],
)
def test_business_bad_input_gives_its_code(db: None, field: str, value: str, code: str) -> None:
    with pytest.raises(ValidationFailed) as exc:
        services.applicant_register_business(**{**BUSINESS, field: value})
    assert exc.value.code == code
    assert not Applicant.objects.exists()
    assert not Account.objects.exists()


def test_business_registers_once(db: None) -> None:
    services.applicant_register_business(**BUSINESS)
    with pytest.raises(ValidationFailed) as exc:
        services.applicant_register_business(**BUSINESS)
    assert exc.value.code == "applicant.tax_code_taken"


def test_citizens_cannot_use_the_officer_door(db: None) -> None:
    applicant = ApplicantFactory()
    assert applicant.account is not None
    with pytest.raises(NotAuthenticated):
        services.account_authenticate(
            username=applicant.account.username,
            password="Thu-nghiem-2025",
            kind=Account.Kind.OFFICER,
        )


# --- API keys -----------------------------------------------------------------------------------


@pytest.fixture
def key_admin(db: None) -> Account:
    department = OrganizationFactory(code="SKHCN")
    return OfficerFactory(unit=department, roles=[(Role.IT_ADMIN, Scope.ORGANIZATION)]).account


def test_apikey_is_shown_once_and_stored_as_a_hash(key_admin: Account) -> None:
    organization = key_admin.officer.unit
    api_key, raw = services.apikey_create(
        actor=key_admin, organization=organization, name=" Một cửa ", scopes=["b", "a", "a"]
    )
    prefix, secret = raw.split(".", 1)
    assert api_key.prefix == prefix
    assert len(prefix) == 10
    assert len(secret) >= 40
    assert api_key.key_hash == hashlib.sha256(raw.encode()).hexdigest()
    assert (api_key.name, api_key.scopes, api_key.created_by) == ("Một cửa", ["a", "b"], key_admin)
    assert secret not in str(AuditEntry.objects.get(action="directory.apikey.create").summary)

    assert selectors.apikey_authenticate(raw) == api_key
    assert selectors.apikey_authenticate(raw + "x") is None
    assert selectors.apikey_authenticate(prefix + ".wrong") is None
    assert selectors.apikey_authenticate(secret) is None
    assert selectors.apikey_authenticate("") is None


def test_a_revoked_key_no_longer_authenticates(key_admin: Account) -> None:
    api_key, raw = services.apikey_create(
        actor=key_admin, organization=key_admin.officer.unit, name="Một cửa"
    )
    services.apikey_revoke(actor=key_admin, api_key=api_key)
    assert selectors.apikey_authenticate(raw) is None
    with pytest.raises(Conflict) as exc:
        services.apikey_revoke(actor=key_admin, api_key=api_key)
    assert exc.value.code == "apikey.already_revoked"


def test_a_key_of_an_ended_organisation_no_longer_authenticates(key_admin: Account) -> None:
    api_key, raw = services.apikey_create(
        actor=key_admin, organization=key_admin.officer.unit, name="Một cửa"
    )
    key_admin.officer.unit.valid_to = date(2025, 6, 30)
    key_admin.officer.unit.save()
    assert selectors.apikey_authenticate(raw) is None


def test_apikey_needs_a_name_and_the_right(key_admin: Account) -> None:
    with pytest.raises(ValidationFailed) as exc:
        services.apikey_create(actor=key_admin, organization=key_admin.officer.unit, name=" ")
    assert exc.value.code == "apikey.name_required"
    with pytest.raises(PermissionDenied):
        services.apikey_create(actor=key_admin, organization=OrganizationFactory(), name="X")
    with pytest.raises(PermissionDenied):
        services.apikey_create(actor=AccountFactory(), organization=OrganizationFactory(), name="X")
    assert not ApiKey.objects.exists()


def test_apikey_mark_used_writes_at_most_once_a_minute(key_admin: Account) -> None:
    api_key, _raw = services.apikey_create(
        actor=key_admin, organization=key_admin.officer.unit, name="Một cửa"
    )
    t0 = timezone.now()
    services.apikey_mark_used(api_key=api_key, now=t0)
    services.apikey_mark_used(api_key=api_key, now=t0 + timedelta(seconds=30))
    api_key.refresh_from_db()
    assert api_key.last_used_at == t0
    services.apikey_mark_used(api_key=api_key, now=t0 + timedelta(minutes=2))
    api_key.refresh_from_db()
    assert api_key.last_used_at == t0 + timedelta(minutes=2)

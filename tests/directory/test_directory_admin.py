"""Django admin for IT staff: access by policy, saves through services."""

from __future__ import annotations

import re

import pytest
from directory_factories import (
    AccountFactory,
    DelegationFactory,
    OfficerFactory,
    OrganizationFactory,
    PositionFactory,
)
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import translation

from egov.core.models import AuditEntry
from egov.directory import selectors
from egov.directory.models import Account, ApiKey, Delegation, Officer, Organization, Role, Scope
from egov.directory.passwords import CharacterClassValidator


@pytest.fixture
def superuser(db: None) -> Account:
    return AccountFactory(username="root", is_superuser=True, is_staff=True)


@pytest.mark.parametrize(
    "path",
    [
        "/quan-tri/directory/organization/",
        "/quan-tri/directory/organization/add/",
        "/quan-tri/directory/officer/",
        "/quan-tri/directory/officer/add/",
        "/quan-tri/directory/position/",
        "/quan-tri/directory/delegation/",
        "/quan-tri/directory/delegation/add/",
        "/quan-tri/directory/applicant/",
        "/quan-tri/directory/apikey/",
        "/quan-tri/directory/apikey/add/",
    ],
)
def test_admin_pages_open_for_a_superuser(client: Client, superuser: Account, path: str) -> None:
    OfficerFactory()
    DelegationFactory()
    client.force_login(superuser)
    assert client.get(path).status_code == 200


def test_admin_creates_an_officer_through_the_service(client: Client, superuser: Account) -> None:
    unit = OrganizationFactory()
    position = PositionFactory()
    client.force_login(superuser)
    response = client.post(
        "/quan-tri/directory/officer/add/",
        {
            "username": "moi.vao",
            "password": "Mat-khau-2025",
            "full_name": "Trần Mới Vào",
            "unit": unit.pk,
            "position": position.pk,
            "email": "",
            "phone": "",
            "roles-TOTAL_FORMS": "1",
            "roles-INITIAL_FORMS": "0",
            "roles-MIN_NUM_FORMS": "0",
            "roles-MAX_NUM_FORMS": "1000",
            "roles-0-role": Role.CLERK,
            "roles-0-scope": Scope.ORGANIZATION,
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    officer = Officer.objects.get(account__username="moi.vao")
    assert officer.account.check_password("Mat-khau-2025")
    assert list(officer.roles.values_list("role", "scope")) == [("clerk", "organization")]
    assert list(AuditEntry.objects.values_list("action", flat=True)) == [
        "directory.officer.create",
        "directory.role.assign",
    ]


def test_admin_shows_service_errors_as_messages(client: Client, superuser: Account) -> None:
    unit = OrganizationFactory()
    client.force_login(superuser)
    response = client.post(
        "/quan-tri/directory/officer/add/",
        {
            "username": "yeu",
            "password": "123",
            "full_name": "Mật Khẩu Yếu",
            "unit": unit.pk,
            "position": PositionFactory().pk,
            "roles-TOTAL_FORMS": "0",
            "roles-INITIAL_FORMS": "0",
        },
        follow=True,
    )
    assert response.status_code == 200
    assert "This password is too short" in response.content.decode()
    assert not Account.objects.filter(username="yeu").exists()


def test_admin_moves_an_organisation_through_the_service(
    client: Client, superuser: Account
) -> None:
    province = OrganizationFactory(committee=True)
    old = OrganizationFactory(parent=province)
    new = OrganizationFactory(parent=province)
    unit = OrganizationFactory(parent=old, unit=True)
    client.force_login(superuser)
    data = {
        "parent": new.pk,
        "code": unit.code,
        "kind": unit.kind,
        "level": unit.level,
        "name_vi": unit.name_vi,
        "name_en": unit.name_en,
    }
    response = client.post(f"/quan-tri/directory/organization/{unit.pk}/change/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    unit.refresh_from_db()
    assert unit.path == new.path + selectors.path_segment(unit.pk)
    assert AuditEntry.objects.filter(action="directory.organization.move").count() == 1


def test_admin_adds_an_organisation_and_a_delegation(client: Client, superuser: Account) -> None:
    province = OrganizationFactory(committee=True)
    client.force_login(superuser)
    response = client.post(
        "/quan-tri/directory/organization/add/",
        {
            "parent": province.pk,
            "code": "H51.99",
            "kind": Organization.Kind.DEPARTMENT,
            "level": Organization.Level.PROVINCE,
            "name_vi": "Sở Mới",
            "valid_to": "",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    created = Organization.objects.get(code="H51.99")
    assert created.path == province.path + selectors.path_segment(created.pk)

    head = OfficerFactory(unit=created, roles=[(Role.HEAD, Scope.ORGANIZATION)])
    deputy = OfficerFactory(unit=created)
    response = client.post(
        "/quan-tri/directory/delegation/add/",
        {
            "delegator": head.pk,
            "deputy": deputy.pk,
            "power": Delegation.Power.APPROVE,
            "starts_at_0": "01/01/2030",
            "starts_at_1": "08:00:00",
            "ends_at_0": "05/01/2030",
            "ends_at_1": "17:00:00",
            "reason": "Nghỉ phép",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    delegation = Delegation.objects.get()
    assert (delegation.delegator, delegation.deputy) == (head, deputy)
    assert AuditEntry.objects.filter(action="directory.delegation.create").count() == 1


def test_admin_shows_a_new_api_key_once(client: Client, superuser: Account) -> None:
    organization = OrganizationFactory()
    client.force_login(superuser)
    response = client.post(
        "/quan-tri/directory/apikey/add/",
        {"name": "Một cửa", "organization": organization.pk, "scope_list": "a, b"},
        follow=True,
    )
    body = response.content.decode()
    match = re.search(r"The key is ([0-9a-f]{10}\.[A-Za-z0-9_-]+)\.", body)
    assert match is not None
    api_key = ApiKey.objects.get()
    assert selectors.apikey_authenticate(match.group(1)) == api_key
    assert api_key.scopes == ["a", "b"]
    detail = client.get(f"/quan-tri/directory/apikey/{api_key.pk}/change/").content.decode()
    assert match.group(1) not in detail


def test_admin_action_revokes_delegations(client: Client, superuser: Account) -> None:
    delegation = DelegationFactory(
        delegator=OfficerFactory(roles=[(Role.HEAD, Scope.ORGANIZATION)])
    )
    client.force_login(superuser)
    client.post(
        "/quan-tri/directory/delegation/",
        {"action": "revoke", "_selected_action": [delegation.pk]},
    )
    delegation.refresh_from_db()
    assert delegation.revoked_at is not None
    assert AuditEntry.objects.filter(action="directory.delegation.revoke").count() == 1


def test_it_admin_sees_only_their_reach(client: Client, db: None) -> None:
    province = OrganizationFactory(committee=True, name_vi="Tỉnh")
    mine = OrganizationFactory(parent=province, name_vi="Sở của tôi")
    other = OrganizationFactory(parent=province, name_vi="Sở khác")
    admin = OfficerFactory(
        unit=mine, account__is_staff=True, roles=[(Role.IT_ADMIN, Scope.SUBTREE)]
    )
    OfficerFactory(unit=mine, full_name="Người trong")
    OfficerFactory(unit=other, full_name="Người ngoài")
    client.force_login(admin.account)

    orgs = client.get("/quan-tri/directory/organization/").content.decode()
    assert "Sở của tôi" in orgs
    assert "Sở khác" not in orgs
    officers = client.get("/quan-tri/directory/officer/").content.decode()
    assert "Người trong" in officers
    assert "Người ngoài" not in officers
    assert client.get(f"/quan-tri/directory/organization/{other.pk}/change/").status_code == 302
    assert client.get("/quan-tri/directory/applicant/").status_code == 403


def test_staff_without_it_role_gets_nothing(client: Client, db: None) -> None:
    clerk = OfficerFactory(account__is_staff=True, roles=[(Role.CLERK, Scope.SUBTREE)])
    client.force_login(clerk.account)
    assert client.get("/quan-tri/directory/organization/").status_code == 403
    assert client.get("/quan-tri/directory/officer/").status_code == 403


def test_nothing_is_deleted_from_the_admin(client: Client, superuser: Account) -> None:
    organization = OrganizationFactory()
    client.force_login(superuser)
    response = client.post(
        f"/quan-tri/directory/organization/{organization.pk}/delete/", {"post": "yes"}
    )
    assert response.status_code == 403
    assert Organization.objects.filter(pk=organization.pk).exists()
    assert Delegation.objects.count() == 0


# --- password rule -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("password", "ok"),
    [("abcdefghij1", True), ("Mật-khẩu-9", True), ("abcdefghijk", False), ("12345678901", False)],
)
def test_password_needs_letters_and_digits(password: str, ok: bool) -> None:
    validator = CharacterClassValidator()
    if ok:
        validator.validate(password)
    else:
        with pytest.raises(ValidationError) as exc:
            validator.validate(password)
        assert exc.value.code == "password_character_classes"
    with translation.override("en"):
        help_text = validator.get_help_text()
    assert help_text == "Your password must contain both letters and digits."

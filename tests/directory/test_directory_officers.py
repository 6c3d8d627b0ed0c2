"""Officers, roles (with the no-escalation rule) and delegations through the services."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from directory_factories import (
    AccountFactory,
    DelegationFactory,
    OfficerFactory,
    OrganizationFactory,
    PositionFactory,
)
from django.utils import timezone

from egov.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from egov.core.models import AuditEntry
from egov.directory import services
from egov.directory.models import (
    Account,
    Delegation,
    Officer,
    Organization,
    Role,
    RoleAssignment,
    Scope,
)

NOW = datetime(2026, 3, 2, 8, 0, tzinfo=timezone.get_fixed_timezone(7 * 60))


@pytest.fixture
def department(db: None) -> Organization:
    province = OrganizationFactory(committee=True)
    return OrganizationFactory(parent=province)


@pytest.fixture
def admin(department: Organization) -> Officer:
    return OfficerFactory(unit=department, roles=[(Role.IT_ADMIN, Scope.SUBTREE)])


def test_officer_create_opens_account_and_profile_with_roles(
    department: Organization, admin: Officer
) -> None:
    unit = OrganizationFactory(parent=department, unit=True)
    officer = services.officer_create(
        actor=admin.account,
        unit=unit,
        position=PositionFactory(),
        username="nguyen.an",
        full_name="  Nguyễn   Văn An ",
        password="Mat-khau-2025",
        email="an@test.example",
        roles=[(Role.CLERK, Scope.ORGANIZATION)],
    )
    officer.account.refresh_from_db()
    assert officer.full_name == "Nguyễn Văn An"
    assert (officer.account.first_name, officer.account.last_name) == ("An", "Nguyễn Văn")
    assert officer.account.kind == Account.Kind.OFFICER
    assert officer.account.check_password("Mat-khau-2025")
    assert officer.account.password_changed_at is not None
    assert list(officer.roles.values_list("role", "scope")) == [("clerk", "organization")]
    actions = list(AuditEntry.objects.values_list("action", flat=True))
    assert actions == ["directory.officer.create", "directory.role.assign"]
    assert "Mat-khau" not in str(AuditEntry.objects.values_list("summary", flat=True))


@pytest.mark.parametrize(
    ("username", "password", "code"),
    [
        ("nguyen.an", "short1", "auth.password_invalid"),
        ("nguyen.an", "onlyletterspassword", "auth.password_invalid"),
        ("nguyen.an", "12345678901234", "auth.password_invalid"),
        ("nguyen.an", "password123", "auth.password_invalid"),
        ("taken", "Mat-khau-2025", "officer.username_taken"),
        ("TAKEN", "Mat-khau-2025", "officer.username_taken"),
        ("bad name!", "Mat-khau-2025", "officer.username_invalid"),
    ],
)
def test_officer_create_refuses_bad_input(
    department: Organization, admin: Officer, username: str, password: str, code: str
) -> None:
    AccountFactory(username="taken")
    before = (Account.objects.count(), Officer.objects.count())
    with pytest.raises(ValidationFailed) as exc:
        services.officer_create(
            actor=admin.account,
            unit=department,
            position=PositionFactory(),
            username=username,
            full_name="Nguyễn Văn An",
            password=password,
        )
    assert exc.value.code == code
    assert (Account.objects.count(), Officer.objects.count()) == before


def test_officer_create_outside_reach_is_refused(department: Organization) -> None:
    other = OrganizationFactory()
    admin = OfficerFactory(unit=department, roles=[(Role.IT_ADMIN, Scope.SUBTREE)])
    with pytest.raises(PermissionDenied):
        services.officer_create(
            actor=admin.account,
            unit=other,
            position=PositionFactory(),
            username="x.y",
            full_name="X Y",
            password="Mat-khau-2025",
        )
    assert not Account.objects.filter(username="x.y").exists()


def test_officer_update_moves_between_units_in_reach(
    department: Organization, admin: Officer
) -> None:
    unit_a = OrganizationFactory(parent=department, unit=True)
    unit_b = OrganizationFactory(parent=department, unit=True)
    officer = OfficerFactory(unit=unit_a)
    services.officer_update(actor=admin.account, officer=officer, unit=unit_b, phone="0905")
    officer.refresh_from_db()
    assert (officer.unit, officer.phone) == (unit_b, "0905")
    entry = AuditEntry.objects.get(action="directory.officer.update")
    assert entry.summary["before"] == {"unit": unit_a.pk, "phone": ""}
    with pytest.raises(PermissionDenied):
        services.officer_update(actor=admin.account, officer=officer, unit=OrganizationFactory())


def test_role_assign_and_revoke(department: Organization, admin: Officer) -> None:
    officer = OfficerFactory(unit=department)
    services.role_assign(actor=admin.account, officer=officer, role=Role.HEAD, scope=Scope.UNIT)
    services.role_assign(
        actor=admin.account, officer=officer, role=Role.HEAD, scope=Scope.ORGANIZATION
    )
    services.role_assign(
        actor=admin.account, officer=officer, role=Role.HEAD, scope=Scope.ORGANIZATION
    )
    assert list(officer.roles.values_list("role", "scope")) == [("head", "organization")]
    assert AuditEntry.objects.filter(action="directory.role.assign").count() == 2
    services.role_revoke(actor=admin.account, officer=officer, role=Role.HEAD)
    assert not officer.roles.exists()
    with pytest.raises(NotFound) as exc:
        services.role_revoke(actor=admin.account, officer=officer, role=Role.HEAD)
    assert exc.value.code == "role.not_held"


@pytest.mark.parametrize(
    ("admin_scope", "grant", "allowed"),
    [
        (Scope.UNIT, Scope.UNIT, True),
        (Scope.UNIT, Scope.ORGANIZATION, False),
        (Scope.ORGANIZATION, Scope.ORGANIZATION, True),
        (Scope.ORGANIZATION, Scope.SUBTREE, False),
        (Scope.SUBTREE, Scope.SUBTREE, True),
    ],
)
def test_an_it_admin_cannot_grant_more_reach_than_their_own(
    department: Organization, admin_scope: Scope, grant: Scope, allowed: bool
) -> None:
    limited = OfficerFactory(unit=department, roles=[(Role.IT_ADMIN, admin_scope)])
    target = OfficerFactory(unit=department)
    if allowed:
        services.role_assign(actor=limited.account, officer=target, role=Role.IT_ADMIN, scope=grant)
        assert target.roles.get().scope == grant
    else:
        with pytest.raises(PermissionDenied) as exc:
            services.role_assign(
                actor=limited.account, officer=target, role=Role.IT_ADMIN, scope=grant
            )
        assert exc.value.code == "role.beyond_reach"
        assert not target.roles.exists()


def test_unknown_role_or_scope(department: Organization, admin: Officer) -> None:
    officer = OfficerFactory(unit=department)
    with pytest.raises(ValidationFailed) as exc:
        services.role_assign(actor=admin.account, officer=officer, role="boss", scope=Scope.UNIT)
    assert exc.value.code == "role.unknown"
    with pytest.raises(ValidationFailed) as exc:
        services.role_assign(actor=admin.account, officer=officer, role=Role.HEAD, scope="world")
    assert exc.value.code == "role.unknown_scope"
    assert not RoleAssignment.objects.filter(officer=officer).exists()


# --- delegations -----------------------------------------------------------------------------


@pytest.fixture
def head(department: Organization) -> Officer:
    return OfficerFactory(unit=department, roles=[(Role.HEAD, Scope.ORGANIZATION)])


@pytest.fixture
def deputy(department: Organization) -> Officer:
    unit = OrganizationFactory(parent=department, unit=True)
    return OfficerFactory(unit=unit, roles=[(Role.OFFICER, Scope.UNIT)])


def _delegate(
    head: Officer, deputy: Officer, start: timedelta, end: timedelta, **kw: object
) -> Delegation:
    return services.delegation_create(
        actor=head.account,
        delegator=head,
        deputy=deputy,
        power=kw.pop("power", Delegation.Power.SIGN),  # type: ignore[arg-type]
        starts_at=NOW + start,
        ends_at=NOW + end,
        now=NOW,
        **kw,  # type: ignore[arg-type]
    )


def test_head_delegates_to_a_deputy_of_the_same_organisation(
    head: Officer, deputy: Officer
) -> None:
    delegation = _delegate(head, deputy, timedelta(0), timedelta(days=5), reason=" công tác ")
    assert (delegation.delegator, delegation.deputy, delegation.power) == (
        head,
        deputy,
        Delegation.Power.SIGN,
    )
    assert delegation.reason == "công tác"
    entry = AuditEntry.objects.get(action="directory.delegation.create")
    assert entry.actor_id == head.account_id
    assert entry.summary["after"]["deputy"] == deputy.pk


@pytest.mark.parametrize(
    ("start", "end"),
    [
        (timedelta(days=1), timedelta(days=1)),
        (timedelta(days=2), timedelta(days=1)),
        (timedelta(days=-5), timedelta(days=-1)),
    ],
)
def test_bad_periods_are_refused(
    head: Officer, deputy: Officer, start: timedelta, end: timedelta
) -> None:
    with pytest.raises(ValidationFailed) as exc:
        _delegate(head, deputy, start, end)
    assert exc.value.code == "delegation.bad_period"
    assert not Delegation.objects.exists()


def test_naive_datetimes_are_refused(head: Officer, deputy: Officer) -> None:
    with pytest.raises(ValidationFailed) as exc:
        services.delegation_create(
            actor=head.account,
            delegator=head,
            deputy=deputy,
            power=Delegation.Power.SIGN,
            starts_at=datetime(2030, 1, 1, 8, 0),
            ends_at=datetime(2030, 1, 2, 8, 0),
        )
    assert exc.value.code == "delegation.bad_period"


@pytest.mark.parametrize(
    ("start", "end", "power", "overlaps"),
    [
        (timedelta(days=4), timedelta(days=8), Delegation.Power.SIGN, True),
        (timedelta(days=-1), timedelta(days=1), Delegation.Power.SIGN, True),
        (timedelta(days=1), timedelta(days=2), Delegation.Power.SIGN, True),
        (timedelta(days=5), timedelta(days=8), Delegation.Power.SIGN, False),
        (timedelta(days=1), timedelta(days=2), Delegation.Power.APPROVE, False),
    ],
)
def test_overlapping_delegations_of_the_same_power_are_refused(
    head: Officer,
    deputy: Officer,
    start: timedelta,
    end: timedelta,
    power: str,
    overlaps: bool,
) -> None:
    _delegate(head, deputy, timedelta(0), timedelta(days=5))
    second_deputy = OfficerFactory(unit=deputy.unit)
    if overlaps:
        with pytest.raises(ValidationFailed) as exc:
            _delegate(head, second_deputy, start, end, power=power)
        assert exc.value.code == "delegation.overlap"
        assert Delegation.objects.count() == 1
    else:
        _delegate(head, second_deputy, start, end, power=power)
        assert Delegation.objects.count() == 2


def test_a_revoked_delegation_no_longer_blocks_a_new_one(head: Officer, deputy: Officer) -> None:
    first = _delegate(head, deputy, timedelta(0), timedelta(days=5))
    services.delegation_revoke(actor=head.account, delegation=first, now=NOW + timedelta(hours=1))
    second = _delegate(head, deputy, timedelta(days=1), timedelta(days=3))
    assert second.pk != first.pk


@pytest.mark.parametrize(
    "case",
    ["self", "not head", "inactive deputy", "other organisation", "bad power"],
)
def test_who_may_receive_a_delegation(
    department: Organization, head: Officer, deputy: Officer, case: str
) -> None:
    delegator, target, power = head, deputy, Delegation.Power.SIGN
    code = {
        "self": "delegation.self",
        "not head": "delegation.not_head",
        "inactive deputy": "delegation.deputy_inactive",
        "other organisation": "delegation.other_organization",
        "bad power": "delegation.bad_power",
    }[case]
    if case == "self":
        target = head
    elif case == "not head":
        delegator = OfficerFactory(unit=department, roles=[(Role.IT_ADMIN, Scope.UNIT)])
    elif case == "inactive deputy":
        deputy.is_active = False
        deputy.save()
    elif case == "other organisation":
        target = OfficerFactory(unit=OrganizationFactory())
    else:
        power = "marry"
    actor = AccountFactory(is_superuser=True)
    with pytest.raises(ValidationFailed) as exc:
        services.delegation_create(
            actor=actor,
            delegator=delegator,
            deputy=target,
            power=power,
            starts_at=NOW,
            ends_at=NOW + timedelta(days=1),
            now=NOW,
        )
    assert exc.value.code == code
    assert not Delegation.objects.exists()


def test_a_non_head_cannot_delegate_for_themselves(
    department: Organization, deputy: Officer
) -> None:
    officer = OfficerFactory(unit=department, roles=[(Role.OFFICER, Scope.ORGANIZATION)])
    with pytest.raises(PermissionDenied):
        services.delegation_create(
            actor=officer.account,
            delegator=officer,
            deputy=deputy,
            power=Delegation.Power.SIGN,
            starts_at=NOW,
            ends_at=NOW + timedelta(days=1),
            now=NOW,
        )


def test_revoke_ends_it_once(head: Officer, deputy: Officer) -> None:
    delegation = DelegationFactory(delegator=head, deputy=deputy)
    later = timezone.now() + timedelta(minutes=1)
    services.delegation_revoke(actor=deputy.account, delegation=delegation, now=later)
    delegation.refresh_from_db()
    assert delegation.revoked_at == later
    with pytest.raises(Conflict) as exc:
        services.delegation_revoke(actor=head.account, delegation=delegation)
    assert exc.value.code == "delegation.already_ended"
    assert AuditEntry.objects.filter(action="directory.delegation.revoke").count() == 1
    stranger = OfficerFactory(roles=[(Role.HEAD, Scope.SUBTREE)])
    other = DelegationFactory(delegator=head, deputy=deputy, power=Delegation.Power.APPROVE)
    with pytest.raises(PermissionDenied):
        services.delegation_revoke(actor=stranger.account, delegation=other)


def test_account_full_name_puts_the_family_name_first() -> None:
    from egov.directory.models import Account

    account = Account(username="x", first_name="Trị", last_name="Trần Quản")
    assert account.get_full_name() == "Trần Quản Trị"

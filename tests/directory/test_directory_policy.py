"""The policy: roles × scopes × targets, actors of every kind, delegations, the registry."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest
from directory_factories import (
    AccountFactory,
    ApplicantFactory,
    DelegationFactory,
    OfficerFactory,
    OrganizationFactory,
)
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from egov.core.errors import PermissionDenied
from egov.directory import policy, selectors
from egov.directory.models import Account, Delegation, Officer, Organization, Role, Scope


@dataclass
class Tree:
    """province ─┬ province office (unit)
    ├ D (department) ─┬ D1 (unit, the officer's) ─ nothing
    │                 ├ D2 (unit) ─ D2a (unit)
    │                 └ A (agency under D) ─ A1 (unit)
    └ O (other department) ─ O1 (unit)"""

    province: Organization
    province_office: Organization
    d: Organization
    d1: Organization
    d2: Organization
    d2a: Organization
    a: Organization
    a1: Organization
    o: Organization
    o1: Organization

    def targets(self) -> dict[str, Organization]:
        return {
            "own unit": self.d1,
            "own organisation": self.d,
            "sibling unit": self.d2,
            "unit of a unit": self.d2a,
            "organisation below": self.a,
            "unit below": self.a1,
            "other organisation": self.o,
            "other organisation's unit": self.o1,
            "parent organisation": self.province,
            "parent's unit": self.province_office,
        }


@pytest.fixture
def tree(db: None) -> Tree:
    unit = {"unit": True}
    province = OrganizationFactory(committee=True)
    d = OrganizationFactory(parent=province)
    d2 = OrganizationFactory(parent=d, **unit)
    a = OrganizationFactory(parent=d, kind=Organization.Kind.AGENCY)
    o = OrganizationFactory(parent=province)
    return Tree(
        province=province,
        province_office=OrganizationFactory(parent=province, **unit),
        d=d,
        d1=OrganizationFactory(parent=d, **unit),
        d2=d2,
        d2a=OrganizationFactory(parent=d2, **unit),
        a=a,
        a1=OrganizationFactory(parent=a, **unit),
        o=o,
        o1=OrganizationFactory(parent=o, **unit),
    )


REACH = {
    Scope.UNIT: {"own unit"},
    Scope.ORGANIZATION: {"own unit", "own organisation", "sibling unit", "unit of a unit"},
    Scope.SUBTREE: {
        "own unit",
        "own organisation",
        "sibling unit",
        "unit of a unit",
        "organisation below",
        "unit below",
    },
}


@pytest.mark.parametrize("scope", list(Scope))
@pytest.mark.parametrize("role", list(Role))
def test_has_role_reaches_exactly_what_the_scope_says(tree: Tree, role: Role, scope: Scope) -> None:
    officer = OfficerFactory(unit=tree.d1, roles=[(role, scope)])
    other_role = next(r for r in Role if r != role)

    reached = {
        name
        for name, target in tree.targets().items()
        if policy.has_role(officer, role, over=target)
    }
    other = {
        name
        for name, target in tree.targets().items()
        if policy.has_role(officer, other_role, over=target)
    }

    assert reached == REACH[scope]
    assert other == set()


@pytest.mark.parametrize("scope", list(Scope))
def test_scope_of_an_officer_sitting_on_the_organisation_node(tree: Tree, scope: Scope) -> None:
    """An officer whose unit is the department itself reaches the same as one in its unit."""
    officer = OfficerFactory(unit=tree.d, roles=[(Role.HEAD, scope)])
    reached = {n for n, t in tree.targets().items() if policy.has_role(officer, Role.HEAD, over=t)}
    expected = {"own organisation"} if scope == Scope.UNIT else REACH[scope]
    assert reached == expected


@pytest.mark.parametrize(
    ("actor_kind", "allowed"),
    [
        ("anonymous (None)", False),
        ("anonymous (AnonymousUser)", False),
        ("citizen", False),
        ("officer without a role", False),
        ("clerk of the organisation", False),
        ("IT admin of another organisation", False),
        ("IT admin, own unit only, target elsewhere", False),
        ("IT admin, organisation scope", True),
        ("IT admin, subtree scope of the parent", True),
        ("inactive IT admin", False),
        ("IT admin with inactive account", False),
        ("superuser", True),
        ("inactive superuser", False),
    ],
)
def test_officer_manage_matrix(tree: Tree, actor_kind: str, allowed: bool) -> None:
    target = OfficerFactory(unit=tree.d2)
    actors = {
        "anonymous (None)": lambda: None,
        "anonymous (AnonymousUser)": AnonymousUser,
        "citizen": lambda: ApplicantFactory().account,
        "officer without a role": lambda: OfficerFactory(unit=tree.d1).account,
        "clerk of the organisation": lambda: (
            OfficerFactory(unit=tree.d1, roles=[(Role.CLERK, Scope.SUBTREE)]).account
        ),
        "IT admin of another organisation": lambda: (
            OfficerFactory(unit=tree.o1, roles=[(Role.IT_ADMIN, Scope.SUBTREE)]).account
        ),
        "IT admin, own unit only, target elsewhere": lambda: (
            OfficerFactory(unit=tree.d1, roles=[(Role.IT_ADMIN, Scope.UNIT)]).account
        ),
        "IT admin, organisation scope": lambda: (
            OfficerFactory(unit=tree.d1, roles=[(Role.IT_ADMIN, Scope.ORGANIZATION)]).account
        ),
        "IT admin, subtree scope of the parent": lambda: (
            OfficerFactory(
                unit=tree.province_office, roles=[(Role.IT_ADMIN, Scope.SUBTREE)]
            ).account
        ),
        "inactive IT admin": lambda: (
            OfficerFactory(
                unit=tree.d1, is_active=False, roles=[(Role.IT_ADMIN, Scope.SUBTREE)]
            ).account
        ),
        "IT admin with inactive account": lambda: (
            OfficerFactory(
                unit=tree.d1,
                account__is_active=False,
                roles=[(Role.IT_ADMIN, Scope.SUBTREE)],
            ).account
        ),
        "superuser": lambda: AccountFactory(is_superuser=True),
        "inactive superuser": lambda: AccountFactory(is_superuser=True, is_active=False),
    }
    actor = actors[actor_kind]()

    assert policy.can(actor, "directory.officer.manage", target) is allowed
    if allowed:
        policy.require(actor, "directory.officer.manage", target)
    else:
        with pytest.raises(PermissionDenied) as exc:
            policy.require(actor, "directory.officer.manage", target)
        assert exc.value.code == "permission_denied"
        assert exc.value.details == {"action": "directory.officer.manage"}


@pytest.mark.parametrize(
    "action",
    [
        "directory.organization.manage",
        "directory.officer.manage",
        "directory.role.assign",
        "directory.apikey.manage",
        "directory.calendar.manage",
    ],
)
def test_it_admin_actions_follow_the_scope(tree: Tree, action: str) -> None:
    admin = OfficerFactory(unit=tree.d1, roles=[(Role.IT_ADMIN, Scope.ORGANIZATION)])
    inside = OfficerFactory(unit=tree.d2)
    outside = OfficerFactory(unit=tree.a1)
    objects = {
        "directory.organization.manage": (tree.d2, tree.a),
        "directory.officer.manage": (inside, outside),
        "directory.role.assign": (inside, outside),
        "directory.apikey.manage": (tree.d, tree.o),
        "directory.calendar.manage": (tree.d, tree.province),
    }[action]
    assert policy.can(admin.account, action, objects[0]) is True
    assert policy.can(admin.account, action, objects[1]) is False


def test_calendar_without_an_object_needs_an_admin_of_the_whole_tree(tree: Tree) -> None:
    tree_admin = OfficerFactory(unit=tree.province, roles=[(Role.IT_ADMIN, Scope.SUBTREE)])
    office_admin = OfficerFactory(unit=tree.province_office, roles=[(Role.IT_ADMIN, Scope.SUBTREE)])
    org_admin = OfficerFactory(unit=tree.province, roles=[(Role.IT_ADMIN, Scope.ORGANIZATION)])
    department_admin = OfficerFactory(unit=tree.d, roles=[(Role.IT_ADMIN, Scope.SUBTREE)])

    assert policy.can(tree_admin.account, "directory.calendar.manage") is True
    assert policy.can(office_admin.account, "directory.calendar.manage") is True
    assert policy.can(org_admin.account, "directory.calendar.manage") is False
    assert policy.can(department_admin.account, "directory.calendar.manage") is False
    assert policy.can(None, "directory.calendar.manage") is False


def test_delegation_rules(tree: Tree) -> None:
    head = OfficerFactory(unit=tree.d, roles=[(Role.HEAD, Scope.ORGANIZATION)])
    not_head = OfficerFactory(unit=tree.d1, roles=[(Role.OFFICER, Scope.ORGANIZATION)])
    admin = OfficerFactory(unit=tree.d, roles=[(Role.IT_ADMIN, Scope.ORGANIZATION)])
    stranger = OfficerFactory(unit=tree.o1, roles=[(Role.HEAD, Scope.ORGANIZATION)])

    assert policy.can(head.account, "directory.delegation.create", head) is True
    assert policy.can(not_head.account, "directory.delegation.create", not_head) is False
    assert policy.can(admin.account, "directory.delegation.create", head) is True
    assert policy.can(stranger.account, "directory.delegation.create", head) is False
    delegation = DelegationFactory(delegator=head, deputy=not_head)
    assert policy.can(head.account, "directory.delegation.revoke", delegation) is True
    assert policy.can(not_head.account, "directory.delegation.revoke", delegation) is True
    assert policy.can(admin.account, "directory.delegation.revoke", delegation) is True
    assert policy.can(stranger.account, "directory.delegation.revoke", delegation) is False


def test_may_exercise_own_power_and_delegated_power(tree: Tree) -> None:
    now = timezone.now()
    head = OfficerFactory(unit=tree.d, roles=[(Role.HEAD, Scope.ORGANIZATION)])
    deputy = OfficerFactory(unit=tree.d1, roles=[(Role.OFFICER, Scope.UNIT)])
    DelegationFactory(
        delegator=head,
        deputy=deputy,
        power=Delegation.Power.SIGN,
        starts_at=now - timedelta(hours=1),
        ends_at=now + timedelta(days=2),
    )
    sign, approve = Delegation.Power.SIGN, Delegation.Power.APPROVE

    assert policy.may_exercise(head, sign, tree.d, at=now) is True
    assert policy.exercising_for(head, sign, tree.d, at=now) == head
    assert policy.may_exercise(deputy, sign, tree.d, at=now) is True
    assert policy.exercising_for(deputy, sign, tree.d2, at=now) == head
    assert policy.may_exercise(deputy, approve, tree.d, at=now) is False
    # Never further than the head's own reach, never outside the period.
    assert policy.may_exercise(deputy, sign, tree.a, at=now) is False
    assert policy.may_exercise(deputy, sign, tree.d, at=now - timedelta(hours=2)) is False
    assert policy.may_exercise(deputy, sign, tree.d, at=now + timedelta(days=2)) is False
    assert policy.may_exercise(None, sign, tree.d, at=now) is False


def test_revoked_or_dead_delegations_give_nothing(tree: Tree) -> None:
    now = timezone.now()
    head = OfficerFactory(unit=tree.d, roles=[(Role.HEAD, Scope.ORGANIZATION)])
    deputy = OfficerFactory(unit=tree.d1)
    delegation = DelegationFactory(delegator=head, deputy=deputy, revoked_at=now)
    assert policy.may_exercise(deputy, delegation.power, tree.d, at=now) is False
    assert policy.may_exercise(deputy, delegation.power, tree.d, at=now - timedelta(minutes=1))
    delegation.revoked_at = None
    delegation.save()
    head.is_active = False
    head.save()
    fresh_deputy = Officer.objects.get(pk=deputy.pk)
    assert policy.may_exercise(fresh_deputy, delegation.power, tree.d, at=now) is False


def test_active_delegation_selector(tree: Tree) -> None:
    now = timezone.now()
    deputy = OfficerFactory(unit=tree.d1)
    head = OfficerFactory(unit=tree.d, roles=[(Role.HEAD, Scope.ORGANIZATION)])
    assert selectors.active_delegation(deputy, Delegation.Power.SIGN, now) is None
    live = DelegationFactory(delegator=head, deputy=deputy)
    assert selectors.active_delegation(deputy, Delegation.Power.SIGN, now) == live
    assert selectors.active_delegation(deputy, Delegation.Power.APPROVE, now) is None


def test_officers_visible_to(tree: Tree) -> None:
    me = OfficerFactory(unit=tree.d1, roles=[(Role.OFFICER, Scope.UNIT)])
    colleague = OfficerFactory(unit=tree.d2a)
    below = OfficerFactory(unit=tree.a1)
    elsewhere = OfficerFactory(unit=tree.o1)
    head = OfficerFactory(unit=tree.d, roles=[(Role.HEAD, Scope.SUBTREE)])

    assert set(selectors.officers_visible_to(me.account)) == {me, colleague, head}
    assert set(selectors.officers_visible_to(head.account)) == {me, colleague, head, below}
    superuser = AccountFactory(is_superuser=True)
    assert set(selectors.officers_visible_to(superuser)) == {me, colleague, below, elsewhere, head}
    assert list(selectors.officers_visible_to(None)) == []
    assert list(selectors.officers_visible_to(ApplicantFactory().account)) == []


def test_repeated_checks_reuse_what_they_fetched(tree: Tree) -> None:
    account = Account.objects.get(
        pk=OfficerFactory(unit=tree.d1, roles=[(Role.IT_ADMIN, Scope.ORGANIZATION)]).account_id
    )
    targets = [OfficerFactory(unit=tree.d2) for _ in range(5)]
    targets = list(Officer.objects.select_related("unit").filter(pk__in=[t.pk for t in targets]))
    policy.can(account, "directory.officer.manage", targets[0])
    with CaptureQueriesContext(connection) as queries:
        results = [policy.can(account, "directory.officer.manage", t) for t in targets]
    assert results == [True] * 5
    # One ancestor look-up per distinct unit object at most; roles and home are cached.
    assert len(queries) <= len(targets)


def test_unknown_action_is_an_error_not_a_no(db: None) -> None:
    with pytest.raises(policy.UnknownAction):
        policy.can(AccountFactory(is_superuser=True), "directory.no_such_thing")


def test_registering_a_different_rule_twice_is_refused() -> None:
    def first(actor: object, obj: object) -> bool:
        return True

    def second(actor: object, obj: object) -> bool:
        return False

    policy.register("tests.directory.twice", first)
    policy.register("tests.directory.twice", first)  # same rule again: harmless
    with pytest.raises(ValueError, match="already registered"):
        policy.register("tests.directory.twice", second)


def test_anonymous_rules_receive_none(db: None) -> None:
    seen: list[object] = []

    @policy.rule("tests.directory.public", anonymous=True)
    def public(actor: object, obj: object) -> bool:
        seen.append(actor)
        return obj == "open"

    assert policy.can(None, "tests.directory.public", "open") is True
    assert policy.can(AnonymousUser(), "tests.directory.public", "closed") is False
    assert seen == [None, None]
    assert "tests.directory.public" in policy.registered_actions()

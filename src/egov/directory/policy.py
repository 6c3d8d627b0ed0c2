"""The one place that answers "may this person do this action on this object?".

Every app registers its actions here from its own module (`policy.register` or `@policy.rule`)
and every service asks `policy.require(actor, action, obj)` before it writes. A rule is a
predicate `(actor, obj) -> bool`; the registry adds what is common to all of them:

- an unknown action is a programming error (`UnknownAction`), never a silent "no";
- nobody who is not signed in, or whose account is inactive, passes a rule unless the rule
  was registered with `anonymous=True` (then the predicate receives `actor=None`);
- an active superuser passes every rule (the IT department's break-glass account).

Building blocks for rules about staff: `has_role(officer, role, over=organization)` honours the
role's scope (`unit`: the officer's unit only; `organization`: the officer's organisation and its
own units; `subtree`: the organisation and everything below it) and `may_exercise` adds the
delegations a head gave to a deputy.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

from django.utils.translation import gettext

from egov.core.errors import PermissionDenied
from egov.directory import selectors
from egov.directory.models import (
    Account,
    ApiKey,
    Delegation,
    Officer,
    Organization,
    Role,
    RoleAssignment,
    Scope,
)

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    Actor = Account | AnonymousUser | None

Predicate = Callable[[Any, Any], bool]
P = TypeVar("P", bound=Predicate)


class UnknownAction(LookupError):
    """Raised when code asks about an action nobody registered (a typo, a missing import)."""


class _Rule:
    __slots__ = ("anonymous", "predicate")

    def __init__(self, predicate: Predicate, anonymous: bool) -> None:
        self.predicate = predicate
        self.anonymous = anonymous


_REGISTRY: dict[str, _Rule] = {}


def register(action: str, predicate: Predicate, *, anonymous: bool = False) -> None:
    """Register the rule of one action. Registering a different rule twice is an error."""
    existing = _REGISTRY.get(action)
    if existing is not None and existing.predicate is not predicate:
        raise ValueError(f"policy action {action!r} is already registered")
    _REGISTRY[action] = _Rule(predicate, anonymous)


def rule(action: str, *, anonymous: bool = False) -> Callable[[P], P]:
    """Decorator form of `register`."""

    def decorate(predicate: P) -> P:
        register(action, predicate, anonymous=anonymous)
        return predicate

    return decorate


def registered_actions() -> list[str]:
    return sorted(_REGISTRY)


def can(actor: Actor, action: str, obj: Any = None) -> bool:
    """True when `actor` may do `action` on `obj`."""
    entry = _REGISTRY.get(action)
    if entry is None:
        raise UnknownAction(action)
    signed_in = actor is not None and actor.is_authenticated and actor.is_active
    if not signed_in:
        return bool(entry.anonymous and entry.predicate(None, obj))
    assert actor is not None
    if actor.is_superuser:
        return True
    return bool(entry.predicate(actor, obj))


def require(actor: Actor, action: str, obj: Any = None) -> None:
    """Raise PermissionDenied (code `permission_denied`) unless `can(actor, action, obj)`."""
    if not can(actor, action, obj):
        raise PermissionDenied(
            gettext("You are not allowed to do this."),
            code="permission_denied",
            details={"action": action},
        )


# --- building blocks ------------------------------------------------------------------------


def officer_of(actor: Actor) -> Officer | None:
    """The active officer behind an actor, or None."""
    return selectors.officer_for(actor)


def target_organization(obj: Any) -> Organization | None:
    """The organisation node an object belongs to, for scope checks.

    Organisations are themselves; officers answer their unit; other objects answer their
    `unit` or `organization` attribute (later apps name their fields that way).
    """
    if obj is None:
        return None
    if isinstance(obj, Organization):
        return obj
    if isinstance(obj, Officer):
        return obj.unit
    for attribute in ("unit", "organization"):
        value = getattr(obj, attribute, None)
        if isinstance(value, Organization):
            return value
    return None


def scope_covers(officer: Officer, scope: str, target: Organization) -> bool:
    """True when a role held with `scope` by `officer` reaches the organisation node `target`."""
    if scope == Scope.UNIT:
        return target.pk == officer.unit_id
    home = selectors.officer_organization(officer)
    if scope == Scope.ORGANIZATION:
        return selectors.organization_of(target).pk == home.pk
    if scope == Scope.SUBTREE:
        return selectors.organization_is_within(target, home)
    return False


def _officer_usable(officer: Officer | None) -> bool:
    return officer is not None and officer.is_active and officer.account.is_active


def has_role(officer: Officer | None, role: str, *, over: Organization | None) -> bool:
    """True when the officer holds `role` with a scope that reaches `over`."""
    if not _officer_usable(officer) or over is None:
        return False
    assert officer is not None
    return any(
        assignment.role == role and scope_covers(officer, assignment.scope, over)
        for assignment in selectors.officer_roles(officer)
    )


def holds_role(officer: Officer | None, role: str) -> bool:
    """True when the officer holds `role` at all, whatever its scope."""
    if not _officer_usable(officer):
        return False
    assert officer is not None
    return any(a.role == role for a in selectors.officer_roles(officer))


def role_assignment(officer: Officer, role: str) -> RoleAssignment | None:
    return next((a for a in selectors.officer_roles(officer) if a.role == role), None)


def exercising_for(
    officer: Officer | None,
    power: str,
    on_behalf_of: Organization | None,
    *,
    at: datetime | None = None,
) -> Officer | None:
    """Whose power the officer uses to sign or approve for `on_behalf_of`, or None.

    The officer themselves when they are a head whose scope reaches it; otherwise the head who
    delegated `power` to them for a period covering `at`, if that head's scope reaches it (a
    deputy never gets more reach than the head who delegated). Signing code prints "KT." or
    "TUQ." from the difference.
    """
    if not _officer_usable(officer) or on_behalf_of is None:
        return None
    assert officer is not None
    if has_role(officer, Role.HEAD, over=on_behalf_of):
        return officer
    for delegation in selectors.delegations_active(officer, power, at):
        if has_role(delegation.delegator, Role.HEAD, over=on_behalf_of):
            return delegation.delegator
    return None


def may_exercise(
    officer: Officer | None,
    power: str,
    on_behalf_of: Organization | None,
    *,
    at: datetime | None = None,
) -> bool:
    """True when the officer may sign or approve (`power`) for `on_behalf_of` at `at`."""
    return exercising_for(officer, power, on_behalf_of, at=at) is not None


def is_it_admin_over(actor: Account, obj: Any) -> bool:
    """The IT administrator rule shared by the directory's own actions."""
    return has_role(officer_of(actor), Role.IT_ADMIN, over=target_organization(obj))


# --- the directory's own actions --------------------------------------------------------------


@rule("directory.organization.manage")
def _organization_manage(actor: Account, obj: Any) -> bool:
    """Create under, change, move or end an organisation node: IT admin whose scope reaches it.

    `obj` is the node (or, for a creation, its parent). Creating a root needs a superuser.
    """
    return is_it_admin_over(actor, obj)


@rule("directory.officer.manage")
def _officer_manage(actor: Account, obj: Any) -> bool:
    """Create or change an officer (`obj`: the officer or the unit they go to)."""
    return is_it_admin_over(actor, obj)


@rule("directory.role.assign")
def _role_assign(actor: Account, obj: Any) -> bool:
    """Give or take a role (`obj`: the officer). The service also refuses wider grants."""
    return is_it_admin_over(actor, obj)


@rule("directory.delegation.create")
def _delegation_create(actor: Account, obj: Any) -> bool:
    """Record a delegation (`obj`: the delegating head): the head themselves, or their IT admin."""
    officer = officer_of(actor)
    if isinstance(obj, Officer) and officer is not None and officer.pk == obj.pk:
        return holds_role(officer, Role.HEAD)
    return is_it_admin_over(actor, obj)


@rule("directory.delegation.revoke")
def _delegation_revoke(actor: Account, obj: Any) -> bool:
    """End a delegation early (`obj`: the delegation): its head, its deputy, or their IT admin."""
    if not isinstance(obj, Delegation):
        return False
    officer = officer_of(actor)
    if officer is not None and officer.pk in (obj.delegator_id, obj.deputy_id):
        return True
    return is_it_admin_over(actor, obj.delegator)


@rule("directory.apikey.manage")
def _apikey_manage(actor: Account, obj: Any) -> bool:
    """Issue or revoke keys of integrating systems (`obj`: the key or its organisation)."""
    if isinstance(obj, ApiKey):
        obj = obj.organization
    return is_it_admin_over(actor, obj)


def is_tree_admin(actor: Account) -> bool:
    """An IT admin whose subtree scope starts at a root: the province's own IT department."""
    officer = officer_of(actor)
    if not _officer_usable(officer):
        return False
    assert officer is not None
    assignment = role_assignment(officer, Role.IT_ADMIN)
    if assignment is None or assignment.scope != Scope.SUBTREE:
        return False
    return selectors.officer_organization(officer).depth == 0


@rule("directory.calendar.manage")
def _calendar_manage(actor: Account, obj: Any) -> bool:
    """Enter the province's working-day overrides.

    With an organisation: an IT admin whose scope reaches it. Without (the calendar is
    province-wide): an IT admin of the whole tree.
    """
    if obj is not None:
        return is_it_admin_over(actor, obj)
    return is_tree_admin(actor)


@rule("directory.position.manage")
def _position_manage(actor: Account, obj: Any) -> bool:
    """Change the list of positions, shared by the whole tree: IT admins of the whole tree."""
    return is_tree_admin(actor)


@rule("audit.history.read")
def _audit_history_read(actor: Actor, obj: Any) -> bool:
    """Read any object's audit trail (screens and API): officers holding the IT admin role."""
    return holds_role(officer_of(actor), Role.IT_ADMIN)


@rule("directory.applicant.record")
def _applicant_record(actor: Actor, obj: Any) -> bool:
    """Record a walk-in applicant: one-stop counter staff."""
    return holds_role(officer_of(actor), Role.COUNTER)

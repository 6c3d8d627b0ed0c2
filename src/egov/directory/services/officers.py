"""Writes on staff: officers, their roles, delegations between a head and a deputy."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from egov.core.audit import audit_record
from egov.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from egov.directory import policy, selectors
from egov.directory.models import (
    Account,
    Delegation,
    Officer,
    Organization,
    Position,
    Role,
    RoleAssignment,
    Scope,
)
from egov.directory.services._common import changed, full_clean, snapshot, validation_failed

OFFICER_FIELDS = ["full_name", "unit", "position", "phone", "email", "is_active"]
_SCOPE_RANK = {Scope.UNIT: 0, Scope.ORGANIZATION: 1, Scope.SUBTREE: 2}


def split_full_name(full_name: str) -> tuple[str, str]:
    """Vietnamese order is family … given: `Nguyễn Văn An` → ("An", "Nguyễn Văn")."""
    parts = full_name.split()
    if not parts:
        return "", ""
    return parts[-1], " ".join(parts[:-1])


def check_password_rules(password: str, account: Account) -> None:
    """Django's validators plus ours (settings.AUTH_PASSWORD_VALIDATORS), as our error."""
    try:
        validate_password(password, user=account)
    except ValidationError as exc:
        raise validation_failed(exc, code="auth.password_invalid") from exc


def _check_username_free(username: str) -> None:
    try:
        Account.username_validator(username)
    except ValidationError as exc:
        error = validation_failed(exc, code="officer.username_invalid")
        error.field = "username"
        raise error from exc
    if Account.objects.filter(username__iexact=username).exists():
        raise ValidationFailed(
            gettext("The user name %(username)s is taken.") % {"username": username},
            code="officer.username_taken",
            field="username",
        )


@transaction.atomic
def officer_create(
    *,
    actor: Account | None,
    unit: Organization,
    position: Position,
    username: str,
    full_name: str,
    password: str,
    email: str = "",
    phone: str = "",
    roles: Iterable[tuple[str, str]] = (),
) -> Officer:
    """Open a staff account: the sign-in identity and the officer profile, with roles."""
    policy.require(actor, "directory.officer.manage", unit)
    full_name = " ".join(full_name.split())
    if not full_name:
        raise ValidationFailed(
            gettext("Enter the officer's full name."),
            code="officer.name_required",
            field="full_name",
        )
    _check_username_free(username)
    first_name, last_name = split_full_name(full_name)
    account = Account(
        username=username,
        email=email,
        first_name=first_name[:150],
        last_name=last_name[:150],
        kind=Account.Kind.OFFICER,
    )
    check_password_rules(password, account)
    account.set_password(password)
    account.password_changed_at = timezone.now()
    account.save()
    officer = Officer(
        account=account, full_name=full_name, unit=unit, position=position, email=email, phone=phone
    )
    full_clean(officer)
    officer.save()
    audit_record(
        actor=actor,
        action="directory.officer.create",
        obj=officer,
        after={**snapshot(officer, OFFICER_FIELDS), "username": username},
    )
    for role, scope in roles:
        role_assign(actor=actor, officer=officer, role=role, scope=scope)
    return officer


@transaction.atomic
def officer_update(*, actor: Account | None, officer: Officer, **fields: Any) -> Officer:
    """Change an officer's profile; moving to another unit needs rights over both units."""
    unknown = set(fields) - set(OFFICER_FIELDS)
    if unknown:
        raise TypeError(f"officer_update() does not change {sorted(unknown)}")
    officer = Officer.objects.select_for_update().select_related("unit").get(pk=officer.pk)
    policy.require(actor, "directory.officer.manage", officer)
    if "unit" in fields and fields["unit"].pk != officer.unit_id:
        policy.require(actor, "directory.officer.manage", fields["unit"])
    before = snapshot(officer, OFFICER_FIELDS)
    for name, value in fields.items():
        setattr(officer, name, value)
    full_clean(officer)
    officer.save()
    old, new = changed(before, snapshot(officer, OFFICER_FIELDS))
    if new:
        audit_record(
            actor=actor, action="directory.officer.update", obj=officer, before=old, after=new
        )
    return officer


# --- roles -----------------------------------------------------------------------------------


def _check_within_reach(actor: Account | None, officer: Officer, scope: str) -> None:
    """An IT admin cannot hand out a reach wider than their own (no escalation by proxy)."""
    if actor is not None and actor.is_superuser:
        return
    mine = policy.officer_of(actor)
    assignment = policy.role_assignment(mine, Role.IT_ADMIN) if mine else None
    root = officer.unit if scope == Scope.UNIT else selectors.organization_of(officer.unit)
    if (
        mine is None
        or assignment is None
        or _SCOPE_RANK[Scope(assignment.scope)] < _SCOPE_RANK[Scope(scope)]
        or not policy.scope_covers(mine, assignment.scope, root)
    ):
        raise PermissionDenied(
            gettext("You cannot give a role that reaches further than your own."),
            code="role.beyond_reach",
        )


def _check_role_choice(role: str, scope: str) -> None:
    if role not in Role.values:
        raise ValidationFailed(gettext("Unknown role."), code="role.unknown", field="role")
    if scope not in Scope.values:
        raise ValidationFailed(gettext("Unknown scope."), code="role.unknown_scope", field="scope")


@transaction.atomic
def role_assign(
    *, actor: Account | None, officer: Officer, role: str, scope: str
) -> RoleAssignment:
    """Give an officer a role with a scope, or change the scope of a role they hold."""
    _check_role_choice(role, scope)
    policy.require(actor, "directory.role.assign", officer)
    _check_within_reach(actor, officer, scope)
    assignment = (
        RoleAssignment.objects.select_for_update().filter(officer=officer, role=role).first()
    )
    before = {"role": role, "scope": assignment.scope} if assignment else None
    if assignment is None:
        assignment = RoleAssignment.objects.create(officer=officer, role=role, scope=scope)
    elif assignment.scope != scope:
        _check_within_reach(actor, officer, assignment.scope)
        assignment.scope = scope
        assignment.save(update_fields=["scope"])
    else:
        return assignment
    selectors.officer_forget_roles(officer)
    audit_record(
        actor=actor,
        action="directory.role.assign",
        obj=officer,
        before=before,
        after={"role": role, "scope": scope},
    )
    return assignment


@transaction.atomic
def role_revoke(*, actor: Account | None, officer: Officer, role: str) -> None:
    """Take a role away from an officer."""
    policy.require(actor, "directory.role.assign", officer)
    assignment = (
        RoleAssignment.objects.select_for_update().filter(officer=officer, role=role).first()
    )
    if assignment is None:
        raise NotFound(gettext("The officer does not hold this role."), code="role.not_held")
    _check_within_reach(actor, officer, assignment.scope)
    assignment.delete()
    selectors.officer_forget_roles(officer)
    audit_record(
        actor=actor,
        action="directory.role.revoke",
        obj=officer,
        before={"role": role, "scope": assignment.scope},
    )


# --- delegations -----------------------------------------------------------------------------

_DELEGATION_FIELDS = [
    "delegator",
    "deputy",
    "power",
    "starts_at",
    "ends_at",
    "reason",
    "revoked_at",
]


def _bad_period(message: str) -> ValidationFailed:
    return ValidationFailed(message, code="delegation.bad_period", field="ends_at")


@transaction.atomic
def delegation_create(
    *,
    actor: Account | None,
    delegator: Officer,
    deputy: Officer,
    power: str,
    starts_at: datetime,
    ends_at: datetime,
    reason: str = "",
    now: datetime | None = None,
) -> Delegation:
    """A head lets a deputy of the same organisation sign or approve in their place.

    The deputy's reach is the head's (policy.may_exercise checks the head's scope). Two live
    delegations of the same power by the same head may not overlap: the head's row is locked
    while we look, so two concurrent requests cannot both pass the check.
    """
    now = now or timezone.now()
    delegator = (
        Officer.objects.select_for_update().select_related("unit", "account").get(pk=delegator.pk)
    )
    deputy = Officer.objects.select_related("unit", "account").get(pk=deputy.pk)
    policy.require(actor, "directory.delegation.create", delegator)
    if power not in Delegation.Power.values:
        raise ValidationFailed(
            gettext("Unknown power."), code="delegation.bad_power", field="power"
        )
    if delegator.pk == deputy.pk:
        raise ValidationFailed(
            gettext("A head cannot delegate to themselves."), code="delegation.self", field="deputy"
        )
    if not policy.holds_role(delegator, Role.HEAD):
        raise ValidationFailed(
            gettext("Only a head can delegate signing or approval."),
            code="delegation.not_head",
            field="delegator",
        )
    if not (deputy.is_active and deputy.account.is_active):
        raise ValidationFailed(
            gettext("The deputy's account is not active."),
            code="delegation.deputy_inactive",
            field="deputy",
        )
    if selectors.officer_organization(deputy).pk != selectors.officer_organization(delegator).pk:
        raise ValidationFailed(
            gettext("The deputy must work in the same organisation as the head."),
            code="delegation.other_organization",
            field="deputy",
        )
    if timezone.is_naive(starts_at) or timezone.is_naive(ends_at):
        raise _bad_period(gettext("Give the period with its time zone."))
    if ends_at <= starts_at:
        raise _bad_period(gettext("The delegation must end after it starts."))
    if ends_at <= now:
        raise _bad_period(gettext("The delegation would already be over."))
    if selectors.delegations_overlapping(delegator, power, starts_at, ends_at).exists():
        raise ValidationFailed(
            gettext("This head already delegated this power for part of that period."),
            code="delegation.overlap",
            field="starts_at",
        )
    delegation = Delegation.objects.create(
        delegator=delegator,
        deputy=deputy,
        power=power,
        starts_at=starts_at,
        ends_at=ends_at,
        reason=reason.strip(),
    )
    audit_record(
        actor=actor,
        action="directory.delegation.create",
        obj=delegation,
        after=snapshot(delegation, _DELEGATION_FIELDS),
    )
    return delegation


@transaction.atomic
def delegation_revoke(
    *, actor: Account | None, delegation: Delegation, now: datetime | None = None
) -> Delegation:
    """End a delegation now (it stays on record, with the time it was ended)."""
    now = now or timezone.now()
    delegation = (
        Delegation.objects.select_for_update()
        .select_related("delegator__unit", "deputy")
        .get(pk=delegation.pk)
    )
    policy.require(actor, "directory.delegation.revoke", delegation)
    if delegation.revoked_at is not None or delegation.ends_at <= now:
        raise Conflict(
            gettext("This delegation has already ended."), code="delegation.already_ended"
        )
    delegation.revoked_at = now
    delegation.save(update_fields=["revoked_at"])
    audit_record(
        actor=actor,
        action="directory.delegation.revoke",
        obj=delegation,
        after={"revoked_at": now.isoformat()},
    )
    return delegation

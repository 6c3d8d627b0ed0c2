"""Reads about who is who that other code reuses.

The organisation tree is a materialised path: each node stores the zero-padded ids of its
ancestors and itself (`00000001/00000007/`), so a subtree is one `path LIKE 'prefix%'` query
on an indexed column and the ancestors are parsed out of the path without recursion. Units are
nodes of kind `unit`; "the organisation of a unit" is its nearest ancestor of another kind.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime
from typing import TYPE_CHECKING

from django.db.models import Q, QuerySet
from django.utils import timezone

from egov.directory.models import (
    Account,
    ApiKey,
    Delegation,
    Officer,
    Organization,
    RoleAssignment,
    Scope,
)

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

PATH_DIGITS = 8
PATH_SEPARATOR = "/"

# Per-instance caches: a request asks the same questions many times (policy checks on a list
# page), so the answers ride on the model instances and die with them.
_OFFICER_CACHE = "_egov_officer"
_ROLES_CACHE = "_egov_roles"
_ORG_OF_CACHE = "_egov_organization_of"


# --- the tree ---------------------------------------------------------------------------


def path_segment(pk: int) -> str:
    """The piece of a materialised path that one node adds."""
    return f"{pk:0{PATH_DIGITS}d}{PATH_SEPARATOR}"


def path_ids(path: str) -> list[int]:
    """The ids on a path, root first."""
    return [int(part) for part in path.split(PATH_SEPARATOR) if part]


def organization_subtree(
    organization: Organization, *, include_self: bool = True
) -> QuerySet[Organization]:
    """The organisation and every node below it, in tree order."""
    qs = Organization.objects.filter(path__startswith=organization.path)
    if not include_self:
        qs = qs.exclude(pk=organization.pk)
    return qs.order_by("path")


def organization_ancestors(
    organization: Organization, *, include_self: bool = False
) -> QuerySet[Organization]:
    """The nodes above the organisation, root first."""
    ids = path_ids(organization.path)
    if not include_self:
        ids = ids[:-1]
    return Organization.objects.filter(pk__in=ids).order_by("depth")


def organization_is_within(node: Organization, ancestor: Organization) -> bool:
    """True when `node` is `ancestor` or lies below it (no query: compares paths)."""
    return bool(ancestor.path) and node.path.startswith(ancestor.path)


def organization_of(unit: Organization) -> Organization:
    """The nearest node at or above `unit` that is not a unit: the organisation it belongs to.

    A node that is not a unit is its own organisation. A unit without any non-unit ancestor
    (a data error) answers the root of its branch so callers never get None.
    """
    cached = getattr(unit, _ORG_OF_CACHE, None)
    if cached is not None:
        return cached
    if unit.kind != Organization.Kind.UNIT:
        result = unit
    else:
        chain = list(organization_ancestors(unit))
        result = next(
            (node for node in reversed(chain) if node.kind != Organization.Kind.UNIT),
            chain[0] if chain else unit,
        )
    setattr(unit, _ORG_OF_CACHE, result)
    return result


def organization_members(organization: Organization) -> list[int]:
    """Ids of the organisation itself and of its own units (not of organisations below it).

    This is the reach of the `organization` scope: the province people's committee's own units,
    but not the departments under it, which are organisations of their own.
    """
    home = organization_of(organization)
    rows = list(
        Organization.objects.filter(path__startswith=home.path).values_list("id", "path", "kind")
    )
    foreign = {pk for pk, _path, kind in rows if kind != Organization.Kind.UNIT and pk != home.pk}
    start = len(path_ids(home.path))
    return [
        pk
        for pk, path, kind in rows
        if pk == home.pk
        or (kind == Organization.Kind.UNIT and not foreign.intersection(path_ids(path)[start:]))
    ]


def organization_requires_totp(organization: Organization) -> bool:
    """True when the node or any node above it demands a second factor at sign-in."""
    return Organization.objects.filter(
        pk__in=path_ids(organization.path), require_totp=True
    ).exists()


# --- officers -------------------------------------------------------------------------------


def officer_for(account: Account | AnonymousUser | None) -> Officer | None:
    """The active staff profile of an account, or None (anonymous, citizen, system, inactive)."""
    if account is None or not account.is_authenticated or not account.is_active:
        return None
    if hasattr(account, _OFFICER_CACHE):
        return getattr(account, _OFFICER_CACHE)
    officer = (
        Officer.objects.select_related("unit", "position", "account")
        .filter(account_id=account.pk, is_active=True)
        .first()
    )
    setattr(account, _OFFICER_CACHE, officer)
    return officer


def officer_roles(officer: Officer) -> list[RoleAssignment]:
    """The officer's role assignments, fetched once per instance."""
    cached = getattr(officer, _ROLES_CACHE, None)
    if cached is None:
        cached = list(RoleAssignment.objects.filter(officer_id=officer.pk).order_by("role"))
        setattr(officer, _ROLES_CACHE, cached)
    return cached


def officer_forget_roles(officer: Officer) -> None:
    """Drop the cached role list after a change (services call this)."""
    if hasattr(officer, _ROLES_CACHE):
        delattr(officer, _ROLES_CACHE)


def officer_organization(officer: Officer) -> Organization:
    """The organisation the officer works for (the organisation of their unit)."""
    return organization_of(officer.unit)


def scope_reach_q(officer: Officer, scope: str, *, field: str = "") -> Q:
    """A filter on organisations (or on `<field>__` of another model) that a scope reaches."""
    prefix = f"{field}__" if field else ""
    if scope == Scope.UNIT:
        return Q(**{f"{prefix}pk": officer.unit_id})
    home = officer_organization(officer)
    if scope == Scope.ORGANIZATION:
        return Q(**{f"{prefix}pk__in": organization_members(home)})
    return Q(**{f"{prefix}path__startswith": home.path})


def officers_visible_to(actor: Account | AnonymousUser | None) -> QuerySet[Officer]:
    """Officers an actor may list: colleagues of the own organisation, plus each role's reach.

    Superusers see everyone; citizens and anonymous visitors see nobody.
    """
    base = Officer.objects.select_related("unit", "position", "account").order_by("full_name")
    if actor is None or not actor.is_authenticated or not actor.is_active:
        return base.none()
    if actor.is_superuser:
        return base
    officer = officer_for(actor)
    if officer is None:
        return base.none()
    condition = scope_reach_q(officer, Scope.ORGANIZATION, field="unit")
    for assignment in officer_roles(officer):
        condition |= scope_reach_q(officer, assignment.scope, field="unit")
    return base.filter(condition)


# --- delegations ----------------------------------------------------------------------------


def delegations_active(
    deputy: Officer, power: str, at: datetime | None = None
) -> QuerySet[Delegation]:
    """Delegations of `power` the deputy holds at the instant `at` (now by default)."""
    at = at or timezone.now()
    return (
        Delegation.objects.select_related("delegator__unit", "delegator__account")
        .filter(deputy=deputy, power=power, starts_at__lte=at, ends_at__gt=at)
        .filter(Q(revoked_at__isnull=True) | Q(revoked_at__gt=at))
        .order_by("starts_at", "pk")
    )


def active_delegation(deputy: Officer, power: str, at: datetime | None = None) -> Delegation | None:
    """The first delegation of `power` the deputy holds at `at`, or None."""
    return delegations_active(deputy, power, at).first()


def delegations_overlapping(
    delegator: Officer, power: str, starts_at: datetime, ends_at: datetime
) -> QuerySet[Delegation]:
    """Live delegations of the same power by the same head whose period meets [starts, ends)."""
    return Delegation.objects.filter(
        delegator=delegator,
        power=power,
        revoked_at__isnull=True,
        starts_at__lt=ends_at,
        ends_at__gt=starts_at,
    )


def delegations_of(officer: Officer, at: datetime | None = None) -> dict[str, list[Delegation]]:
    """Current and future delegations an officer gave and received (for the workspace)."""
    at = at or timezone.now()
    live = Q(revoked_at__isnull=True, ends_at__gt=at)
    qs = Delegation.objects.select_related("delegator", "deputy").filter(live)
    return {
        "given": list(qs.filter(delegator=officer).order_by("starts_at")),
        "received": list(qs.filter(deputy=officer).order_by("starts_at")),
    }


# --- API keys -------------------------------------------------------------------------------

APIKEY_SEPARATOR = "."


def apikey_hash(raw_key: str) -> str:
    """The SHA-256 of the whole raw key, as stored."""
    return hashlib.sha256(raw_key.encode("utf-8")).hexdigest()


def apikey_authenticate(raw_key: str) -> ApiKey | None:
    """The live key matching `raw_key` (`<prefix>.<secret>`), or None.

    The prefix finds the row; the hash comparison is constant-time; a revoked key or an
    organisation that has ended answers None. Writes nothing (see services.apikey_mark_used).
    """
    prefix, sep, _secret = raw_key.partition(APIKEY_SEPARATOR)
    candidate = (
        ApiKey.objects.select_related("organization").filter(prefix=prefix).first()
        if sep and prefix
        else None
    )
    expected = candidate.key_hash if candidate is not None else "0" * 64
    matches = hmac.compare_digest(expected, apikey_hash(raw_key))
    if candidate is None or not matches or candidate.revoked_at is not None:
        return None
    if not candidate.organization.is_active:
        return None
    return candidate

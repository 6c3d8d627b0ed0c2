"""Writes on the organisation tree: create, change, move, succeed; positions."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.db import transaction
from django.db.models import CharField, F, Value
from django.db.models.functions import Concat, Substr
from django.utils.translation import gettext

from egov.core.audit import audit_record
from egov.core.errors import ValidationFailed
from egov.directory import policy, selectors
from egov.directory.models import Account, Organization, Position
from egov.directory.services._common import changed, full_clean, snapshot

ORGANIZATION_FIELDS = [
    "code",
    "qcvn_code",
    "admin_unit_code",
    "kind",
    "level",
    "name_vi",
    "name_en",
    "abbreviation",
    "address",
    "phone",
    "email",
    "website",
    "valid_from",
    "valid_to",
    "require_totp",
]
_AUDIT_FIELDS = [*ORGANIZATION_FIELDS, "parent", "path", "depth", "successor"]


def _check_code_free(code: str, *, exclude_pk: int | None = None) -> None:
    qs = Organization.objects.filter(code=code)
    if exclude_pk is not None:
        qs = qs.exclude(pk=exclude_pk)
    if qs.exists():
        raise ValidationFailed(
            gettext("Another organisation already uses the code %(code)s.") % {"code": code},
            code="organization.code_taken",
            field="code",
        )


def _check_unit_has_parent(kind: str, parent: Organization | None) -> None:
    if kind == Organization.Kind.UNIT and parent is None:
        raise ValidationFailed(
            gettext("A unit must belong to an organisation."),
            code="organization.unit_without_parent",
            field="parent",
        )


@transaction.atomic
def organization_create(
    *,
    actor: Account | None,
    parent: Organization | None,
    code: str,
    kind: str,
    level: str,
    name_vi: str,
    name_en: str = "",
    qcvn_code: str = "",
    admin_unit_code: str = "",
    abbreviation: str = "",
    address: str = "",
    phone: str = "",
    email: str = "",
    website: str = "",
    valid_from: date | None = None,
    valid_to: date | None = None,
    require_totp: bool = False,
) -> Organization:
    """Add a node under `parent` (a root when None: superusers only) and give it its path.

    `valid_to` lets an IT admin record an organisation that has already ended (older data).
    """
    policy.require(actor, "directory.organization.manage", parent)
    if parent is not None:
        parent = Organization.objects.select_for_update().get(pk=parent.pk)
    _check_unit_has_parent(kind, parent)
    _check_code_free(code)
    organization = Organization(
        parent=parent,
        code=code,
        kind=kind,
        level=level,
        name_vi=name_vi,
        name_en=name_en,
        qcvn_code=qcvn_code,
        admin_unit_code=admin_unit_code,
        abbreviation=abbreviation,
        address=address,
        phone=phone,
        email=email,
        website=website,
        valid_from=valid_from,
        valid_to=valid_to,
        require_totp=require_totp,
        depth=0 if parent is None else parent.depth + 1,
    )
    full_clean(organization, exclude=["path"])
    organization.save()
    organization.path = (parent.path if parent else "") + selectors.path_segment(organization.pk)
    organization.save(update_fields=["path"])
    audit_record(
        actor=actor,
        action="directory.organization.create",
        obj=organization,
        after=snapshot(organization, _AUDIT_FIELDS),
    )
    return organization


@transaction.atomic
def organization_update(
    *, actor: Account | None, organization: Organization, **fields: Any
) -> Organization:
    """Change the plain fields of a node (not its place in the tree: see organization_move)."""
    unknown = set(fields) - set(ORGANIZATION_FIELDS)
    if unknown:
        raise TypeError(f"organization_update() does not change {sorted(unknown)}")
    policy.require(actor, "directory.organization.manage", organization)
    organization = Organization.objects.select_for_update().get(pk=organization.pk)
    before = snapshot(organization, _AUDIT_FIELDS)
    if "code" in fields:
        _check_code_free(fields["code"], exclude_pk=organization.pk)
    if "kind" in fields:
        _check_unit_has_parent(fields["kind"], organization.parent)
    for name, value in fields.items():
        setattr(organization, name, value)
    full_clean(organization, exclude=["path"])
    organization.save(update_fields=list(fields) or None)
    old, new = changed(before, snapshot(organization, _AUDIT_FIELDS))
    if new:
        audit_record(
            actor=actor,
            action="directory.organization.update",
            obj=organization,
            before=old,
            after=new,
        )
    return organization


@transaction.atomic
def organization_move(
    *, actor: Account | None, organization: Organization, new_parent: Organization | None
) -> Organization:
    """Hang a node (and everything below it) under another parent, keeping paths and depths.

    One UPDATE rewrites the path prefix and shifts the depth of the whole subtree, so the move
    costs the same for a unit and for a commune with hundreds of nodes below it. Moving a node
    under itself or under one of its descendants would make a cycle and is refused.
    """
    organization = Organization.objects.select_for_update().get(pk=organization.pk)
    policy.require(actor, "directory.organization.manage", organization)
    if new_parent is not None:
        new_parent = Organization.objects.select_for_update().get(pk=new_parent.pk)
    policy.require(actor, "directory.organization.manage", new_parent)
    if new_parent is not None and selectors.organization_is_within(new_parent, organization):
        raise ValidationFailed(
            gettext("An organisation cannot be moved under itself or under its own units."),
            code="organization.cycle",
            field="parent",
        )
    _check_unit_has_parent(organization.kind, new_parent)
    before = snapshot(organization, _AUDIT_FIELDS)
    old_prefix = organization.path
    new_prefix = (new_parent.path if new_parent else "") + selectors.path_segment(organization.pk)
    delta = (0 if new_parent is None else new_parent.depth + 1) - organization.depth
    if old_prefix != new_prefix:
        Organization.objects.filter(path__startswith=old_prefix).update(
            path=Concat(
                Value(new_prefix),
                Substr("path", len(old_prefix) + 1),
                output_field=CharField(),
            ),
            depth=F("depth") + delta,
        )
    Organization.objects.filter(pk=organization.pk).update(parent=new_parent)
    organization.refresh_from_db()
    old, new = changed(before, snapshot(organization, _AUDIT_FIELDS))
    audit_record(
        actor=actor,
        action="directory.organization.move",
        obj=organization,
        before=old,
        after=new,
    )
    return organization


@transaction.atomic
def organization_succeed(
    *,
    actor: Account | None,
    organization: Organization,
    successor: Organization,
    effective_on: date,
    basis: str,
) -> Organization:
    """Record that `successor` takes over from `organization` on `effective_on`.

    The predecessor's last valid day becomes the day before; its documents and dossiers stay
    attributable to it, and the link lets open work be moved to the successor.
    """
    organization = Organization.objects.select_for_update().get(pk=organization.pk)
    successor = Organization.objects.get(pk=successor.pk)
    policy.require(actor, "directory.organization.manage", organization)
    basis = basis.strip()
    if not basis:
        raise ValidationFailed(
            gettext("Give the legal basis of the succession."),
            code="organization.succession_basis_required",
            field="succession_basis",
        )
    if successor.pk == organization.pk:
        raise ValidationFailed(
            gettext("An organisation cannot succeed itself."),
            code="organization.succession_invalid",
            field="successor",
        )
    if organization.successor_id is not None:
        raise ValidationFailed(
            gettext("This organisation already has a successor."),
            code="organization.already_succeeded",
            field="successor",
        )
    if not successor.is_active:
        raise ValidationFailed(
            gettext("The successor has itself ended; choose the organisation in force."),
            code="organization.succession_invalid",
            field="successor",
        )
    last_day = effective_on - timedelta(days=1)
    if organization.valid_from is not None and last_day < organization.valid_from:
        raise ValidationFailed(
            gettext("The succession date is before the organisation began."),
            code="organization.succession_invalid",
            field="effective_on",
        )
    before = snapshot(organization, _AUDIT_FIELDS)
    organization.successor = successor
    organization.succession_basis = basis
    organization.valid_to = last_day
    organization.save(update_fields=["successor", "succession_basis", "valid_to"])
    audit_record(
        actor=actor,
        action="directory.organization.succeed",
        obj=organization,
        before=before,
        after=snapshot(organization, _AUDIT_FIELDS),
        note=basis,
    )
    return organization


# --- positions ----------------------------------------------------------------------------------

POSITION_FIELDS = ["code", "name_vi", "name_en", "rank"]


@transaction.atomic
def position_save(
    *,
    actor: Account | None,
    code: str,
    name_vi: str,
    name_en: str = "",
    rank: int = 100,
) -> Position:
    """Create or change a position (a reference list, IT admins of the whole tree only)."""
    policy.require(actor, "directory.position.manage")
    position = Position.objects.select_for_update().filter(code=code).first()
    before = snapshot(position, POSITION_FIELDS) if position else {}
    position = position or Position(code=code)
    position.name_vi, position.name_en, position.rank = name_vi, name_en, rank
    full_clean(position)
    position.save()
    old, new = changed(before, snapshot(position, POSITION_FIELDS))
    if new:
        audit_record(
            actor=actor,
            action="directory.position.save",
            obj=position,
            before=old or None,
            after=new,
        )
    return position

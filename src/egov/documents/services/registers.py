"""Registers (sổ văn bản) and their yearly number series."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import Exists, OuterRef, Value
from django.utils.translation import gettext

from egov.core.audit import audit_record
from egov.core.errors import NotFound, ValidationFailed
from egov.core.sequences import sequence_next
from egov.directory import policy
from egov.directory.models import Organization
from egov.documents.models import Direction, DocumentType, Register

__all__ = ["register_create", "register_for", "register_next_number", "registers_ensure_default"]


def register_next_number(register: Register, year: int) -> int:
    """The next number of the register's series for the year, inside the caller's transaction.

    Gap-free and duplicate-free under concurrency (`egov.core.sequences`); restarts at 1 on
    1 January because the year is part of the series.
    """
    return sequence_next(scope=register.series, register="documents", year=year)


def register_for(
    organization: Organization,
    direction: str,
    *,
    confidential: bool,
    document_type: DocumentType | None = None,
) -> Register:
    """The register a document goes to: a type-specific one first, else the default one.

    Confidential documents only ever go to a confidential register (their own series).
    """
    typed = Register.document_types.through.objects.filter(register_id=OuterRef("pk"))
    candidates = list(
        Register.objects.filter(
            organization=organization,
            direction=direction,
            is_confidential=confidential,
            is_active=True,
        )
        .annotate(
            limited=Exists(typed),
            fits=Exists(typed.filter(documenttype_id=document_type.pk))
            if document_type is not None
            else Value(False),
        )
        .order_by("pk")
    )  # one query: registration runs this for every document
    for register in candidates:
        if register.fits:
            return register
    fallback = next((r for r in candidates if r.is_default), None) or next(
        (r for r in candidates if not r.limited),
        None,
    )
    if fallback is None:
        raise NotFound(
            gettext("%(organization)s has no active %(kind)s register.")
            % {
                "organization": organization.name_vi,
                "kind": _register_kind(direction, confidential),
            },
            code="document.no_register",
        )
    return fallback


def _register_kind(direction: str, confidential: bool) -> str:
    if direction == Direction.INCOMING:
        return gettext("confidential incoming") if confidential else gettext("incoming")
    return gettext("confidential outgoing") if confidential else gettext("outgoing")


@transaction.atomic
def register_create(
    *,
    actor: Any,
    organization: Organization,
    direction: str,
    code: str,
    name: str,
    confidential: bool = False,
    default: bool = False,
    document_types: list[DocumentType] | None = None,
) -> Register:
    """Open a register for an organisation (the head may keep several series)."""
    policy.require(actor, "document.register_manage", organization)
    if direction not in Direction.values:
        raise ValidationFailed(
            gettext("Unknown register direction."), code="document.bad_direction", field="direction"
        )
    if not code.strip() or not name.strip():
        raise ValidationFailed(
            gettext("A register needs a code and a name."), code="document.required", field="name"
        )
    if Register.objects.filter(organization=organization, direction=direction, code=code).exists():
        raise ValidationFailed(
            gettext("This organisation already has a register with the code %(code)s.")
            % {"code": code},
            code="document.register_exists",
            field="code",
        )
    register = Register.objects.create(
        organization=organization,
        direction=direction,
        code=code.strip(),
        name=name.strip(),
        is_confidential=confidential,
        is_default=default,
    )
    if document_types:
        register.document_types.set(document_types)
    audit_record(
        actor=actor,
        action="document.register_create",
        obj=register,
        after={"code": register.code, "direction": direction, "confidential": confidential},
    )
    return register


def registers_ensure_default(organization: Organization) -> list[Register]:
    """The four usual registers of an organisation (ordinary and confidential, in and out).

    Idempotent; used by the demo seed and when an organisation starts using documents.
    """
    wanted = [
        (Direction.INCOMING, "den", gettext("Incoming documents register"), False),
        (Direction.INCOMING, "den-mat", gettext("Confidential incoming documents register"), True),
        (Direction.OUTGOING, "di", gettext("Outgoing documents register"), False),
        (Direction.OUTGOING, "di-mat", gettext("Confidential outgoing documents register"), True),
    ]
    made = []
    for direction, code, name, confidential in wanted:
        register, _created = Register.objects.get_or_create(
            organization=organization,
            direction=direction,
            code=code,
            defaults={"name": name, "is_confidential": confidential, "is_default": True},
        )
        made.append(register)
    return made

"""Configuration of an organisation's document handling: approval chains and registers."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import transaction
from django.utils.translation import gettext

from egov.core.audit import audit_record
from egov.core.errors import ValidationFailed
from egov.directory import policy
from egov.directory.models import Officer, Organization
from egov.documents.models import ApprovalChain, ApprovalStep, DocumentType, Register

__all__ = ["approval_chain_set", "register_update"]


@transaction.atomic
def approval_chain_set(
    *,
    actor: Any,
    organization: Organization,
    document_type: DocumentType | None,
    steps: Sequence[str],
) -> ApprovalChain:
    """Set the chain a draft of this type (None: every type) goes through before issuing.

    The decree's order is content review, format check, signature; the signer always comes
    last, and a step appears at most once.
    """
    policy.require(actor, "document.chain_manage", organization)
    kinds = [str(s).strip() for s in steps if str(s).strip()]
    unknown = [k for k in kinds if k not in ApprovalStep.Kind.values]
    if unknown or not kinds or kinds[-1] != ApprovalStep.Kind.SIGN or len(set(kinds)) != len(kinds):
        raise ValidationFailed(
            gettext(
                "An approval chain lists review, format and sign at most once each and ends "
                "with sign."
            ),
            code="document.bad_chain",
            field="steps",
            details={"unknown": unknown},
        )
    chain, _created = ApprovalChain.objects.select_for_update().get_or_create(
        organization=organization, document_type=document_type, defaults={"steps": kinds}
    )
    before = list(chain.steps) if not _created else []
    if chain.steps != kinds:
        chain.steps = kinds
        chain.save(update_fields=["steps"])
    audit_record(
        actor=actor,
        action="document.chain_set",
        obj=chain,
        before={"steps": before},
        after={"steps": kinds, "document_type": document_type.code if document_type else None},
    )
    return chain


@transaction.atomic
def register_update(
    *,
    actor: Any,
    register: Register,
    name: str | None = None,
    is_active: bool | None = None,
    is_default: bool | None = None,
    keepers: Sequence[Officer] | None = None,
    document_types: Sequence[DocumentType] | None = None,
) -> Register:
    """Rename, close or reopen a register, name its keepers, limit it to some types.

    Keepers must work for the register's organisation: they are the only clerks who see a
    confidential register's documents.
    """
    policy.require(actor, "document.register_manage", register)
    register = Register.objects.select_for_update().get(pk=register.pk)
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    for field, value in (("name", name), ("is_active", is_active), ("is_default", is_default)):
        if value is None:
            continue
        if field == "name" and not str(value).strip():
            raise ValidationFailed(
                gettext("A register needs a code and a name."),
                code="document.required",
                field="name",
            )
        if getattr(register, field) != value:
            before[field], after[field] = getattr(register, field), value
            setattr(register, field, value)
    if after:
        register.save(update_fields=list(after))
    if keepers is not None:
        outsiders = [
            k.full_name for k in keepers if not k.unit.path.startswith(register.organization.path)
        ]
        if outsiders:
            raise ValidationFailed(
                gettext("Keepers must work for the register's organisation: %(names)s.")
                % {"names": ", ".join(outsiders)},
                code="document.keeper_outside",
                field="keepers",
            )
        current = sorted(register.keepers.values_list("pk", flat=True))
        wanted = sorted(k.pk for k in keepers)
        if current != wanted:
            register.keepers.set(keepers)
            before["keepers"], after["keepers"] = current, wanted
    if document_types is not None:
        current = sorted(register.document_types.values_list("pk", flat=True))
        wanted = sorted(t.pk for t in document_types)
        if current != wanted:
            register.document_types.set(document_types)
            before["document_types"], after["document_types"] = current, wanted
    if after:
        audit_record(
            actor=actor, action="document.register_update", obj=register, before=before, after=after
        )
    return register

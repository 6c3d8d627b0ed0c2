"""Who may read which official document: one rule for every route (lists, search, API, files).

Decree 30/2020 and the law on state secrets keep confidential documents (độ mật) to the
people who must handle them, and the issue asks that every route obey the same rule, so
`documents_visible_to` (a queryset filter for lists and search) and `document_readable` (one
document) are the only places that decide it, and `rules_read.document.read` calls the latter.

- A document that is not classified is read by every officer working for the organisation that
  holds it (the organisation itself and its own units), and by officers whose role has the
  `subtree` scope over that organisation.
- A confidential document (secrecy other than "none") is read ONLY by: the officers it is
  routed to (a route naming them, or a route to their unit when they head that unit; withdrawn
  routes do not count), its drafter (`created_by`), the approvers and deputies of its approval
  steps, its signer, and the keepers of its register. A confidential document that has no
  register yet and waits for the clerk (ARRIVED from inside the platform, or SIGNED and waiting
  to be issued) is also read by the keepers of the organisation's confidential registers of
  that direction. Not the organisation's head unless routed, not the other clerks.
- An active superuser reads everything (the policy's break-glass rule).
"""

from __future__ import annotations

from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet

from egov.directory import selectors as directory
from egov.directory.models import ApiKey, Officer, Role, Scope
from egov.documents.models import (
    ApprovalStep,
    Document,
    Register,
    Route,
    Secrecy,
    State,
)
from egov.documents.search import (
    CONFIDENTIAL_TOKEN,
    organization_token,
    subtree_token,
)

__all__ = [
    "KEY_READ_SCOPE",
    "confidential_reader_q",
    "document_readable",
    "document_readable_by_key",
    "documents_visible_to",
    "documents_visible_to_key",
    "head_unit_ids",
    "search_reach_tokens",
    "search_reach_tokens_for_key",
    "ordinary_reader_q",
]

# States in which a confidential document without a register waits for the register's keepers.
_WAITING_FOR_CLERK = (State.ARRIVED, State.SIGNED)


def _signed_in(actor: Any) -> bool:
    return actor is not None and actor.is_authenticated and actor.is_active


def head_unit_ids(officer: Officer) -> list[int]:
    """The units whose routes the officer receives as their head: the officer's own unit when
    they hold the head role (the head of a unit heads the unit they belong to)."""
    roles = directory.officer_roles(officer)
    return [officer.unit_id] if any(r.role == Role.HEAD for r in roles) else []


def ordinary_reader_q(officer: Officer) -> Q:
    """Documents that are not classified and that the officer's organisation (or a subtree
    role) holds."""
    reach = Q(organization_id=directory.officer_organization(officer).pk)
    for assignment in directory.officer_roles(officer):
        if assignment.scope == Scope.SUBTREE:
            reach |= directory.scope_reach_q(officer, Scope.SUBTREE, field="organization")
    return Q(secrecy=Secrecy.NONE) & reach


def confidential_reader_q(officer: Officer) -> Q:
    """Documents (of any secrecy) the officer reads by name: routed, drafted, approved, signed,
    kept in their register. Each part is an EXISTS on an indexed column."""
    routes = Route.objects.filter(document=OuterRef("pk")).exclude(state=Route.State.WITHDRAWN)
    routed = Q(officer_id=officer.pk)
    units = head_unit_ids(officer)
    if units:
        routed |= Q(officer__isnull=True, unit_id__in=units)
    steps = ApprovalStep.objects.filter(document=OuterRef("pk")).filter(
        Q(approver_id=officer.pk) | Q(acted_by_id=officer.pk)
    )
    kept = Register.keepers.through.objects.filter(
        register_id=OuterRef("register_id"), officer_id=officer.pk
    )
    waiting = Register.objects.filter(
        organization_id=OuterRef("organization_id"),
        direction=OuterRef("direction"),
        is_confidential=True,
        keepers=officer,
    )
    return (
        Q(created_by_id=officer.account_id)
        | Q(signer_id=officer.pk)
        | Exists(routes.filter(routed))
        | Exists(steps)
        | Exists(kept)
        | (Q(register__isnull=True, state__in=_WAITING_FOR_CLERK) & Exists(waiting))
    )


def documents_visible_to(actor: Any) -> QuerySet[Document]:
    """Every document the actor may read (unordered filter; callers order and select)."""
    base = Document.objects.all()
    if not _signed_in(actor):
        return base.none()
    if actor.is_superuser:
        return base
    officer = directory.officer_for(actor)
    if officer is None:
        return base.none()
    return base.filter(ordinary_reader_q(officer) | confidential_reader_q(officer))


def _reaches(officer: Officer, document: Document) -> bool:
    if directory.officer_organization(officer).pk == document.organization_id:
        return True
    subtree = [a for a in directory.officer_roles(officer) if a.scope == Scope.SUBTREE]
    return bool(subtree) and directory.organization_is_within(
        document.organization, directory.officer_organization(officer)
    )


def document_readable(actor: Any, document: Document) -> bool:
    """True when the actor may read this document (page, text, files)."""
    if not _signed_in(actor):
        return False
    if actor.is_superuser:
        return True
    officer = directory.officer_for(actor)
    if officer is None:
        return False
    if document.secrecy == Secrecy.NONE and _reaches(officer, document):
        return True
    if document.created_by_id == officer.account_id or document.signer_id == officer.pk:
        return True
    return Document.objects.filter(pk=document.pk).filter(confidential_reader_q(officer)).exists()


# --- integrating systems -----------------------------------------------------------------------

# The scope an API key needs to read documents. Keys never read confidential documents: a key
# answers for no person, and the decree keeps those to named people.
KEY_READ_SCOPE = "documents.read"


def documents_visible_to_key(api_key: ApiKey) -> QuerySet[Document]:
    """Documents an integrating system's key may read: not classified, held inside the key's
    organisation subtree, and only when the key has the scope "documents.read"."""
    if KEY_READ_SCOPE not in (api_key.scopes or []):
        return Document.objects.none()
    return Document.objects.filter(
        secrecy=Secrecy.NONE, organization__path__startswith=api_key.organization.path
    )


def document_readable_by_key(api_key: ApiKey, document: Document) -> bool:
    return (
        KEY_READ_SCOPE in (api_key.scopes or [])
        and document.secrecy == Secrecy.NONE
        and directory.organization_is_within(document.organization, api_key.organization)
    )


# --- search --------------------------------------------------------------------------------------


def search_reach_tokens(actor: Any) -> list[str] | None:
    """The index words of the documents the actor may find (`egov.documents.search`): None for
    no limit (a superuser), [] for nobody. Each candidate is still checked by the rule above."""
    if not _signed_in(actor):
        return []
    if actor.is_superuser:
        return None
    officer = directory.officer_for(actor)
    if officer is None:
        return []
    home = directory.officer_organization(officer)
    tokens = [organization_token(home.pk), CONFIDENTIAL_TOKEN]
    if any(a.scope == Scope.SUBTREE for a in directory.officer_roles(officer)):
        tokens.append(subtree_token(home.pk))
    return tokens


def search_reach_tokens_for_key(api_key: ApiKey) -> list[str]:
    if KEY_READ_SCOPE not in (api_key.scopes or []):
        return []
    return [subtree_token(api_key.organization_id)]

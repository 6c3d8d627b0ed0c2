"""What every document service shares: the row lock, the state check, the event and audit."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from egov.core.audit import audit_record
from egov.core.errors import Conflict, NotFound, PermissionDenied
from egov.directory import policy
from egov.directory.models import Officer
from egov.documents.models import TRANSITIONS, Delivery, Direction, Document, DocumentEvent, State
from egov.documents.signals import incoming_progress

__all__ = [
    "DocumentConflict",
    "TransitionNotAllowed",
    "audit",
    "check_transition",
    "delivery_follow",
    "event",
    "locked",
    "now",
    "require_officer",
    "save",
]


class DocumentConflict(Conflict):
    """Someone else changed the document since the caller read it (optimistic locking)."""

    code = "document.conflict"
    default_message = _(
        "Someone else changed this document in the meantime. Reload it and try again."
    )


class TransitionNotAllowed(Conflict):
    code = "document.transition_not_allowed"
    default_message = _("This action is not allowed in the document's current state.")


def now() -> datetime:
    return timezone.now()


def require_officer(actor: Any) -> Officer:
    """The acting officer; documents are handled by officers only."""
    officer = policy.officer_of(actor)
    if officer is None:
        raise PermissionDenied(
            gettext("Only officers can handle official documents."),
            code="document.officer_required",
        )
    return officer


def locked(document: Document, expected_version: int | None) -> Document:
    """The document's row, locked until the transaction ends, at the version the caller saw."""
    expected = document.version if expected_version is None else expected_version
    fresh = (
        Document.objects.select_for_update(of=("self",))
        .select_related("organization", "register", "document_type", "drafting_unit")
        .filter(pk=document.pk)
        .first()
    )
    if fresh is None:
        raise NotFound(gettext("The document does not exist."), code="document.not_found")
    if fresh.version != expected:
        raise DocumentConflict(details={"expected": expected, "current": fresh.version})
    return fresh


def check_transition(document: Document, target: str) -> None:
    if target not in TRANSITIONS[document.state]:
        raise TransitionNotAllowed(
            gettext("The document is %(state)s: this action is not allowed now.")
            % {"state": State(document.state).label},
            details={"state": document.state, "target": target},
        )


def save(document: Document, fields: Sequence[str]) -> None:
    """Save changed fields and bump the version other screens compare against."""
    document.version += 1
    document.save(update_fields=[*fields, "version", "updated_at"])


def event(
    document: Document, *, action: str, actor: Any, at: datetime, note: str = ""
) -> DocumentEvent:
    name = ""
    if actor is not None and getattr(actor, "pk", None):
        officer = policy.officer_of(actor)
        name = officer.full_name if officer else actor.get_full_name()
    return DocumentEvent.objects.create(
        document=document,
        action=action,
        actor=actor if getattr(actor, "pk", None) else None,
        actor_name=name[:150],
        note=note[:2000],
        at=at,
    )


def audit(actor: Any, action: str, document: Document, before: str, **after: Any) -> None:
    """The audit entry of a document change; call it last in the transaction (chain lock)."""
    audit_record(
        actor=actor,
        action=action,
        obj=document,
        before={"state": before},
        after={"state": document.state, "version": document.version, **after},
    )


# What the sender sees of a document delivered inside the platform, by the recipient's state.
_DELIVERY_STATE = {
    State.ARRIVED: Delivery.State.ARRIVED,
    State.REGISTERED: Delivery.State.REGISTERED,
    State.PRESENTED: Delivery.State.REGISTERED,
    State.FOR_INFORMATION: Delivery.State.ASSIGNED,
    State.IN_PROCESS: Delivery.State.IN_PROCESS,
    State.COMPLETED: Delivery.State.COMPLETED,
    State.RETURNED_TO_SENDER: Delivery.State.REFUSED,
}


def delivery_follow(incoming: Document, *, at: datetime, assigned: bool = False) -> None:
    """Mirror an internally delivered document's state onto the sender's delivery row.

    Call it from every service that changes an incoming document's state (`assigned=True` when
    the change was the head's direction, which the sender sees as "assigned").
    """
    incoming_progress.send(sender=Document, document=incoming, assigned=assigned, at=at)
    if incoming.direction != Direction.INCOMING or incoming.source_id is None:
        return
    target = _DELIVERY_STATE.get(State(incoming.state))
    if assigned and incoming.state == State.IN_PROCESS:
        target = Delivery.State.ASSIGNED
    if target is None:
        return
    Delivery.objects.filter(incoming=incoming).exclude(state=target).update(
        state=target, state_changed_at=at
    )

"""Notes between officers on a dossier (issue #4 §3): internal working remarks.

Notes are staff-only: the dossier page shows them to officers who may see the dossier, never
to the applicant, the public status page or the API for applicants. A note is written once and
never edited, so what colleagues read stays on record.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from egov.core.audit import audit_record
from egov.core.errors import ValidationFailed
from egov.directory import policy
from egov.directory.models import Account
from egov.dossiers import deadlines
from egov.dossiers.models import Dossier, DossierNote

NOTE_MAX = DossierNote._meta.get_field("text").max_length or 2000


class NoteInvalid(ValidationFailed):
    code = "dossier.note_invalid"
    default_message = _("The note cannot be saved.")


def _author_name(actor: Account) -> str:
    officer = policy.officer_of(actor)
    name = officer.full_name if officer else actor.get_full_name() or actor.get_username()
    return name[:255]


def dossier_note_add(*, actor: Account, dossier: Dossier, text: str) -> DossierNote:
    """Add a note for colleagues on a dossier (staff who may see it only); audited."""
    policy.require(actor, "dossiers.note.add", dossier)
    text = text.strip()
    if not text:
        raise NoteInvalid(gettext("Write the note first."), code="dossier.note_empty", field="text")
    if len(text) > NOTE_MAX:
        raise NoteInvalid(
            gettext("A note has at most %(max)s characters.") % {"max": NOTE_MAX},
            code="dossier.note_too_long",
            field="text",
        )
    with transaction.atomic():
        note = DossierNote.objects.create(
            dossier=dossier,
            author=actor,
            author_name=_author_name(actor),
            text=text,
            created_at=deadlines.now(),
        )
        # The audit chain is the last write (egov.core.audit: lock order).
        audit_record(
            actor=actor,
            action="dossier.note_add",
            obj=dossier,
            after={"note": note.pk, "length": len(text)},
        )
    return note


def dossier_notes(dossier: Dossier) -> QuerySet[DossierNote]:
    """The notes of a dossier, oldest first (callers have checked that the reader is staff)."""
    return dossier.notes.order_by("created_at", "pk")

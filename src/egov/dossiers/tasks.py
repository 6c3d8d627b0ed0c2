"""Background jobs of the dossiers (django-tasks; run by `egov worker`).

Tasks receive ids, never objects, and are idempotent: rendering a slip that is already stored
returns the stored one.
"""

from __future__ import annotations

import logging
from datetime import date

from django_tasks import task

from egov.dossiers.models import Dossier, DossierEvent
from egov.dossiers.reminders import overdue_reminders_send
from egov.dossiers.slip_services import slip_render

logger = logging.getLogger("egov.dossiers.slips")


@task()
def render_slip(dossier_id: int, form: str, source_id: int | None = None) -> str:
    """Draw and store slip `form` of a dossier for the event `source_id` (enqueued after the
    commit of the transition by `slip_services.slip_render_on_commit`)."""
    dossier = Dossier.objects.filter(pk=dossier_id).first()
    if dossier is None:
        logger.warning("slip %s: dossier %s does not exist", form, dossier_id)
        return "missing"
    source = None
    if source_id is not None:
        source = DossierEvent.objects.filter(pk=source_id, dossier_id=dossier_id).first()
        if source is None:
            logger.warning("slip %s: event %s of dossier %s is gone", form, source_id, dossier_id)
            return "missing"
    slip = slip_render(dossier=dossier, form=form, source=source)
    return str(slip.pk)


@task()
def remind_overdue(day: str | None = None) -> str:
    """The daily reminder of due and overdue dossiers, for schedulers that enqueue tasks rather
    than run `egov dossiers remind-overdue`; `day` is YYYY-MM-DD (default: today). Idempotent
    per day."""
    run = overdue_reminders_send(today=date.fromisoformat(day) if day else None)
    return str(run)

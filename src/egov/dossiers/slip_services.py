"""The official slips: rendered once, stored, served from storage (ARCHITECTURE.md §5 "PDF").

- `slip_render` draws a slip (forms 01–05) for the event of the hand-over log it belongs to,
  stores it through `egov.core.files.file_store` and records a `DossierSlip`; a later call for
  the same (dossier, form, event) returns the stored slip without drawing again, also when two
  workers race (the unique constraint decides; the loser's file is removed from storage).
- `slip_render_on_commit` is what the transition services call: it picks the event now, inside
  their transaction, and enqueues the rendering task after the commit.
- `dossier_log_export` draws the dossier log (form 06) of a period as PDF or xlsx, for staff
  whose role reaches the organisation.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta
from typing import Literal

from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils.module_loading import import_string
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from egov.core.calendar import get_calendar
from egov.core.errors import ValidationFailed
from egov.core.files import file_store
from egov.directory import policy
from egov.directory.models import Account, Organization
from egov.dossiers import deadlines
from egov.dossiers.models import Dossier, DossierEvent, DossierSlip, SlipForm
from egov.dossiers.selectors import dossiers_visible_to
from egov.dossiers.slips import RENDERERS, SOURCE_ACTIONS, render_slip
from egov.dossiers.slips import register as log_register
from egov.dossiers.slips.base import SlipInput
from egov.dossiers.slips.formsets import form_set_for

logger = logging.getLogger("egov.dossiers.slips")

LOG_EXPORT = "dossiers.log.export"  # rule in egov.dossiers.rules
LOG_MAX_DAYS = 366
# Loaded by path: the transition services (below the tasks in the app's layers) enqueue it
# without importing the tasks module.
RENDER_TASK = "egov.dossiers.tasks.render_slip"


class SlipFormUnknown(ValidationFailed):
    code = "slip.unknown_form"
    default_message = _("There is no such slip.")


class SlipSourceMissing(ValidationFailed):
    code = "slip.no_source"
    default_message = _("Nothing happened to this dossier that this slip records.")


class SlipSourceMismatch(ValidationFailed):
    code = "slip.bad_source"
    default_message = _("This slip cannot be issued for that event of the dossier.")


def _check_form(form: str) -> str:
    if form not in RENDERERS:
        raise SlipFormUnknown(
            gettext("There is no slip %(form)s.") % {"form": form},
            field="form",
            details={"form": form, "known": sorted(RENDERERS)},
        )
    return form


def slip_source(dossier: Dossier | int, form: str) -> DossierEvent | None:
    """The latest event of the log that a slip of `form` is issued for (None: none yet)."""
    actions = SOURCE_ACTIONS[_check_form(form)]
    events = DossierEvent.objects.filter(dossier=dossier)
    if actions is not None:
        events = events.filter(action__in=actions)
    return events.order_by("-at", "-pk").first()


def _resolve(dossier: Dossier, form: str, source: DossierEvent | None) -> DossierEvent:
    if source is None:
        found = slip_source(dossier, form)
        if found is None:
            raise SlipSourceMissing(
                gettext("Dossier %(code)s has no event that slip %(form)s records.")
                % {"code": dossier.code, "form": form},
                details={"form": form},
            )
        return found
    actions = SOURCE_ACTIONS[form]
    if source.dossier_id != dossier.pk or (actions is not None and source.action not in actions):
        raise SlipSourceMismatch(details={"form": form, "action": source.action})
    return source


def _loaded(dossier: Dossier) -> Dossier:
    """The dossier with what every slip prints, in a handful of queries."""
    return (
        Dossier.objects.select_related(
            "procedure_version",
            "receiving_organization__parent",
            "competent_organization__parent",
            "received_by",
        )
        .prefetch_related("procedure_version__channels", "procedure_version__documents", "fees")
        .get(pk=dossier.pk)
    )


def _existing(dossier: Dossier, form: str, source: DossierEvent) -> DossierSlip | None:
    return (
        DossierSlip.objects.select_related("stored_file")
        .filter(dossier=dossier, form=form, source=source)
        .first()
    )


def slip_render(*, dossier: Dossier, form: str, source: DossierEvent | None = None) -> DossierSlip:
    """The stored slip `form` ("01".."05") of the dossier for `source` (by default the latest
    event the form records: the intake or resubmission, the supplement request, the refusal,
    the apology; for the control slip the latest event of all), drawn and stored the first
    time only. The form set is the one in force on the day of the event."""
    form = _check_form(form)
    event = _resolve(dossier, form, source)
    existing = _existing(dossier, form, event)
    if existing is not None:
        return existing
    fresh = _loaded(dossier)
    form_set = form_set_for(deadlines.local_date(event.at))
    pdf = render_slip(SlipInput(dossier=fresh, source=event, form_set=form_set), form)
    saved: list[str] = []
    try:
        with transaction.atomic():
            stored = file_store(
                upload=pdf, name=f"{fresh.code}-mau-{form}.pdf", allowed=frozenset({"pdf"})
            )
            saved.append(str(stored.file.name))
            return DossierSlip.objects.create(
                dossier=fresh,
                form=form,
                form_set=form_set.key,
                source=event,
                stored_file=stored,
                sha256=stored.sha256,
            )
    except IntegrityError:
        _discard(saved)
        winner = _existing(dossier, form, event)
        if winner is not None:
            return winner
        raise
    except BaseException:
        _discard(saved)
        raise


def _discard(names: list[str]) -> None:
    for name in names:
        default_storage.delete(name)


def slip_render_on_commit(dossier_id: int, form: str, source_id: int | None = None) -> None:
    """Enqueue the rendering of slip `form` once the caller's transaction commits.

    Called by a transition service right after it wrote its event: without `source_id` the
    event is picked now, inside the caller's transaction (the dossier row is locked), so a
    later event cannot be mistaken for it. A failure to enqueue is logged, never raised: the
    transition has committed and the slip is drawn on first request anyway.
    """
    form = _check_form(form)
    if source_id is None:
        event = slip_source(dossier_id, form)
        if event is None:
            logger.warning("dossier %s: no event for slip %s", dossier_id, form)
            return
        source_id = event.pk

    def enqueue() -> None:
        import_string(RENDER_TASK).enqueue(dossier_id, form, source_id)

    transaction.on_commit(enqueue, robust=True)


# --- the dossier log (form 06) --------------------------------------------------------------------


def _bounds(start: date, end: date) -> tuple[datetime, datetime]:
    tz = get_calendar().tz
    return (
        datetime.combine(start, datetime.min.time(), tzinfo=tz),
        datetime.combine(end + timedelta(days=1), datetime.min.time(), tzinfo=tz),
    )


def dossier_log_dossiers(
    *, actor: Account, organization: Organization, start: date, end: date
) -> list[Dossier]:
    """Dossiers received (Vietnam dates, both ends included) by `organization` or decided by
    it, that the actor may see, in the order they were received."""
    low, high = _bounds(start, end)
    return list(
        dossiers_visible_to(actor)
        .filter(Q(receiving_organization=organization) | Q(competent_organization=organization))
        .filter(received_at__gte=low, received_at__lt=high)
        .select_related("procedure_version", "competent_organization")
        .order_by("received_at", "pk")
    )


def dossier_log_export(
    *,
    actor: Account,
    organization: Organization,
    start: date,
    end: date,
    fmt: Literal["pdf", "xlsx"] = "pdf",
) -> bytes:
    """The dossier log (form 06) of the period as PDF or xlsx bytes.

    Staff whose counter, officer or head role reaches the organisation may export it (action
    "dossiers.log.export"); a refused actor gets PermissionDenied and nothing is read.
    """
    policy.require(actor, LOG_EXPORT, organization)
    if fmt not in ("pdf", "xlsx"):
        raise ValidationFailed(
            gettext("The dossier log is exported as PDF or xlsx."),
            code="dossier.log_bad_format",
            field="fmt",
        )
    if end < start:
        raise ValidationFailed(
            gettext("The end of the period is before its start."),
            code="dossier.log_bad_period",
            field="end",
        )
    if (end - start).days >= LOG_MAX_DAYS:
        raise ValidationFailed(
            gettext("The period may cover at most %(days)s days.") % {"days": LOG_MAX_DAYS},
            code="dossier.log_period_too_long",
            field="end",
        )
    register = log_register.Register(
        organization=organization,
        start=start,
        end=end,
        form_set=form_set_for(end),
        dossiers=dossier_log_dossiers(actor=actor, organization=organization, start=start, end=end),
    )
    if fmt == "xlsx":
        return log_register.render_xlsx(register)
    return log_register.render_pdf(register)


__all__ = [
    "LOG_EXPORT",
    "SlipForm",
    "SlipFormUnknown",
    "SlipSourceMismatch",
    "SlipSourceMissing",
    "dossier_log_dossiers",
    "dossier_log_export",
    "slip_render",
    "slip_render_on_commit",
    "slip_source",
]

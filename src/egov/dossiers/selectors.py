"""Reads of dossiers that screens, the API and other apps reuse (with the permission filter)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import Q, QuerySet

from egov.directory import selectors as directory
from egov.directory.models import Applicant
from egov.dossiers import deadlines
from egov.dossiers.models import ClockStop, Dossier, DossierStep


def _base() -> QuerySet[Dossier]:
    return Dossier.objects.select_related(
        "procedure_version__procedure", "receiving_organization", "competent_organization"
    )


def dossiers_visible_to(actor: Any) -> QuerySet[Dossier]:
    """Dossiers an actor may see: for each of an officer's roles, those whose receiving
    organisation, competent organisation or a step's unit the role reaches (boundary-free
    intake: the receiving centre and the competent organisation both see it); an applicant
    sees their own; superusers see all; anyone else nothing."""
    base = _base()
    if actor is None or not actor.is_authenticated or not actor.is_active:
        return base.none()
    if actor.is_superuser:
        return base
    officer = directory.officer_for(actor)
    if officer is None:
        applicant = Applicant.objects.filter(account_id=actor.pk).values("pk")
        return base.filter(applicant__in=applicant)
    condition = Q(pk__in=[])
    for assignment in directory.officer_roles(officer):
        for field in ("receiving_organization", "competent_organization"):
            condition |= directory.scope_reach_q(officer, assignment.scope, field=field)
        steps = DossierStep.objects.filter(
            directory.scope_reach_q(officer, assignment.scope, field="responsible_unit")
        ).values("dossier_id")
        condition |= Q(pk__in=steps)
    return base.filter(condition)


def dossier_by_code(code: str) -> Dossier | None:
    return _base().filter(code=code).first()


def dossier_steps(dossier: Dossier) -> list[DossierStep]:
    return list(dossier.steps.select_related("responsible_unit", "assignee").order_by("order"))


def open_clock_stop(dossier: Dossier) -> ClockStop | None:
    return dossier.clock_stops.filter(resumed_at__isnull=True).first()


def dossier_timeliness(dossier: Dossier, *, at: datetime | None = None) -> str:
    """Early / on time / late for a decided dossier; on time / overdue for an open one.

    Measured against the legal due moment (re-planned on resubmission, not moved by an
    apology). While the clock stands still the dossier is looked at as of the stop.
    """
    at = at or deadlines.now()
    if dossier.decided_at is not None:
        return deadlines.settled_timeliness(dossier.due_at, dossier.decided_at)
    if dossier.closed_at is not None:
        at = dossier.closed_at
    stop = open_clock_stop(dossier)
    if stop is not None:
        at = stop.stopped_at
    return deadlines.open_timeliness(dossier.due_at, at)


def step_timeliness(step: DossierStep, *, at: datetime | None = None) -> str:
    """Early / on time / late for a finished step; on time / overdue for an unfinished one."""
    at = at or deadlines.now()
    stop = open_clock_stop(step.dossier)
    if stop is not None and step.finished_at is None:
        at = stop.stopped_at
    return deadlines.timeliness(step.due_at, step.finished_at, at=at)

"""Reads of dossiers that screens, the API and other apps reuse (with the permission filter)."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db.models import Q, QuerySet

from egov.core.search import DEFAULT_RANK_CAP, search_query
from egov.directory import selectors as directory
from egov.directory.identifiers import normalize_mobile, normalize_tax_code
from egov.directory.models import Applicant
from egov.dossiers import deadlines
from egov.dossiers.models import ClockStop, Dossier, DossierStep
from egov.dossiers.search import SEARCH_KIND

_NOT_DIGITS = re.compile(r"\D")
_NUMBER = re.compile(r"\+?[\d\s.\-]+")  # a number as people write it: 0912 345 678, +84…


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


def _identifier_q(text: str) -> Q | None:
    """Exact matches on the applicant's numbers as typed in any usual writing (spaces, dots)."""
    condition: Q | None = None
    digits = _NOT_DIGITS.sub("", text)
    if len(digits) >= 9 and _NUMBER.fullmatch(text):
        condition = Q(applicant_national_id=digits) | Q(applicant_tax_code=digits)
        mobile = normalize_mobile(text)
        if mobile:
            condition |= Q(applicant_phone=mobile)
    tax = normalize_tax_code(text)
    if tax:
        tax_q = Q(applicant_tax_code=tax)
        condition = tax_q if condition is None else condition | tax_q
    return condition


def dossier_search(actor: Any, query: str, *, limit: int = 50) -> list[Dossier]:
    """Dossiers the actor sees that match `query`, best first, at most `limit`.

    A dossier code or look-up code typed in full finds exactly that dossier. Otherwise the
    search index (accents and case optional: "nguyen thi lan" finds "Nguyễn Thị Lan") and the
    applicant's numbers typed in any usual writing; the index's hits are filtered through
    `dossiers_visible_to`, so another organisation's dossiers are never listed. The index ranks
    at most EGOV_SEARCH_RANK_CAP hits before that filter: a very common name may need more words.
    """
    text = " ".join(query.split())[:100]
    if not text or limit <= 0:
        return []
    visible = dossiers_visible_to(actor)
    exact = list(visible.filter(Q(code__iexact=text) | Q(lookup_code=text.upper()))[:limit])
    if exact:
        return exact
    cap = max(int(getattr(settings, "EGOV_SEARCH_RANK_CAP", DEFAULT_RANK_CAP)), limit)
    ranked = search_query(kind=SEARCH_KIND, query=text, limit=cap)
    order = {int(object_id): index for index, (object_id, _score) in enumerate(ranked)}
    condition = Q(pk__in=list(order))
    numbers = _identifier_q(text)
    if numbers is not None:
        condition |= numbers
    if not order and numbers is None:
        return []
    found = list(visible.filter(condition).values_list("pk", flat=True))
    # Exact number matches the index did not rank come first, then the index's order.
    chosen = sorted(found, key=lambda pk: (order.get(pk, -1), pk))[:limit]
    rows = {d.pk: d for d in visible.filter(pk__in=chosen)}
    return [rows[pk] for pk in chosen]

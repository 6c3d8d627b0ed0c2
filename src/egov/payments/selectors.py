"""Reads of the payments that others reuse: what is due, the payments of a dossier or a day."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django.db.models import QuerySet

from egov.core.calendar import get_calendar
from egov.dossiers.models import DECIDED_STATES, Dossier, DossierFee, State
from egov.payments.models import Payment
from egov.procedures.models import FeeStage

CLOSED_STATES = frozenset({State.REFUSED, State.WITHDRAWN, State.CANCELLED})


def unpaid_fee_lines(dossier: Dossier) -> list[DossierFee]:
    return list(dossier.fees.filter(paid=False, amount__gt=0).order_by("order"))


def payment_due_reason(dossier: Dossier) -> str:
    """Empty when the dossier's fees can be paid online now; otherwise a short machine reason:
    "closed" (refused, withdrawn, cancelled), "nothing_due", "not_yet" (the procedure wants the
    fees when the result is ready and it is not)."""
    if dossier.state in CLOSED_STATES:
        return "closed"
    if not unpaid_fee_lines(dossier):
        return "nothing_due"
    stage = getattr(dossier.procedure_version, "fee_stage", FeeStage.BEFORE)
    if stage == FeeStage.AFTER and dossier.state not in DECIDED_STATES:
        return "not_yet"
    return ""


def payment_is_due(dossier: Dossier) -> bool:
    """True when the status page and the dossier page should offer "Thanh toán trực tuyến"."""
    return payment_due_reason(dossier) == ""


def payments_of_dossier(dossier: Dossier) -> QuerySet[Payment]:
    return Payment.objects.filter(dossier=dossier).order_by("-created_at", "-pk")


def payment_by_ref(txn_ref: str) -> Payment | None:
    return (
        Payment.objects.select_related("dossier", "dossier__procedure_version")
        .filter(txn_ref=txn_ref)
        .first()
    )


def day_bounds(day: date) -> tuple[datetime, datetime]:
    """The Vietnam day as aware datetimes [start, end)."""
    tz = get_calendar().tz
    start = datetime.combine(day, datetime.min.time(), tzinfo=tz)
    return start, start + timedelta(days=1)

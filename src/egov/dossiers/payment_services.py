"""The dossier side of an online fee payment: mark the fee lines paid online.

Called by `egov.payments.services` (the app above) once a gateway confirmed a payment, inside
its transaction, with the dossier row already locked there; it reuses the helpers of
`egov.dossiers.services` so the lock, the version bump, the hand-over log and the audit entry
follow the same rules as `dossier_record_cash_payment`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django.db import transaction

from egov.dossiers.models import Dossier, DossierFee, State
from egov.dossiers.services import _audit, _event, _locked, _save

CLOSED_STATES = frozenset({State.REFUSED, State.WITHDRAWN, State.CANCELLED})


def dossier_unpaid_fees(dossier: Dossier) -> list[DossierFee]:
    """The fee lines still to pay (amount > 0), in their order."""
    return list(dossier.fees.filter(paid=False, amount__gt=0).order_by("order"))


@transaction.atomic
def dossier_record_online_payment(
    *,
    actor: Any,
    dossier: Dossier,
    amount: int,
    fee_orders: Sequence[int],
    reference: str,
    at: datetime,
) -> list[DossierFee]:
    """Mark the fee lines `fee_orders` paid online by the payment `reference` (its order
    reference at the gateway), when they are still unpaid and add up to `amount`.

    Returns the lines marked; an empty list when nothing matched (the lines were paid in the
    meantime, or changed): the caller then keeps the payment uncredited for a refund or a
    manual check, and nothing is written here. `actor` is None for a gateway notification.
    """
    dossier = _locked(dossier, None)
    if dossier.state in CLOSED_STATES:
        return []
    lines = list(
        dossier.fees.select_for_update()
        .filter(paid=False, order__in=list(fee_orders))
        .order_by("order")
    )
    if (
        not lines
        or len(lines) != len(set(fee_orders))
        or sum(line.amount for line in lines) != amount
    ):
        return []
    for line in lines:
        line.paid = True
        line.paid_at = at
        line.method = DossierFee.Method.ONLINE
        line.receipt_number = reference[:100]
    DossierFee.objects.bulk_update(lines, ["paid", "paid_at", "method", "receipt_number"])
    dossier.paid_online = True
    _save(dossier, ["paid_online"])
    _event(dossier, action="record_online_payment", at=at, before=dossier.state, note=reference)
    _audit(
        actor,
        "dossiers.dossier.record_online_payment",
        dossier,
        dossier.state,
        reference=reference,
        paid=[[line.name, line.amount] for line in lines],
    )
    return lines

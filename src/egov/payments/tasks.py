"""Background jobs of the payments (django-tasks; run by `egov worker`).

Tasks receive ids, never objects, and are idempotent.
"""

from __future__ import annotations

import logging

from django_tasks import task

from egov.payments import sandbox
from egov.payments.models import Payment, PaymentState
from egov.payments.services import payment_receipt

logger = logging.getLogger("egov.payments")


@task()
def render_receipt(payment_id: int) -> str:
    """Draw and store the receipt of a paid payment (enqueued after the commit of the credit)."""
    payment = Payment.objects.filter(pk=payment_id).first()
    if payment is None or payment.state != PaymentState.PAID:
        logger.warning("receipt: payment %s is missing or not paid", payment_id)
        return "skipped"
    return str(payment_receipt(payment=payment).receipt_file_id)


@task()
def sandbox_send_ipn(ledger_id: int) -> str:
    """The sandbox gateway's server-to-server notification of one settled order."""
    return sandbox.sandbox_send_ipn(ledger_id)

"""Every write of the fee payments: start an order, take a gateway callback, store a receipt.

Rules (docs/payments.md):
- The amount is the sum of the dossier's unpaid fee lines, computed here; the browser never
  sends an amount. At most one order per dossier is open; an open order is reused while it is
  valid and for the same lines, otherwise it is expired or superseded and a new one is made.
- Callbacks (IPN and browser return) carry the gateway's HMAC signature; both go through
  `_take_callback`, which checks signature, order, amount and state under row locks (the
  dossier first, then the payment: the same order as `payment_start`, so two writers cannot
  deadlock) and records every callback in PaymentCallback, applied or not.
- The IPN is the authoritative channel (VNPay's guide): the gateway retries it until it gets
  "00" or "02". The return is signed with the same secret and is applied through the same
  path, so a citizen whose browser comes back before the IPN sees the result at once; the
  later IPN then answers "02". Duplicates and replays change nothing; a failure after a
  success is ignored; a success after a failure or an expiry still credits (the bank took the
  money), or, when the fees were settled otherwise meanwhile, stays uncredited and is flagged
  by the reconciliation report for a refund.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from egov.core.audit import audit_record
from egov.core.errors import Conflict, NotFound, ValidationFailed
from egov.core.sequences import sequence_next
from egov.directory import policy
from egov.directory.models import Account
from egov.dossiers.models import Dossier
from egov.dossiers.payment_services import dossier_record_online_payment
from egov.payments import conf
from egov.payments.gateways import CallbackResult, PayRequest, get_gateway
from egov.payments.models import (
    OPEN_PAYMENT_STATES,
    CallbackKind,
    Payment,
    PaymentCallback,
    PaymentState,
)
from egov.payments.receipts import receipt_store
from egov.payments.selectors import payment_due_reason, unpaid_fee_lines

logger = logging.getLogger("egov.payments")

START = "payments.start"  # policy rule in egov.payments.rules
RECEIPT_TASK = "egov.payments.tasks.render_receipt"
TXN_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"

FINAL_UNPAID = frozenset({PaymentState.FAILED, PaymentState.CANCELLED, PaymentState.EXPIRED})


class PaymentNotDue(ValidationFailed):
    code = "payment.not_due"
    default_message = _("There is no fee to pay online on this dossier now.")


class PaymentConflict(Conflict):
    code = "payment.conflict"
    default_message = _("A payment of this dossier was changed meanwhile. Please try again.")


@dataclass(frozen=True)
class PaymentStart:
    payment: Payment
    redirect_url: str
    reused: bool


@dataclass(frozen=True)
class CallbackOutcome:
    """What a callback did. `rsp_code` is the IPN answer (00, 01, 02, 04, 97, 99)."""

    rsp_code: str
    outcome: str  # applied | duplicate | ignored | refused
    payment: Payment | None
    result: CallbackResult

    @property
    def answer(self) -> dict[str, str]:
        return get_gateway().ipn_answer(self.rsp_code)


def _now() -> Any:
    return timezone.now()


def _new_txn_ref(now: Any) -> str:
    stamp = timezone.localtime(now).strftime("%y%m%d%H%M%S")
    return "TT" + stamp + "".join(secrets.choice(TXN_ALPHABET) for _ in range(6))


def _save(payment: Payment, fields: list[str]) -> None:
    payment.version += 1
    payment.save(update_fields=[*fields, "version", "updated_at"])


def _audit(actor: Any, action: str, payment: Payment, before: str, **after: Any) -> None:
    audit_record(
        actor=actor,
        action=action,
        obj=payment,
        before={"state": before},
        after={"state": payment.state, "version": payment.version, **after},
    )


def _pay_request(payment: Payment) -> PayRequest:
    return PayRequest(
        txn_ref=payment.txn_ref,
        amount=payment.amount,
        order_info=payment.order_info,
        return_url=payment.return_url,
        client_ip=payment.client_ip,
        created_at=payment.created_at,
        expires_at=payment.expires_at,
        locale=payment.locale,
    )


def _authorise(actor: Account | None, dossier: Dossier, second_factor_proven: bool) -> None:
    if second_factor_proven:
        return
    policy.require(actor, START, dossier)


def payment_start(
    *,
    dossier: Dossier,
    actor: Account | None,
    return_url_base: str,
    client_ip: str,
    second_factor_proven: bool = False,
    locale: str = "vn",
) -> PaymentStart:
    """An order for the dossier's unpaid fee lines and the gateway address to send the browser to.

    Allowed to the applicant's own account, or to whoever proved the dossier code plus the
    applicant's phone or ID number (`second_factor_proven`, checked by the caller: the status
    page's signed link or the same check on the payment page). Refused with "payment.not_due"
    when nothing can be paid online now (closed dossier, fees paid, or a procedure that wants
    the fees with the result before the result is ready)."""
    _authorise(actor, dossier, second_factor_proven)
    try:
        with transaction.atomic():
            return _start(
                dossier=dossier,
                actor=actor,
                return_url_base=return_url_base,
                client_ip=client_ip,
                locale=locale,
            )
    except IntegrityError as exc:  # two starts raced past the lock (SQLite's deferred check)
        raise PaymentConflict() from exc


def _start(
    *, dossier: Dossier, actor: Account | None, return_url_base: str, client_ip: str, locale: str
) -> PaymentStart:
    locked = (
        Dossier.objects.select_for_update()
        .select_related("procedure_version")
        .filter(pk=dossier.pk)
        .first()
    )
    if locked is None:
        raise NotFound(gettext("The dossier does not exist."), code="dossier.not_found")
    reason = payment_due_reason(locked)
    if reason:
        raise PaymentNotDue(details={"reason": reason})
    lines = unpaid_fee_lines(locked)
    amount = sum(line.amount for line in lines)
    fee_lines = [[line.order, line.name, line.amount] for line in lines]
    now = _now()
    gateway = get_gateway()
    for open_payment in Payment.objects.select_for_update().filter(
        dossier=locked, state__in=list(OPEN_PAYMENT_STATES)
    ):
        if open_payment.expires_at > now and open_payment.fee_lines == fee_lines:
            return PaymentStart(
                payment=open_payment,
                redirect_url=gateway.pay_url(_pay_request(open_payment)),
                reused=True,
            )
        before = open_payment.state
        open_payment.state = (
            PaymentState.EXPIRED if open_payment.expires_at <= now else PaymentState.CANCELLED
        )
        _save(open_payment, ["state"])
        _audit(actor, "payments.payment.close", open_payment, before, reason="superseded")
    payment = Payment.objects.create(
        dossier=locked,
        amount=amount,
        currency="VND",
        txn_ref=_new_txn_ref(now),
        state=PaymentState.CREATED,
        gateway=gateway.name,
        fee_lines=fee_lines,
        order_info=f"Thanh toan phi le phi ho so {locked.code}"[:255],
        payer=actor if isinstance(actor, Account) else None,
        client_ip=(client_ip or "")[:45],
        locale="en" if locale == "en" else "vn",
        return_url=return_url_base.rstrip("/") + reverse("payments:return"),
        created_at=now,
        expires_at=now + timedelta(minutes=conf.expire_minutes()),
    )
    _audit(
        actor,
        "payments.payment.start",
        payment,
        "",
        dossier=locked.code,
        amount=amount,
        txn_ref=payment.txn_ref,
        fee_lines=fee_lines,
    )
    return PaymentStart(
        payment=payment, redirect_url=gateway.pay_url(_pay_request(payment)), reused=False
    )


# --- callbacks -------------------------------------------------------------------------------


def payment_notify(*, params: Mapping[str, Any], remote_ip: str = "") -> CallbackOutcome:
    """The gateway's server-to-server notification (IPN); answer it with `outcome.answer`."""
    return _take_callback(CallbackKind.IPN, params, remote_ip)


def payment_return(*, params: Mapping[str, Any], remote_ip: str = "") -> CallbackOutcome:
    """The browser coming back from the gateway: same checks and same path as the IPN."""
    return _take_callback(CallbackKind.RETURN, params, remote_ip)


def _log(
    kind: str,
    result: CallbackResult,
    *,
    payment: Payment | None,
    rsp_code: str,
    outcome: str,
    remote_ip: str,
    message: str = "",
) -> None:
    PaymentCallback.objects.create(
        payment=payment,
        kind=kind,
        txn_ref=result.txn_ref,
        params=dict(result.params),
        signature_valid=result.signature_valid,
        rsp_code=rsp_code,
        outcome=outcome,
        message=message[:255],
        remote_ip=(remote_ip or "")[:45],
        received_at=_now(),
    )


def _refuse(
    kind: str, result: CallbackResult, code: str, remote_ip: str, payment: Payment | None = None
) -> CallbackOutcome:
    _log(kind, result, payment=payment, rsp_code=code, outcome="refused", remote_ip=remote_ip)
    logger.warning("payment callback %s refused %s for %r", kind, code, result.txn_ref)
    return CallbackOutcome(rsp_code=code, outcome="refused", payment=payment, result=result)


def _target(result: CallbackResult) -> str:
    if result.success:
        return PaymentState.PAID
    if result.cancelled:
        return PaymentState.CANCELLED
    if result.pending:
        return PaymentState.PENDING
    return PaymentState.FAILED


def _take_callback(kind: str, params: Mapping[str, Any], remote_ip: str) -> CallbackOutcome:
    result = get_gateway().verify_callback(params)
    if not result.signature_valid:
        return _refuse(kind, result, "97", remote_ip)
    found = Payment.objects.filter(txn_ref=result.txn_ref).values_list("pk", "dossier_id").first()
    if found is None:
        return _refuse(kind, result, "01", remote_ip)
    try:
        with transaction.atomic():
            return _apply(kind, result, found[0], found[1], remote_ip)
    except Exception:
        logger.exception("payment callback %s failed for %r", kind, result.txn_ref)
        _log(kind, result, payment=None, rsp_code="99", outcome="error", remote_ip=remote_ip)
        return CallbackOutcome(rsp_code="99", outcome="error", payment=None, result=result)


def _apply(
    kind: str, result: CallbackResult, payment_id: int, dossier_id: int, remote_ip: str
) -> CallbackOutcome:
    # Lock order: dossier, then payment (as payment_start), then the fee lines.
    dossier = Dossier.objects.select_for_update().get(pk=dossier_id)
    payment = Payment.objects.select_for_update().get(pk=payment_id)
    if result.amount != payment.amount:
        return _refuse(kind, result, "04", remote_ip, payment)
    target = _target(result)
    current = payment.state
    if current == PaymentState.PAID or (current in FINAL_UNPAID and target != PaymentState.PAID):
        same = target == current and (
            not result.transaction_no or result.transaction_no == payment.gateway_txn_no
        )
        outcome = "duplicate" if same else "ignored"
        _log(kind, result, payment=payment, rsp_code="02", outcome=outcome, remote_ip=remote_ip)
        return CallbackOutcome(rsp_code="02", outcome=outcome, payment=payment, result=result)
    if current == PaymentState.PENDING and target == PaymentState.PENDING:
        _log(kind, result, payment=payment, rsp_code="00", outcome="duplicate", remote_ip=remote_ip)
        return CallbackOutcome(rsp_code="00", outcome="duplicate", payment=payment, result=result)

    now = _now()
    payment.state = target
    payment.response_code = result.response_code
    payment.transaction_status = result.transaction_status
    payment.gateway_txn_no = result.transaction_no
    payment.bank_code = result.bank_code
    payment.card_type = result.card_type
    payment.pay_date = result.pay_date
    payment.last_params = dict(result.params)
    fields = [
        "state",
        "response_code",
        "transaction_status",
        "gateway_txn_no",
        "bank_code",
        "card_type",
        "pay_date",
        "last_params",
    ]
    credited: list[Any] = []
    if target == PaymentState.PAID:
        payment.paid_at = now
        year = timezone.localtime(now).year
        number = sequence_next(scope="payments", register="receipt", year=year)
        payment.receipt_number = f"{number:06d}/{year}"
        fields += ["paid_at", "receipt_number"]
        # Writes the fee lines, the dossier's log and its audit entry (dossier row: locked above).
        credited = dossier_record_online_payment(
            actor=None,
            dossier=dossier,
            amount=payment.amount,
            fee_orders=[line[0] for line in payment.fee_lines],
            reference=payment.txn_ref,
            at=now,
        )
        payment.credited = bool(credited)
        fields.append("credited")
    _save(payment, fields)
    _log(kind, result, payment=payment, rsp_code="00", outcome="applied", remote_ip=remote_ip)
    if target == PaymentState.PAID:
        payment_id = payment.pk
        transaction.on_commit(lambda: import_string(RECEIPT_TASK).enqueue(payment_id), robust=True)
    _audit(
        None,
        f"payments.payment.{kind}",
        payment,
        current,
        txn_ref=payment.txn_ref,
        gateway_txn_no=payment.gateway_txn_no,
        response_code=payment.response_code,
        credited=payment.credited,
    )
    return CallbackOutcome(rsp_code="00", outcome="applied", payment=payment, result=result)


# --- receipt ---------------------------------------------------------------------------------


def payment_receipt(*, payment: Payment) -> Payment:
    """The electronic receipt of a paid payment, drawn once and stored; later calls return the
    stored one (also when two workers race: the row lock decides, the loser's file is removed)."""
    if payment.receipt_file_id is not None:
        return payment
    if payment.state != PaymentState.PAID:
        raise ValidationFailed(
            gettext("Only a paid payment has a receipt."), code="payment.not_paid"
        )
    return receipt_store(payment)

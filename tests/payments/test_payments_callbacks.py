"""The IPN and return handlers: signature, order, amount and state checked on every callback;
duplicates, replays and reordering absorbed without double credit."""

from __future__ import annotations

from typing import Any

import pytest
from payments_support import FAILED, callback

from egov.core.models import AuditEntry
from egov.dossiers.models import DossierEvent, DossierFee
from egov.payments.models import Payment, PaymentCallback, PaymentState
from egov.payments.services import payment_notify, payment_return, payment_start

pytestmark = pytest.mark.django_db


def _start(world: Any, dossier: Any = None) -> Payment:
    return payment_start(
        dossier=dossier or world.dossier,
        actor=world.applicant.account,
        return_url_base="http://testserver/",
        client_ip="203.0.113.7",
    ).payment


def _credits(dossier: Any) -> int:
    return DossierEvent.objects.filter(dossier=dossier, action="record_online_payment").count()


def _unpaid(dossier: Any) -> int:
    return DossierFee.objects.filter(dossier=dossier, paid=False).count()


def test_a_success_notification_marks_the_fee_lines_paid_online_with_audit(pay_world: Any) -> None:
    payment = _start(pay_world)
    outcome = payment_notify(params=callback(payment), remote_ip="198.51.100.1")
    assert outcome.answer == {"RspCode": "00", "Message": "Confirm Success"}
    payment.refresh_from_db()
    assert payment.state == PaymentState.PAID
    assert payment.credited is True
    assert payment.gateway_txn_no == "14226112"
    assert payment.bank_code == "NCB"
    assert payment.receipt_number.endswith(f"/{payment.paid_at.astimezone().year}")
    fees = list(pay_world.dossier.fees.order_by("order"))
    assert [(f.paid, f.method, f.receipt_number) for f in fees] == [
        (True, "online", payment.txn_ref)
    ] * len(fees)
    dossier = pay_world.dossier
    dossier.refresh_from_db()
    assert dossier.paid_online is True
    assert _credits(dossier) == 1
    actions = list(
        AuditEntry.objects.filter(
            action__in=[
                "dossiers.dossier.record_online_payment",
                "payments.payment.ipn",
                "payments.payment.start",
            ]
        )
        .order_by("pk")
        .values_list("action", flat=True)
    )
    assert actions == [
        "payments.payment.start",
        "dossiers.dossier.record_online_payment",
        "payments.payment.ipn",
    ]
    log = PaymentCallback.objects.get()
    assert (log.kind, log.rsp_code, log.outcome, log.signature_valid) == (
        "ipn",
        "00",
        "applied",
        True,
    )
    assert log.remote_ip == "198.51.100.1"


def test_a_tampered_signature_is_refused_with_97_and_nothing_is_credited(pay_world: Any) -> None:
    payment = _start(pay_world)
    params = callback(payment)
    params["vnp_Amount"] = str(payment.amount * 100 - 100)  # changed after signing
    outcome = payment_notify(params=params)
    assert outcome.answer == {"RspCode": "97", "Message": "Invalid signature"}
    payment.refresh_from_db()
    assert payment.state == PaymentState.CREATED
    assert _unpaid(pay_world.dossier) == 2
    assert _credits(pay_world.dossier) == 0
    log = PaymentCallback.objects.get()
    assert (log.signature_valid, log.rsp_code, log.outcome, log.payment_id) == (
        False,
        "97",
        "refused",
        None,
    )


def test_a_notification_signed_with_another_secret_is_refused(pay_world: Any) -> None:
    payment = _start(pay_world)
    outcome = payment_notify(params=callback(payment, secret="not-the-secret"))
    assert outcome.rsp_code == "97"
    assert _unpaid(pay_world.dossier) == 2


def test_a_missing_signature_is_refused(pay_world: Any) -> None:
    payment = _start(pay_world)
    params = callback(payment)
    del params["vnp_SecureHash"]
    assert payment_notify(params=params).rsp_code == "97"


def test_a_wrong_amount_is_refused_with_04(pay_world: Any) -> None:
    payment = _start(pay_world)
    outcome = payment_notify(params=callback(payment, vnp_Amount=str((payment.amount - 1) * 100)))
    assert outcome.answer == {"RspCode": "04", "Message": "Invalid amount"}
    payment.refresh_from_db()
    assert payment.state == PaymentState.CREATED
    assert _unpaid(pay_world.dossier) == 2
    assert PaymentCallback.objects.get().outcome == "refused"


def test_an_unknown_order_is_answered_01(pay_world: Any) -> None:
    payment = _start(pay_world)
    params = callback(payment, vnp_TxnRef="TT000000000000NOSUCH")
    assert payment_notify(params=params).answer == {"RspCode": "01", "Message": "Order not found"}
    assert _unpaid(pay_world.dossier) == 2


def test_a_duplicate_notification_is_answered_02_and_credits_once(pay_world: Any) -> None:
    payment = _start(pay_world)
    params = callback(payment)
    assert payment_notify(params=params).rsp_code == "00"
    paid_at = list(pay_world.dossier.fees.values_list("paid_at", flat=True))
    second = payment_notify(params=params)
    assert second.answer == {"RspCode": "02", "Message": "Order already confirmed"}
    assert second.outcome == "duplicate"
    assert _credits(pay_world.dossier) == 1
    assert list(pay_world.dossier.fees.values_list("paid_at", flat=True)) == paid_at
    assert list(PaymentCallback.objects.values_list("rsp_code", "outcome")) == [
        ("00", "applied"),
        ("02", "duplicate"),
    ]


def test_a_replayed_old_notification_for_a_paid_order_changes_nothing(pay_world: Any) -> None:
    payment = _start(pay_world)
    old = callback(payment, vnp_PayDate="20250101080000", vnp_TransactionNo="11111111")
    assert payment_notify(params=callback(payment)).rsp_code == "00"
    payment.refresh_from_db()
    version = payment.version
    outcome = payment_notify(params=old)
    assert (outcome.rsp_code, outcome.outcome) == ("02", "ignored")
    payment.refresh_from_db()
    assert (payment.version, payment.gateway_txn_no) == (version, "14226112")
    assert _credits(pay_world.dossier) == 1


def test_a_failure_after_a_success_does_not_undo_it(pay_world: Any) -> None:
    payment = _start(pay_world)
    assert payment_notify(params=callback(payment)).rsp_code == "00"
    outcome = payment_notify(params=callback(payment, **FAILED))
    assert (outcome.rsp_code, outcome.outcome) == ("02", "ignored")
    payment.refresh_from_db()
    assert payment.state == PaymentState.PAID
    assert _unpaid(pay_world.dossier) == 0


def test_a_failure_notification_marks_the_order_failed_and_credits_nothing(pay_world: Any) -> None:
    payment = _start(pay_world)
    outcome = payment_notify(params=callback(payment, **FAILED))
    assert outcome.answer == {"RspCode": "00", "Message": "Confirm Success"}
    payment.refresh_from_db()
    assert (payment.state, payment.response_code) == (PaymentState.FAILED, "51")
    assert _unpaid(pay_world.dossier) == 2
    # The same failure again is already confirmed.
    assert payment_notify(params=callback(payment, **FAILED)).rsp_code == "02"


def test_a_cancellation_at_the_gateway_marks_the_order_cancelled(pay_world: Any) -> None:
    payment = _start(pay_world)
    payment_notify(params=callback(payment, vnp_ResponseCode="24", vnp_TransactionStatus="02"))
    payment.refresh_from_db()
    assert payment.state == PaymentState.CANCELLED


def test_a_success_after_a_failure_still_credits_the_money_taken(pay_world: Any) -> None:
    payment = _start(pay_world)
    payment_notify(params=callback(payment, **FAILED))
    assert payment_notify(params=callback(payment)).rsp_code == "00"
    payment.refresh_from_db()
    assert (payment.state, payment.credited) == (PaymentState.PAID, True)
    assert _unpaid(pay_world.dossier) == 0


def test_the_ipn_before_the_browser_return_then_the_return_shows_it(pay_world: Any) -> None:
    payment = _start(pay_world)
    params = callback(payment)
    assert payment_notify(params=params).rsp_code == "00"
    back = payment_return(params=params)
    assert (back.rsp_code, back.outcome) == ("02", "duplicate")
    assert back.payment is not None
    assert back.payment.state == PaymentState.PAID
    assert _credits(pay_world.dossier) == 1


def test_the_return_before_the_ipn_applies_once_and_the_ipn_gets_02(pay_world: Any) -> None:
    payment = _start(pay_world)
    params = callback(payment)
    assert payment_return(params=params).outcome == "applied"
    assert payment_notify(params=params).answer["RspCode"] == "02"
    assert _credits(pay_world.dossier) == 1
    assert list(PaymentCallback.objects.values_list("kind", "outcome")) == [
        ("return", "applied"),
        ("ipn", "duplicate"),
    ]


def test_a_late_success_of_a_superseded_order_is_recorded_but_not_credited_twice(
    pay_world: Any,
) -> None:
    first = _start(pay_world)
    Payment.objects.filter(pk=first.pk).update(expires_at=first.created_at)  # let it expire
    second = _start(pay_world)
    assert second.pk != first.pk
    first.refresh_from_db()
    assert first.state == PaymentState.EXPIRED
    assert payment_notify(params=callback(second)).rsp_code == "00"
    late = payment_notify(params=callback(first, vnp_TransactionNo="22222222"))
    assert late.rsp_code == "00"
    first.refresh_from_db()
    assert (first.state, first.credited) == (PaymentState.PAID, False)
    assert _credits(pay_world.dossier) == 1

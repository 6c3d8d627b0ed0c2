"""Helpers of the payment tests: a gateway's signed callback for a payment."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from egov.payments import conf
from egov.payments.gateways import hash_data, sign, vn_time
from egov.payments.models import Payment


def callback(payment: Payment, *, secret: str | None = None, **overrides: Any) -> dict[str, str]:
    """The parameters a VNPay-style gateway sends for `payment` (success unless overridden),
    signed with the configured secret after the overrides (use `tamper` to change afterwards)."""
    params = {
        "vnp_Amount": str(payment.amount * 100),
        "vnp_BankCode": "NCB",
        "vnp_BankTranNo": "VNP14226112",
        "vnp_CardType": "ATM",
        "vnp_OrderInfo": payment.order_info,
        "vnp_PayDate": vn_time(timezone.now()),
        "vnp_ResponseCode": "00",
        "vnp_TmnCode": conf.tmn_code(),
        "vnp_TransactionNo": "14226112",
        "vnp_TransactionStatus": "00",
        "vnp_TxnRef": payment.txn_ref,
    }
    params.update({k: str(v) for k, v in overrides.items()})
    params["vnp_SecureHash"] = sign(hash_data(params), secret or conf.hash_secret())
    return params


FAILED = {"vnp_ResponseCode": "51", "vnp_TransactionStatus": "02"}

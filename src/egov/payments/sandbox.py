"""A local gateway that speaks the VNPay-style protocol, so the whole flow runs here.

Mounted only when EGOV_PAYMENT_SANDBOX is true (default in dev/test/demo). It behaves like the
real gateway as the merchant sees it:
- its payment page checks the incoming signature, terminal code, command, version, amount and
  expiry, and refuses a tampered address;
- the customer pays ("Thanh toán"), cancels ("Hủy", response 24) or picks the failing bank
  (response 51, insufficient funds);
- it keeps its own ledger (SandboxTransaction), which the reconciliation report reads as the
  gateway's records;
- it calls the merchant's IPN server to server from a background task (django-tasks) after
  its own commit, retrying until the merchant answers "00" or "02", and redirects the browser
  to the return address with the same signed parameters;
- it answers the querydr API from its ledger.
Its terminal code and secret are the adapter's (egov.payments.conf).
"""

from __future__ import annotations

import json
import logging
import secrets
import urllib.request
from collections.abc import Callable, Mapping
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode, urlsplit

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.module_loading import import_string

from egov.core.errors import ValidationFailed
from egov.payments import conf
from egov.payments.gateways import (
    VERSION,
    hash_data,
    parse_vn_time,
    query_answer_hash_data,
    query_hash_data,
    sign,
    signature_valid,
    vn_time,
)
from egov.payments.models import SandboxTransaction

logger = logging.getLogger("egov.payments.sandbox")

IPN_TASK = "egov.payments.tasks.sandbox_send_ipn"
IPN_MAX_ATTEMPTS = 5
IPN_RETRY_SECONDS = 60
IPN_TIMEOUT_SECONDS = 10.0
# Bank codes offered on the sandbox page: (label, response code, transaction status).
BANKS: dict[str, tuple[str, str, str]] = {
    "NCB": ("Ngân hàng NCB (thẻ thử, luôn thành công)", "00", "00"),
    "VNPAYQR": ("Quét mã VNPAY-QR (luôn thành công)", "00", "00"),
    "FAILBANK": ("Ngân hàng thử lỗi (không đủ số dư)", "51", "02"),
}
CHOICES = ("pay", "cancel")


class SandboxRefused(ValidationFailed):
    code = "payment.sandbox_refused"


def _refuse(reason: str, message: str) -> SandboxRefused:
    return SandboxRefused(message, details={"reason": reason})


def sandbox_check(params: Mapping[str, Any]) -> dict[str, str]:
    """The pay request's parameters once checked like the real gateway checks them."""
    flat = {str(k): str(v) for k, v in params.items()}
    if not signature_valid(flat, conf.hash_secret()):
        raise _refuse("signature", "Sai chữ ký: địa chỉ thanh toán đã bị thay đổi.")
    if flat.get("vnp_TmnCode") != conf.tmn_code():
        raise _refuse("tmn_code", "Mã website (vnp_TmnCode) không đúng.")
    if flat.get("vnp_Command") != "pay" or flat.get("vnp_Version") != VERSION:
        raise _refuse("command", "Yêu cầu không được hỗ trợ.")
    amount = flat.get("vnp_Amount", "")
    if not amount.isdigit() or int(amount) <= 0 or int(amount) % 100:
        raise _refuse("amount", "Số tiền không hợp lệ.")
    if flat.get("vnp_CurrCode") != "VND" or not flat.get("vnp_TxnRef"):
        raise _refuse("order", "Thông tin đơn hàng không hợp lệ.")
    if urlsplit(flat.get("vnp_ReturnUrl", "")).scheme not in ("http", "https"):
        raise _refuse("return_url", "Địa chỉ trả về không hợp lệ.")
    expires = parse_vn_time(flat.get("vnp_ExpireDate", ""))
    if expires is None or expires <= timezone.now():
        raise _refuse("expired", "Giao dịch đã quá thời gian chờ thanh toán.")
    return flat


def _transaction_no() -> str:
    return str(10_000_000 + secrets.randbelow(90_000_000))


def ipn_url() -> str:
    return conf.sandbox_ipn_url() or conf.public_url() + reverse("payments:ipn")


def _result_params(ledger: SandboxTransaction, status: str) -> dict[str, str]:
    params = {
        "vnp_Amount": str(ledger.amount * 100),
        "vnp_BankCode": ledger.bank_code,
        "vnp_BankTranNo": f"VNP{ledger.transaction_no}",
        "vnp_CardType": "QRCODE" if ledger.bank_code == "VNPAYQR" else "ATM",
        "vnp_OrderInfo": ledger.order_info,
        "vnp_PayDate": vn_time(ledger.pay_date),
        "vnp_ResponseCode": ledger.response_code,
        "vnp_TmnCode": ledger.tmn_code,
        "vnp_TransactionNo": ledger.transaction_no,
        "vnp_TransactionStatus": status,
        "vnp_TxnRef": ledger.txn_ref,
    }
    params["vnp_SecureHash"] = sign(hash_data(params), conf.hash_secret())
    return params


def sandbox_complete(
    *, params: Mapping[str, Any], choice: str, bank_code: str
) -> SandboxTransaction:
    """Settle one order at the simulated bank (once: a repeated post returns the first result)
    and send the IPN after the commit."""
    flat = sandbox_check(params)
    if choice not in CHOICES:
        raise _refuse("choice", "Lựa chọn không hợp lệ.")
    if choice == "pay" and bank_code not in BANKS:
        raise _refuse("bank", "Chọn ngân hàng.")
    existing = SandboxTransaction.objects.filter(
        tmn_code=flat["vnp_TmnCode"], txn_ref=flat["vnp_TxnRef"]
    ).first()
    if existing is not None:
        return existing
    if choice == "cancel":
        response, status, bank = "24", "02", bank_code if bank_code in BANKS else "NCB"
    else:
        _label, response, status = BANKS[bank_code]
        bank = bank_code
    result = {
        "00": SandboxTransaction.Result.SUCCESS,
        "24": SandboxTransaction.Result.CANCELLED,
    }.get(response, SandboxTransaction.Result.FAILED)
    try:
        with transaction.atomic():
            ledger = SandboxTransaction.objects.create(
                tmn_code=flat["vnp_TmnCode"],
                txn_ref=flat["vnp_TxnRef"],
                transaction_no=_transaction_no(),
                amount=int(flat["vnp_Amount"]) // 100,
                order_info=flat.get("vnp_OrderInfo", "")[:255],
                bank_code=bank,
                result=result,
                response_code=response,
                pay_date=timezone.now(),
                return_url=flat["vnp_ReturnUrl"][:500],
                ipn_url=ipn_url()[:500],
            )
            ledger.callback_params = _result_params(ledger, status)
            ledger.save(update_fields=["callback_params"])
            ledger_id = ledger.pk
            transaction.on_commit(lambda: import_string(IPN_TASK).enqueue(ledger_id), robust=True)
    except IntegrityError:
        return SandboxTransaction.objects.get(
            tmn_code=flat["vnp_TmnCode"], txn_ref=flat["vnp_TxnRef"]
        )
    return ledger


def sandbox_return_url(ledger: SandboxTransaction) -> str:
    separator = "&" if "?" in ledger.return_url else "?"
    return f"{ledger.return_url}{separator}{urlencode(ledger.callback_params)}"


Transport = Callable[[str, float], tuple[int, str]]


def _http_get(url: str, timeout: float) -> tuple[int, str]:
    if not url.startswith(("http://", "https://")):
        raise ValueError("the IPN address must be http(s)")
    with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 - checked
        return int(response.status), response.read().decode("utf-8", "replace")


# Replaced in tests by a transport through Django's test client (no server needed).
ipn_transport: Transport = _http_get


def sandbox_send_ipn(ledger_id: int) -> str:
    """One IPN attempt for a ledger entry; "confirmed" once the merchant answered 00 or 02.

    Called by the background task, never inside a web request of the merchant: a
    single-threaded server calling itself would wait for itself."""
    ledger = SandboxTransaction.objects.filter(pk=ledger_id).first()
    if ledger is None:
        return "missing"
    if ledger.ipn_confirmed_at is not None:
        return "confirmed"
    separator = "&" if "?" in ledger.ipn_url else "?"
    url = f"{ledger.ipn_url}{separator}{urlencode(ledger.callback_params)}"
    try:
        status, body = ipn_transport(url, IPN_TIMEOUT_SECONDS)
        answer = json.loads(body) if status == 200 else {}
    except (OSError, ValueError) as exc:
        status, answer, body = 0, {}, f"{type(exc).__name__}: {exc}"
    code = str(answer.get("RspCode", "")) if isinstance(answer, dict) else ""
    confirmed = code in ("00", "02")
    SandboxTransaction.objects.filter(pk=ledger_id).update(
        ipn_attempts=ledger.ipn_attempts + 1,
        ipn_answer=(body or "")[:500],
        ipn_confirmed_at=timezone.now() if confirmed else None,
    )
    if confirmed:
        return "confirmed"
    logger.warning("sandbox IPN %s answered %s (%s)", ledger.txn_ref, status, code)
    if ledger.ipn_attempts + 1 < IPN_MAX_ATTEMPTS:
        _retry_later(ledger_id, ledger.ipn_attempts + 1)
    return f"retry:{code or status}"


def _retry_later(ledger_id: int, attempt: int) -> None:
    task: Any = import_string(IPN_TASK)
    backend = task.get_backend()
    if not backend.supports_defer:
        return  # the immediate backend (development): one attempt per enqueue, no loop
    delay = timedelta(seconds=IPN_RETRY_SECONDS * attempt)
    task.using(run_after=timezone.now() + delay).enqueue(ledger_id)


def sandbox_query(body: Mapping[str, Any]) -> dict[str, str]:
    """The querydr answer from the ledger, signed as the real API signs it."""
    flat = {str(k): str(v) for k, v in body.items()}
    answer = {
        "vnp_ResponseId": secrets.token_hex(16),
        "vnp_Command": "querydr",
        "vnp_TmnCode": conf.tmn_code(),
        "vnp_TxnRef": flat.get("vnp_TxnRef", ""),
    }
    expected = sign(query_hash_data(flat), conf.hash_secret())
    given = flat.get("vnp_SecureHash", "")
    if not given or not secrets.compare_digest(given.lower(), expected):
        answer.update({"vnp_ResponseCode": "97", "vnp_Message": "Invalid Checksum"})
    else:
        ledger = SandboxTransaction.objects.filter(
            tmn_code=flat.get("vnp_TmnCode", ""), txn_ref=flat.get("vnp_TxnRef", "")
        ).first()
        if ledger is None:
            answer.update({"vnp_ResponseCode": "91", "vnp_Message": "Not found"})
        else:
            answer.update(
                {
                    "vnp_ResponseCode": "00",
                    "vnp_Message": "QueryDR Success",
                    "vnp_Amount": str(ledger.amount * 100),
                    "vnp_BankCode": ledger.bank_code,
                    "vnp_PayDate": vn_time(ledger.pay_date),
                    "vnp_TransactionNo": ledger.transaction_no,
                    "vnp_TransactionType": "01",
                    "vnp_TransactionStatus": ledger.callback_params.get(
                        "vnp_TransactionStatus", ""
                    ),
                    "vnp_OrderInfo": ledger.order_info,
                }
            )
    answer["vnp_SecureHash"] = sign(query_answer_hash_data(answer), conf.hash_secret())
    return answer

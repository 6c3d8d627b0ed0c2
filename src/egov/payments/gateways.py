"""Payment gateway adapters behind one small interface (`PaymentGateway`).

The VNPay-style adapter speaks the signed-redirect protocol of VNPay's public integration
guide (version 2.1.0): the merchant redirects the browser to the gateway's page with the order
in the query string, signed by HMAC-SHA512 over the `vnp_*` parameters sorted by name and
URL-encoded (`quote_plus`), without `vnp_SecureHash`/`vnp_SecureHashType`; the gateway answers
twice with the same kind of signed query: the browser return (vnp_ReturnUrl) and the
server-to-server notification (IPN URL, configured at the gateway), which the merchant answers
with JSON {"RspCode": "00", "Message": "Confirm Success"} (01 order not found, 02 already
confirmed, 04 invalid amount, 97 invalid signature, 99 other). Amounts travel ×100, times as
yyyyMMddHHmmss in GMT+7.

The adapter is pure: no database. Signatures are compared with `hmac.compare_digest`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol
from urllib.parse import quote_plus
from zoneinfo import ZoneInfo

from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse
from django.utils import timezone

from egov.payments import conf

GMT7 = ZoneInfo("Asia/Ho_Chi_Minh")
VERSION = "2.1.0"
HASH_FIELDS = frozenset({"vnp_SecureHash", "vnp_SecureHashType"})
SUCCESS = "00"
RESPONSE_CANCELLED = "24"  # the customer cancelled at the gateway
STATUS_PENDING = "01"  # the transaction is not finished yet


def vn_time(moment: datetime) -> str:
    """yyyyMMddHHmmss in GMT+7, as the protocol writes every time."""
    return moment.astimezone(GMT7).strftime("%Y%m%d%H%M%S")


def parse_vn_time(text: str) -> datetime | None:
    try:
        return datetime.strptime(text, "%Y%m%d%H%M%S").replace(tzinfo=GMT7)
    except (TypeError, ValueError):
        return None


def hash_data(params: Mapping[str, Any]) -> str:
    """The signed text: `vnp_*` parameters but the hash, sorted by name, URL-encoded.

    Empty values stay in (the gateway signs its callbacks with every parameter it sends, an
    empty vnp_BankTranNo too); the pay request simply leaves unset optional fields out."""
    items = sorted(
        (k, str(v))
        for k, v in params.items()
        if k.startswith("vnp_") and k not in HASH_FIELDS and v is not None
    )
    return "&".join(f"{k}={quote_plus(v)}" for k, v in items)


def sign(text: str, secret: str) -> str:
    return hmac.new(secret.encode("utf-8"), text.encode("utf-8"), hashlib.sha512).hexdigest()


def signature_valid(params: Mapping[str, Any], secret: str) -> bool:
    given = str(params.get("vnp_SecureHash") or "")
    expected = sign(hash_data(params), secret)
    return bool(given) and hmac.compare_digest(given.lower().encode(), expected.encode())


def signed_query(params: Mapping[str, Any], secret: str) -> str:
    """The query string with its signature appended (what a redirect carries)."""
    text = hash_data(params)
    return f"{text}&vnp_SecureHash={sign(text, secret)}"


@dataclass(frozen=True)
class PayRequest:
    """What the merchant asks the gateway to collect."""

    txn_ref: str
    amount: int  # VND
    order_info: str
    return_url: str
    client_ip: str
    created_at: datetime
    expires_at: datetime
    locale: str = "vn"
    order_type: str = "other"
    bank_code: str = ""


@dataclass(frozen=True)
class CallbackResult:
    """A callback (return or IPN) as the adapter read it."""

    signature_valid: bool
    txn_ref: str
    amount: int | None  # VND, None when missing or not a number
    success: bool
    cancelled: bool
    pending: bool
    response_code: str
    transaction_status: str
    transaction_no: str
    bank_code: str
    card_type: str
    pay_date: datetime | None
    tmn_code: str
    params: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class QueryResult:
    ok: bool
    response_code: str
    transaction_status: str
    transaction_no: str
    amount: int | None
    raw: dict[str, Any]


class PaymentGateway(Protocol):
    """What the payment services need from a gateway."""

    name: str

    def pay_url(self, request: PayRequest) -> str: ...

    def verify_callback(self, params: Mapping[str, Any]) -> CallbackResult: ...

    def ipn_answer(self, code: str) -> dict[str, str]: ...

    def query(self, *, txn_ref: str, transaction_date: datetime, client_ip: str) -> QueryResult: ...


IPN_MESSAGES = {
    "00": "Confirm Success",
    "01": "Order not found",
    "02": "Order already confirmed",
    "04": "Invalid amount",
    "97": "Invalid signature",
    "99": "Unknown error",
}

Poster = Callable[[str, bytes, float], bytes]


def _http_post(url: str, body: bytes, timeout: float) -> bytes:
    if not url.startswith(("http://", "https://")):
        raise ValueError("the gateway API address must be http(s)")
    request = urllib.request.Request(  # noqa: S310 - scheme checked above
        url, data=body, headers={"Content-Type": "application/json"}, method="POST"
    )
    with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
        return bytes(response.read())


class VNPayGateway:
    """The VNPay-style signed-redirect adapter (also spoken by the local sandbox)."""

    name = "vnpay"

    def __init__(
        self,
        *,
        tmn_code: str,
        secret: str,
        pay_url: str,
        api_url: str = "",
        poster: Poster = _http_post,
    ) -> None:
        self.tmn_code = tmn_code
        self.secret = secret
        self.base_url = pay_url
        self.api_url = api_url
        self.poster = poster

    def pay_params(self, request: PayRequest) -> dict[str, str]:
        params = {
            "vnp_Version": VERSION,
            "vnp_Command": "pay",
            "vnp_TmnCode": self.tmn_code,
            "vnp_Amount": str(request.amount * 100),
            "vnp_CurrCode": "VND",
            "vnp_TxnRef": request.txn_ref,
            "vnp_OrderInfo": request.order_info,
            "vnp_OrderType": request.order_type,
            "vnp_Locale": request.locale if request.locale in ("vn", "en") else "vn",
            "vnp_ReturnUrl": request.return_url,
            "vnp_IpAddr": request.client_ip or "127.0.0.1",
            "vnp_CreateDate": vn_time(request.created_at),
            "vnp_ExpireDate": vn_time(request.expires_at),
        }
        if request.bank_code:
            params["vnp_BankCode"] = request.bank_code
        return params

    def pay_url(self, request: PayRequest) -> str:
        separator = "&" if "?" in self.base_url else "?"
        return f"{self.base_url}{separator}{signed_query(self.pay_params(request), self.secret)}"

    def verify_callback(self, params: Mapping[str, Any]) -> CallbackResult:
        flat = {str(k): str(v) for k, v in params.items()}
        valid = signature_valid(flat, self.secret) and flat.get("vnp_TmnCode") == self.tmn_code
        raw_amount = flat.get("vnp_Amount", "")
        amount: int | None = None
        if raw_amount.isdigit() and int(raw_amount) % 100 == 0:
            amount = int(raw_amount) // 100
        elif raw_amount.isdigit():
            amount = -1  # not a whole number of đồng: never equal to an order
        response = flat.get("vnp_ResponseCode", "")
        status = flat.get("vnp_TransactionStatus", "")
        return CallbackResult(
            signature_valid=valid,
            txn_ref=flat.get("vnp_TxnRef", "")[:100],
            amount=amount,
            success=response == SUCCESS and status == SUCCESS,
            cancelled=response == RESPONSE_CANCELLED,
            pending=status == STATUS_PENDING and response in ("", SUCCESS),
            response_code=response[:4],
            transaction_status=status[:4],
            transaction_no=flat.get("vnp_TransactionNo", "")[:40],
            bank_code=flat.get("vnp_BankCode", "")[:20],
            card_type=flat.get("vnp_CardType", "")[:20],
            pay_date=parse_vn_time(flat.get("vnp_PayDate", "")),
            tmn_code=flat.get("vnp_TmnCode", ""),
            params=flat,
        )

    def ipn_answer(self, code: str) -> dict[str, str]:
        return {"RspCode": code, "Message": IPN_MESSAGES.get(code, IPN_MESSAGES["99"])}

    # --- query (querydr) ---------------------------------------------------------------------

    def query_request(
        self, *, txn_ref: str, transaction_date: datetime, client_ip: str, now: datetime
    ) -> dict[str, str]:
        """The querydr body; its checksum is HMAC-SHA512 over the fields joined by "|"."""
        body = {
            "vnp_RequestId": secrets.token_hex(16),
            "vnp_Version": VERSION,
            "vnp_Command": "querydr",
            "vnp_TmnCode": self.tmn_code,
            "vnp_TxnRef": txn_ref,
            "vnp_OrderInfo": f"Truy van giao dich {txn_ref}",
            "vnp_TransactionDate": vn_time(transaction_date),
            "vnp_CreateDate": vn_time(now),
            "vnp_IpAddr": client_ip or "127.0.0.1",
        }
        body["vnp_SecureHash"] = sign(query_hash_data(body), self.secret)
        return body

    def query(self, *, txn_ref: str, transaction_date: datetime, client_ip: str) -> QueryResult:
        body = self.query_request(
            txn_ref=txn_ref,
            transaction_date=transaction_date,
            client_ip=client_ip,
            now=timezone.now(),
        )
        raw = json.loads(self.poster(self.api_url, json.dumps(body).encode(), 15.0))
        answer = {str(k): str(v) for k, v in raw.items()}
        expected = sign(query_answer_hash_data(answer), self.secret)
        ok = hmac.compare_digest(
            answer.get("vnp_SecureHash", "").lower().encode(), expected.encode()
        )
        amount = answer.get("vnp_Amount", "")
        return QueryResult(
            ok=ok,
            response_code=answer.get("vnp_ResponseCode", ""),
            transaction_status=answer.get("vnp_TransactionStatus", ""),
            transaction_no=answer.get("vnp_TransactionNo", ""),
            amount=int(amount) // 100 if amount.isdigit() else None,
            raw=raw,
        )


QUERY_FIELDS = (
    "vnp_RequestId",
    "vnp_Version",
    "vnp_Command",
    "vnp_TmnCode",
    "vnp_TxnRef",
    "vnp_TransactionDate",
    "vnp_CreateDate",
    "vnp_IpAddr",
    "vnp_OrderInfo",
)
QUERY_ANSWER_FIELDS = (
    "vnp_ResponseId",
    "vnp_Command",
    "vnp_ResponseCode",
    "vnp_Message",
    "vnp_TmnCode",
    "vnp_TxnRef",
    "vnp_Amount",
    "vnp_BankCode",
    "vnp_PayDate",
    "vnp_TransactionNo",
    "vnp_TransactionType",
    "vnp_TransactionStatus",
    "vnp_OrderInfo",
    "vnp_PromotionCode",
    "vnp_PromotionAmount",
)


def query_hash_data(body: Mapping[str, str]) -> str:
    return "|".join(str(body.get(k, "")) for k in QUERY_FIELDS)


def query_answer_hash_data(body: Mapping[str, str]) -> str:
    return "|".join(str(body.get(k, "")) for k in QUERY_ANSWER_FIELDS)


def sandbox_pay_path() -> str:
    return reverse("payments:sandbox_pay")


def get_gateway(name: str | None = None) -> VNPayGateway:
    """The configured adapter (only the VNPay-style one exists today)."""
    chosen = name or conf.gateway_name()
    if chosen != "vnpay":
        raise ValueError(f"unknown payment gateway {chosen!r}")
    pay_url = conf.pay_url()
    api_url = conf.api_url()
    if (not pay_url or not api_url) and not conf.sandbox_enabled():
        raise ImproperlyConfigured(
            "EGOV_PAYMENT_VNPAY_PAY_URL and EGOV_PAYMENT_VNPAY_API_URL must be set when the "
            "sandbox gateway is off"
        )
    if not pay_url or not api_url:
        base = conf.public_url()
        pay_url = pay_url or sandbox_pay_path()
        api_url = api_url or base + sandbox_pay_path() + "api/"
    return VNPayGateway(
        tmn_code=conf.tmn_code(), secret=conf.hash_secret(), pay_url=pay_url, api_url=api_url
    )

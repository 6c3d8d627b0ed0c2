"""The VNPay-style adapter without a database: the signed text, the signature, the callback
reading, the settings' development defaults."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
from django.core.exceptions import ImproperlyConfigured

from egov.payments import conf
from egov.payments.gateways import (
    PayRequest,
    VNPayGateway,
    hash_data,
    sign,
    signature_valid,
    vn_time,
)

SECRET = "TESTSECRET0123456789"


def _gateway() -> VNPayGateway:
    return VNPayGateway(tmn_code="TMN00001", secret=SECRET, pay_url="https://gw.example/pay")


def test_the_signed_text_is_sorted_url_encoded_keeps_empty_values_and_leaves_out_the_hash() -> None:
    params = {
        "vnp_TxnRef": "A1",
        "vnp_Amount": "1000000",
        "vnp_OrderInfo": "Thanh toan ho so 000.00.20-1 & phi",
        "vnp_SecureHash": "x",
        "vnp_SecureHashType": "HmacSHA512",
        "other": "not signed",
        "vnp_BankCode": "",
    }
    assert hash_data(params) == (
        "vnp_Amount=1000000&vnp_BankCode=&vnp_OrderInfo=Thanh+toan+ho+so+000.00.20-1+%26+phi"
        "&vnp_TxnRef=A1"
    )


def test_the_signature_is_hmac_sha512_of_the_signed_text() -> None:
    text = "vnp_Amount=1000000&vnp_TxnRef=A1"
    assert (
        sign(text, SECRET) == hmac.new(SECRET.encode(), text.encode(), hashlib.sha512).hexdigest()
    )
    assert len(sign(text, SECRET)) == 128


def test_the_pay_url_carries_the_protocol_fields_and_a_valid_signature() -> None:
    created = datetime(2026, 2, 12, 2, 30, 5, tzinfo=UTC)  # 09:30:05 in Vietnam
    url = _gateway().pay_url(
        PayRequest(
            txn_ref="TT1",
            amount=1_075_000,
            order_info="Thanh toan phi le phi ho so X",
            return_url="https://egov.example/thanh-toan/ket-qua/",
            client_ip="203.0.113.7",
            created_at=created,
            expires_at=created.replace(minute=45),
            locale="en",
        )
    )
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == "https://gw.example/pay"
    params = dict(parse_qsl(parts.query))
    assert params["vnp_Amount"] == "107500000"
    assert params["vnp_CreateDate"] == "20260212093005"
    assert params["vnp_ExpireDate"] == "20260212094505"
    assert params["vnp_Locale"] == "en"
    assert params["vnp_OrderType"] == "other"
    assert signature_valid(params, SECRET)
    params["vnp_Amount"] = "100"
    assert not signature_valid(params, SECRET)


def _callback(**overrides: Any) -> dict[str, str]:
    params = {
        "vnp_Amount": "107500000",
        "vnp_TmnCode": "TMN00001",
        "vnp_TxnRef": "TT1",
        "vnp_ResponseCode": "00",
        "vnp_TransactionStatus": "00",
        "vnp_TransactionNo": "14226112",
        "vnp_PayDate": "20260212093500",
        "vnp_BankCode": "NCB",
    }
    params.update(overrides)
    params["vnp_SecureHash"] = sign(hash_data(params), SECRET).upper()
    return params


def test_a_callback_is_read_with_an_uppercase_signature() -> None:
    result = _gateway().verify_callback(_callback())
    assert result.signature_valid
    assert (result.amount, result.success, result.txn_ref) == (1_075_000, True, "TT1")
    assert result.pay_date == datetime(2026, 2, 12, 2, 35, tzinfo=UTC)


def test_a_callback_for_another_terminal_is_not_valid() -> None:
    assert not _gateway().verify_callback(_callback(vnp_TmnCode="TMN00002")).signature_valid


@pytest.mark.parametrize(
    ("response", "status", "expected"),
    [("24", "02", "cancelled"), ("51", "02", "failed"), ("00", "01", "pending")],
)
def test_the_outcome_codes_are_read(response: str, status: str, expected: str) -> None:
    result = _gateway().verify_callback(
        _callback(vnp_ResponseCode=response, vnp_TransactionStatus=status)
    )
    assert not result.success
    assert (result.cancelled, result.pending) == (expected == "cancelled", expected == "pending")


def test_an_amount_that_is_not_whole_dong_never_matches() -> None:
    assert _gateway().verify_callback(_callback(vnp_Amount="107500050")).amount == -1


def test_times_are_written_in_gmt_plus_7() -> None:
    assert vn_time(datetime(2026, 12, 31, 17, 0, tzinfo=UTC)) == "20270101000000"


def test_the_development_secret_is_used_only_outside_production(settings: Any) -> None:
    settings.EGOV_ENV = "test"
    settings.EGOV_PAYMENT_VNPAY_HASH_SECRET = ""
    assert conf.hash_secret() == conf.DEV_HASH_SECRET
    settings.EGOV_ENV = "production"
    with pytest.raises(ImproperlyConfigured):
        conf.hash_secret()
    settings.EGOV_PAYMENT_VNPAY_HASH_SECRET = conf.DEV_HASH_SECRET
    with pytest.raises(ImproperlyConfigured):
        conf.hash_secret()
    settings.EGOV_PAYMENT_VNPAY_HASH_SECRET = "a-real-secret-from-the-gateway"
    assert conf.hash_secret() == "a-real-secret-from-the-gateway"
    del settings.EGOV_PAYMENT_SANDBOX  # unset: the default follows EGOV_ENV
    assert conf.sandbox_enabled() is False


def test_the_sandbox_is_on_by_default_outside_production(settings: Any) -> None:
    settings.EGOV_ENV = "dev"
    assert conf.sandbox_enabled() is True
    settings.EGOV_PAYMENT_SANDBOX = "false"
    assert conf.sandbox_enabled() is False

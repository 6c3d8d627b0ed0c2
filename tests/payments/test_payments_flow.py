"""The whole flow through the local sandbox gateway with the test client: the applicant starts
the payment, pays at the sandbox, the sandbox notifies the IPN from a background task and sends
the browser back; the receipt downloads. Also what the sandbox and the pages refuse."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from django.test import Client
from django.urls import reverse

from egov.dossiers.citizen_selectors import proof_issue
from egov.dossiers.models import DossierFee
from egov.payments import sandbox
from egov.payments.access import payment_access_token
from egov.payments.models import Payment, PaymentCallback, PaymentState, SandboxTransaction

pytestmark = pytest.mark.django_db


def _to_sandbox(client: Client, code: str) -> str:
    """Start the payment on the order page; the gateway address it redirects to."""
    page = client.get(reverse("payments:start", args=[code]))
    assert page.status_code == 200
    assert b'data-testid="payment-pay"' in page.content
    response = client.post(reverse("payments:start", args=[code]), {"step": "pay"})
    assert response.status_code == 302
    return str(response["Location"])


def _pay(
    client: Client,
    location: str,
    capture: Any,
    choice: str = "pay",
    bank: str = "NCB",
) -> Any:
    parts = urlsplit(location)
    page = client.get(f"{parts.path}?{parts.query}")
    assert page.status_code == 200
    assert "Thanh toán".encode() in page.content
    with capture(execute=True):
        response = client.post(
            reverse("payments:sandbox_pay"), {"query": parts.query, "choice": choice, "bank": bank}
        )
    assert response.status_code == 302
    return response


def test_the_applicant_pays_through_the_sandbox_and_downloads_the_receipt(
    pay_world: Any,
    immediate_tasks: None,
    ipn_through_client: list[tuple[int, str]],
    django_capture_on_commit_callbacks: Any,
    pdf_text: Callable[[bytes], str],
) -> None:
    client = Client()
    client.force_login(pay_world.applicant.account)
    code = pay_world.dossier.code
    response = _pay(client, _to_sandbox(client, code), django_capture_on_commit_callbacks)
    # The IPN went server to server (from the task) before the browser came back.
    assert ipn_through_client == [(200, '{"RspCode": "00", "Message": "Confirm Success"}')]
    payment = Payment.objects.get()
    assert payment.state == PaymentState.PAID
    assert payment.receipt_file_id is not None  # drawn by the task after the commit
    ledger = SandboxTransaction.objects.get()
    assert ledger.ipn_confirmed_at is not None
    assert (ledger.txn_ref, ledger.amount, ledger.result) == (
        payment.txn_ref,
        payment.amount,
        "success",
    )
    back = urlsplit(response["Location"])
    assert back.path == reverse("payments:return")
    page = client.get(f"{back.path}?{back.query}")
    assert page.status_code == 200
    assert b'data-testid="payment-paid"' in page.content
    assert b'data-testid="payment-receipt"' in page.content
    assert DossierFee.objects.filter(dossier=pay_world.dossier, paid=False).count() == 0
    assert list(PaymentCallback.objects.values_list("kind", "outcome")) == [
        ("ipn", "applied"),
        ("return", "duplicate"),
    ]
    receipt = client.get(reverse("payments:receipt", args=[payment.txn_ref]))
    assert receipt.status_code == 200
    assert receipt["Content-Type"] == "application/pdf"
    text = pdf_text(b"".join(receipt.streaming_content))
    assert "BIÊN NHẬN THANH TOÁN PHÍ, LỆ PHÍ TRỰC TUYẾN" in text
    assert "Lệ phí cấp giấy phép" in text
    assert code in text


def test_a_visitor_with_the_status_page_link_pays_without_an_account(
    pay_world: Any,
    immediate_tasks: None,
    ipn_through_client: list[tuple[int, str]],
    django_capture_on_commit_callbacks: Any,
) -> None:
    client = Client()
    code = pay_world.dossier.code
    token = payment_access_token(pay_world.dossier)
    assert client.get(reverse("payments:start", args=[code]) + f"?t={token}").status_code == 200
    response = _pay(client, _to_sandbox(client, code), django_capture_on_commit_callbacks)
    back = urlsplit(response["Location"])
    page = client.get(f"{back.path}?{back.query}")
    assert b'data-testid="payment-receipt"' in page.content
    payment = Payment.objects.get()
    assert payment.payer is None
    assert client.get(reverse("payments:receipt", args=[payment.txn_ref])).status_code == 200
    # Another browser without the proof gets nothing.
    assert Client().get(reverse("payments:receipt", args=[payment.txn_ref])).status_code == 404


def test_the_payment_page_asks_for_the_second_factor_and_refuses_a_wrong_one(
    pay_world: Any,
) -> None:
    client = Client()
    url = reverse("payments:start", args=[pay_world.dossier.code])
    page = client.get(url)
    assert b'data-testid="payment-proof"' in page.content
    wrong = client.post(url, {"step": "proof", "secret": "0911111111"})
    assert wrong.status_code == 422
    assert b'data-testid="error-secret"' in wrong.content
    assert client.post(url, {"step": "pay"}).status_code == 200  # still the proof form
    assert Payment.objects.count() == 0
    right = client.post(url, {"step": "proof", "secret": "0900 000 001"})
    assert right.status_code == 302
    assert b'data-testid="payment-pay"' in client.get(url).content


def test_another_citizen_cannot_pay_or_see_a_dossier(pay_world: Any) -> None:
    client = Client()
    client.force_login(pay_world.other.account)
    url = reverse("payments:start", args=[pay_world.dossier.code])
    assert b'data-testid="payment-proof"' in client.get(url).content
    assert client.post(url, {"step": "pay"}).status_code == 200
    assert Payment.objects.count() == 0
    assert client.get(reverse("payments:start", args=["NO-SUCH-CODE"])).status_code == 404


def test_the_sandbox_refuses_a_tampered_pay_url(pay_world: Any) -> None:
    client = Client()
    client.force_login(pay_world.applicant.account)
    parts = urlsplit(_to_sandbox(client, pay_world.dossier.code))
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    query["vnp_Amount"] = "100"  # one đồng instead of the fees
    tampered = urlencode(query)
    page = client.get(f"{parts.path}?{tampered}")
    assert page.status_code == 400
    assert b'data-testid="sandbox-refused"' in page.content
    post = client.post(parts.path, {"query": tampered, "choice": "pay", "bank": "NCB"})
    assert post.status_code == 400
    assert SandboxTransaction.objects.count() == 0


@pytest.mark.parametrize(
    ("choice", "bank", "state"),
    [("cancel", "NCB", PaymentState.CANCELLED), ("pay", "FAILBANK", PaymentState.FAILED)],
)
def test_a_cancelled_or_refused_payment_credits_nothing(
    pay_world: Any,
    immediate_tasks: None,
    ipn_through_client: list[tuple[int, str]],
    django_capture_on_commit_callbacks: Any,
    choice: str,
    bank: str,
    state: str,
) -> None:
    client = Client()
    client.force_login(pay_world.applicant.account)
    location = _to_sandbox(client, pay_world.dossier.code)
    response = _pay(client, location, django_capture_on_commit_callbacks, choice, bank)
    assert Payment.objects.get().state == state
    back = urlsplit(response["Location"])
    page = client.get(f"{back.path}?{back.query}")
    assert b'data-testid="payment-not-paid"' in page.content
    assert DossierFee.objects.filter(dossier=pay_world.dossier, paid=True).count() == 0
    # A new start makes a new order (the closed one is not reused).
    _to_sandbox(client, pay_world.dossier.code)
    assert Payment.objects.count() == 2


def test_the_ipn_address_answers_json_and_needs_no_csrf(pay_world: Any) -> None:
    client = Client(enforce_csrf_checks=True)
    response = client.get(reverse("payments:ipn"), {"vnp_TxnRef": "X", "vnp_SecureHash": "00"})
    assert response.status_code == 200
    assert response.json() == {"RspCode": "97", "Message": "Invalid signature"}


def test_a_forged_return_shows_an_unverified_result(pay_world: Any) -> None:
    response = Client().get(reverse("payments:return"), {"vnp_TxnRef": "X"})
    assert response.status_code == 400
    assert b'data-testid="payment-invalid"' in response.content


def test_the_sandbox_is_off_when_the_setting_is_off(pay_world: Any, settings: Any) -> None:
    settings.EGOV_PAYMENT_SANDBOX = False
    assert Client().get(reverse("payments:sandbox_pay")).status_code == 404


def test_an_outside_gateway_is_reached_through_a_page_not_a_post_redirect(
    pay_world: Any, settings: Any
) -> None:
    settings.EGOV_PAYMENT_VNPAY_PAY_URL = "https://gateway.example/paymentv2/vpcpay.html"
    settings.EGOV_PAYMENT_VNPAY_API_URL = "https://gateway.example/merchant_webapi/api/transaction"
    client = Client()
    client.force_login(pay_world.applicant.account)
    url = reverse("payments:start", args=[pay_world.dossier.code])
    response = client.post(url, {"step": "pay"})
    assert response.status_code == 200
    payment = Payment.objects.get()
    assert b'http-equiv="refresh"' in response.content
    expected = f"https://gateway.example/paymentv2/vpcpay.html?vnp_Amount={payment.amount * 100}"
    assert expected.encode() in response.content


def test_the_status_page_proof_opens_the_payment_page(pay_world: Any) -> None:
    client = Client()
    url = reverse("payments:start", args=[pay_world.dossier.code])
    other = pay_world.submit(applicant=pay_world.other)
    stranger = proof_issue(other)
    assert b'data-testid="payment-proof"' in client.get(f"{url}?proof={stranger}").content
    page = client.get(f"{url}?proof={proof_issue(pay_world.dossier)}")
    assert b'data-testid="payment-pay"' in page.content


def test_the_sandbox_retries_an_unanswered_notification(
    pay_world: Any, monkeypatch: pytest.MonkeyPatch, django_capture_on_commit_callbacks: Any
) -> None:
    calls: list[str] = []

    def down(url: str, timeout: float) -> tuple[int, str]:
        calls.append(url)
        raise OSError("connection refused")

    monkeypatch.setattr(sandbox, "ipn_transport", down)
    client = Client()
    client.force_login(pay_world.applicant.account)
    parts = urlsplit(_to_sandbox(client, pay_world.dossier.code))
    with django_capture_on_commit_callbacks(execute=True):
        client.post(parts.path, {"query": parts.query, "choice": "pay", "bank": "NCB"})
    ledger = SandboxTransaction.objects.get()
    assert sandbox.sandbox_send_ipn(ledger.pk) == "retry:0"
    ledger.refresh_from_db()
    assert ledger.ipn_confirmed_at is None
    assert ledger.ipn_attempts == 1
    assert "connection refused" in ledger.ipn_answer
    assert calls[-1].startswith("http://127.0.0.1:8000/thanh-toan/ipn/?vnp_Amount=")
    assert Payment.objects.get().state == PaymentState.CREATED

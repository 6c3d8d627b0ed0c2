"""The electronic receipt (drawn once, stored, Vietnamese text) and the daily reconciliation."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone
from openpyxl import load_workbook
from payments_support import callback

from egov.core.errors import ValidationFailed
from egov.core.files import file_open
from egov.payments import conf, sandbox
from egov.payments.gateways import VNPayGateway, hash_data, query_hash_data, sign
from egov.payments.models import Payment, SandboxTransaction
from egov.payments.reconcile import (
    GatewayRecord,
    reconciliation_csv,
    reconciliation_rows,
    reconciliation_xlsx,
)
from egov.payments.services import payment_notify, payment_receipt, payment_start

pytestmark = pytest.mark.django_db


def _start(world: Any, dossier: Any = None) -> Payment:
    return payment_start(
        dossier=dossier or world.dossier,
        actor=(dossier.applicant if dossier else world.applicant).account,
        return_url_base="http://testserver/",
        client_ip="203.0.113.7",
    ).payment


def _paid(world: Any, dossier: Any = None) -> Payment:
    payment = _start(world, dossier)
    assert payment_notify(params=callback(payment)).rsp_code == "00"
    payment.refresh_from_db()
    return payment


def _ledger(payment: Payment, **kw: Any) -> SandboxTransaction:
    """What the sandbox would have recorded for the payment (success by default)."""
    values = {
        "tmn_code": "EGOVDEV1",
        "txn_ref": payment.txn_ref,
        "transaction_no": payment.gateway_txn_no or "99999999",
        "amount": payment.amount,
        "bank_code": "NCB",
        "result": "success",
        "response_code": "00",
        "pay_date": timezone.now(),
        "return_url": payment.return_url,
        "ipn_url": "http://testserver/thanh-toan/ipn/",
    }
    values.update(kw)
    return SandboxTransaction.objects.create(**values)


def test_the_receipt_is_drawn_once_and_reads_in_vietnamese(
    pay_world: Any, pdf_text: Callable[[bytes], str]
) -> None:
    payment = _paid(pay_world)
    first = payment_receipt(payment=payment)
    again = payment_receipt(payment=Payment.objects.get(pk=payment.pk))
    assert first.receipt_file_id is not None
    assert again.receipt_file_id == first.receipt_file_id
    with file_open(first.receipt_file) as handle:
        text = pdf_text(handle.read())
    assert "BIÊN NHẬN THANH TOÁN PHÍ, LỆ PHÍ TRỰC TUYẾN" in text
    assert "TRUNG TÂM PHỤC VỤ HÀNH\nCHÍNH CÔNG" in text
    assert "Người nộp: Ông/Bà Lê Thị Dân" in text
    assert "Phí thẩm định" in text
    assert f"Số: {payment.receipt_number}" in text
    assert "Mã giao dịch của cổng thanh toán: 14226112" in text
    assert "Đã thanh toán thành công" in text


def test_an_unpaid_payment_has_no_receipt(pay_world: Any) -> None:
    with pytest.raises(ValidationFailed):
        payment_receipt(payment=_start(pay_world))


def test_reconciliation_flags_every_kind_of_mismatch(pay_world: Any) -> None:
    today = timezone.localdate()
    ok = _paid(pay_world)
    _ledger(ok)
    # The gateway settled an order whose notification never reached us.
    lost_dossier = pay_world.submit(applicant=pay_world.other)
    lost = _start(pay_world, lost_dossier)
    _ledger(lost, transaction_no="33333333")
    # We recorded a payment the gateway does not list as paid.
    ghost_dossier = pay_world.submit()
    ghost = _paid(pay_world, ghost_dossier)
    _ledger(ghost, result="failed", response_code="51", transaction_no="44444444")
    rows = {row.txn_ref: row for row in reconciliation_rows(today)}
    assert {ref: row.flag for ref, row in rows.items()} == {
        ok.txn_ref: "ok",
        lost.txn_ref: "missing_here",
        ghost.txn_ref: "missing_at_gateway",
    }
    row = rows[ok.txn_ref]
    assert (row.dossier_code, row.our_amount, row.gateway_amount, row.credited) == (
        pay_world.dossier.code,
        ok.amount,
        ok.amount,
        "yes",
    )
    # A statement from the gateway with a different amount and another transaction number.
    statement = [
        GatewayRecord(ok.txn_ref, ok.gateway_txn_no, ok.amount - 1, True, "success", None),
        GatewayRecord(ghost.txn_ref, "55555555", ghost.amount, True, "00", None),
    ]
    flags = {r.txn_ref: r.flag for r in reconciliation_rows(today, statement)}
    assert flags == {ok.txn_ref: "amount_mismatch", ghost.txn_ref: "transaction_mismatch"}
    # The CSV and the workbook carry the same rows.
    parsed = list(
        csv.DictReader(io.StringIO(reconciliation_csv(rows.values()).decode("utf-8-sig")))
    )
    assert [(r["txn_ref"], r["flag"]) for r in parsed] == [
        (r.txn_ref, r.flag) for r in rows.values()
    ]
    sheet = load_workbook(io.BytesIO(reconciliation_xlsx(list(rows.values()), today))).active
    assert sheet is not None
    assert [c.value for c in sheet[1]][0] == "txn_ref"
    assert sheet.max_row == 4


def test_a_late_success_after_another_payment_is_flagged_for_refund(pay_world: Any) -> None:
    first = _start(pay_world)
    Payment.objects.filter(pk=first.pk).update(expires_at=first.created_at)
    second = _paid(pay_world)
    payment_notify(params=callback(first, vnp_TransactionNo="22222222"))
    first.refresh_from_db()
    _ledger(second)
    _ledger(first, transaction_no="22222222")
    flags = {r.txn_ref: r.flag for r in reconciliation_rows(timezone.localdate())}
    assert flags == {first.txn_ref: "refund_due", second.txn_ref: "ok"}


def test_the_reconcile_command_writes_the_report(pay_world: Any, tmp_path: Any) -> None:
    payment = _paid(pay_world)
    _ledger(payment)
    target = tmp_path / "doi-soat.csv"
    out = io.StringIO()
    day = f"{timezone.localdate():%Y-%m-%d}"
    call_command("payments", "reconcile", "--day", day, "--output", str(target), stdout=out)
    assert out.getvalue().startswith(f"{day}: 1 rows, 0 flagged")
    rows = list(csv.DictReader(io.StringIO(target.read_text("utf-8-sig"))))
    assert [(r["txn_ref"], r["our_state"], r["gateway_result"], r["flag"]) for r in rows] == [
        (payment.txn_ref, "paid", "success", "ok")
    ]


def test_the_sandbox_answers_the_query_api_from_its_ledger(pay_world: Any) -> None:
    payment = _paid(pay_world)
    _ledger(payment)
    body = VNPayGateway(
        tmn_code=conf.tmn_code(), secret=conf.hash_secret(), pay_url="/"
    ).query_request(
        txn_ref=payment.txn_ref,
        transaction_date=payment.created_at,
        client_ip="127.0.0.1",
        now=timezone.now(),
    )
    assert body["vnp_SecureHash"] == sign(query_hash_data(body), conf.hash_secret())
    answer = sandbox.sandbox_query(body)
    assert (answer["vnp_ResponseCode"], answer["vnp_TransactionStatus"]) == ("00", "")
    assert answer["vnp_Amount"] == str(payment.amount * 100)
    bad = sandbox.sandbox_query({**body, "vnp_TxnRef": "OTHER"})
    assert bad["vnp_ResponseCode"] == "97"
    assert hash_data({}) == ""

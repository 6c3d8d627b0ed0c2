"""The daily reconciliation of our payment records against the gateway's.

For one Vietnam day: every payment we confirmed that day and every transaction the gateway
settled that day, matched by order reference (vnp_TxnRef), each row flagged:

- "ok": both sides agree (paid for the same amount and transaction number, or not paid);
- "refund_due": paid at the gateway and by us, but the fee lines had been settled otherwise
  (not credited to the dossier): the money must go back or be booked by hand;
- "missing_here": the gateway settled a payment that we never confirmed (a lost notification);
- "missing_at_gateway": we recorded a payment the gateway does not know as paid;
- "amount_mismatch", "transaction_mismatch": both know it, but disagree.

The gateway's side is the sandbox's ledger, or a statement the gateway provides (CSV with the
columns txn_ref, transaction_no, amount, result, pay_date), read by `statement_from_csv`.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass, fields
from datetime import date, datetime

from django.db.models import Q
from django.utils import timezone
from openpyxl import Workbook

from egov.payments.models import Payment, PaymentState, SandboxTransaction
from egov.payments.selectors import day_bounds

FLAGS_OK = frozenset({"ok"})


@dataclass(frozen=True)
class GatewayRecord:
    txn_ref: str
    transaction_no: str
    amount: int
    success: bool
    result: str
    pay_date: datetime | None


@dataclass(frozen=True)
class ReconciliationRow:
    txn_ref: str
    dossier_code: str
    our_state: str
    our_amount: int | None
    our_transaction_no: str
    our_paid_at: str
    credited: str
    gateway_result: str
    gateway_amount: int | None
    gateway_transaction_no: str
    gateway_pay_date: str
    flag: str


HEADERS = [f.name for f in fields(ReconciliationRow)]


def sandbox_statement(day: date) -> list[GatewayRecord]:
    start, end = day_bounds(day)
    return [
        GatewayRecord(
            txn_ref=t.txn_ref,
            transaction_no=t.transaction_no,
            amount=t.amount,
            success=t.result == SandboxTransaction.Result.SUCCESS,
            result=t.result,
            pay_date=t.pay_date,
        )
        for t in SandboxTransaction.objects.filter(pay_date__gte=start, pay_date__lt=end)
    ]


def statement_from_csv(text: str) -> list[GatewayRecord]:
    out = []
    for row in csv.DictReader(io.StringIO(text)):
        result = (row.get("result") or "").strip()
        moment = (row.get("pay_date") or "").strip()
        out.append(
            GatewayRecord(
                txn_ref=(row.get("txn_ref") or "").strip(),
                transaction_no=(row.get("transaction_no") or "").strip(),
                amount=int((row.get("amount") or "0").strip() or 0),
                success=result in ("success", "00"),
                result=result,
                pay_date=datetime.fromisoformat(moment) if moment else None,
            )
        )
    return out


def _local(moment: datetime | None) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M:%S") if moment else ""


def _flag(payment: Payment | None, record: GatewayRecord | None) -> str:
    paid_here = payment is not None and payment.state == PaymentState.PAID
    paid_there = record is not None and record.success
    if paid_there and not paid_here:
        return "missing_here"
    if paid_here and not paid_there:
        return "missing_at_gateway"
    if not paid_here:
        return "ok"
    assert payment is not None
    assert record is not None
    if payment.amount != record.amount:
        return "amount_mismatch"
    if payment.gateway_txn_no != record.transaction_no:
        return "transaction_mismatch"
    return "ok" if payment.credited else "refund_due"


def reconciliation_rows(
    day: date, statement: Iterable[GatewayRecord] | None = None
) -> list[ReconciliationRow]:
    """The rows of the day, ordered by order reference."""
    records = {r.txn_ref: r for r in (sandbox_statement(day) if statement is None else statement)}
    start, end = day_bounds(day)
    payments = {
        p.txn_ref: p
        for p in Payment.objects.select_related("dossier").filter(
            Q(paid_at__gte=start, paid_at__lt=end) | Q(txn_ref__in=list(records))
        )
    }
    rows = []
    for ref in sorted(set(records) | set(payments)):
        payment, record = payments.get(ref), records.get(ref)
        rows.append(
            ReconciliationRow(
                txn_ref=ref,
                dossier_code=payment.dossier.code if payment else "",
                our_state=payment.state if payment else "",
                our_amount=payment.amount if payment else None,
                our_transaction_no=payment.gateway_txn_no if payment else "",
                our_paid_at=_local(payment.paid_at) if payment else "",
                credited=("yes" if payment.credited else "no") if payment else "",
                gateway_result=record.result if record else "",
                gateway_amount=record.amount if record else None,
                gateway_transaction_no=record.transaction_no if record else "",
                gateway_pay_date=_local(record.pay_date) if record else "",
                flag=_flag(payment, record),
            )
        )
    return rows


def _values(row: ReconciliationRow) -> list[object]:
    return [getattr(row, name) for name in HEADERS]


def reconciliation_csv(rows: Iterable[ReconciliationRow]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(HEADERS)
    for row in rows:
        writer.writerow(["" if v is None else v for v in _values(row)])
    return buffer.getvalue().encode("utf-8-sig")  # the BOM lets spreadsheet programs read UTF-8


def reconciliation_xlsx(rows: Iterable[ReconciliationRow], day: date) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = f"Doi soat {day:%Y-%m-%d}"
    sheet.append(HEADERS)
    for row in rows:
        sheet.append(_values(row))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()

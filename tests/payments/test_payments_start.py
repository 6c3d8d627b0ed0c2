"""Starting a payment: the amount comes from the fee lines, one open order per dossier, only
the applicant (or whoever proved the second factor) may start it."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.auth.models import AnonymousUser

from egov.core.errors import PermissionDenied
from egov.dossiers.models import Dossier, DossierFee
from egov.payments import conf
from egov.payments.access import payment_access_token, payment_access_valid
from egov.payments.gateways import hash_data, sign
from egov.payments.models import Payment, PaymentState
from egov.payments.selectors import payment_due_reason
from egov.payments.services import PaymentNotDue, payment_start
from egov.procedures.models import ProcedureVersion

pytestmark = pytest.mark.django_db


def _start(world: Any, **kw: Any) -> Any:
    arguments = {
        "dossier": world.dossier,
        "actor": world.applicant.account,
        "return_url_base": "http://testserver/",
        "client_ip": "203.0.113.7",
    }
    arguments.update(kw)
    return payment_start(**arguments)


def test_the_amount_is_the_sum_of_the_unpaid_fee_lines_and_the_url_is_signed(
    pay_world: Any,
) -> None:
    fees = list(pay_world.dossier.fees.order_by("order"))
    started = _start(pay_world)
    payment = started.payment
    assert payment.amount == sum(f.amount for f in fees)
    assert payment.fee_lines == [[f.order, f.name, f.amount] for f in fees]
    assert payment.state == PaymentState.CREATED
    assert payment.return_url == "http://testserver/thanh-toan/ket-qua/"
    parts = urlsplit(started.redirect_url)
    assert parts.path == "/sandbox-thanh-toan/"
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    assert query["vnp_Amount"] == str(payment.amount * 100)
    assert query["vnp_Version"] == "2.1.0"
    assert query["vnp_Command"] == "pay"
    assert query["vnp_CurrCode"] == "VND"
    assert query["vnp_TmnCode"] == conf.tmn_code()
    assert query["vnp_TxnRef"] == payment.txn_ref
    assert query["vnp_IpAddr"] == "203.0.113.7"
    assert len(query["vnp_CreateDate"]) == 14
    assert query["vnp_SecureHash"] == sign(hash_data(query), conf.hash_secret())


def test_a_second_start_reuses_the_open_order(pay_world: Any) -> None:
    first = _start(pay_world)
    again = _start(pay_world)
    assert again.reused is True
    assert again.payment.pk == first.payment.pk
    assert again.redirect_url == first.redirect_url
    assert Payment.objects.count() == 1


def test_an_expired_open_order_is_closed_and_a_new_one_made(pay_world: Any) -> None:
    first = _start(pay_world).payment
    Payment.objects.filter(pk=first.pk).update(expires_at=first.created_at)
    second = _start(pay_world).payment
    first.refresh_from_db()
    assert first.state == PaymentState.EXPIRED
    assert second.pk != first.pk
    assert second.state == PaymentState.CREATED


def test_changed_fee_lines_supersede_the_open_order(pay_world: Any) -> None:
    first = _start(pay_world).payment
    line = pay_world.dossier.fees.order_by("order").first()
    DossierFee.objects.filter(pk=line.pk).update(amount=line.amount + 1000)
    second = _start(pay_world).payment
    first.refresh_from_db()
    assert first.state == PaymentState.CANCELLED
    assert second.amount == first.amount + 1000


def test_nothing_to_pay_is_refused_and_writes_nothing(pay_world: Any) -> None:
    pay_world.dossier.fees.update(paid=True, paid_at="2026-01-01T00:00:00Z", method="counter_cash")
    with pytest.raises(PaymentNotDue) as caught:
        _start(pay_world)
    assert caught.value.details == {"reason": "nothing_due"}
    assert Payment.objects.count() == 0


def test_fees_due_with_the_result_cannot_be_paid_before_it(pay_world: Any) -> None:
    ProcedureVersion.objects.filter(pk=pay_world.dossier.procedure_version_id).update(
        fee_stage="after"
    )
    dossier = Dossier.objects.get(pk=pay_world.dossier.pk)
    assert payment_due_reason(dossier) == "not_yet"
    with pytest.raises(PaymentNotDue):
        _start(pay_world, dossier=dossier)
    assert Payment.objects.count() == 0
    Dossier.objects.filter(pk=dossier.pk).update(state="approved")
    dossier = Dossier.objects.get(pk=dossier.pk)
    assert payment_due_reason(dossier) == ""
    assert _start(pay_world, dossier=dossier).payment.amount > 0


@pytest.mark.parametrize("who", ["anonymous", "other_applicant"])
def test_only_the_applicant_may_start_without_proof(pay_world: Any, who: str) -> None:
    actor = AnonymousUser() if who == "anonymous" else pay_world.other.account
    with pytest.raises(PermissionDenied):
        _start(pay_world, actor=actor)
    assert Payment.objects.count() == 0


def test_a_proven_second_factor_lets_a_visitor_without_account_start(pay_world: Any) -> None:
    started = _start(pay_world, actor=None, second_factor_proven=True)
    assert started.payment.payer is None


def test_the_status_page_token_is_bound_to_its_dossier(pay_world: Any) -> None:
    token = payment_access_token(pay_world.dossier)
    other = pay_world.submit(applicant=pay_world.other)
    assert payment_access_valid(token, pay_world.dossier) is True
    assert payment_access_valid(token, other) is False
    assert payment_access_valid(token + "x", pay_world.dossier) is False
    assert payment_access_valid("", pay_world.dossier) is False

"""Two notifications of the same payment at the same moment credit it once (PostgreSQL row
locks; SQLite serialises writers anyway)."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import connection
from payments_support import callback

from egov.dossiers.models import DossierEvent
from egov.payments.models import Payment, PaymentCallback
from egov.payments.services import payment_notify, payment_return, payment_start


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_notifications_credit_once(pay_world: Any) -> None:
    payment = payment_start(
        dossier=pay_world.dossier,
        actor=pay_world.applicant.account,
        return_url_base="http://testserver/",
        client_ip="203.0.113.7",
    ).payment
    params = callback(payment)
    barrier = threading.Barrier(4)
    codes: list[str] = []
    errors: list[BaseException] = []

    def deliver(handler: Any) -> None:
        try:
            barrier.wait(timeout=10)
            codes.append(handler(params=params).rsp_code)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    handlers = [payment_notify, payment_notify, payment_return, payment_notify]
    threads = [threading.Thread(target=deliver, args=(h,)) for h in handlers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    assert sorted(codes) == ["00", "02", "02", "02"]
    assert (
        DossierEvent.objects.filter(
            dossier=pay_world.dossier, action="record_online_payment"
        ).count()
        == 1
    )
    assert Payment.objects.get(pk=payment.pk).credited is True
    assert sorted(PaymentCallback.objects.values_list("outcome", flat=True)) == [
        "applied",
        "duplicate",
        "duplicate",
        "duplicate",
    ]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_starts_leave_one_open_order(pay_world: Any) -> None:
    barrier = threading.Barrier(3)
    refs: list[str] = []
    errors: list[BaseException] = []

    def start() -> None:
        try:
            barrier.wait(timeout=10)
            started = payment_start(
                dossier=pay_world.dossier,
                actor=pay_world.applicant.account,
                return_url_base="http://testserver/",
                client_ip="203.0.113.7",
            )
            refs.append(started.payment.txn_ref)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=start) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    assert len(set(refs)) == 1
    assert Payment.objects.count() == 1

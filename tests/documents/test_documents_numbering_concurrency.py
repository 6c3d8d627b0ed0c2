"""Arrival numbers under concurrent registration on PostgreSQL, and the yearly restart."""

from __future__ import annotations

import threading
from datetime import date, datetime
from typing import Any

import pytest
from django.db import connection
from documents_support import VN, DocWorld

from egov.documents.models import Direction, Document, Secrecy, Urgency
from egov.documents.services import _common
from egov.documents.services.incoming import IncomingFile, document_register_incoming

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _register(world: DocWorld, n: int, secrecy: str = Secrecy.NONE) -> Document:
    clerk = world.secret_clerk if secrecy != Secrecy.NONE else world.clerk
    return document_register_incoming(
        actor=clerk.account,
        organization=world.committee,
        document_type=world.doc_type("cong-van"),
        subject=f"V/v báo cáo số {n}",
        issuer=world.department,
        code_number=str(100 + n),
        code_notation="SXD-QLXD",
        issued_on=date(2026, 11, 20),
        urgency=Urgency.NORMAL,
        secrecy=secrecy,
        channel="paper",
        files=[IncomingFile(name=f"cv-{n}.pdf", upload=PDF + f"% {n}\n".encode())],
    )


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_clerks_get_gap_free_distinct_arrival_numbers(docworld: DocWorld) -> None:
    per_thread, threads_count = 5, 4
    barrier = threading.Barrier(threads_count)
    errors: list[BaseException] = []

    def clerk(index: int) -> None:
        try:
            barrier.wait(timeout=30)
            for k in range(per_thread):
                secrecy = Secrecy.CONFIDENTIAL if (index + k) % 3 == 0 else Secrecy.NONE
                _register(docworld, index * per_thread + k, secrecy)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=clerk, args=(i,)) for i in range(threads_count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    for register in (docworld.incoming, docworld.incoming_secret):
        numbers = sorted(
            Document.objects.filter(register=register, direction=Direction.INCOMING).values_list(
                "register_number", flat=True
            )
        )
        assert numbers == list(range(1, len(numbers) + 1))  # each series: 1..n, no gap, no twin
    assert Document.objects.count() == per_thread * threads_count


def test_arrival_numbers_restart_on_the_first_of_january(
    docworld: DocWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    moments = iter(
        [datetime(2026, 12, 31, 16, 0, tzinfo=VN)] * 2 + [datetime(2027, 1, 2, 8, 0, tzinfo=VN)]
    )
    monkeypatch.setattr(_common, "now", lambda: next(moments))
    import egov.documents.services.incoming as incoming

    monkeypatch.setattr(incoming, "now", _common.now)
    made: list[Any] = [_register(docworld, n) for n in range(3)]
    assert [(d.register_year, d.register_number) for d in made] == [
        (2026, 1),
        (2026, 2),
        (2027, 1),
    ]

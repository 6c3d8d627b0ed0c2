"""Registers: the default set, the register a document goes to, yearly numbering."""

from __future__ import annotations

import pytest
from django.db import transaction
from documents_support import DocWorld

from egov.core.errors import NotFound
from egov.documents.models import Direction
from egov.documents.services.registers import register_for, register_next_number


def test_default_registers_are_four_and_idempotent(docworld: DocWorld) -> None:
    from egov.documents.services.registers import registers_ensure_default

    again = registers_ensure_default(docworld.committee)
    assert [r.pk for r in again] == [
        docworld.incoming.pk,
        docworld.incoming_secret.pk,
        docworld.outgoing.pk,
        docworld.outgoing_secret.pk,
    ]
    assert [r.is_confidential for r in again] == [False, True, False, True]


def test_confidential_documents_get_their_own_register(docworld: DocWorld) -> None:
    plain = register_for(docworld.committee, Direction.INCOMING, confidential=False)
    secret = register_for(docworld.committee, Direction.INCOMING, confidential=True)
    assert plain == docworld.incoming
    assert secret == docworld.incoming_secret


def test_a_type_specific_register_wins(docworld: DocWorld) -> None:
    from egov.documents.models import Register

    decisions = Register.objects.create(
        organization=docworld.committee, direction=Direction.OUTGOING, code="qd", name="Sổ QĐ"
    )
    decisions.document_types.add(docworld.doc_type("quyet-dinh"))
    chosen = register_for(
        docworld.committee,
        Direction.OUTGOING,
        confidential=False,
        document_type=docworld.doc_type("quyet-dinh"),
    )
    other = register_for(
        docworld.committee,
        Direction.OUTGOING,
        confidential=False,
        document_type=docworld.doc_type("cong-van"),
    )
    assert chosen == decisions
    assert other == docworld.outgoing


def test_no_register_is_a_clear_error(docworld: DocWorld) -> None:
    with pytest.raises(NotFound) as caught:
        register_for(docworld.outsider.unit, Direction.INCOMING, confidential=False)
    assert caught.value.code == "document.no_register"


def test_numbers_restart_each_year_and_per_register(docworld: DocWorld) -> None:
    with transaction.atomic():
        first = [register_next_number(docworld.incoming, 2026) for _ in range(3)]
        secret = register_next_number(docworld.incoming_secret, 2026)
        next_year = register_next_number(docworld.incoming, 2027)
    assert first == [1, 2, 3]
    assert secret == 1
    assert next_year == 1

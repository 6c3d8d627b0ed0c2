"""Gap-free number series: one counter per series, rollback gives the number back, and real
parallel processes never receive the same number nor leave a hole."""

from __future__ import annotations

import contextlib
import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest
from django.db import connection, transaction

from egov.core import sequences
from egov.core.errors import ValidationFailed
from egov.core.models import Sequence
from egov.core.sequences import sequence_next, sequence_peek


def _workers() -> ModuleType:
    name = "egov_tests_seq_workers"
    if name not in sys.modules:
        path = Path(__file__).with_name("_seq_workers.py")
        spec = importlib.util.spec_from_file_location(name, path)
        assert spec is not None
        assert spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


SERIES = {"scope": "H53.12", "register": "incoming", "year": 2026}


class _Rollback(Exception):
    pass


def _take_then_roll_back() -> int:
    """Take a number of SERIES in a transaction that then rolls back; return the number."""
    taken: list[int] = []
    with contextlib.suppress(_Rollback), transaction.atomic():
        taken.append(sequence_next(**SERIES))
        raise _Rollback
    return taken[0]


@pytest.mark.django_db
def test_numbers_start_at_one_and_count_up_per_series() -> None:
    with transaction.atomic():
        taken = [sequence_next(scope="H53.12", register="incoming", year=2026) for _ in range(3)]
        other_register = sequence_next(scope="H53.12", register="outgoing", year=2026)
        other_year = sequence_next(scope="H53.12", register="incoming", year=2027)
        other_scope = sequence_next(scope="H53.13", register="incoming", year=2026)

    assert taken == [1, 2, 3]
    assert (other_register, other_year, other_scope) == (1, 1, 1)
    assert sequence_peek(scope="H53.12", register="incoming", year=2026) == 3
    assert Sequence.objects.count() == 4


@pytest.mark.django_db
def test_peek_is_zero_for_a_series_not_started_and_writes_nothing() -> None:
    assert sequence_peek(scope="H53.12", register="incoming", year=2026) == 0
    assert Sequence.objects.count() == 0


@pytest.mark.django_db
def test_a_rolled_back_number_is_handed_out_again() -> None:
    with transaction.atomic():
        assert sequence_next(scope="H53.12", register="incoming", year=2026) == 1
    assert _take_then_roll_back() == 2

    assert sequence_peek(scope="H53.12", register="incoming", year=2026) == 1
    with transaction.atomic():
        assert sequence_next(scope="H53.12", register="incoming", year=2026) == 2


@pytest.mark.django_db
def test_a_rolled_back_first_number_leaves_no_series_row() -> None:
    assert _take_then_roll_back() == 1

    assert Sequence.objects.count() == 0
    with transaction.atomic():
        assert sequence_next(scope="H53.12", register="incoming", year=2026) == 1


@pytest.mark.django_db(transaction=True)
def test_taking_a_number_outside_a_transaction_is_refused() -> None:
    assert not connection.in_atomic_block
    with pytest.raises(transaction.TransactionManagementError):
        sequence_next(scope="H53.12", register="incoming", year=2026)
    assert Sequence.objects.count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("scope", "register", "year"),
    [
        ("", "incoming", 2026),
        ("H53.12", "", 2026),
        ("x" * 65, "incoming", 2026),
        ("H53.12", "r" * 65, 2026),
        ("H53.12", "incoming", 1899),
        ("H53.12", "incoming", 10000),
        ("H53.12", "incoming", True),
        ("H53.12", "incoming", "2026"),
    ],
)
def test_a_bad_series_is_refused_and_nothing_is_written(
    scope: str, register: str, year: int
) -> None:
    with pytest.raises(ValidationFailed) as caught, transaction.atomic():
        sequence_next(scope=scope, register=register, year=year)
    assert caught.value.code == "sequence.bad_series"
    with pytest.raises(ValidationFailed):
        sequence_peek(scope=scope, register=register, year=year)
    assert Sequence.objects.count() == 0


@pytest.mark.sqlite
@pytest.mark.django_db
def test_sqlite_without_returning_falls_back_to_update_then_insert(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(sequences, "_SQLITE_HAS_RETURNING", False)
    with transaction.atomic():
        assert sequence_next(scope="H53.12", register="incoming", year=2026) == 1
        assert sequence_next(scope="H53.12", register="incoming", year=2026) == 2
    assert _take_then_roll_back() == 3
    with transaction.atomic():
        assert sequence_next(scope="H53.12", register="incoming", year=2026) == 3
    assert sequence_peek(scope="H53.12", register="incoming", year=2026) == 3


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_parallel_processes_commit_every_number_exactly_once() -> None:
    """4 processes x 50 numbers of one brand-new series (so they also race to create the row),
    every 7th transaction rolled back: the committed numbers are exactly 1..N."""
    jobs = [
        {
            "kind": "sequence",
            "scope": "H53.12",
            "register": "incoming",
            "year": 2026,
            "count": 50,
            "rollback_every": 7,
            "worker": n,
        }
        for n in range(4)
    ]
    reports, _ = _workers().run_workers(jobs, connection.settings_dict)

    committed = sorted(v for r in reports for v in r["committed"])
    rolled_back = [v for r in reports for v in r["rolled_back"]]
    total = 4 * (50 - 50 // 7)
    assert len(committed) == total
    assert committed == list(range(1, total + 1))
    assert len(rolled_back) == 4 * (50 // 7)
    assert all(1 <= v <= total + 1 for v in rolled_back)
    assert sequence_peek(scope="H53.12", register="incoming", year=2026) == total
    assert Sequence.objects.count() == 1

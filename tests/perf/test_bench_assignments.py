"""Benchmarks of the follow-up screens' reads (issue 6, assignments).

A head who gave 20,000 assignments (over three units, every state, due dates spread over a
year; plus 20,000 given by another head in the same table): the follow-up board's first page
with its counts (`follow_up_board`: state, timeliness and unit aggregates plus the ordered
page), and "my assignments" for the head of a unit that received a third of them. Baseline in
the same run: the plainest page of the same rows (`assigned_by = head ORDER BY due_on LIMIT 25`),
to show what the bucket ordering and the counts add. Figures are printed, never asserted.

Run (PostgreSQL):
  bash scripts/pg-test.sh start 54334 && EGOV_ENV=test \\
    DATABASE_URL=postgres://postgres@127.0.0.1:54334/egov .venv/bin/pytest \\
    tests/perf/test_bench_assignments.py --benchmark-only -p no:xdist \\
    -o addopts="--import-mode=importlib" -s
"""

from __future__ import annotations

import importlib.util
import random
import sys
import time
from datetime import date, timedelta
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone
from pytest_benchmark.fixture import BenchmarkFixture

from egov.assignments import selectors
from egov.assignments.models import Assignment, State
from egov.directory.models import Role, Scope

ROOT = Path(__file__).resolve().parents[2]
GIVEN = 20_000
OTHERS = 20_000
RUNS = 60
PAGE = 25
DAY = date(2026, 11, 25)


def _load(name: str, path: Path) -> ModuleType:
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, path)
        assert spec is not None
        assert spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


_factories = _load("directory_factories", ROOT / "tests/directory/factories.py")


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def _figures(durations_ms: list[float]) -> dict[str, float]:
    return {
        "p50_ms": round(_percentile(durations_ms, 0.5), 2),
        "p99_ms": round(_percentile(durations_ms, 0.99), 2),
        "max_ms": round(max(durations_ms), 2),
    }


def _world() -> dict[str, Any]:
    org = _factories.OrganizationFactory
    officer = _factories.OfficerFactory
    root = org(code="H51", committee=True, name_vi="Tỉnh Quảng Ngãi")
    committee = org(code="H51.01", parent=root, committee=True, name_vi="UBND tỉnh")
    units = [
        org(code=f"H51.01.0{n}", parent=committee, unit=True, name_vi=f"Phòng {n}")
        for n in range(1, 4)
    ]
    head = officer(unit=committee, roles=[(Role.HEAD, Scope.ORGANIZATION)])
    other_head = officer(unit=committee, roles=[(Role.HEAD, Scope.ORGANIZATION)])
    unit_head = officer(unit=units[0], roles=[(Role.HEAD, Scope.UNIT)])
    rng = random.Random(20261125)
    states = [State.OPEN, State.IN_PROGRESS, State.IN_PROGRESS, State.DONE, State.CANCELLED]
    rows = []
    for n in range(GIVEN + OTHERS):
        state = rng.choice(states)
        starts = DAY - timedelta(days=rng.randrange(200))
        rows.append(
            Assignment(
                organization=committee,
                title=f"Việc số {n}",
                assigned_by=head if n < GIVEN else other_head,
                assignee_unit=units[n % 3],
                starts_on=starts,
                due_on=starts + timedelta(days=rng.randrange(1, 365)),
                state=state,
                completed_at=timezone.now() if state == State.DONE else None,
                progress=rng.randrange(101),
            )
        )
    Assignment.objects.bulk_create(rows, batch_size=2000)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE assignments_assignment")
    return {"head": head, "unit_head": unit_head}


def _time(function: Any) -> list[float]:
    durations = []
    for _ in range(RUNS):
        start = time.perf_counter()
        function()
        durations.append((time.perf_counter() - start) * 1000)
    return durations


@pytest.mark.django_db
def test_bench_follow_up_reads(benchmark: BenchmarkFixture) -> None:
    world = _world()
    head, unit_head = world["head"], world["unit_head"]

    def baseline() -> int:
        return len(list(Assignment.objects.filter(assigned_by=head).order_by("due_on")[:PAGE]))

    def board() -> int:
        result = selectors.follow_up_board(head, day=DAY)
        return len(list(result.rows[:PAGE])) + sum(result.by_state.values())

    def mine() -> int:
        return len(list(selectors.assignments_mine(unit_head)[:PAGE]))

    for warm in (baseline, board, mine):
        warm()
    figures = {
        "baseline": _figures(_time(baseline)),
        "board": _figures(_time(board)),
        "mine": _figures(_time(mine)),
    }
    ratio = figures["board"]["p50_ms"] / max(figures["baseline"]["p50_ms"], 0.001)
    print(f"\nassignments follow-up reads over {GIVEN + OTHERS} rows: {figures}")
    print(f"board p50 / baseline p50 = {ratio:.1f}")
    benchmark.extra_info.update({"figures": figures, "board_over_baseline": round(ratio, 1)})
    benchmark.pedantic(board, rounds=10, iterations=1)

"""Deadline computations per second (target ≥ 100,000/s), against a plain date-arithmetic loop.

The baseline adds calendar days with `date + timedelta` to the same moments: the cheapest
thing a deadline could be. The ratio tells how much the working-day rules cost on this machine.
"""

from __future__ import annotations

import random
import time as clock
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from pytest_benchmark.fixture import BenchmarkFixture

from egov.core.calendar import OverrideDay, WorkingCalendar

BATCH = 10_000
TARGET_PER_SECOND = 100_000
HCM = ZoneInfo("Asia/Ho_Chi_Minh")


def _inputs() -> list[tuple[datetime, int]]:
    """Varied intakes over 2026-2027: any hour (so some after the cut-off), weekends, Tết."""
    rng = random.Random(20260217)
    start = datetime(2026, 1, 1, tzinfo=HCM)
    periods = (0, 1, 2, 3, 5, 7, 10, 15, 20, 30, 45, 60)
    inputs = []
    for n in range(BATCH):
        moment = start + timedelta(seconds=rng.randrange(2 * 365 * 86_400))
        if n % 4 == 0:
            moment = moment.astimezone(UTC)
        inputs.append((moment, rng.choice(periods)))
    return inputs


def _calendar() -> WorkingCalendar:
    return WorkingCalendar(
        [
            OverrideDay(date(2026, 1, 2), "day_off", "Nghỉ hoán đổi"),
            OverrideDay(date(2026, 1, 10), "working_day", "Làm bù"),
            OverrideDay(date(2026, 10, 13), "holiday", "Ngày thành lập tỉnh"),
        ],
        intake_cutoff=time(17),
        years=range(2025, 2029),
    )


def _baseline_batch(inputs: list[tuple[datetime, int]]) -> int:
    total = 0
    for moment, days in inputs:
        total += (moment.date() + timedelta(days=days)).toordinal()
    return total


def _best_seconds(
    function: Callable[[list[tuple[datetime, int]]], int],
    inputs: list[tuple[datetime, int]],
    rounds: int,
) -> float:
    best = float("inf")
    for _ in range(rounds):
        started = clock.perf_counter()
        function(inputs)
        best = min(best, clock.perf_counter() - started)
    return best


def test_bench_deadline_batch(benchmark: BenchmarkFixture) -> None:
    calendar = _calendar()
    inputs = _inputs()
    deadline = calendar.deadline

    def batch(items: list[tuple[datetime, int]]) -> int:
        total = 0
        for moment, days in items:
            total += deadline(moment, days).toordinal()
        return total

    batch(inputs)  # warm: every year of the inputs is precomputed before timing
    checksum = benchmark.pedantic(batch, args=(inputs,), rounds=20, iterations=1, warmup_rounds=2)
    assert checksum == batch(inputs)

    deadline_per_second = BATCH / benchmark.stats.stats.median
    baseline_per_second = BATCH / _best_seconds(_baseline_batch, inputs, rounds=20)
    ratio = deadline_per_second / baseline_per_second
    benchmark.extra_info.update(
        {
            "batch": BATCH,
            "deadlines_per_second": round(deadline_per_second),
            "baseline_per_second": round(baseline_per_second),
            "ratio_to_baseline": round(ratio, 3),
            "target_per_second": TARGET_PER_SECOND,
            "meets_target": deadline_per_second >= TARGET_PER_SECOND,
        }
    )
    print(  # noqa: T201 - the figure is the point of a benchmark
        f"\ndeadline(): {deadline_per_second:,.0f}/s; date + timedelta baseline: "
        f"{baseline_per_second:,.0f}/s; ratio {ratio:.2f} (target {TARGET_PER_SECOND:,}/s)"
    )


def test_bench_baseline_date_plus_timedelta_batch(benchmark: BenchmarkFixture) -> None:
    inputs = _inputs()
    checksum = benchmark.pedantic(
        _baseline_batch, args=(inputs,), rounds=20, iterations=1, warmup_rounds=2
    )
    assert checksum == _baseline_batch(inputs)
    benchmark.extra_info["operations_per_second"] = round(BATCH / benchmark.stats.stats.median)

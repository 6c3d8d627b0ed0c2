"""The reference ceiling: the smallest Django JSON view through the whole middleware stack.

Later API benchmarks report their throughput as a ratio to this figure measured in the same
run (ARCHITECTURE.md §7), so noisy machines do not mislead.
"""

from __future__ import annotations

import pytest
from django.test import Client
from pytest_benchmark.fixture import BenchmarkFixture

BATCH = 200


@pytest.mark.django_db
def test_bench_minimal_json_view_ceiling(benchmark: BenchmarkFixture) -> None:
    client = Client()

    def batch() -> int:
        ok = 0
        for _ in range(BATCH):
            ok += client.get("/healthz").status_code == 200
        return ok

    ok = benchmark.pedantic(batch, rounds=10, iterations=1, warmup_rounds=1)
    assert ok == BATCH
    per_second = BATCH / benchmark.stats.stats.median
    benchmark.extra_info["requests_per_second"] = round(per_second)
    print(f"\nminimal JSON view (in-process, full middleware): {per_second:,.0f} requests/s")

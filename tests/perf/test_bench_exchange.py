"""Benchmarks of the inter-agency exchange (issue 7), between two real installations.

Two platform instances (`tests/exchange/exchange_instances.py`: each its own database — copies
of the test database — files folder and gunicorn server on a loopback port), A sending to an
organisation hosted by B, every document with a 1 MB appendix (package ≈ 1.4 MB base64 plus the
sealed PDF):

(a) Throughput: EGOV_BENCH_EXCHANGE_DOCUMENTS documents (default 20) issued in A, then A's
    outbox drained by one sender (`outbox_deliver_due`, what `egov exchange deliver` and the
    worker run): packages/s end to end (signed request, B verifies the request and the package
    signature, parses, stores the files, makes the incoming document and queues "01 arrived",
    answers; A records the answer). Baseline in the same run: the same bytes POSTed to B's
    endpoint without credentials (B reads the body and answers 401): HTTP + framework alone.
(b) Backlog after a one-hour outage of B: EGOV_BENCH_EXCHANGE_BACKLOG documents (default 60,
    one a minute for an hour) issued while B is down, each delivery attempted and failed
    once; B comes back, the retries fall due, and A drains the backlog: drain time and
    packages/s, then B drains its "01 arrived" statuses back to A.

Figures are printed; nothing is asserted on time. Run:
  EGOV_ENV=test DATABASE_URL=sqlite:///$PWD/var/bench.sqlite3 .venv/bin/pytest \\
    tests/perf/test_bench_exchange.py --benchmark-only -p no:xdist \\
    -o addopts="--import-mode=importlib" -s
(PostgreSQL: DATABASE_URL=postgres://…; the two instances are cloned from the test database.)
"""

from __future__ import annotations

import http.client
import importlib.util
import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pytest_benchmark.fixture import BenchmarkFixture

EXCHANGE_TESTS = Path(__file__).resolve().parents[1] / "exchange"
DOCUMENTS = int(os.environ.get("EGOV_BENCH_EXCHANGE_DOCUMENTS", "20"))
BACKLOG = int(os.environ.get("EGOV_BENCH_EXCHANGE_BACKLOG", "60"))
ATTACHMENT_BYTES = 1024 * 1024


def _load(name: str, path: Path) -> Any:
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, path)
        assert spec is not None
        assert spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


instances = _load("exchange_instances", EXCHANGE_TESTS / "exchange_instances.py")

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def pair(tmp_path: Path, transactional_db: None) -> Iterator[Any]:
    with instances.two_instances(tmp_path) as both:
        yield both


def _baseline(port: int, body: bytes, count: int) -> float:
    """Seconds for `count` unauthenticated POSTs of `body` (B reads it and answers 401)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    start = time.perf_counter()
    for _ in range(count):
        connection.request(
            "POST", "/exchange/v1/packages", body=body, headers={"Content-Type": "application/xml"}
        )
        answer = connection.getresponse()
        answer.read()
        assert answer.status == 401
    seconds = time.perf_counter() - start
    connection.close()
    return seconds


def test_bench_exchange_packages_per_second_with_1mb_attachments(
    benchmark: BenchmarkFixture, pair: Any
) -> None:
    a, b = pair.a, pair.b
    for instance in (a, b):
        instance.start_server()
    a.wait_server()
    b.wait_server()
    a.call(
        "issue", recipients_text=instances.TO_B, count=DOCUMENTS, appendix_bytes=ATTACHMENT_BYTES
    )
    body = _package_bytes(a)

    def drain() -> float:
        start = time.perf_counter()
        counts = a.call("deliver_loop")
        seconds = time.perf_counter() - start
        assert counts == {"sent": DOCUMENTS}
        return seconds

    seconds = benchmark.pedantic(drain, rounds=1, iterations=1)
    received = b.call("counts")
    assert len(received["incoming"]) == DOCUMENTS
    baseline = _baseline(b.port, body, DOCUMENTS)
    rate = DOCUMENTS / seconds
    ceiling = DOCUMENTS / baseline
    benchmark.extra_info.update(
        {
            "documents": DOCUMENTS,
            "package_bytes": len(body),
            "seconds": round(seconds, 2),
            "packages_per_second": round(rate, 1),
            "megabytes_per_second": round(rate * len(body) / 1e6, 1),
            "baseline_posts_per_second": round(ceiling, 1),
            "share_of_baseline": round(rate / ceiling, 3),
        }
    )
    print(f"\nexchange throughput: {benchmark.extra_info}")  # noqa: T201


def _package_bytes(a: Any) -> bytes:
    """One of A's queued packages, read from A's database file by the driver's counts."""
    result = a.call("payload_of_first")
    return bytes.fromhex(result["hex"])


def test_bench_exchange_backlog_after_one_hour_outage(
    benchmark: BenchmarkFixture, pair: Any
) -> None:
    a, b = pair.a, pair.b
    a.start_server()
    a.wait_server()
    start_issue = time.perf_counter()
    a.call("issue", recipients_text=instances.TO_B, count=BACKLOG, appendix_bytes=ATTACHMENT_BYTES)
    issue_seconds = time.perf_counter() - start_issue
    assert a.call("deliver") == {"retry": BACKLOG}  # B is down: every attempt fails once
    b.start_server()
    b.wait_server()
    assert a.call("due_now") == {"due": BACKLOG}  # the back-off has run out: B is back

    def drain() -> float:
        start = time.perf_counter()
        counts = a.call("deliver_loop")
        seconds = time.perf_counter() - start
        assert counts == {"sent": BACKLOG}
        return seconds

    seconds = benchmark.pedantic(drain, rounds=1, iterations=1)
    start_status = time.perf_counter()
    assert b.call("deliver_loop") == {"sent": BACKLOG}
    status_seconds = time.perf_counter() - start_status
    assert len(b.call("counts")["incoming"]) == BACKLOG
    assert {row[2] for row in pair.deliveries()} == {"arrived"}
    benchmark.extra_info.update(
        {
            "simulated_outage": f"1 hour, {BACKLOG} documents with a 1 MB appendix",
            "issue_seconds": round(issue_seconds, 2),
            "drain_seconds": round(seconds, 2),
            "drain_packages_per_second": round(BACKLOG / seconds, 1),
            "status_back_seconds": round(status_seconds, 2),
            "statuses_per_second": round(BACKLOG / status_seconds, 1),
        }
    )
    print(f"\nexchange backlog: {benchmark.extra_info}")  # noqa: T201

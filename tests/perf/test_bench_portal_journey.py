"""Benchmark of the whole online submission journey (issue #5) under locust: 200 simulated
citizens, each looping over procedure page → start → resumable upload of a 200 KB paper →
e-form → review → submit → dossier code, against gunicorn (2 workers × 4 threads, persistent
connections) on the PostgreSQL test database. The ceiling is the same locust setup hitting
/healthz in the same run. Afterwards the dossiers are counted: every journey locust saw
succeed must have made exactly one dossier (none lost, none doubled).

Run: `make bench`, or
  bash scripts/pg-test.sh start 54343 && EGOV_ENV=test \\
    DATABASE_URL=postgres://postgres@127.0.0.1:54343/egov .venv/bin/pytest \\
    tests/perf/test_bench_portal_journey.py --benchmark-only -p no:xdist \\
    -o addopts="--import-mode=importlib" -s
Sizes: EGOV_BENCH_CITIZENS (200), EGOV_BENCH_JOURNEY_SECONDS (60).
"""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from bench_support import ROOT, gunicorn_server, load_module
from pytest_benchmark.fixture import BenchmarkFixture

from egov.dossiers.models import Dossier
from egov.dossiers.models_online import OnlineDraft
from egov.procedures.models import Field
from egov.procedures.services import procedure_create

_factories = load_module("directory_factories", ROOT / "tests/directory/factories.py")
LOCUSTFILE = Path(__file__).with_name("locust_online_journey.py")
CITIZENS = int(os.environ.get("EGOV_BENCH_CITIZENS", "200"))
SECONDS = int(os.environ.get("EGOV_BENCH_JOURNEY_SECONDS", "60"))
CODE = "BENCH-ONLINE-01"
PROCEDURE: dict[str, Any] = {
    "code": CODE,
    "code_status": "unverified",
    "name": "Đăng ký thử nghiệm hồ sơ trực tuyến",
    "field": "XD",
    "level": "province",
    "effective_from": "2025-07-01",
    "competent_organization": {"code": "H51.04", "name": "Sở Xây dựng"},
    "executing_organization": {"code": "H51.04", "name": "Sở Xây dựng"},
    "channels": [{"channel": "online", "time": 5, "unit": "working_days"}],
    "documents": [{"code": "TP1", "name": "Đơn đề nghị", "originals": 1}],
    "result": "Văn bản trả lời",
    "service_level": "full_online",
    "anonymous_allowed": True,
    "eform_schema": {
        "type": "object",
        "properties": {
            "ho_ten": {"type": "string", "title": "Họ và tên", "maxLength": 150},
            "so_dinh_danh": {"type": "string", "format": "national-id", "title": "Số định danh"},
        },
        "required": ["ho_ten", "so_dinh_danh"],
    },
    "steps": [{"name": "Tiếp nhận", "role": "counter", "days": 1}],
    "publish": True,
}


@pytest.fixture
def server(tmp_path: Path) -> Iterator[int]:
    # One client address for 200 citizens: lift the per-address limits for the run.
    limits = "submit=10000000/3600,upload=10000000/3600,status_miss=10000000/600"
    with gunicorn_server(
        tmp_path, env={"EGOV_RATE_LIMITS": limits}, extra_args=("--timeout=120",)
    ) as port:
        yield port


def _locust(port: int, prefix: Path, *, users: int, seconds: int, ceiling: bool) -> dict[str, Any]:
    env = {**os.environ, "EGOV_BENCH_PROCEDURE": CODE, "EGOV_BENCH_CEILING": "1" if ceiling else ""}
    subprocess.run(  # noqa: S603 - our own executable, fixed arguments
        [
            str(Path(sys.executable).with_name("locust")),
            "-f",
            str(LOCUSTFILE),
            "--headless",
            "--users",
            str(users),
            "--spawn-rate",
            str(max(1, users // 5)),
            "--run-time",
            f"{seconds}s",
            "--host",
            f"http://127.0.0.1:{port}",
            "--csv",
            str(prefix),
            "--only-summary",
            "--stop-timeout",  # let every citizen finish the journey under way
            "60",
            "--loglevel",
            "WARNING",
        ],
        env=env,
        check=False,  # locust exits 1 when any request failed: the figures say so
        capture_output=True,
        timeout=seconds + 180,
    )
    with open(f"{prefix}_stats.csv", newline="") as handle:
        rows = {row["Name"]: row for row in csv.DictReader(handle)}
    with open(f"{prefix}_failures.csv", newline="") as handle:
        rows["failures"] = [dict(row) for row in csv.DictReader(handle)]  # type: ignore[assignment]
    return rows


def _figures(row: dict[str, str]) -> dict[str, Any]:
    return {
        "requests": int(row["Request Count"]),
        "failures": int(row["Failure Count"]),
        "per_second": round(float(row["Requests/s"]), 1),
        "p50_ms": float(row["50%"]),
        "p99_ms": float(row["99%"]),
    }


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_bench_online_journey_under_locust(
    benchmark: BenchmarkFixture, server: int, tmp_path: Path
) -> None:
    factory = _factories.OrganizationFactory
    root = factory(code="H51", committee=True, name_vi="UBND tỉnh")
    factory(code="H51.04", parent=root, name_vi="Sở Xây dựng")
    Field.objects.create(code="XD", name="Hoạt động xây dựng")
    procedure_create(actor=None, data=PROCEDURE, as_system=True)
    outcome: dict[str, Any] = {}

    def run() -> None:
        outcome["ceiling"] = _locust(
            server, tmp_path / "ceiling", users=CITIZENS, seconds=15, ceiling=True
        )
        outcome["journey"] = _locust(
            server, tmp_path / "journey", users=CITIZENS, seconds=SECONDS, ceiling=False
        )

    benchmark.pedantic(run, rounds=1, iterations=1)
    ceiling = _figures(outcome["ceiling"]["Aggregated"])
    stats = outcome["journey"]
    steps = {
        name: _figures(row) for name, row in stats.items() if name not in ("Aggregated", "failures")
    }
    submit = steps["8 submit"]
    dossiers = Dossier.objects.count()
    succeeded = submit["requests"] - submit["failures"]
    submitted_drafts = OnlineDraft.objects.filter(state=OnlineDraft.State.SUBMITTED).count()
    every = _figures(stats["Aggregated"])
    benchmark.extra_info.update(
        {
            "citizens": CITIZENS,
            "seconds": SECONDS,
            "server": "gunicorn gthread 2x4",
            "journeys_submitted": succeeded,
            "dossiers_in_database": dossiers,
            "submitted_drafts": submitted_drafts,
            # Journeys still under way when locust stops are not counted by it: their dossiers
            # exist, so the check is one dossier per submitted draft and none missing.
            "none_lost": dossiers == submitted_drafts and dossiers >= succeeded,
            "failures": stats["failures"],
            "journeys_per_second": round(succeeded / SECONDS, 1),
            "requests": every,
            "submit": submit,
            "steps": steps,
            "ceiling_healthz": ceiling,
            "requests_share_of_ceiling": round(every["per_second"] / ceiling["per_second"], 3),
        }
    )
    print(f"\nonline journey under locust: {benchmark.extra_info}")  # noqa: T201
    # Every journey locust saw succeed made its dossier, and no draft made two.
    assert dossiers == submitted_drafts
    assert dossiers >= succeeded
    assert not stats["failures"]

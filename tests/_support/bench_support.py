"""Shared pieces of the benchmarks in tests/perf (importable: tests/_support is on the path).

One copy of each measuring rule: percentiles, the median-batch request rate, a gunicorn server
on the test database, the 2,000-procedure catalogue the search benchmarks fill.
"""

from __future__ import annotations

import http.client
import importlib.util
import json
import os
import random
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from types import ModuleType

from django.db import connection
from django.utils import timezone

from egov.core.models import SearchEntry
from egov.core.text import search_text
from egov.procedures.models import Field, Procedure, ProcedureVersion
from egov.procedures.search import SEARCH_KIND, procedure_search_text, procedure_search_title
from egov.procedures.services import DEMO_DATA

ROOT = Path(__file__).resolve().parents[2]


def load_module(name: str, path: Path) -> ModuleType:
    """A test helper module by file path (test folders are not packages), loaded once."""
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, path)
        assert spec is not None
        assert spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def requests_per_second(call: Callable[[], int], *, batch: int = 200, rounds: int = 7) -> float:
    """Requests per second of the median batch; every answer must be 200."""
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        ok = sum(call() == 200 for _ in range(batch))
        times.append(time.perf_counter() - start)
        assert ok == batch
    return batch / sorted(times)[len(times) // 2]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def database_url() -> str:
    """The URL of the database this test runs against (the test database, not DATABASE_URL)."""
    db = connection.settings_dict
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@contextmanager
def gunicorn_server(
    tmp_path: Path,
    *,
    workers: int = 2,
    threads: int = 4,
    env: dict[str, str] | None = None,
    extra_args: tuple[str, ...] = (),
) -> Iterator[int]:
    """gunicorn (gthread, persistent database connections) on the test database; its port."""
    port = free_port()
    environment = {
        **os.environ,
        "EGOV_ENV": "test",
        "DATABASE_URL": database_url(),
        "DB_CONN_MAX_AGE": "600",
        "EGOV_VAR_DIR": str(tmp_path),
        "PYTHONPATH": str(ROOT / "src"),
        **(env or {}),
    }
    log = (tmp_path / "gunicorn.log").open("wb")
    process = subprocess.Popen(  # noqa: S603 - our own executable, fixed arguments
        [
            str(Path(sys.executable).with_name("gunicorn")),
            "egov.wsgi",
            f"--bind=127.0.0.1:{port}",
            f"--workers={workers}",
            f"--threads={threads}",
            "--worker-class=gthread",
            "--log-level=warning",
            *extra_args,
        ],
        env=environment,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                probe = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                probe.request("GET", "/healthz")
                if probe.getresponse().status == 200:
                    break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError((tmp_path / "gunicorn.log").read_text(errors="replace"))
            time.sleep(0.2)
        yield port
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()


QUALIFIERS = [
    "",
    "(cấp tỉnh)",
    "(cấp xã)",
    "cho tổ chức",
    "cho cá nhân",
    "đối với doanh nghiệp nhỏ và vừa",
    "đối với người nước ngoài",
    "trong khu công nghiệp",
    "trong khu kinh tế",
    "trường hợp bị mất, hỏng",
    "trường hợp thay đổi thông tin",
    "theo thủ tục rút gọn",
    "qua dịch vụ bưu chính công ích",
    "liên thông với cơ quan thuế",
    "liên thông với bảo hiểm xã hội",
    "tại Trung tâm Phục vụ hành chính công",
    "lần hai",
    "có yếu tố nước ngoài",
    "đối với hợp tác xã",
    "đối với đơn vị sự nghiệp công lập",
]


def catalogue_build(count: int, *, seed: int) -> list[str]:
    """`count` procedures with their first version and search entries, in bulk (names built
    from the demo catalogue and QUALIFIERS; every tenth unpublished); their names."""
    demo = json.loads(DEMO_DATA.read_text(encoding="utf-8"))
    fields = Field.objects.bulk_create(
        Field(code=f["code"], name=f["name"]) for f in demo["fields"]
    )
    field_of = {f.code: f for f in fields}
    bases = demo["procedures"]
    rng = random.Random(seed)
    procedures = Procedure.objects.bulk_create(
        Procedure(code=f"BENCH-{n:05d}", code_status="unverified") for n in range(count)
    )
    versions = []
    for n, procedure in enumerate(procedures):
        base = bases[n % len(bases)]
        qualifier = QUALIFIERS[(n // len(bases)) % len(QUALIFIERS)]
        suffix = f" {qualifier}" if qualifier else ""
        service_level = rng.choice(["full_online", "partial_online", "none"])
        versions.append(
            ProcedureVersion(
                procedure=procedure,
                number=1,
                effective_from=date(2025, 7, 1),
                name=f"{base['name']}{suffix} (mẫu {n})",
                field=field_of[base["field"]],
                level=base["level"],
                competent_text=base["competent_organization"]["name"],
                executing_text=base["executing_organization"]["name"],
                result=base["result"],
                subjects=base.get("subjects", []),
                service_level=service_level,
                life_events=base.get("life_events", []),
                anonymous_allowed=service_level != "none" and bool(base.get("anonymous_allowed")),
                content_hash=f"{n:064d}",
            )
        )
    ProcedureVersion.objects.bulk_create(versions)
    now = timezone.now()
    for n, (procedure, version) in enumerate(zip(procedures, versions, strict=True)):
        procedure.latest_version = version
        if n % 10:
            procedure.published_version = version
            procedure.published_at = now
    Procedure.objects.bulk_update(
        procedures, ["latest_version", "published_version", "published_at"], batch_size=500
    )
    SearchEntry.objects.bulk_create(
        (
            SearchEntry(
                kind=SEARCH_KIND,
                object_id=str(p.pk),
                title=procedure_search_title(p),
                folded=search_text(f"{procedure_search_title(p)}\n{procedure_search_text(p)}"),
            )
            for p in procedures
        ),
        batch_size=500,
    )
    return [v.name for v in versions]

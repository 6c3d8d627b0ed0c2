"""Real parallel writers for the sequence and audit-chain tests (and the sequence benchmark).

Parent side (tests load this file with importlib, tests/ is not a package): `database_url()`
turns the test database's settings into a DATABASE_URL for the children; `run_workers()` starts
one Python process per job, waits until every child has set Django up and connected, releases
them all at once and returns what each child committed.

Child side (run as a script with one JSON job argument): allocates numbers or appends audit
entries, each in its own short transaction, rolls back every `rollback_every`-th one, and
prints one JSON line with what it committed and what it rolled back.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

WORKER = Path(__file__).resolve()
SRC = WORKER.parents[2] / "src"


def database_url(settings_dict: dict[str, Any]) -> str:
    """A DATABASE_URL that points a child process at the parent's test database."""
    engine = settings_dict["ENGINE"]
    name = str(settings_dict["NAME"])
    if engine == "django.db.backends.sqlite3":
        in_memory = name == ":memory:" or "mode=memory" in name
        assert not in_memory, (
            "multi-process tests need the SQLite test database in a file: set "
            "EGOV_TEST_SQLITE=/abs/path/test.sqlite3 (pytest-django adds _gwN per xdist worker)"
        )
        return f"sqlite:///{name}"
    assert engine == "django.db.backends.postgresql", engine
    user = quote(str(settings_dict.get("USER") or ""), safe="")
    password = quote(str(settings_dict.get("PASSWORD") or ""), safe="")
    host = settings_dict.get("HOST") or "localhost"
    port = settings_dict.get("PORT") or 5432
    return f"postgres://{user}:{password}@{host}:{port}/{quote(name, safe='')}"


def child_env(settings_dict: dict[str, Any]) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("EGOV_TEST_SQLITE", None)
    env.update(
        DATABASE_URL=database_url(settings_dict),
        EGOV_ENV="test",
        DJANGO_SETTINGS_MODULE="egov.settings",
        PYTHONPATH=os.pathsep.join(filter(None, [str(SRC), env.get("PYTHONPATH", "")])),
        LOG_LEVEL="WARNING",
    )
    return env


def start_workers(
    jobs: list[dict[str, Any]], settings_dict: dict[str, Any], timeout: float = 180.0
) -> list[subprocess.Popen[str]]:
    """Start one child per job and wait until each has set Django up and connected."""
    env = child_env(settings_dict)
    procs = [
        subprocess.Popen(
            [sys.executable, str(WORKER), json.dumps(job)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        for job in jobs
    ]
    try:
        for proc in procs:
            assert proc.stdout is not None
            line = proc.stdout.readline().strip()
            if line != "ready":
                _, err = proc.communicate(timeout=timeout)
                raise AssertionError(f"worker failed to start: {line!r}\n{err}")
    except BaseException:
        _kill(procs)
        raise
    return procs


def release_and_collect(
    procs: list[subprocess.Popen[str]], timeout: float = 180.0
) -> tuple[list[dict[str, Any]], float]:
    """Release every started child at once; return their reports and the wall time from the
    release to the last child's exit."""
    try:
        started = time.perf_counter()
        for proc in procs:
            assert proc.stdin is not None
            proc.stdin.write("go\n")
            proc.stdin.flush()
        outputs = [proc.communicate(timeout=timeout) for proc in procs]
        elapsed = time.perf_counter() - started
    finally:
        _kill(procs)
    reports = []
    for proc, (out, err) in zip(procs, outputs, strict=True):
        assert proc.returncode == 0, f"worker exited {proc.returncode}:\n{err}"
        reports.append(json.loads(out.strip().splitlines()[-1]))
    return reports, elapsed


def run_workers(
    jobs: list[dict[str, Any]], settings_dict: dict[str, Any], timeout: float = 180.0
) -> tuple[list[dict[str, Any]], float]:
    """Start the children, release them together, return their reports and the wall time."""
    return release_and_collect(start_workers(jobs, settings_dict, timeout), timeout)


def _kill(procs: list[subprocess.Popen[str]]) -> None:
    for proc in procs:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


# --- child side ------------------------------------------------------------------------------


class _Rollback(Exception):
    pass


def _child(job: dict[str, Any]) -> dict[str, Any]:
    import django

    django.setup()
    from django.db import connection, transaction

    from egov.core.audit import audit_record
    from egov.core.sequences import sequence_next

    connection.ensure_connection()
    print("ready", flush=True)  # noqa: T201
    if sys.stdin.readline().strip() != "go":
        raise SystemExit("no go signal")

    committed: list[int] = []
    rolled_back: list[int] = []
    every = int(job.get("rollback_every", 0))
    started = time.perf_counter()
    for i in range(int(job["count"])):
        value = 0
        try:
            with transaction.atomic():
                if job["kind"] == "sequence":
                    value = sequence_next(
                        scope=job["scope"], register=job["register"], year=int(job["year"])
                    )
                else:
                    value = audit_record(
                        actor=None,
                        action="test.parallel",
                        object_type="test.worker",
                        object_id=str(job["worker"]),
                        after={"i": i},
                    ).pk
                if every and i % every == every - 1:
                    raise _Rollback
        except _Rollback:
            rolled_back.append(value)
        else:
            committed.append(value)
    elapsed = time.perf_counter() - started
    connection.close()
    return {"committed": committed, "rolled_back": rolled_back, "elapsed": elapsed}


if __name__ == "__main__":
    print(json.dumps(_child(json.loads(sys.argv[1]))), flush=True)  # noqa: T201

"""Two real platform installations for the exchange tests and benchmark (not a test).

Each `Instance` has its own database (a copy of the migrated test database: an SQLite file, or
a PostgreSQL database cloned from the test database as a template), its own files folder, and
the processes the test starts on loopback ports it picks: a gunicorn server (the receiving
endpoints), optionally a task worker (`egov worker`), and a driver (`exchange_instance.py`)
through which the test acts as the instance's clerk, head and officer.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.db import connection

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
SECRET = "bi-mat-lien-ket-giua-hai-he-thong-2026"
CODE_A, QCVN_A, NAME_A = "H51.01", "000.00.01.H51", "Ủy ban nhân dân tỉnh"
CODE_B, QCVN_B, NAME_B = "H51.04", "000.00.04.H51", "Sở Xây dựng"
TO_B = f"{NAME_B} [{QCVN_B}]\nLưu: VT, VP."


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def clone_database(tmp: Path, name: str) -> tuple[str, Callable[[], None]]:
    """A copy of the migrated, committed test database; (DATABASE_URL, drop)."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        target = tmp / f"{name}.sqlite3"
        source = sqlite3.connect(db["NAME"])
        copy = sqlite3.connect(target)
        with copy:
            source.backup(copy)
        source.close()
        copy.close()
        return f"sqlite:///{target}", lambda: None
    import psycopg

    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    host, port = db["HOST"] or "127.0.0.1", db["PORT"] or 5432
    clone = f"{db['NAME']}_{name}_{os.getpid()}".lower()
    connection.close()
    with psycopg.connect(f"postgresql://{auth}@{host}:{port}/postgres", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{clone}"')
        admin.execute(f'CREATE DATABASE "{clone}" TEMPLATE "{db["NAME"]}"')

    def drop() -> None:
        with psycopg.connect(
            f"postgresql://{auth}@{host}:{port}/postgres", autocommit=True
        ) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{clone}" WITH (FORCE)')

    return f"postgres://{auth}@{host}:{port}/{clone}", drop


@dataclass
class Instance:
    name: str
    database_url: str
    var_dir: Path
    port: int = field(default_factory=free_port)
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            "EGOV_ENV": "test",
            "DATABASE_URL": self.database_url,
            "EGOV_VAR_DIR": str(self.var_dir),
            "DJANGO_SETTINGS_MODULE": "exchange_instance_settings",
            "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(HERE)]),
            "EGOV_TASK_BACKEND": "database",
            "LOG_LEVEL": "WARNING",
        }

    def _log(self, role: str) -> Any:
        return (self.var_dir / f"{role}.log").open("ab")

    # --- processes ---
    def start_driver(self) -> None:
        process = subprocess.Popen(
            [sys.executable, str(HERE / "exchange_instance.py")],
            env=self.env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._log("driver"),
        )
        self.processes["driver"] = process

    def wait_driver(self) -> None:
        process = self.processes["driver"]
        assert process.stdout is not None
        line = process.stdout.readline()
        if not line:
            raise RuntimeError(self.logs())

    def call(self, cmd: str, **args: Any) -> Any:
        process = self.processes["driver"]
        assert process.stdin is not None
        assert process.stdout is not None
        process.stdin.write((json.dumps({"cmd": cmd, "args": args}) + "\n").encode())
        process.stdin.flush()
        line = process.stdout.readline()
        if not line:
            raise RuntimeError(f"driver {self.name} died\n{self.logs()}")
        answer = json.loads(line)
        if not answer["ok"]:
            raise RuntimeError(f"{self.name} {cmd}: {answer['error']}\n{answer['trace']}")
        return answer["result"]

    def kill(self, role: str) -> None:
        """SIGKILL: the process dies at once, as in a crash."""
        process = self.processes.pop(role)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)

    def start_server(self) -> None:
        self.processes["server"] = subprocess.Popen(
            [
                str(Path(sys.executable).with_name("gunicorn")),
                "egov.wsgi",
                f"--bind=127.0.0.1:{self.port}",
                "--workers=1",
                "--threads=4",
                "--worker-class=gthread",
                "--log-level=warning",
            ],
            env=self.env,
            stdout=self._log("server"),
            stderr=subprocess.STDOUT,
        )

    def wait_server(self) -> None:
        deadline = time.monotonic() + 30
        while True:
            try:
                probe = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                probe.request("GET", "/healthz")
                if probe.getresponse().status == 200:
                    return
            except OSError:
                pass
            server = self.processes.get("server")
            if server is None or server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(self.logs())
            time.sleep(0.1)

    def stop(self, role: str) -> None:
        process = self.processes.pop(role, None)
        if process is None:
            return
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)

    def start_worker(self) -> None:
        self.processes["worker"] = subprocess.Popen(
            [sys.executable, "-m", "egov.cli", "worker", "--interval", "0.1"],
            env=self.env,
            stdout=self._log("worker"),
            stderr=subprocess.STDOUT,
        )

    def egov(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "egov.cli", *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def stop_all(self) -> None:
        for role in list(self.processes):
            self.stop(role)

    def logs(self) -> str:
        return "\n".join(
            f"--- {self.name} {log.name}\n{log.read_text(errors='replace')[-3000:]}"
            for log in sorted(self.var_dir.glob("*.log"))
        )


@dataclass
class Pair:
    a: Instance
    b: Instance

    def deliveries(self) -> list[list[Any]]:
        return self.a.call("deliveries")["deliveries"]


def wait_until(check: Callable[[], Any], *, timeout: float = 20.0, what: str = "") -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


@contextmanager
def two_instances(tmp: Path) -> Iterator[Pair]:
    """A hosts the provincial committee (sender), B the construction department (recipient);
    each knows the other as a peer (link key, endpoint, Ed25519 public key). Servers are not
    started here: each test decides what runs."""
    drops = []
    instances = []
    for name in ("a", "b"):
        folder = tmp / name
        folder.mkdir()
        url, drop = clone_database(tmp, name)
        drops.append(drop)
        instances.append(Instance(name=name.upper(), database_url=url, var_dir=folder))
    a, b = instances
    try:
        a.start_driver()
        b.start_driver()
        a.wait_driver()
        b.wait_driver()
        key_a = a.call("init", role="A", code=CODE_A, qcvn=QCVN_A, name=NAME_A)["public_key"]
        key_b = b.call("init", role="B", code=CODE_B, qcvn=QCVN_B, name=NAME_B)["public_key"]
        a.call(
            "peer",
            name="B",
            endpoint_url=b.url,
            org_codes=[QCVN_B],
            key_id="a-b",
            secret=SECRET,
            public_key=key_b,
        )
        b.call(
            "peer",
            name="A",
            endpoint_url=a.url,
            org_codes=[QCVN_A],
            key_id="a-b",
            secret=SECRET,
            public_key=key_a,
        )
        yield Pair(a, b)
    except BaseException:
        sys.stderr.write(a.logs() + "\n" + b.logs() + "\n")
        raise
    finally:
        a.stop_all()
        b.stop_all()
        for drop in drops:
            drop()

"""Background tasks: the database queue and the `egov worker` that drains it."""

from __future__ import annotations

import email
import email.policy
import json
import os
import signal
import subprocess
import sys
import textwrap
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from egov.core.models import OutboundMessage
from egov.core.notifications import notification_send
from egov.core.tasks import deliver_message

DATABASE = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
PROJECT = Path(__file__).resolve().parents[2]


# The worker checks connections between tasks (close_old_connections), which would end the
# per-test transaction of a plain `db` test: these tests commit for real.
@pytest.mark.django_db(transaction=True)
def test_worker_runs_a_task_enqueued_on_the_database_queue(settings: Any) -> None:
    settings.TASKS = DATABASE
    message = notification_send(
        channel="email", recipient="an@example.vn", template="test", context={"name": "An"}
    )
    queued = DBTaskResult.objects.get()
    assert queued.status == TaskResultStatus.READY
    assert mail.outbox == []
    handlers = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}

    call_command("egov_worker", "--batch", "--worker-id", "test-worker")

    queued.refresh_from_db()
    assert queued.status == TaskResultStatus.SUCCESSFUL
    assert queued.return_value == "sent"
    assert queued.worker_ids == ["test-worker"]
    assert [m.to for m in mail.outbox] == [["an@example.vn"]]
    message.refresh_from_db()
    assert message.status == OutboundMessage.Status.SENT
    # the worker gives the signal handlers back when it stops
    assert {sig: signal.getsignal(sig) for sig in handlers} == handlers


@pytest.mark.django_db(transaction=True)
def test_worker_leaves_tasks_that_are_not_due_yet(settings: Any) -> None:
    settings.TASKS = DATABASE
    message = OutboundMessage.objects.create(
        channel="email", recipient="an@example.vn", template="test", subject="s", body="b"
    )
    later = deliver_message.using(run_after=timezone.now() + timedelta(minutes=5))
    result = later.enqueue(message.pk)

    call_command("egov_worker", "--batch")

    assert DBTaskResult.objects.get(pk=result.id).status == TaskResultStatus.READY
    assert mail.outbox == []


@pytest.mark.django_db
def test_worker_refuses_a_backend_that_is_not_the_database_queue(settings: Any) -> None:
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    with pytest.raises(CommandError, match="not the database queue"):
        call_command("egov_worker", "--batch")


@pytest.mark.django_db
def test_worker_refuses_an_unknown_backend(settings: Any) -> None:
    settings.TASKS = DATABASE
    with pytest.raises(CommandError, match="nosuch"):
        call_command("egov_worker", "--batch", "--backend", "nosuch")


# The command line end to end, in its own processes and its own SQLite file: independent of the
# database under test, so it runs once (in the SQLite pass).
@pytest.mark.sqlite
@pytest.mark.slow
def test_egov_worker_command_line_drains_the_queue_and_logs_json(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "EGOV_ENV": "test",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'worker.sqlite3'}",
        "EGOV_VAR_DIR": str(tmp_path),
        "EGOV_TASK_BACKEND": "database",
        "EMAIL_URL": f"file://{tmp_path / 'mail'}",
        "LOG_LEVEL": "INFO",
        "PYTHONPATH": str(PROJECT / "src"),
    }
    egov = [sys.executable, "-m", "egov.cli"]
    subprocess.run([*egov, "migrate", "--no-input", "-v", "0"], env=env, check=True, timeout=120)
    enqueue = textwrap.dedent(
        """
        import django
        django.setup()
        from egov.core.notifications import notification_send
        notification_send(channel="email", recipient="an@example.vn", template="test",
                          context={"name": "An"}, language="vi")
        """
    )
    subprocess.run(
        [sys.executable, "-c", enqueue],
        env={**env, "DJANGO_SETTINGS_MODULE": "egov.settings"},
        check=True,
        timeout=60,
    )
    assert not (tmp_path / "mail").exists()

    worker = subprocess.run(
        [*egov, "worker", "--batch"], env=env, capture_output=True, text=True, timeout=60
    )

    assert worker.returncode == 0, worker.stderr
    records = [json.loads(line) for line in worker.stderr.splitlines() if line.strip()]
    messages = [record["message"] for record in records]
    started = "started: backend=default queues=* batch=True"
    assert any(m.startswith("worker ") and m.endswith(started) for m in messages)
    assert "outbound message 1 sent via email" in messages
    assert all(record["level"] in {"DEBUG", "INFO", "WARNING"} for record in records)
    mails = list((tmp_path / "mail").iterdir())
    assert len(mails) == 1
    # Django's file backend writes each message followed by a line of 79 dashes.
    raw = mails[0].read_bytes().rsplit(b"-" * 79, 1)[0]
    arrived = email.message_from_bytes(raw, policy=email.policy.default)
    assert str(arrived["Subject"]).strip() == "Thư thử nghiệm từ Open eGov VN"
    assert arrived["To"] == "an@example.vn"
    assert str(arrived.get_content()).startswith("Xin chào An,\n")

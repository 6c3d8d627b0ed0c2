"""`egov worker`: run background tasks from the database queue (django-tasks-db).

A thin front to django_tasks_db's worker with the defaults an operator wants: every queue,
no auto-reload, a readable worker id (host and process), and JSON logs through the project's
LOGGING (the root handler), so `egov serve` and systemd journals get one log format.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django_tasks import DEFAULT_TASK_BACKEND_ALIAS, task_backends
from django_tasks.exceptions import InvalidTaskBackendError
from django_tasks_db.backend import DatabaseBackend
from django_tasks_db.management.commands.db_worker import (
    Worker,
    valid_interval,
    valid_max_tasks,
)

logger = logging.getLogger("egov.worker")


def _default_worker_id() -> str:
    return f"{socket.gethostname()}-{os.getpid()}"[-64:]


class Command(BaseCommand):
    help = "Run the background-task worker on the database queue (all queues by default)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--queue-name",
            default="*",
            help="Queues to process, comma separated; '*' for all (default: all)",
        )
        parser.add_argument(
            "--interval",
            type=valid_interval,
            default=1.0,
            help="Seconds to wait when the queue is empty (default: 1)",
        )
        parser.add_argument(
            "--batch",
            action="store_true",
            help="Run every task that is due now, then exit",
        )
        parser.add_argument(
            "--max-tasks",
            type=valid_max_tasks,
            default=None,
            help="Exit after this many tasks (a supervisor restarts the worker)",
        )
        parser.add_argument(
            "--backend",
            dest="backend_name",
            default=DEFAULT_TASK_BACKEND_ALIAS,
            help="Alias in settings.TASKS (default: %(default)s)",
        )
        parser.add_argument("--worker-id", default=None, help="Unique id (default: host-pid)")

    def handle(self, *args: Any, **options: Any) -> None:
        backend_name: str = options["backend_name"]
        try:
            backend = task_backends[backend_name]
        except InvalidTaskBackendError as exc:
            raise CommandError(str(exc)) from exc
        if not isinstance(backend, DatabaseBackend):
            raise CommandError(
                f"the task backend {backend_name!r} is {type(backend).__name__}, not the "
                "database queue: it needs no `egov worker` (set EGOV_TASK_BACKEND=database)"
            )
        worker_id = (options["worker_id"] or _default_worker_id())[:64]
        queues = [name.strip() for name in options["queue_name"].split(",") if name.strip()]
        worker = Worker(
            queue_names=queues or ["*"],
            interval=options["interval"],
            batch=options["batch"],
            backend_name=backend_name,
            startup_delay=not options["batch"],
            max_tasks=options["max_tasks"],
            worker_id=worker_id,
            excluded_queue_names=[],
        )
        handled = [signal.SIGINT, signal.SIGTERM]
        if hasattr(signal, "SIGQUIT"):
            handled.append(signal.SIGQUIT)
        saved = {sig: signal.getsignal(sig) for sig in handled}
        logger.info(
            "worker %s started: backend=%s queues=%s batch=%s",
            worker_id,
            backend_name,
            ",".join(queues or ["*"]),
            options["batch"],
        )
        worker.configure_signals()
        try:
            worker.run()
        finally:
            for sig, handler in saved.items():
                signal.signal(sig, handler)
            logger.info("worker %s stopped", worker_id)

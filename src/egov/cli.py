"""The `egov` command line: one entry point for operators.

`egov serve` runs the web server and, in the embedded default, a background-task worker
beside it; every other sub-command is a Django management command.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Sequence

PASSTHROUGH = {
    "assignments": "assignments",
    "exchange": "exchange",
    "migrate": "migrate",
    "seed-demo": "seed_demo",
    "createsuperuser": "createsuperuser",
    "check": "check",
    "calendar": "calendar",
    "audit": "audit",
    "signing": "signing",
    "procedures": "procedures",
    "dossiers": "dossiers",
    "payments": "payments",
    "worker": "egov_worker",
    "shell": "shell",
    "collectstatic": "collectstatic",
}

USAGE = """usage: egov COMMAND [ARGS…]

commands:
  serve [--port N] [--host H] [--no-worker]   web server (and a task worker beside it)
  worker                                      background-task worker only
  migrate                                     create or update the database tables
  seed-demo                                   load the demo province (idempotent)
  createsuperuser                             create an IT administrator account
  check [--deploy]                            Django system checks
  calendar is-working-day|add|show …          working-day calendar
  audit verify                                check the audit log's hash chain
  signing dev-ca|sign|verify|tsa …            digital signatures (PAdES) on PDF files
  procedures import|export|seed-demo …        catalogue of administrative procedures
  dossiers remind-overdue [--date YYYY-MM-DD] daily e-mail of due and overdue dossiers
  dossiers purge-uploads [--hours N]          forget abandoned online uploads (daily)
  assignments remind [--date YYYY-MM-DD]      daily e-mail of assignments due soon and overdue
  exchange parse FILE.edxml                   print an edXML package as JSON (non-zero if invalid)
  exchange build DOCUMENT_ID OUT.edxml        write the edXML package of an issued document
  exchange deliver [--loop]                   send the due outbox messages (retries, back-off)
  exchange status [--json]                    the outbox and inbox with their states
  exchange key                                create or show this installation's signing key
  exchange peer NAME --endpoint URL --codes … register a peer installation or a hub
  payments reconcile --day YYYY-MM-DD         the day's payments against the gateway (csv/xlsx)
  manage …                                    any Django management command
"""


def _django_main(argv: Sequence[str]) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "egov.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["egov", *argv])


def serve(argv: Sequence[str]) -> int:
    """Run gunicorn (or Django's server under DEBUG) plus a worker process."""
    import argparse

    parser = argparse.ArgumentParser(prog="egov serve")
    parser.add_argument("--host", default=os.environ.get("EGOV_HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    parser.add_argument("--workers", type=int, default=int(os.environ.get("WEB_WORKERS", "2")))
    parser.add_argument("--no-worker", action="store_true", help="do not start a task worker")
    args = parser.parse_args(list(argv))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "egov.settings")
    children: list[subprocess.Popen[bytes]] = []
    if not args.no_worker:
        children.append(subprocess.Popen([sys.executable, "-m", "egov.cli", "worker"]))
    web = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "egov.wsgi:application",
            "--bind",
            f"{args.host}:{args.port}",
            "--workers",
            str(args.workers),
            "--threads",
            "4",
            "--access-logfile",
            "-",
        ]
    )
    children.append(web)

    def _stop(signum: int, frame: object) -> None:
        for child in children:
            child.terminate()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    code = web.wait()
    for child in children:
        if child.poll() is None:
            child.terminate()
            child.wait(timeout=10)
    return code


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in {"-h", "--help", "help"}:
        print(USAGE)
        return 0
    command, rest = args[0], args[1:]
    if command == "serve":
        return serve(rest)
    if command == "manage":
        _django_main(rest)
        return 0
    if command in PASSTHROUGH:
        _django_main([PASSTHROUGH[command], *rest])
        return 0
    print(f"egov: unknown command {command!r}\n\n{USAGE}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())

"""Background jobs of assignments (django-tasks; run by `egov worker`)."""

from __future__ import annotations

from datetime import date

from django_tasks import task

from egov.assignments.reminders import assignment_reminders_send


@task()
def remind(day: str | None = None) -> str:
    """The daily assignment reminders, for schedulers that enqueue tasks rather than run
    `egov assignments remind`; `day` is YYYY-MM-DD (default: today). Idempotent per day."""
    run = assignment_reminders_send(today=date.fromisoformat(day) if day else None)
    return str(run)

"""The daily reminders of assignments, run by `egov assignments remind` from cron (07:00) or by
the task `egov.assignments.tasks.remind`.

On a working day (egov.core.calendar), for every open or in-progress assignment:
- due soon: once, on the first run within EGOV_ASSIGNMENT_REMIND_DAYS working days before the
  due date (default 2: the second working day before), to the responsible people (the lead
  officer, else the heads of the lead unit). An extension that moves the due date opens a new
  window, so the reminder comes again before the new date;
- due today: on the due day, to the responsible people;
- overdue: every working day after the due date, to the responsible people and the assigner.

On days off nothing is sent (a due date on a day off gets no "due today" mail; the next working
day it is overdue). Idempotent per day: a `ReminderLog` row per (assignment, officer, day) is
written in the transaction that records the message, so a second run the same day sends nothing
new. An officer without an e-mail address is skipped and counted.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date

from django.db import IntegrityError, transaction

from egov.assignments import notify, selectors
from egov.assignments.models import ACTIVE_STATES, Assignment, ReminderLog
from egov.core.calendar import get_calendar
from egov.directory.models import Officer

logger = logging.getLogger("egov.assignments.reminders")

TEMPLATE = "assignment_reminder"


@dataclass
class ReminderRun:
    """What one run did (the command prints it; the task returns it as text)."""

    day: date
    working_day: bool = True
    assignments: int = 0
    sent: int = 0
    already_sent: int = 0
    without_address: int = 0
    messages: list[int] = field(default_factory=list)

    def __str__(self) -> str:
        if not self.working_day:
            return f"{self.day.isoformat()}: not a working day, no reminders"
        return (
            f"{self.day.isoformat()}: {self.assignments} assignment(s) to remind about; "
            f"{self.sent} reminder(s) sent, {self.already_sent} already sent today, "
            f"{self.without_address} officer(s) without an e-mail address"
        )


def _kind(assignment: Assignment, day: date) -> str:
    if assignment.due_on < day:
        return ReminderLog.Kind.OVERDUE
    if assignment.due_on == day:
        return ReminderLog.Kind.DUE_TODAY
    return ReminderLog.Kind.DUE_SOON


def _recipients(assignment: Assignment, kind: str) -> list[Officer]:
    people = selectors.responsible_officers(assignment)
    if kind == ReminderLog.Kind.OVERDUE:
        assigner = assignment.assigned_by
        if assigner.is_active and assigner.account.is_active:
            people.append(assigner)
    unique: dict[int, Officer] = {}
    for person in people:
        unique.setdefault(person.pk, person)
    return list(unique.values())


def _due_soon_sent(assignment: Assignment, officer: Officer, since: date) -> bool:
    return ReminderLog.objects.filter(
        assignment=assignment,
        officer=officer,
        kind=ReminderLog.Kind.DUE_SOON,
        day__gte=since,
    ).exists()


def _send_one(
    *, assignment: Assignment, officer: Officer, kind: str, day: date, run: ReminderRun
) -> None:
    if ReminderLog.objects.filter(assignment=assignment, officer=officer, day=day).exists():
        run.already_sent += 1
        return
    if not notify.officer_address(officer):
        run.without_address += 1
        logger.warning(
            "assignment %s reminder: officer %s has no e-mail", assignment.pk, officer.pk
        )
        return
    calendar = get_calendar()  # cached per process; one version query
    context = {
        **notify.assignment_context(assignment),
        "kind": kind,
        "day": day,
        "progress": assignment.progress,
        "late_days": selectors.late_working_days(assignment, day, calendar=calendar),
        "days_left": max(calendar.working_days_between(day, assignment.due_on), 0),
        "is_assigner": officer.pk == assignment.assigned_by_id,
    }
    try:
        with transaction.atomic():
            log = ReminderLog.objects.create(
                assignment=assignment, officer=officer, day=day, kind=kind
            )
            message = notify.send_to(officer, template=TEMPLATE, context=context)
            log.message = message
            log.save(update_fields=["message"])
    except IntegrityError:
        # Another run of the same day claimed this reminder between our check and our insert.
        if not ReminderLog.objects.filter(assignment=assignment, officer=officer, day=day).exists():
            raise
        run.already_sent += 1
        return
    if message is not None:
        run.messages.append(message.pk)
    run.sent += 1


def assignment_reminders_send(*, today: date | None = None) -> ReminderRun:
    """Send today's reminders; a second run the same day sends nothing new. Each reminder
    commits on its own, so one failure does not undo the others."""
    day = today or selectors.today()
    run = ReminderRun(day=day)
    calendar = get_calendar()
    if not calendar.is_working_day(day):
        run.working_day = False
        return run
    n = selectors.remind_days()
    limit = calendar.add_working_days(day, n) if n else day
    due = list(
        Assignment.objects.filter(state__in=ACTIVE_STATES, due_on__lte=limit)
        .select_related(
            "assigned_by__account", "assignee_officer__account", "assignee_unit", "organization"
        )
        .order_by("due_on", "pk")
    )
    for assignment in due:
        kind = _kind(assignment, day)
        recipients = _recipients(assignment, kind)
        if kind == ReminderLog.Kind.DUE_SOON:
            window_start = calendar.add_working_days(assignment.due_on, -n) if n else day
            recipients = [
                r for r in recipients if not _due_soon_sent(assignment, r, min(window_start, day))
            ]
            if not recipients:
                continue
        run.assignments += 1
        for officer in recipients:
            _send_one(assignment=assignment, officer=officer, kind=kind, day=day, run=run)
    return run

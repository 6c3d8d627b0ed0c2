"""The daily reminder of overdue dossiers (issue #4: "a daily reminder to the responsible officer
and head"), run by `egov dossiers remind-overdue` from cron at 07:00 or by the task
`egov.dossiers.tasks.remind_overdue`.

A dossier is due when its current step, or the dossier as a whole, is due today or overdue by the
working-day calendar's day (STANDARDS-VN.md §8). Only open dossiers whose clock runs count: while
the clock stands still the dossier waits for the applicant and nobody at the office can act.

Who is told:
- the responsible officer of each due dossier: the current step's assignee; for a step nobody has
  taken yet, every active officer holding the step's role (officer unless the step names the
  counter or the head) with a scope that reaches the step's unit; for a dossier not yet accepted
  (no steps), the counter staff reaching the receiving organisation. One e-mail per officer
  lists all their dossiers (`dossier_overdue_officer`).
- the heads: one digest per head whose role reaches the competent organisation, the current
  step's unit or, before acceptance, the receiving organisation (`dossier_overdue_head`).

Idempotent per day: a `ReminderLog` row per (day, kind, officer) is written in the transaction that
records the message, so a second run on the same day sends nothing new. An officer without an
e-mail address is skipped (and counted), and gets the reminder if a later run finds an address.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Prefetch, Q

from egov.core.calendar import get_calendar
from egov.core.models import OutboundMessage
from egov.core.notifications import notification_send
from egov.directory import policy
from egov.directory.models import Officer, Organization, Role, RoleAssignment
from egov.dossiers import deadlines
from egov.dossiers.models import OPEN_STATES, ClockStop, Dossier, DossierStep, ReminderLog

logger = logging.getLogger("egov.dossiers.reminders")

OFFICER_TEMPLATE = "dossier_overdue_officer"
HEAD_TEMPLATE = "dossier_overdue_head"


@dataclass
class DueItem:
    """One due dossier: the step holding it (None before acceptance) and the due moment."""

    dossier: Dossier
    step: DossierStep | None
    due_at: datetime
    overdue: bool


@dataclass
class ReminderRun:
    """What one run did (the command prints it; the task returns it as text)."""

    day: date
    dossiers: int = 0
    officer_messages: int = 0
    head_messages: int = 0
    already_sent: int = 0
    without_address: int = 0
    messages: list[int] = field(default_factory=list)

    def __str__(self) -> str:
        return (
            f"{self.day.isoformat()}: {self.dossiers} due dossier(s); "
            f"{self.officer_messages} officer reminder(s), {self.head_messages} head digest(s) "
            f"sent; {self.already_sent} already sent today; "
            f"{self.without_address} officer(s) without an e-mail address"
        )


def _today() -> date:
    return deadlines.now().astimezone(get_calendar().tz).date()


def due_items(day: date) -> list[DueItem]:
    """Open dossiers with a running clock whose current step or whole dossier is due on `day`
    or before, soonest first."""
    tz = get_calendar().tz
    end = datetime.combine(day + timedelta(days=1), time.min, tzinfo=tz)
    open_steps = DossierStep.objects.filter(finished_at__isnull=True)
    stopped = ClockStop.objects.filter(dossier=OuterRef("pk"), resumed_at__isnull=True)
    dossiers = (
        Dossier.objects.filter(state__in=OPEN_STATES)
        .exclude(Exists(stopped))
        .filter(Q(due_at__lt=end) | Q(pk__in=open_steps.filter(due_at__lt=end).values("dossier")))
        .select_related("procedure_version", "receiving_organization", "competent_organization")
        .prefetch_related(
            Prefetch(
                "steps",
                queryset=open_steps.select_related(
                    "responsible_unit", "assignee__account", "assignee__unit"
                ).order_by("order"),
                to_attr="open_steps",
            )
        )
        .order_by("pk")
    )
    items = []
    for dossier in dossiers:
        steps: list[DossierStep] = getattr(dossier, "open_steps", [])
        step = steps[0] if steps else None
        due_at = min(dossier.due_at, step.due_at) if step else dossier.due_at
        due_day = due_at.astimezone(tz).date()
        if due_day <= day:
            items.append(DueItem(dossier=dossier, step=step, due_at=due_at, overdue=due_day < day))
    items.sort(key=lambda item: (item.due_at, item.dossier.pk))
    return items


class _Orgs:
    """One shared instance per organisation, so the scope checks' caches work across rows."""

    def __init__(self) -> None:
        self._by_pk: dict[int, Organization] = {}

    def __call__(self, node: Organization) -> Organization:
        return self._by_pk.setdefault(node.pk, node)


def _usable(officer: Officer) -> bool:
    return officer.is_active and officer.account.is_active


def _assignments(roles: set[str], orgs: _Orgs) -> list[RoleAssignment]:
    rows = list(
        RoleAssignment.objects.filter(
            role__in=roles, officer__is_active=True, officer__account__is_active=True
        )
        .select_related("officer__unit", "officer__account")
        .order_by("officer_id", "role")
    )
    for row in rows:
        row.officer.unit = orgs(row.officer.unit)
    return rows


def _reaches(assignment: RoleAssignment, target: Organization) -> bool:
    return policy.scope_covers(assignment.officer, assignment.scope, target)


def _responsible(
    items: list[DueItem], orgs: _Orgs
) -> tuple[dict[int, list[DueItem]], dict[int, list[DueItem]], dict[int, Officer]]:
    """Per officer id, the items they are responsible for and those their head digest lists."""
    assignments = _assignments({Role.OFFICER, Role.COUNTER, Role.HEAD}, orgs)
    officers: dict[int, Officer] = {}
    mine: dict[int, list[DueItem]] = defaultdict(list)
    digest: dict[int, list[DueItem]] = defaultdict(list)
    candidates: dict[tuple[str, int], list[Officer]] = {}
    for item in items:
        dossier, step = item.dossier, item.step
        if step is not None and step.assignee is not None and _usable(step.assignee):
            people = [step.assignee]
        else:
            if step is not None:
                role, unit = step.responsible_role or Role.OFFICER, orgs(step.responsible_unit)
            else:
                role, unit = Role.COUNTER, orgs(dossier.receiving_organization)
            key = (role, unit.pk)
            if key not in candidates:
                candidates[key] = [
                    a.officer for a in assignments if a.role == role and _reaches(a, unit)
                ]
            people = candidates[key]
        for person in people:
            officers.setdefault(person.pk, person)
            mine[person.pk].append(item)
        targets = [orgs(dossier.competent_organization)]
        targets.append(
            orgs(step.responsible_unit) if step else orgs(dossier.receiving_organization)
        )
        for assignment in assignments:
            if assignment.role == Role.HEAD and any(_reaches(assignment, t) for t in targets):
                officers.setdefault(assignment.officer_id, assignment.officer)
                digest[assignment.officer_id].append(item)
    return mine, digest, officers


def _row(item: DueItem, tz: Any) -> dict[str, Any]:
    step = item.step
    assignee = step.assignee.full_name if step and step.assignee else ""
    return {
        "code": item.dossier.code,
        "procedure": item.dossier.procedure_version.name,
        "step": step.name if step else "",
        "unit": step.responsible_unit.name_vi if step else "",
        "assignee": assignee,
        "due": item.due_at.astimezone(tz),
        "overdue": item.overdue,
        "url": f"{settings.EGOV_PUBLIC_URL.rstrip('/')}/lam-viec/ho-so/{item.dossier.code}/",
    }


def _language(officer: Officer) -> str:
    wanted = officer.account.preferred_language
    return wanted if wanted in {code for code, _name in settings.LANGUAGES} else "vi"


def _send_one(
    *, day: date, kind: str, officer: Officer, items: list[DueItem], run: ReminderRun
) -> None:
    if ReminderLog.objects.filter(day=day, kind=kind, officer=officer).exists():
        run.already_sent += 1
        return
    address = officer.email or officer.account.email
    if not address:
        run.without_address += 1
        logger.warning("reminder %s for officer %s: no e-mail address", kind, officer.pk)
        return
    tz = get_calendar().tz
    rows = [_row(item, tz) for item in items]
    context = {
        "name": officer.full_name,
        "day": day,
        "rows": rows,
        "count": len(rows),
        "overdue": sum(1 for row in rows if row["overdue"]),
        "due_today": sum(1 for row in rows if not row["overdue"]),
    }
    template = OFFICER_TEMPLATE if kind == ReminderLog.Kind.OFFICER else HEAD_TEMPLATE
    try:
        with transaction.atomic():
            log = ReminderLog.objects.create(
                day=day, kind=kind, officer=officer, dossiers=[row["code"] for row in rows]
            )
            message: OutboundMessage = notification_send(
                channel=OutboundMessage.Channel.EMAIL,
                recipient=address,
                template=template,
                context=context,
                language=_language(officer),
            )
            log.message = message
            log.save(update_fields=["message"])
    except IntegrityError:
        # Another run of the same day claimed this reminder between our check and our insert.
        if not ReminderLog.objects.filter(day=day, kind=kind, officer=officer).exists():
            raise
        run.already_sent += 1
        return
    run.messages.append(message.pk)
    if kind == ReminderLog.Kind.OFFICER:
        run.officer_messages += 1
    else:
        run.head_messages += 1


def overdue_reminders_send(*, today: date | None = None) -> ReminderRun:
    """Send today's reminders of due and overdue dossiers; a second run the same day sends
    nothing new. Each reminder commits on its own, so one failure does not undo the others."""
    day = today or _today()
    items = due_items(day)
    run = ReminderRun(day=day, dossiers=len(items))
    if not items:
        return run
    mine, digest, officers = _responsible(items, _Orgs())
    for officer_id in sorted(mine):
        _send_one(
            day=day,
            kind=ReminderLog.Kind.OFFICER,
            officer=officers[officer_id],
            items=mine[officer_id],
            run=run,
        )
    for officer_id in sorted(digest):
        _send_one(
            day=day,
            kind=ReminderLog.Kind.HEAD,
            officer=officers[officer_id],
            items=digest[officer_id],
            run=run,
        )
    return run

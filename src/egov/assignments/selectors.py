"""Reads of assignments that views, rules, reminders and other apps reuse.

"Responsible" for an assignment: its lead officer, or a head whose own unit is the lead unit.
"Involved": responsible, the assigner, or a co-operating officer or head of a co-operating unit.
An officer sees an assignment they are involved in, or one below an assignment they are
involved in (the sub-task tree), and heads see the assignments of organisations their head role
reaches beyond their own unit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.conf import settings
from django.db.models import Case, Count, IntegerField, Q, QuerySet, Value, When
from django.utils import timezone

from egov.assignments.models import (
    ACTIVE_STATES,
    Assignment,
    ExtensionRequest,
    State,
)
from egov.core.calendar import WorkingCalendar, get_calendar
from egov.directory import selectors as directory
from egov.directory.models import Officer, Organization, Role, Scope

DEFAULT_REMIND_DAYS = 2

# Board buckets, in display order.
OVERDUE = "overdue"
DUE_SOON = "due_soon"
ON_TRACK = "on_track"
CLOSED = "closed"
BUCKETS = (OVERDUE, DUE_SOON, ON_TRACK, CLOSED)


def remind_days() -> int:
    """Working days before the due date when the "due soon" reminder goes out (and the board's
    "due soon" window). Read from settings.EGOV_ASSIGNMENT_REMIND_DAYS (default 2)."""
    value = getattr(settings, "EGOV_ASSIGNMENT_REMIND_DAYS", DEFAULT_REMIND_DAYS)
    return max(int(value), 0)


def today() -> date:
    """Today in the office's time zone."""
    return timezone.now().astimezone(get_calendar().tz).date()


def due_soon_limit(day: date) -> date:
    """The last due date that counts as "due soon" on `day`."""
    n = remind_days()
    return get_calendar().add_working_days(day, n) if n else day


# --- who ----------------------------------------------------------------------------------------


def _holds(officer: Officer, role: str) -> bool:
    return any(a.role == role for a in directory.officer_roles(officer))


def is_responsible(officer: Officer | None, assignment: Assignment) -> bool:
    """The lead officer, or a head whose own unit is the lead unit."""
    if officer is None:
        return False
    if assignment.assignee_officer_id == officer.pk:
        return True
    return assignment.assignee_unit_id == officer.unit_id and _holds(officer, Role.HEAD)


def is_involved(officer: Officer | None, assignment: Assignment) -> bool:
    """Responsible, the assigner, or a co-operating officer or head of a co-operating unit."""
    if officer is None:
        return False
    if assignment.assigned_by_id == officer.pk or is_responsible(officer, assignment):
        return True
    if assignment.co_officers.filter(pk=officer.pk).exists():
        return True
    return _holds(officer, Role.HEAD) and assignment.co_units.filter(pk=officer.unit_id).exists()


def ancestors(assignment: Assignment) -> list[Assignment]:
    """The parents of a sub-task, nearest first (sub-task trees are shallow)."""
    out: list[Assignment] = []
    seen = {assignment.pk}
    current = assignment.parent
    while current is not None and current.pk not in seen:
        out.append(current)
        seen.add(current.pk)
        current = current.parent
    return out


def unit_heads(unit: Organization) -> list[Officer]:
    """Active heads whose own unit is `unit` (who answer for work given to the unit)."""
    return list(
        Officer.objects.select_related("account", "unit")
        .filter(
            unit=unit,
            is_active=True,
            account__is_active=True,
            roles__role=Role.HEAD,
        )
        .distinct()
        .order_by("full_name", "pk")
    )


def responsible_officers(assignment: Assignment) -> list[Officer]:
    """Who is told about the assignment: the lead officer, else the lead unit's heads."""
    if assignment.assignee_officer is not None:
        officer = assignment.assignee_officer
        return [officer] if officer.is_active and officer.account.is_active else []
    if assignment.assignee_unit is not None:
        return unit_heads(assignment.assignee_unit)
    return []


def head_reach_q(officer: Officer, *, field: str) -> Q | None:
    """Organisations (via `field`) that the officer's head role reaches beyond their own unit,
    or None when they hold no head role with organisation or subtree scope."""
    condition: Q | None = None
    for assignment in directory.officer_roles(officer):
        if assignment.role == Role.HEAD and assignment.scope != Scope.UNIT:
            reach = directory.scope_reach_q(officer, assignment.scope, field=field)
            condition = reach if condition is None else condition | reach
    return condition


# --- lists --------------------------------------------------------------------------------------


def _base() -> QuerySet[Assignment]:
    """Assignments with the rows a list shows beside them. Prefetched (one query per relation
    for the whole page) rather than joined: PostgreSQL joins before it sorts and cuts the page,
    so joins would be paid for every row of a 20,000-row board (tests/perf)."""
    return Assignment.objects.prefetch_related(
        "assignee_unit", "assignee_officer", "assigned_by", "organization", "parent"
    )


def _mine_q(officer: Officer) -> Q:
    condition = Q(assignee_officer=officer) | Q(co_officers=officer)
    if _holds(officer, Role.HEAD):
        condition |= Q(assignee_unit_id=officer.unit_id) | Q(co_units=officer.unit_id)
    return condition


def assignments_mine(officer: Officer, *, include_closed: bool = False) -> QuerySet[Assignment]:
    """ "Việc của tôi": assigned to me, to the unit I head, or with me (or my unit) co-operating;
    active ones by default, soonest due first."""
    ids = Assignment.objects.filter(_mine_q(officer)).values("pk")
    qs = _base().filter(pk__in=ids)
    if not include_closed:
        qs = qs.filter(state__in=ACTIVE_STATES)
    return qs.order_by("due_on", "pk")


def assignments_visible_to(officer: Officer) -> QuerySet[Assignment]:
    """Assignments the officer may open: involved in it (or one level above it; the sub-tree
    check of deeper levels is the `assignments.view` rule), or a head over its organisation."""
    involved = Q(assigned_by=officer) | _mine_q(officer) | Q(parent__assigned_by=officer)
    involved |= Q(parent__assignee_officer=officer)
    if _holds(officer, Role.HEAD):
        involved |= Q(parent__assignee_unit_id=officer.unit_id)
    reach = head_reach_q(officer, field="organization")
    if reach is not None:
        involved |= reach
    ids = Assignment.objects.filter(involved).values("pk")
    return _base().filter(pk__in=ids)


def _bucket_case(day: date) -> Case:
    soon = due_soon_limit(day)
    return Case(
        When(~Q(state__in=ACTIVE_STATES), then=Value(3)),
        When(due_on__lt=day, then=Value(0)),
        When(due_on__lte=soon, then=Value(1)),
        default=Value(2),
        output_field=IntegerField(),
    )


def bucket_of(assignment: Assignment, day: date, *, soon: date | None = None) -> str:
    """OVERDUE, DUE_SOON, ON_TRACK or CLOSED on `day` (for colours on screens). Pass `soon`
    (`due_soon_limit(day)`) when classifying many rows: it saves a calendar look-up per row."""
    if not assignment.is_active:
        return CLOSED
    if assignment.due_on < day:
        return OVERDUE
    if assignment.due_on <= (soon or due_soon_limit(day)):
        return DUE_SOON
    return ON_TRACK


def late_working_days(
    assignment: Assignment, day: date, *, calendar: WorkingCalendar | None = None
) -> int:
    """Working days past the due date on `day` (0 when not late)."""
    if not assignment.is_active or assignment.due_on >= day:
        return 0
    calendar = calendar or get_calendar()
    return max(calendar.working_days_between(assignment.due_on, day), 1)


@dataclass
class Board:
    """The follow-up board of one head (what they assigned), overdue first."""

    day: date
    rows: QuerySet[Assignment]
    by_state: dict[str, int] = field(default_factory=dict)
    by_unit: list[dict[str, Any]] = field(default_factory=list)
    by_bucket: dict[str, int] = field(default_factory=dict)


def follow_up_board(
    officer: Officer,
    *,
    day: date | None = None,
    state: str = "",
    unit_id: int | None = None,
    priority: str = "",
    bucket: str = "",
) -> Board:
    """What `officer` assigned: overdue first, then due soon, then the rest on track, then the
    closed ones; each group by due date. Counts per state, per lead unit and per group are over
    the whole board (before the filters), so the head sees the totals next to the filtered list."""
    day = day or today()
    mine = _base().filter(assigned_by=officer).annotate(bucket_rank=_bucket_case(day))
    counts = mine.order_by().aggregate(
        **{f"state_{s.value}": Count("pk", filter=Q(state=s.value)) for s in State},
        **{
            f"bucket_{name}": Count("pk", filter=Q(bucket_rank=rank))
            for rank, name in enumerate(BUCKETS)
        },
    )
    by_state = {s.value: counts[f"state_{s.value}"] for s in State}
    by_bucket = {name: counts[f"bucket_{name}"] for name in BUCKETS}
    units = (
        mine.filter(state__in=ACTIVE_STATES, assignee_unit__isnull=False)
        .order_by()
        .values("assignee_unit", "assignee_unit__name_vi")
        .annotate(
            active=Count("pk"),
            overdue=Count("pk", filter=Q(due_on__lt=day)),
        )
        .order_by("assignee_unit__name_vi", "assignee_unit")
    )
    by_unit = [
        {
            "unit_id": row["assignee_unit"],
            "name": row["assignee_unit__name_vi"],
            "active": row["active"],
            "overdue": row["overdue"],
        }
        for row in units
    ]
    rows = mine
    if state:
        rows = rows.filter(state=state)
    if unit_id:
        rows = rows.filter(assignee_unit_id=unit_id)
    if priority:
        rows = rows.filter(priority=priority)
    if bucket in BUCKETS:
        rows = rows.filter(bucket_rank=BUCKETS.index(bucket))
    rows = rows.order_by("bucket_rank", "due_on", "pk")
    return Board(day=day, rows=rows, by_state=by_state, by_unit=by_unit, by_bucket=by_bucket)


def subtask_tree(assignment: Assignment, *, max_depth: int = 10) -> list[tuple[Assignment, int]]:
    """The sub-tasks below `assignment`, depth first, each with its depth (1 = direct child).
    One query per level."""
    out: list[tuple[Assignment, int]] = []
    children: dict[int, list[Assignment]] = {}
    level = [assignment.pk]
    depth = 0
    while level and depth < max_depth:
        depth += 1
        rows = list(_base().filter(parent_id__in=level).order_by("due_on", "pk"))
        for row in rows:
            assert row.parent_id is not None
            children.setdefault(row.parent_id, []).append(row)
        level = [row.pk for row in rows]

    def walk(pk: int, depth: int) -> None:
        for child in children.get(pk, []):
            out.append((child, depth))
            walk(child.pk, depth + 1)

    walk(assignment.pk, 1)
    return out


def active_subtasks(assignment: Assignment) -> QuerySet[Assignment]:
    return Assignment.objects.filter(parent=assignment, state__in=ACTIVE_STATES)


def pending_extension(assignment: Assignment) -> ExtensionRequest | None:
    return assignment.extension_requests.filter(state=ExtensionRequest.State.PENDING).first()


def assignments_by_source(source_type: str, source_id: str) -> QuerySet[Assignment]:
    """Assignments given from one source (e.g. the document with that id), for its page."""
    return _base().filter(source_type=source_type, source_id=str(source_id)).order_by("pk")


def assignments_summary(officer: Officer, *, day: date | None = None) -> dict[str, int]:
    """Counts for the workspace home (no HTML): my active work, of which overdue and due soon;
    what I assigned that is active and overdue; extension requests waiting for my decision."""
    day = day or today()
    soon = due_soon_limit(day)
    mine = assignments_mine(officer).order_by()
    given = Assignment.objects.filter(assigned_by=officer, state__in=ACTIVE_STATES)
    return {
        "mine": mine.count(),
        "mine_overdue": mine.filter(due_on__lt=day).count(),
        "mine_due_soon": mine.filter(due_on__gte=day, due_on__lte=soon).count(),
        "given": given.count(),
        "given_overdue": given.filter(due_on__lt=day).count(),
        "extensions_to_decide": ExtensionRequest.objects.filter(
            assignment__assigned_by=officer, state=ExtensionRequest.State.PENDING
        ).count(),
    }


# --- pickers ------------------------------------------------------------------------------------


def assignable_units(officer: Officer) -> QuerySet[Organization]:
    """Units and organisations the officer's head role reaches (the new-assignment picker)."""
    condition: Q | None = None
    for role in directory.officer_roles(officer):
        if role.role == Role.HEAD:
            reach = directory.scope_reach_q(officer, role.scope)
            condition = reach if condition is None else condition | reach
    if condition is None:
        return Organization.objects.none()
    return Organization.objects.filter(condition, valid_to__isnull=True).order_by("path")


def assignable_officers(officer: Officer, *, include_self: bool = False) -> QuerySet[Officer]:
    """Active officers whose unit the officer's head role reaches (and the officer, for
    sub-tasks they keep for themselves)."""
    condition: Q | None = None
    for role in directory.officer_roles(officer):
        if role.role == Role.HEAD:
            reach = directory.scope_reach_q(officer, role.scope, field="unit")
            condition = reach if condition is None else condition | reach
    if include_self:
        mine = Q(pk=officer.pk)
        condition = mine if condition is None else condition | mine
    if condition is None:
        return Officer.objects.none()
    return (
        Officer.objects.select_related("unit")
        .filter(condition, is_active=True, account__is_active=True)
        .order_by("full_name", "pk")
    )

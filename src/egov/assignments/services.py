"""Every write on assignments: one function per use case, keyword-only, one transaction, the
policy check first, the event on the assignment's history, the audit entry last.

Two people may act on one assignment at once (the assignee reports progress while the assigner
reopens or reassigns it): the services that change the assignment take `expected_version`, the
version the caller saw, and refuse with `assignment.conflict` when it moved on.

Other apps (documents, meetings) give work with `assignment_create(..., source_type="document",
source_id=str(document.pk), source_label="15/QĐ-UBND — Về việc …", source_url="/lam-viec/…")`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from egov.assignments import notify, selectors
from egov.assignments.models import (
    ACTIVE_STATES,
    TRANSITIONS,
    Assignment,
    AssignmentEvent,
    ExtensionRequest,
    Priority,
    ProgressUpdate,
    State,
)
from egov.assignments.signals import assignment_state_changed
from egov.core.audit import audit_record
from egov.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from egov.directory import policy
from egov.directory import selectors as directory
from egov.directory.models import Officer, Organization

__all__ = [
    "AssignmentConflict",
    "AssignmentInvalid",
    "TransitionNotAllowed",
    "assignment_cancel",
    "assignment_complete",
    "assignment_create",
    "assignment_reassign",
    "assignment_reopen",
    "assignment_update_progress",
    "extension_decide",
    "extension_request",
]

TITLE_MAX = 500
TEXT_MAX = 5000


class AssignmentConflict(Conflict):
    """Someone else changed the assignment since the caller read it (optimistic locking)."""

    code = "assignment.conflict"
    default_message = _(
        "Someone else changed this assignment in the meantime. Reload it and try again."
    )


class TransitionNotAllowed(Conflict):
    code = "assignment.transition_not_allowed"
    default_message = _("This action is not allowed in the assignment's current state.")


class AssignmentInvalid(ValidationFailed):
    code = "assignment.invalid"
    default_message = _("The assignment data is not valid.")


# --- shared steps -------------------------------------------------------------------------------


def _now() -> datetime:
    return timezone.now()


def _officer(actor: Any) -> Officer:
    officer = policy.officer_of(actor)
    if officer is None:
        raise PermissionDenied(
            gettext("Only officers can give or handle assignments."),
            code="assignment.officer_required",
        )
    return officer


def _locked(assignment: Assignment, expected_version: int | None) -> Assignment:
    """The assignment's row, locked until the transaction ends. With `expected_version` (the
    version a screen showed), refuse when someone else changed it since; None skips the check
    (callers from other apps acting on the current state)."""
    fresh = (
        Assignment.objects.select_for_update(of=("self",))
        .select_related(
            "organization",
            "assigned_by__account",
            "assignee_unit",
            "assignee_officer__account",
            "parent",
        )
        .filter(pk=assignment.pk)
        .first()
    )
    if fresh is None:
        raise NotFound(gettext("The assignment does not exist."), code="assignment.not_found")
    if expected_version is not None and fresh.version != expected_version:
        raise AssignmentConflict(details={"expected": expected_version, "current": fresh.version})
    return fresh


def _check_transition(assignment: Assignment, target: str) -> None:
    if target not in TRANSITIONS[assignment.state]:
        raise TransitionNotAllowed(
            gettext("The assignment is %(state)s: this action is not allowed now.")
            % {"state": State(assignment.state).label},
            details={"state": assignment.state, "target": target},
        )


def _require_active(assignment: Assignment) -> None:
    if assignment.state not in ACTIVE_STATES:
        raise TransitionNotAllowed(
            gettext("The assignment is %(state)s: this action is not allowed now.")
            % {"state": State(assignment.state).label},
            details={"state": assignment.state},
        )


def _save(assignment: Assignment, fields: Sequence[str]) -> None:
    """Save changed fields and bump the version other screens compare against."""
    assignment.version += 1
    assignment.save(update_fields=[*fields, "version", "updated_at"])


def _event(
    assignment: Assignment,
    *,
    action: str,
    officer: Officer | None,
    at: datetime,
    note: str = "",
    data: dict[str, Any] | None = None,
) -> AssignmentEvent:
    return AssignmentEvent.objects.create(
        assignment=assignment,
        action=action,
        actor=officer.account if officer is not None else None,
        actor_name=officer.full_name[:150] if officer is not None else "",
        note=note[:TEXT_MAX],
        data=data or {},
        at=at,
    )


def _announce(assignment: Assignment, previous_state: str) -> None:
    """Tell the apps above, after commit, that the assignment's state changed."""
    if assignment.state == previous_state:
        return
    payload = {
        "assignment_id": assignment.pk,
        "state": assignment.state,
        "previous_state": previous_state,
        "source_type": assignment.source_type,
        "source_id": assignment.source_id,
    }
    transaction.on_commit(lambda: assignment_state_changed.send(sender=Assignment, **payload))


def _audit(actor: Any, action: str, assignment: Assignment, before: str, **after: Any) -> None:
    """The audit entry of an assignment change; call it last in the transaction (chain lock).
    Also announces a state change to the apps above (after commit)."""
    _announce(assignment, before)
    audit_record(
        actor=actor,
        action=action,
        obj=assignment,
        before={"state": before},
        after={"state": assignment.state, "version": assignment.version, **after},
    )


def _text(value: str, *, field: str, required: bool, limit: int = TEXT_MAX) -> str:
    value = (value or "").strip()
    if required and not value:
        raise AssignmentInvalid(
            gettext("This field is required."), code="assignment.required", field=field
        )
    if len(value) > limit:
        raise AssignmentInvalid(
            gettext("At most %(limit)d characters.") % {"limit": limit},
            code="assignment.too_long",
            field=field,
        )
    return value


def _check_dates(starts_on: date, due_on: date) -> None:
    if due_on < starts_on:
        raise AssignmentInvalid(
            gettext("The due date cannot be before the start date."),
            code="assignment.due_before_start",
            field="due_on",
        )


def _check_scope(
    actor: Any, officer: Officer, targets: Iterable[Organization | Officer], *, self_ok: bool
) -> None:
    """Every assignee must be within the actor's head role (or be the actor, for sub-tasks)."""
    for target in targets:
        if self_ok and isinstance(target, Officer) and target.pk == officer.pk:
            continue
        if not policy.can(actor, "assignments.assign", target):
            raise PermissionDenied(
                gettext("%(name)s is outside the reach of your role.") % {"name": str(target)},
                code="assignment.out_of_scope",
                details={"target": str(target)},
            )


def _close_pending_extension(assignment: Assignment, *, at: datetime, why: str) -> None:
    ExtensionRequest.objects.filter(
        assignment=assignment, state=ExtensionRequest.State.PENDING
    ).update(state=ExtensionRequest.State.REFUSED, decided_at=at, comment=why)


# --- create -------------------------------------------------------------------------------------


def assignment_create(
    *,
    actor: Any,
    title: str,
    due_on: date,
    assignee_unit: Organization | None = None,
    assignee_officer: Officer | None = None,
    co_units: Sequence[Organization] = (),
    co_officers: Sequence[Officer] = (),
    description: str = "",
    priority: str = Priority.NORMAL,
    starts_on: date | None = None,
    parent: Assignment | None = None,
    source_type: str = "",
    source_id: str = "",
    source_label: str = "",
    source_url: str = "",
) -> Assignment:
    """Give work to a unit and/or an officer, with a due date; from a source or on its own.

    Without `parent`: a head assigns to units and people their role reaches. With `parent`: the
    person responsible for the parent splits it into sub-tasks for people their head role
    reaches, or for themselves; a sub-task is due no later than its parent.
    """
    officer = _officer(actor)
    title = _text(title, field="title", required=True, limit=TITLE_MAX)
    description = _text(description, field="description", required=False)
    if assignee_unit is None and assignee_officer is None:
        raise AssignmentInvalid(
            gettext("Name a lead unit or a lead officer."),
            code="assignment.no_assignee",
            field="assignee_unit",
        )
    if priority not in Priority.values:
        raise AssignmentInvalid(
            gettext("Unknown priority."), code="assignment.bad_priority", field="priority"
        )
    starts_on = starts_on or selectors.today()
    _check_dates(starts_on, due_on)
    source_type = _text(source_type, field="source_type", required=False, limit=30)
    source_id = _text(str(source_id), field="source_id", required=bool(source_type), limit=64)
    source_label = _text(source_label, field="source_label", required=False, limit=500)
    source_url = _text(source_url, field="source_url", required=False, limit=500)
    co_units = [u for u in dict.fromkeys(co_units) if u != assignee_unit]
    co_officers = [o for o in dict.fromkeys(co_officers) if o != assignee_officer]
    leads: list[Organization | Officer] = [t for t in (assignee_unit, assignee_officer) if t]
    with transaction.atomic():
        if parent is not None:
            parent = _locked(parent, None)
            _require_active(parent)
            policy.require(actor, "assignments.subtask", parent)
            if due_on > parent.due_on:
                raise AssignmentInvalid(
                    gettext("A sub-task cannot be due after its parent (%(due)s).")
                    % {"due": parent.due_on.strftime("%d/%m/%Y")},
                    code="assignment.after_parent",
                    field="due_on",
                )
        _check_scope(actor, officer, [*leads, *co_units, *co_officers], self_ok=parent is not None)
        at = _now()
        assignment = Assignment.objects.create(
            organization=directory.officer_organization(officer),
            title=title,
            description=description,
            assigned_by=officer,
            assignee_unit=assignee_unit,
            assignee_officer=assignee_officer,
            parent=parent,
            priority=priority,
            starts_on=starts_on,
            due_on=due_on,
            source_type=source_type,
            source_id=source_id,
            source_label=source_label,
            source_url=source_url,
        )
        if co_units:
            assignment.co_units.set(co_units)
        if co_officers:
            assignment.co_officers.set(co_officers)
        _event(
            assignment,
            action="create",
            officer=officer,
            at=at,
            note=description[:500],
            data={"due_on": due_on.isoformat(), "parent": parent.pk if parent else None},
        )
        context = notify.assignment_context(assignment)
        notify.send_to_all(
            selectors.responsible_officers(assignment),
            template="assignment_assigned",
            context={**context, "co": False},
            skip=officer,
        )
        co_people = list(co_officers)
        for unit in co_units:
            co_people += selectors.unit_heads(unit)
        notify.send_to_all(
            co_people, template="assignment_assigned", context={**context, "co": True}, skip=officer
        )
        audit_record(
            actor=actor,
            action="assignment.create",
            obj=assignment,
            after={
                "state": assignment.state,
                "title": title,
                "assignee_unit": assignee_unit,
                "assignee_officer": assignee_officer,
                "due_on": due_on,
                "parent": parent,
                "source": f"{source_type}:{source_id}" if source_type else "",
            },
        )
    return assignment


# --- the assignee's side ------------------------------------------------------------------------


def assignment_update_progress(
    *,
    actor: Any,
    assignment: Assignment,
    percent: int,
    note: str = "",
    expected_version: int | None = None,
) -> Assignment:
    """Report progress (0–100 %) with a note. Reaching 100 % does not complete the assignment:
    the assignee completes it with a result note."""
    officer = _officer(actor)
    note = _text(note, field="note", required=False)
    if isinstance(percent, bool) or not isinstance(percent, int) or not 0 <= percent <= 100:
        raise AssignmentInvalid(
            gettext("Progress is a whole number from 0 to 100."),
            code="assignment.bad_progress",
            field="percent",
        )
    with transaction.atomic():
        assignment = _locked(assignment, expected_version)
        policy.require(actor, "assignments.work", assignment)
        _require_active(assignment)
        before = assignment.state
        at = _now()
        if assignment.state == State.OPEN:
            _check_transition(assignment, State.IN_PROGRESS)
            assignment.state = State.IN_PROGRESS
        assignment.progress = percent
        _save(assignment, ["state", "progress"])
        ProgressUpdate.objects.create(
            assignment=assignment, percent=percent, note=note, author=officer, at=at
        )
        _event(
            assignment,
            action="progress",
            officer=officer,
            at=at,
            note=note,
            data={"percent": percent},
        )
        _audit(actor, "assignment.progress", assignment, before, progress=percent)
    return assignment


def assignment_complete(
    *,
    actor: Any,
    assignment: Assignment,
    result_note: str,
    expected_version: int | None = None,
) -> Assignment:
    """The responsible person reports the work done, with what came of it. Refused while a
    sub-task is still open; a pending extension request lapses."""
    officer = _officer(actor)
    result_note = _text(result_note, field="result_note", required=True)
    with transaction.atomic():
        assignment = _locked(assignment, expected_version)
        policy.require(actor, "assignments.work", assignment)
        _check_transition(assignment, State.DONE)
        open_children = selectors.active_subtasks(assignment).count()
        if open_children:
            raise AssignmentInvalid(
                gettext("%(count)d sub-task(s) are still open: finish or cancel them first.")
                % {"count": open_children},
                code="assignment.subtasks_open",
                details={"open": open_children},
            )
        before = assignment.state
        at = _now()
        assignment.state = State.DONE
        assignment.progress = 100
        assignment.completed_at = at
        assignment.result_note = result_note
        _save(assignment, ["state", "progress", "completed_at", "result_note"])
        _close_pending_extension(assignment, at=at, why=gettext("The assignment was completed."))
        _event(assignment, action="complete", officer=officer, at=at, note=result_note)
        notify.send_to_all(
            [assignment.assigned_by],
            template="assignment_completed",
            context={
                **notify.assignment_context(assignment),
                "result": result_note,
                "by": officer.full_name,
            },
            skip=officer,
        )
        _audit(actor, "assignment.complete", assignment, before)
    return assignment


def extension_request(
    *,
    actor: Any,
    assignment: Assignment,
    new_due_on: date,
    reason: str,
    expected_version: int | None = None,
) -> ExtensionRequest:
    """Ask the assigner for a later due date (one pending request at a time)."""
    officer = _officer(actor)
    reason = _text(reason, field="reason", required=True)
    with transaction.atomic():
        assignment = _locked(assignment, expected_version)
        policy.require(actor, "assignments.work", assignment)
        _require_active(assignment)
        if new_due_on <= assignment.due_on:
            raise AssignmentInvalid(
                gettext("The new due date must be after the current one (%(due)s).")
                % {"due": assignment.due_on.strftime("%d/%m/%Y")},
                code="assignment.extension_not_later",
                field="new_due_on",
            )
        if selectors.pending_extension(assignment) is not None:
            raise AssignmentInvalid(
                gettext("An extension request is already waiting for a decision."),
                code="assignment.extension_pending",
            )
        at = _now()
        extension = ExtensionRequest.objects.create(
            assignment=assignment,
            requested_by=officer,
            requested_at=at,
            previous_due_on=assignment.due_on,
            new_due_on=new_due_on,
            reason=reason,
        )
        _event(
            assignment,
            action="extension_request",
            officer=officer,
            at=at,
            note=reason,
            data={"new_due_on": new_due_on.isoformat()},
        )
        notify.send_to_all(
            [assignment.assigned_by],
            template="assignment_extension_requested",
            context={
                **notify.assignment_context(assignment),
                "new_due_on": new_due_on,
                "reason": reason,
                "by": officer.full_name,
            },
            skip=officer,
        )
        audit_record(
            actor=actor,
            action="assignment.extension_request",
            obj=assignment,
            after={"extension": extension.pk, "new_due_on": new_due_on},
        )
    return extension


# --- the assigner's side ------------------------------------------------------------------------


def extension_decide(
    *,
    actor: Any,
    extension: ExtensionRequest,
    grant: bool,
    comment: str = "",
    expected_version: int | None = None,
) -> ExtensionRequest:
    """Grant (the due date moves to the requested one) or refuse (it stays) an extension
    request; by the assigner or a head over the assignment's organisation."""
    officer = _officer(actor)
    comment = _text(comment, field="comment", required=not grant)
    with transaction.atomic():
        assignment = _locked(extension.assignment, expected_version)
        policy.require(actor, "assignments.manage", assignment)
        extension = ExtensionRequest.objects.select_for_update().get(pk=extension.pk)
        if extension.state != ExtensionRequest.State.PENDING:
            raise AssignmentConflict(
                gettext("This extension request was already decided."),
                code="assignment.extension_decided",
            )
        _require_active(assignment)
        at = _now()
        before = assignment.state
        previous_due = assignment.due_on
        extension.state = (
            ExtensionRequest.State.GRANTED if grant else ExtensionRequest.State.REFUSED
        )
        extension.decided_by = officer
        extension.decided_at = at
        extension.comment = comment
        extension.save(update_fields=["state", "decided_by", "decided_at", "comment"])
        if grant:
            assignment.due_on = extension.new_due_on
            _save(assignment, ["due_on"])
        _event(
            assignment,
            action="extension_grant" if grant else "extension_refuse",
            officer=officer,
            at=at,
            note=comment,
            data={"from": previous_due.isoformat(), "to": assignment.due_on.isoformat()},
        )
        notify.send_to_all(
            [extension.requested_by],
            template="assignment_extension_decided",
            context={
                **notify.assignment_context(assignment),
                "granted": grant,
                "comment": comment,
                "new_due_on": extension.new_due_on,
            },
            skip=officer,
        )
        _audit(
            actor,
            "assignment.extension_decide",
            assignment,
            before,
            extension=extension.pk,
            granted=grant,
            due_on=assignment.due_on,
        )
    return extension


def assignment_reopen(
    *,
    actor: Any,
    assignment: Assignment,
    reason: str,
    due_on: date | None = None,
    expected_version: int | None = None,
) -> Assignment:
    """The assigner finds the work not finished: back to in progress, optionally with a new
    due date; the previous result note stays in the history."""
    officer = _officer(actor)
    reason = _text(reason, field="reason", required=True)
    with transaction.atomic():
        assignment = _locked(assignment, expected_version)
        policy.require(actor, "assignments.manage", assignment)
        if assignment.state != State.DONE:
            raise TransitionNotAllowed(
                gettext("Only a completed assignment can be reopened."),
                details={"state": assignment.state},
            )
        _check_transition(assignment, State.IN_PROGRESS)
        if due_on is not None:
            _check_dates(assignment.starts_on, due_on)
            assignment.due_on = due_on
        before = assignment.state
        at = _now()
        previous_result = assignment.result_note
        assignment.state = State.IN_PROGRESS
        assignment.completed_at = None
        assignment.result_note = ""
        _save(assignment, ["state", "completed_at", "result_note", "due_on"])
        _event(
            assignment,
            action="reopen",
            officer=officer,
            at=at,
            note=reason,
            data={
                "previous_result": previous_result[:500],
                "due_on": assignment.due_on.isoformat(),
            },
        )
        notify.send_to_all(
            selectors.responsible_officers(assignment),
            template="assignment_reopened",
            context={**notify.assignment_context(assignment), "reason": reason},
            skip=officer,
        )
        _audit(actor, "assignment.reopen", assignment, before, due_on=assignment.due_on)
    return assignment


def assignment_cancel(
    *,
    actor: Any,
    assignment: Assignment,
    reason: str,
    expected_version: int | None = None,
) -> Assignment:
    """The assigner withdraws the work; its open sub-tasks are cancelled with it."""
    officer = _officer(actor)
    reason = _text(reason, field="reason", required=True)
    with transaction.atomic():
        assignment = _locked(assignment, expected_version)
        policy.require(actor, "assignments.manage", assignment)
        _check_transition(assignment, State.CANCELLED)
        before = assignment.state
        at = _now()
        cancelled = [assignment]
        frontier = [assignment.pk]
        while frontier:
            children = list(
                Assignment.objects.select_for_update()
                .filter(parent_id__in=frontier, state__in=ACTIVE_STATES)
                .order_by("pk")
            )
            cancelled += children
            frontier = [c.pk for c in children]
        for item in cancelled:
            item_before = item.state
            item.state = State.CANCELLED
            _save(item, ["state"])
            _close_pending_extension(item, at=at, why=gettext("The assignment was cancelled."))
            _event(
                item,
                action="cancel",
                officer=officer,
                at=at,
                note=reason,
                data={"with": assignment.pk} if item is not assignment else {},
            )
            if item is not assignment:
                _announce(item, item_before)
        notify.send_to_all(
            selectors.responsible_officers(assignment),
            template="assignment_cancelled",
            context={**notify.assignment_context(assignment), "reason": reason},
            skip=officer,
        )
        _audit(
            actor, "assignment.cancel", assignment, before, subtasks=[c.pk for c in cancelled[1:]]
        )
    return assignment


def assignment_reassign(
    *,
    actor: Any,
    assignment: Assignment,
    assignee_unit: Organization | None = None,
    assignee_officer: Officer | None = None,
    note: str = "",
    expected_version: int | None = None,
) -> Assignment:
    """Give active work to another lead unit and/or officer within the manager's reach."""
    officer = _officer(actor)
    note = _text(note, field="note", required=False)
    if assignee_unit is None and assignee_officer is None:
        raise AssignmentInvalid(
            gettext("Name a lead unit or a lead officer."),
            code="assignment.no_assignee",
            field="assignee_unit",
        )
    with transaction.atomic():
        assignment = _locked(assignment, expected_version)
        policy.require(actor, "assignments.manage", assignment)
        _require_active(assignment)
        _check_scope(
            actor, officer, [t for t in (assignee_unit, assignee_officer) if t], self_ok=False
        )
        if assignment.assignee_unit_id == (
            assignee_unit.pk if assignee_unit else None
        ) and assignment.assignee_officer_id == (assignee_officer.pk if assignee_officer else None):
            raise AssignmentInvalid(
                gettext("The assignment already goes there."), code="assignment.same_assignee"
            )
        before_state = assignment.state
        at = _now()
        old = {
            "unit": assignment.assignee_unit.name_vi if assignment.assignee_unit else "",
            "officer": (
                assignment.assignee_officer.full_name if assignment.assignee_officer else ""
            ),
        }
        assignment.assignee_unit = assignee_unit
        assignment.assignee_officer = assignee_officer
        _save(assignment, ["assignee_unit", "assignee_officer"])
        new = {
            "unit": assignee_unit.name_vi if assignee_unit else "",
            "officer": assignee_officer.full_name if assignee_officer else "",
        }
        _event(
            assignment,
            action="reassign",
            officer=officer,
            at=at,
            note=note,
            data={"from": old, "to": new},
        )
        notify.send_to_all(
            selectors.responsible_officers(assignment),
            template="assignment_assigned",
            context={**notify.assignment_context(assignment), "co": False},
            skip=officer,
        )
        _audit(
            actor,
            "assignment.reassign",
            assignment,
            before_state,
            assignee_unit=assignee_unit,
            assignee_officer=assignee_officer,
        )
    return assignment

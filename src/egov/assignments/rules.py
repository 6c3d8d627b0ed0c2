"""Who may act on assignments (registered with egov.directory.policy by AssignmentsConfig.ready).

- `assignments.assign` (`obj`: the lead or co-operating unit, or officer): a head whose role
  reaches that unit (the officer's unit). Checked for every assignee of a new assignment and of
  a reassignment.
- `assignments.subtask` (`obj`: the parent assignment): whoever is responsible for it (its lead
  officer, or a head of its lead unit); the service then checks `assignments.assign` on the
  sub-task's assignees, or accepts the actor as their own assignee.
- `assignments.work` (`obj`: the assignment): progress reports, completion, extension requests:
  the responsible people.
- `assignments.manage` (`obj`: the assignment): reopen, cancel, reassign, decide extensions:
  the assigner, or a head whose role reaches the assignment's organisation.
- `assignments.view` (`obj`: the assignment): anyone involved in it or in an assignment above it,
  and heads reaching its organisation.
"""

from __future__ import annotations

from typing import Any

from egov.assignments.models import Assignment
from egov.assignments.selectors import ancestors, is_involved, is_responsible
from egov.directory import policy
from egov.directory.models import Account, Role


@policy.rule("assignments.assign")
def _assign(actor: Account, obj: Any) -> bool:
    return policy.has_role(
        policy.officer_of(actor), Role.HEAD, over=policy.target_organization(obj)
    )


@policy.rule("assignments.subtask")
def _subtask(actor: Account, obj: Any) -> bool:
    return isinstance(obj, Assignment) and is_responsible(policy.officer_of(actor), obj)


@policy.rule("assignments.work")
def _work(actor: Account, obj: Any) -> bool:
    return isinstance(obj, Assignment) and is_responsible(policy.officer_of(actor), obj)


def _head_over(actor: Account, obj: Assignment) -> bool:
    return policy.has_role(policy.officer_of(actor), Role.HEAD, over=obj.organization)


@policy.rule("assignments.manage")
def _manage(actor: Account, obj: Any) -> bool:
    if not isinstance(obj, Assignment):
        return False
    officer = policy.officer_of(actor)
    if officer is not None and obj.assigned_by_id == officer.pk:
        return True
    return _head_over(actor, obj)


@policy.rule("assignments.view")
def _view(actor: Account, obj: Any) -> bool:
    if not isinstance(obj, Assignment):
        return False
    officer = policy.officer_of(actor)
    if officer is None:
        return False
    if any(is_involved(officer, node) for node in [obj, *ancestors(obj)]):
        return True
    return _head_over(actor, obj)

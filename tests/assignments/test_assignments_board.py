"""Reads: the follow-up board (overdue first), "my assignments", the sub-task tree, who may see
what, and the summary for the workspace home. The day is pinned to Tue 05/05/2026: "due soon"
(2 working days) reaches Thu 07/05."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from assignments_support import World

from egov.assignments import selectors, services
from egov.assignments.models import Assignment
from egov.directory import policy

DAY = date(2026, 5, 5)


@pytest.fixture
def board_items(world: World, give: Any) -> dict[str, Assignment]:
    items = {
        "late_1": give(title="late_1", due_on=date(2026, 5, 4)),
        "late_3": give(title="late_3", due_on=date(2026, 4, 29), assignee_unit=world.culture),
        "soon_0": give(title="soon_0", due_on=date(2026, 5, 5)),
        "soon_2": give(title="soon_2", due_on=date(2026, 5, 7), priority="high"),
        "later": give(title="later", due_on=date(2026, 5, 20), assignee_unit=world.culture),
        "done": give(title="done", due_on=date(2026, 4, 28)),
        "cancelled": give(title="cancelled", due_on=date(2026, 4, 27)),
    }
    services.assignment_complete(
        actor=world.economy_head.account, assignment=items["done"], result_note="Xong"
    )
    services.assignment_cancel(actor=world.head.account, assignment=items["cancelled"], reason="x")
    services.assignment_update_progress(
        actor=world.economy_head.account, assignment=items["soon_2"], percent=50
    )
    # Work the unit head gives is on their own board, not on the chairman's.
    services.assignment_create(
        actor=world.economy_head.account,
        title="sub",
        assignee_officer=world.economy_officer,
        starts_on=date(2026, 4, 20),
        due_on=date(2026, 4, 30),
        parent=items["late_1"],
    )
    return items


def _titles(rows: Any) -> list[str]:
    return [a.title for a in rows]


def test_the_board_puts_overdue_first_then_due_soon_then_the_rest(
    world: World, board_items: dict[str, Assignment]
) -> None:
    board = selectors.follow_up_board(world.head, day=DAY)
    assert _titles(board.rows) == [
        "late_3",
        "late_1",
        "soon_0",
        "soon_2",
        "later",
        "cancelled",
        "done",
    ]
    assert [selectors.bucket_of(a, DAY) for a in board.rows] == [
        "overdue",
        "overdue",
        "due_soon",
        "due_soon",
        "on_track",
        "closed",
        "closed",
    ]
    assert [selectors.late_working_days(a, DAY) for a in board.rows][:2] == [2, 1]
    assert board.by_state == {"open": 4, "in_progress": 1, "done": 1, "cancelled": 1}
    assert board.by_bucket == {"overdue": 2, "due_soon": 2, "on_track": 1, "closed": 2}
    assert board.by_unit == [
        {"unit_id": world.economy.pk, "name": "Phòng Kinh tế", "active": 3, "overdue": 1},
        {"unit_id": world.culture.pk, "name": "Phòng Văn hóa - Xã hội", "active": 2, "overdue": 1},
    ]


def test_the_board_filters(world: World, board_items: dict[str, Assignment]) -> None:
    def titles(**filters: Any) -> list[str]:
        return _titles(selectors.follow_up_board(world.head, day=DAY, **filters).rows)

    assert titles(unit_id=world.culture.pk) == ["late_3", "later"]
    assert titles(state="in_progress") == ["soon_2"]
    assert titles(priority="high") == ["soon_2"]
    assert titles(bucket="due_soon") == ["soon_0", "soon_2"]
    assert titles(bucket="closed") == ["cancelled", "done"]
    board = selectors.follow_up_board(world.economy_head, day=DAY)
    assert _titles(board.rows) == ["sub"]


def test_my_assignments_cover_me_my_unit_and_co_operation(world: World, give: Any) -> None:
    to_unit = give(title="to_unit", co_officers=[world.culture_officer])
    to_officer = give(
        title="to_officer", assignee_unit=None, assignee_officer=world.economy_officer
    )
    co_unit = give(title="co_unit", assignee_unit=world.culture, co_units=[world.economy])
    assert _titles(selectors.assignments_mine(world.economy_head)) == ["to_unit", "co_unit"]
    assert _titles(selectors.assignments_mine(world.economy_officer)) == ["to_officer"]
    assert _titles(selectors.assignments_mine(world.culture_head)) == ["co_unit"]
    assert _titles(selectors.assignments_mine(world.culture_officer)) == ["to_unit"]
    assert _titles(selectors.assignments_mine(world.head)) == []
    services.assignment_complete(
        actor=world.economy_officer.account, assignment=to_officer, result_note="Xong"
    )
    assert _titles(selectors.assignments_mine(world.economy_officer)) == []
    assert _titles(selectors.assignments_mine(world.economy_officer, include_closed=True)) == [
        "to_officer"
    ]
    assert selectors.assignments_mine(world.culture_head).get() == co_unit
    assert selectors.assignments_mine(world.culture_officer).get() == to_unit


def test_the_sub_task_tree_and_who_may_see_it(world: World, give: Any) -> None:
    root = give(title="root")
    child = services.assignment_create(
        actor=world.economy_head.account,
        title="child",
        assignee_officer=world.economy_officer,
        starts_on=date(2026, 4, 20),
        due_on=date(2026, 4, 30),
        parent=root,
    )
    grandchild = services.assignment_create(
        actor=world.economy_officer.account,
        title="grandchild",
        assignee_officer=world.economy_officer,
        starts_on=date(2026, 4, 20),
        due_on=date(2026, 4, 29),
        parent=child,
    )
    sibling = services.assignment_create(
        actor=world.economy_head.account,
        title="sibling",
        assignee_officer=world.economy_officer2,
        starts_on=date(2026, 4, 20),
        due_on=date(2026, 4, 30),
        parent=root,
    )
    assert [(a.title, depth) for a, depth in selectors.subtask_tree(root)] == [
        ("child", 1),
        ("grandchild", 2),
        ("sibling", 1),
    ]
    assert [a.title for a in selectors.ancestors(grandchild)] == ["child", "root"]

    def sees(person: Any, item: Assignment) -> bool:
        return policy.can(person.account, "assignments.view", item)

    assert all(sees(world.head, a) for a in (root, child, grandchild, sibling))
    assert all(sees(world.economy_head, a) for a in (root, child, grandchild, sibling))
    assert [sees(world.economy_officer, a) for a in (root, child, grandchild, sibling)] == [
        False,
        True,
        True,
        False,
    ]
    for stranger in (world.culture_head, world.dept_head, world.outsider, world.culture_officer):
        assert not any(sees(stranger, a) for a in (root, child, grandchild, sibling))
    visible = set(
        selectors.assignments_visible_to(world.economy_officer).values_list("title", flat=True)
    )
    assert visible == {"child", "grandchild"}


def test_the_summary_for_the_workspace_home(
    world: World, board_items: dict[str, Assignment]
) -> None:
    services.extension_request(
        actor=world.economy_head.account,
        assignment=board_items["soon_0"],
        new_due_on=date(2026, 5, 12),
        reason="Thêm thời gian",
    )
    assert selectors.assignments_summary(world.economy_head, day=DAY) == {
        "mine": 3,
        "mine_overdue": 1,
        "mine_due_soon": 2,
        "given": 1,
        "given_overdue": 1,
        "extensions_to_decide": 0,
    }
    assert selectors.assignments_summary(world.head, day=DAY) == {
        "mine": 0,
        "mine_overdue": 0,
        "mine_due_soon": 0,
        "given": 5,
        "given_overdue": 2,
        "extensions_to_decide": 1,
    }


def test_the_pickers_are_limited_to_the_heads_reach(world: World) -> None:
    assert set(selectors.assignable_units(world.economy_head)) == {world.economy}
    assert set(selectors.assignable_units(world.head)) == {
        world.committee,
        world.office,
        world.economy,
        world.culture,
    }
    assert set(selectors.assignable_officers(world.economy_head)) == {
        world.economy_head,
        world.economy_officer,
        world.economy_officer2,
    }
    assert list(selectors.assignable_units(world.economy_officer)) == []
    assert list(selectors.assignable_officers(world.economy_officer, include_self=True)) == [
        world.economy_officer
    ]

"""The assignment screens: who may open what, the forms with their errors next to the fields,
the stale-version answer, and list pages whose query count does not grow with the rows."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import pytest
from assignments_support import World
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from egov_testing import language_client

from egov.assignments import selectors, services
from egov.assignments.models import Assignment, ExtensionRequest, State

DAY = date(2026, 5, 5)


@pytest.fixture(autouse=True)
def _pinned_day(monkeypatch: Any) -> None:
    monkeypatch.setattr(selectors, "today", lambda: DAY)


def _as(client: Client, officer: Any) -> Client:
    client.force_login(officer.account)
    return client


def _order(html: str) -> list[int]:
    return [int(pk) for pk in re.findall(r'<tr data-assignment="(\d+)"', html)]


@pytest.mark.parametrize("name", ["assignments:mine", "assignments:board", "assignments:create"])
def test_anonymous_visitors_are_sent_to_sign_in(client: Client, name: str) -> None:
    response = client.get(reverse(name))
    assert response.status_code == 302
    assert "?next=" in response["Location"]


def test_my_assignments_page(client: Client, world: World, give: Any) -> None:
    late = give(title="Việc trễ", due_on=date(2026, 5, 4), source_label="15/QĐ-UBND")
    later = give(title="Việc sau", due_on=date(2026, 5, 20))
    response = _as(client, world.economy_head).get(reverse("assignments:mine"))
    assert response.status_code == 200
    html = response.content.decode()
    assert _order(html) == [late.pk, later.pk]
    assert 'data-bucket="overdue"' in html
    assert "1 working day late" in html
    assert "15/QĐ-UBND" in html
    assert "2 open, of which 1 overdue and 0 due soon." in html
    empty = _as(language_client("en"), world.culture_officer).get(reverse("assignments:mine"))
    assert 'data-testid="mine-empty"' in empty.content.decode()


def test_list_pages_do_not_query_per_row(client: Client, world: World, give: Any) -> None:
    def count(url: str) -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx.captured_queries)

    _as(client, world.head)
    count(reverse("assignments:board"))  # warm the per-process calendar cache
    give(title="a", due_on=date(2026, 5, 4))
    give(title="b", due_on=date(2026, 5, 6), assignee_unit=world.culture)
    few = (count(reverse("assignments:board")), count(reverse("assignments:mine")))
    for n in range(6):
        give(title=f"more {n}", due_on=date(2026, 5, 10 + n))
    many = (count(reverse("assignments:board")), count(reverse("assignments:mine")))
    assert many == few


def test_the_board_page_orders_and_filters(client: Client, world: World, give: Any) -> None:
    later = give(title="later", due_on=date(2026, 5, 20))
    soon = give(title="soon", due_on=date(2026, 5, 6), assignee_unit=world.culture)
    late = give(title="late", due_on=date(2026, 4, 29))
    _as(client, world.head)
    html = client.get(reverse("assignments:board")).content.decode()
    assert _order(html) == [late.pk, soon.pk, later.pk]
    assert 'class="due due--overdue" data-bucket="overdue"' in html
    assert 'class="due due--late" data-bucket="due_soon"' in html
    filtered = client.get(reverse("assignments:board"), {"unit": world.culture.pk})
    assert _order(filtered.content.decode()) == [soon.pk]
    bad = client.get(reverse("assignments:board"), {"state": "lost"})
    assert bad.status_code == 200
    assert _order(bad.content.decode()) == [late.pk, soon.pk, later.pk]


def test_the_new_assignment_form_offers_only_the_heads_reach(client: Client, world: World) -> None:
    html = _as(client, world.economy_head).get(reverse("assignments:create")).content.decode()
    assert "Phòng Kinh tế" in html
    assert "Phòng Văn hóa - Xã hội" not in html
    assert world.economy_officer.full_name in html
    assert (
        _as(language_client("en"), world.economy_officer)
        .get(reverse("assignments:create"))
        .status_code
        == 403
    )


def _form(world: World, **overrides: Any) -> dict[str, Any]:
    data = {
        "title": "Rà soát thủ tục",
        "description": "",
        "assignee_unit": world.economy.pk,
        "assignee_officer": "",
        "priority": "normal",
        "starts_on": "2026-05-05",
        "due_on": "2026-05-15",
    }
    data.update(overrides)
    return data


def test_creating_from_the_form(client: Client, world: World) -> None:
    _as(client, world.head)
    response = client.post(reverse("assignments:create"), _form(world, co_units=[world.culture.pk]))
    assignment = Assignment.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("assignments:detail", kwargs={"pk": assignment.pk})
    assert (assignment.assigned_by, assignment.assignee_unit) == (world.head, world.economy)
    assert list(assignment.co_units.all()) == [world.culture]


def test_form_errors_show_next_to_the_field_and_nothing_is_written(
    client: Client, world: World
) -> None:
    _as(client, world.economy_head)
    response = client.post(reverse("assignments:create"), _form(world, due_on="2026-05-01"))
    assert response.status_code == 422
    html = response.content.decode()
    assert 'data-testid="error-due_on"' in html
    assert "The due date cannot be before the start date." in html
    outside = client.post(
        reverse("assignments:create"), _form(world, assignee_unit=world.culture.pk)
    )
    assert outside.status_code == 422
    assert 'data-testid="error-assignee_unit"' in outside.content.decode()
    nobody = client.post(reverse("assignments:create"), _form(world, assignee_unit=""))
    assert "Name a lead unit or a lead officer." in nobody.content.decode()
    assert Assignment.objects.count() == 0


def test_the_assignment_page_shows_what_each_person_may_do(
    client: Client, world: World, give: Any
) -> None:
    assignment = give(source_label="15/QĐ-UBND — Về việc X", source_url="/lam-viec/van-ban/42/")
    url = reverse("assignments:detail", kwargs={"pk": assignment.pk})
    lead = _as(client, world.economy_head).get(url).content.decode()
    assert '<a href="/lam-viec/van-ban/42/">15/QĐ-UBND — Về việc X</a>' in lead
    assert re.findall(r'data-action="([a-z-]+)"', lead) == ["hoan-thanh", "create"]
    assert reverse("assignments:progress", kwargs={"pk": assignment.pk}) in lead
    assert f"?parent={assignment.pk}" in lead
    chair = _as(language_client("en"), world.head).get(url).content.decode()
    assert re.findall(r'<details class="action[^"]*" data-action="([a-z-]+)"', chair) == [
        "giao-lai",
        "huy",
    ]
    assert reverse("assignments:progress", kwargs={"pk": assignment.pk}) not in chair
    for stranger in (world.culture_head, world.dept_head, world.economy_officer):
        assert _as(language_client("en"), stranger).get(url).status_code == 404


def test_progress_form_and_stale_version(client: Client, world: World, give: Any) -> None:
    assignment = give()
    url = reverse("assignments:progress", kwargs={"pk": assignment.pk})
    _as(client, world.economy_head)
    assert client.get(url).status_code == 200
    done = client.post(url, {"version": 1, "percent": 60, "note": "Đã xong phần 1"})
    assert done.status_code == 302
    assignment.refresh_from_db()
    assert (assignment.progress, assignment.state, assignment.version) == (
        60,
        State.IN_PROGRESS,
        2,
    )
    stale = client.post(url, {"version": 1, "percent": 80, "note": ""})
    assert stale.status_code == 409
    assert "Someone else changed this assignment" in stale.content.decode()
    too_much = client.post(url, {"version": 2, "percent": 120, "note": ""})
    assert too_much.status_code == 422
    assert 'data-testid="error-percent"' in too_much.content.decode()
    assignment.refresh_from_db()
    assert (assignment.progress, assignment.version) == (60, 2)
    assert _as(language_client("en"), world.head).get(url).status_code == 403


def test_extension_request_and_decision_through_the_screens(
    client: Client, world: World, give: Any
) -> None:
    assignment = give()
    _as(client, world.economy_head)
    response = client.post(
        reverse("assignments:extension", kwargs={"pk": assignment.pk}),
        {"version": 1, "new_due_on": "2026-05-12", "reason": "Chờ số liệu"},
    )
    assert response.status_code == 302
    extension = ExtensionRequest.objects.get()
    chair = _as(language_client("en"), world.head)
    page = chair.get(reverse("assignments:detail", kwargs={"pk": assignment.pk})).content.decode()
    assert 'data-testid="decide"' in page
    decide = reverse(
        "assignments:extension_decide", kwargs={"pk": assignment.pk, "request_id": extension.pk}
    )
    refuse_without_reason = chair.post(
        decide, {"quyet-dinh-version": 1, "quyet-dinh-decision": "refuse"}
    )
    assert refuse_without_reason.status_code == 422
    assert 'data-testid="error-comment"' in refuse_without_reason.content.decode()
    granted = chair.post(
        decide,
        {"quyet-dinh-version": 1, "quyet-dinh-decision": "grant", "quyet-dinh-comment": ""},
    )
    assert granted.status_code == 302
    assignment.refresh_from_db()
    assert assignment.due_on == date(2026, 5, 12)
    extension.refresh_from_db()
    assert extension.state == ExtensionRequest.State.GRANTED


def test_complete_and_reopen_through_the_screens(client: Client, world: World, give: Any) -> None:
    assignment = give()

    def act(person: Any, action: str, data: dict[str, Any]) -> Any:
        url = reverse("assignments:action", kwargs={"pk": assignment.pk, "action": action})
        return _as(language_client("en"), person).post(
            url, {f"{action}-{k}": v for k, v in data.items()}
        )

    assert act(world.economy_head, "mo-lai", {"version": 1, "reason": "x"}).status_code == 403
    wrong_state = act(world.head, "mo-lai", {"version": 1, "reason": "x"})
    assert wrong_state.status_code == 409
    assert "Only a completed assignment can be reopened." in wrong_state.content.decode()
    empty = act(world.economy_head, "hoan-thanh", {"version": 1, "result_note": ""})
    assert empty.status_code == 422
    assert (
        act(world.economy_head, "hoan-thanh", {"version": 1, "result_note": "Xong"}).status_code
        == 302
    )
    assignment.refresh_from_db()
    assert assignment.state == State.DONE
    refused = act(world.economy_head, "mo-lai", {"version": 2, "reason": "Chưa đạt"})
    assert refused.status_code == 403
    assert act(world.head, "mo-lai", {"version": 2, "reason": "Chưa đạt"}).status_code == 302
    assignment.refresh_from_db()
    assert assignment.state == State.IN_PROGRESS
    assert act(world.head, "khong-co", {"version": 3}).status_code == 404


def test_a_sub_task_from_the_assignment_page(client: Client, world: World, give: Any) -> None:
    parent = give()
    _as(client, world.economy_head)
    url = reverse("assignments:create") + f"?parent={parent.pk}"
    assert client.get(url).status_code == 200
    response = client.post(
        url,
        _form(
            world,
            assignee_unit="",
            assignee_officer=world.economy_officer.pk,
            starts_on="2026-04-28",
            due_on="2026-05-04",
        ),
    )
    assert response.status_code == 302
    child = Assignment.objects.get(parent=parent)
    assert child.assignee_officer == world.economy_officer
    assert _as(language_client("en"), world.culture_head).get(url).status_code == 404
    services.assignment_cancel(actor=world.head.account, assignment=parent, reason="x")
    assert client.get(url).status_code == 403

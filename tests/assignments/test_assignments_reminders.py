"""The daily reminders (`egov assignments remind`), around the weekend of 25–26/04/2026, the
Hùng Kings day observed on Monday 27/04 and the holidays of 30/04–01/05/2026.

Hand-computed calendar (Vietnam 2026): working days Tue 28/04, Wed 29/04, Mon 04/05, Tue 05/05,
Wed 06/05 …; days off Sat 25/04, Sun 26/04 (Giỗ Tổ Hùng Vương), Mon 27/04 (observed), Thu 30/04,
Fri 01/05, Sat 02/05, Sun 03/05. An assignment due Mon 04/05 with the default of 2 working days
is "due soon" from Tue 28/04 ((28/04, 04/05] holds 29/04 and 04/05).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from assignments_support import World
from django.core.management import call_command
from django.core.management.base import CommandError

from egov.assignments import services
from egov.assignments.models import Assignment, ReminderLog
from egov.assignments.reminders import assignment_reminders_send
from egov.assignments.tasks import remind
from egov.core.models import OutboundMessage


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def _sent_on(day: date) -> list[tuple[str, str]]:
    run = assignment_reminders_send(today=day)
    rows = OutboundMessage.objects.filter(pk__in=run.messages).order_by("recipient")
    return [(m.recipient, m.subject) for m in rows]


@pytest.fixture
def due_monday(world: World, give: Any) -> Assignment:
    assignment: Assignment = give(title="Báo cáo quý")
    OutboundMessage.objects.all().delete()
    return assignment


def test_reminders_fall_on_the_right_working_days_and_only_once(
    world: World, due_monday: Assignment
) -> None:
    lead = world.economy_head.account.email
    chair = world.head.account.email
    sent = {day: _sent_on(day) for day in _days(date(2026, 4, 22), date(2026, 5, 6))}
    expected = {day: [] for day in sent}
    expected[date(2026, 4, 28)] = [(lead, "Sắp đến hạn (04/05/2026): Báo cáo quý")]
    expected[date(2026, 5, 4)] = [(lead, "Đến hạn hôm nay: Báo cáo quý")]
    expected[date(2026, 5, 5)] = sorted(
        [
            (lead, "Quá hạn 1 ngày làm việc: Báo cáo quý"),
            (chair, "Quá hạn 1 ngày làm việc: Báo cáo quý"),
        ]
    )
    expected[date(2026, 5, 6)] = sorted(
        [
            (lead, "Quá hạn 2 ngày làm việc: Báo cáo quý"),
            (chair, "Quá hạn 2 ngày làm việc: Báo cáo quý"),
        ]
    )
    assert sent == expected
    assert OutboundMessage.objects.filter(template="assignment_reminder").count() == 6
    assert list(
        ReminderLog.objects.filter(officer=world.economy_head)
        .order_by("day")
        .values_list("day", "kind")
    ) == [
        (date(2026, 4, 28), "due_soon"),
        (date(2026, 5, 4), "due_today"),
        (date(2026, 5, 5), "overdue"),
        (date(2026, 5, 6), "overdue"),
    ]
    body = OutboundMessage.objects.get(recipient=lead, subject__startswith="Sắp đến hạn").body
    assert "còn 2 ngày làm việc (hạn 04/05/2026)" in body
    assert f"/lam-viec/giao-viec/{due_monday.pk}/" in body


def test_a_second_run_the_same_day_sends_nothing(world: World, due_monday: Assignment) -> None:
    first = assignment_reminders_send(today=date(2026, 5, 5))
    assert (first.sent, first.already_sent) == (2, 0)
    again = assignment_reminders_send(today=date(2026, 5, 5))
    assert (again.sent, again.already_sent, again.messages) == (0, 2, [])
    assert OutboundMessage.objects.count() == 2


def test_a_day_off_sends_nothing(world: World, due_monday: Assignment) -> None:
    run = assignment_reminders_send(today=date(2026, 5, 2))
    assert not run.working_day
    assert str(run) == "2026-05-02: not a working day, no reminders"
    assert ReminderLog.objects.count() == 0


def test_more_days_of_notice_move_the_due_soon_reminder(
    world: World, due_monday: Assignment, settings: Any
) -> None:
    settings.EGOV_ASSIGNMENT_REMIND_DAYS = 3
    assert _sent_on(date(2026, 4, 23)) == []
    assert _sent_on(date(2026, 4, 24)) == [
        (world.economy_head.account.email, "Sắp đến hạn (04/05/2026): Báo cáo quý")
    ]
    assert _sent_on(date(2026, 4, 28)) == []


def test_a_granted_extension_opens_a_new_due_soon_window(
    world: World, due_monday: Assignment
) -> None:
    assert len(_sent_on(date(2026, 4, 28))) == 1
    extension = services.extension_request(
        actor=world.economy_head.account,
        assignment=due_monday,
        new_due_on=date(2026, 5, 8),
        reason="Chờ số liệu",
    )
    services.extension_decide(actor=world.head.account, extension=extension, grant=True)
    OutboundMessage.objects.all().delete()
    assert _sent_on(date(2026, 5, 4)) == []
    assert _sent_on(date(2026, 5, 5)) == []
    assert _sent_on(date(2026, 5, 6)) == [
        (world.economy_head.account.email, "Sắp đến hạn (08/05/2026): Báo cáo quý")
    ]


def test_closed_work_is_not_reminded(world: World, due_monday: Assignment) -> None:
    services.assignment_complete(
        actor=world.economy_head.account, assignment=due_monday, result_note="Đã báo cáo"
    )
    OutboundMessage.objects.all().delete()
    run = assignment_reminders_send(today=date(2026, 5, 5))
    assert (run.assignments, run.sent) == (0, 0)
    assert OutboundMessage.objects.count() == 0


def test_an_officer_without_address_is_counted_and_reminded_once_they_have_one(
    world: World, due_monday: Assignment
) -> None:
    account = world.economy_head.account
    account.email = ""
    account.save(update_fields=["email"])
    run = assignment_reminders_send(today=date(2026, 5, 4))
    assert (run.sent, run.without_address) == (0, 1)
    assert ReminderLog.objects.count() == 0
    account.email = "truongphong@test.example"
    account.save(update_fields=["email"])
    assert _sent_on(date(2026, 5, 4)) == [
        ("truongphong@test.example", "Đến hạn hôm nay: Báo cáo quý")
    ]


def test_the_reminder_follows_the_officers_language(world: World, due_monday: Assignment) -> None:
    account = world.economy_head.account
    account.preferred_language = "en"
    account.save(update_fields=["preferred_language"])
    assert _sent_on(date(2026, 5, 4)) == [(account.email, "Due today: Báo cáo quý")]


def test_the_command_and_the_task(world: World, due_monday: Assignment, capsys: Any) -> None:
    call_command("assignments", "remind", "--date", "2026-05-04")
    assert capsys.readouterr().out.strip() == (
        "2026-05-04: 1 assignment(s) to remind about; 1 reminder(s) sent, 0 already sent "
        "today, 0 officer(s) without an e-mail address"
    )
    assert remind.call("2026-05-04") == (
        "2026-05-04: 1 assignment(s) to remind about; 0 reminder(s) sent, 1 already sent "
        "today, 0 officer(s) without an e-mail address"
    )
    with pytest.raises(CommandError):
        call_command("assignments", "remind", "--date", "04/05/2026")
    with pytest.raises(CommandError):
        call_command("assignments")

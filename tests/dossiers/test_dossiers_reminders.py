"""The daily reminder of due and overdue dossiers (issue #4): who gets it, with which subject,
nothing for dossiers on time, and nothing new on a second run the same day."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from directory_factories import OfficerFactory
from django.core import mail
from django.core.management import call_command
from django.core.management.base import CommandError
from dossiers_support import Clock, World, vn

from egov.core.models import OutboundMessage
from egov.directory.models import Role, Scope
from egov.dossiers import services
from egov.dossiers.models import Dossier, DossierStep, ReminderLog
from egov.dossiers.reminders import overdue_reminders_send
from egov.dossiers.tasks import remind_overdue

IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture
def immediate_tasks(settings: Any) -> None:
    settings.TASKS = IMMEDIATE


@pytest.fixture
def accepted(world: World, clock: Clock, receive: Any) -> Dossier:
    """Received 12/02/2026 09:00 and accepted at 10:00: the appraisal step at the construction
    unit is current, due 24/02; the dossier is due 26/02. Applicant told by SMS, not e-mail."""
    dossier = receive()
    clock.set(vn(2026, 2, 12, 10, 0))
    accepted: Dossier = services.dossier_accept(actor=world.counter.account, dossier=dossier)
    return accepted


def _step(dossier: Dossier, order: int) -> DossierStep:
    return DossierStep.objects.get(dossier=dossier, order=order)


def _sent(run: Any, capture: Any) -> list[tuple[str, str]]:
    """Send (after commit, through the immediate task backend) and list (recipient, subject)."""
    with capture(execute=True):
        result = run()
    assert result is not None
    return sorted((m.to[0], m.subject) for m in mail.outbox)


def test_a_step_due_today_reminds_the_units_officer_and_the_head(
    world: World,
    accepted: Dossier,
    immediate_tasks: None,
    django_capture_on_commit_callbacks: Any,
) -> None:
    world.head.account.preferred_language = "en"
    world.head.account.save(update_fields=["preferred_language"])
    mail.outbox.clear()
    sent = _sent(
        lambda: overdue_reminders_send(today=date(2026, 2, 24)), django_capture_on_commit_callbacks
    )
    assert sent == sorted(
        [
            (
                world.reviewer.account.email,
                "Nhắc việc ngày 24/02/2026: 0 hồ sơ quá hạn, 1 hồ sơ đến hạn hôm nay",
            ),
            (world.head.account.email, "Summary 24/02/2026: 0 overdue dossier(s), 1 due today"),
        ]
    )
    officer_mail = next(m for m in mail.outbox if m.to == [world.reviewer.account.email])
    assert accepted.code in officer_mail.body
    assert "Thẩm định hồ sơ" in officer_mail.body
    assert "đến hạn hôm nay" in officer_mail.body
    assert f"/lam-viec/ho-so/{accepted.code}/" in officer_mail.body
    head_mail = next(m for m in mail.outbox if m.to == [world.head.account.email])
    assert accepted.code in head_mail.body
    logs = sorted(
        (log.kind, log.officer_id, log.dossiers, log.message is not None)
        for log in ReminderLog.objects.all()
    )
    assert logs == sorted(
        [
            ("officer", world.reviewer.pk, [accepted.code], True),
            ("head", world.head.pk, [accepted.code], True),
        ]
    )


def test_nothing_is_sent_for_dossiers_on_time(
    world: World,
    accepted: Dossier,
    immediate_tasks: None,
    django_capture_on_commit_callbacks: Any,
) -> None:
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        run = overdue_reminders_send(today=date(2026, 2, 23))
    assert (run.dossiers, run.officer_messages, run.head_messages) == (0, 0, 0)
    assert mail.outbox == []
    assert ReminderLog.objects.count() == 0
    assert OutboundMessage.objects.filter(template__startswith="dossier_overdue").count() == 0


def test_a_second_run_the_same_day_sends_nothing_new(
    world: World,
    accepted: Dossier,
    immediate_tasks: None,
    django_capture_on_commit_callbacks: Any,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        first = overdue_reminders_send(today=date(2026, 2, 25))
    assert (first.dossiers, first.officer_messages, first.head_messages) == (1, 1, 1)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        second = overdue_reminders_send(today=date(2026, 2, 25))
    assert (second.officer_messages, second.head_messages, second.already_sent) == (0, 0, 2)
    assert mail.outbox == []
    assert ReminderLog.objects.count() == 2
    assert OutboundMessage.objects.filter(template__startswith="dossier_overdue").count() == 2
    # The next day is a new day: the still overdue dossier is reminded again.
    with django_capture_on_commit_callbacks(execute=True):
        third = overdue_reminders_send(today=date(2026, 2, 26))
    assert (third.officer_messages, third.head_messages) == (1, 1)
    assert sorted(m.subject for m in mail.outbox) == [
        "Nhắc việc ngày 26/02/2026: 1 hồ sơ quá hạn, 0 hồ sơ đến hạn hôm nay",
        "Tổng hợp ngày 26/02/2026: 1 hồ sơ quá hạn, 0 hồ sơ đến hạn hôm nay",
    ]


def test_the_assignee_alone_is_reminded_once_the_step_is_taken(
    world: World,
    clock: Clock,
    accepted: Dossier,
    immediate_tasks: None,
    django_capture_on_commit_callbacks: Any,
) -> None:
    colleague = OfficerFactory(
        unit=world.construction_unit, roles=[(Role.OFFICER, Scope.UNIT)], email="dong.nghiep@x.vn"
    )
    with django_capture_on_commit_callbacks(execute=True):
        overdue_reminders_send(today=date(2026, 2, 24))
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        [world.reviewer.account.email, "dong.nghiep@x.vn", world.head.account.email]
    )

    clock.set(vn(2026, 2, 24, 16, 0))
    services.dossier_start_step(
        actor=world.reviewer.account, dossier=accepted, step=_step(accepted, 2)
    )
    mail.outbox.clear()
    sent = _sent(
        lambda: overdue_reminders_send(today=date(2026, 2, 25)), django_capture_on_commit_callbacks
    )
    assert [to for to, _subject in sent] == sorted(
        [world.reviewer.account.email, world.head.account.email]
    )
    assert not ReminderLog.objects.filter(officer=colleague, day=date(2026, 2, 25)).exists()


def test_a_dossier_not_yet_accepted_reminds_the_counter(
    world: World,
    receive: Any,
    immediate_tasks: None,
    django_capture_on_commit_callbacks: Any,
) -> None:
    dossier = receive()
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        run = overdue_reminders_send(today=date(2026, 2, 27))
    assert (run.dossiers, run.officer_messages, run.head_messages) == (1, 1, 1)
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        [world.counter.account.email, world.head.account.email]
    )
    assert all(dossier.code in m.body for m in mail.outbox)


def test_a_dossier_waiting_for_supplements_is_not_reminded(
    world: World,
    clock: Clock,
    receive: Any,
    immediate_tasks: None,
    django_capture_on_commit_callbacks: Any,
) -> None:
    dossier = receive()
    clock.set(vn(2026, 2, 12, 10, 0))
    services.dossier_request_supplement(
        actor=world.counter.account,
        dossier=dossier,
        items=[{"document_code": "TP2", "name": "Bản vẽ thiết kế", "reason": "Thiếu chữ ký"}],
    )
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        run = overdue_reminders_send(today=date(2026, 3, 10))
    assert run.dossiers == 0
    assert mail.outbox == []
    assert ReminderLog.objects.count() == 0


def test_an_officer_without_an_address_is_counted_not_logged(
    world: World, accepted: Dossier, immediate_tasks: None
) -> None:
    world.reviewer.account.email = ""
    world.reviewer.account.save(update_fields=["email"])
    run = overdue_reminders_send(today=date(2026, 2, 24))
    assert (run.officer_messages, run.head_messages, run.without_address) == (0, 1, 1)
    assert list(ReminderLog.objects.values_list("kind", "officer_id")) == [("head", world.head.pk)]


def test_the_command_and_the_task_run_the_same_reminder(
    world: World,
    accepted: Dossier,
    immediate_tasks: None,
    capsys: pytest.CaptureFixture[str],
    django_capture_on_commit_callbacks: Any,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        call_command("dossiers", "remind-overdue", "--date", "2026-02-24")
    assert capsys.readouterr().out.strip() == (
        "2026-02-24: 1 due dossier(s); 1 officer reminder(s), 1 head digest(s) sent; "
        "0 already sent today; 0 officer(s) without an e-mail address"
    )
    result = remind_overdue.enqueue("2026-02-24")
    assert result.return_value == (
        "2026-02-24: 1 due dossier(s); 0 officer reminder(s), 0 head digest(s) sent; "
        "2 already sent today; 0 officer(s) without an e-mail address"
    )
    assert len(mail.outbox) == 2


def test_the_command_refuses_a_bad_date(db: None) -> None:
    with pytest.raises(CommandError, match="2026-13-01"):
        call_command("dossiers", "remind-overdue", "--date", "2026-13-01")
    assert ReminderLog.objects.count() == 0

"""The life of an assignment through its services: create → sub-task → progress → extension
requested and granted → complete → reopen; and every refusal leaves nothing written."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from assignments_support import World
from django.db import IntegrityError, transaction

from egov.assignments import services
from egov.assignments.models import (
    Assignment,
    AssignmentEvent,
    ExtensionRequest,
    ProgressUpdate,
    State,
)
from egov.assignments.signals import assignment_state_changed
from egov.core.errors import PermissionDenied
from egov.core.models import AuditEntry, OutboundMessage


def _mail(template: str) -> list[str]:
    return sorted(
        OutboundMessage.objects.filter(template=template).values_list("recipient", flat=True)
    )


def _events(assignment: Assignment) -> list[str]:
    return list(assignment.events.order_by("at", "pk").values_list("action", flat=True))


def test_the_whole_lifecycle_of_an_assignment_from_a_document(world: World, give: Any) -> None:
    parent = give(
        co_units=[world.culture],
        priority="urgent",
        source_type="document",
        source_id="42",
        source_label="15/QĐ-UBND — Về việc báo cáo kinh tế",
        source_url="/lam-viec/van-ban/42/",
    )
    assert parent.state == State.OPEN
    assert parent.organization == world.committee
    assert parent.assigned_by == world.head
    assert (parent.source_type, parent.source_id) == ("document", "42")
    assert list(parent.co_units.all()) == [world.culture]
    assert _mail("assignment_assigned") == sorted(
        [world.economy_head.account.email, world.culture_head.account.email]
    )
    lead_mail = OutboundMessage.objects.get(recipient=world.economy_head.account.email)
    assert lead_mail.subject == "Được giao việc: Báo cáo tình hình kinh tế quý IV (hạn 04/05/2026)"
    assert "15/QĐ-UBND — Về việc báo cáo kinh tế" in lead_mail.body
    assert f"/lam-viec/giao-viec/{parent.pk}/" in lead_mail.body
    assert "HỎA TỐC" in lead_mail.body
    co_mail = OutboundMessage.objects.get(recipient=world.culture_head.account.email)
    assert co_mail.subject.startswith("Phối hợp thực hiện: ")

    # The unit head splits the work: a sub-task for one of the unit's officers.
    child = services.assignment_create(
        actor=world.economy_head.account,
        title="Tổng hợp số liệu",
        assignee_officer=world.economy_officer,
        starts_on=date(2026, 4, 20),
        due_on=date(2026, 4, 29),
        parent=parent,
    )
    assert child.parent == parent
    assert child.organization == world.committee
    assert world.economy_officer.account.email in _mail("assignment_assigned")

    # Progress: the first report moves it to "in progress"; 100 % does not close it.
    child = services.assignment_update_progress(
        actor=world.economy_officer.account,
        assignment=child,
        percent=40,
        note="Đã thu thập số liệu 3 xã",
        expected_version=1,
    )
    assert (child.state, child.progress, child.version) == (State.IN_PROGRESS, 40, 2)
    child = services.assignment_update_progress(
        actor=world.economy_officer.account, assignment=child, percent=100, expected_version=2
    )
    assert (child.state, child.progress) == (State.IN_PROGRESS, 100)
    assert child.completed_at is None
    assert list(
        ProgressUpdate.objects.filter(assignment=child).values_list("percent", flat=True)
    ) == [
        40,
        100,
    ]

    # The parent cannot be completed while its sub-task is open.
    with pytest.raises(services.AssignmentInvalid) as refused:
        services.assignment_complete(
            actor=world.economy_head.account, assignment=parent, result_note="Xong"
        )
    assert refused.value.code == "assignment.subtasks_open"
    parent.refresh_from_db()
    assert parent.state == State.OPEN

    child = services.assignment_complete(
        actor=world.economy_officer.account,
        assignment=child,
        result_note="Bảng số liệu đã gửi trưởng phòng",
        expected_version=3,
    )
    assert child.state == State.DONE
    assert child.completed_at is not None
    assert _mail("assignment_completed") == [world.economy_head.account.email]

    # Extension requested by the unit head, granted by the chairman.
    extension = services.extension_request(
        actor=world.economy_head.account,
        assignment=parent,
        new_due_on=date(2026, 5, 8),
        reason="Chờ số liệu của Cục Thống kê",
    )
    assert extension.state == ExtensionRequest.State.PENDING
    assert extension.previous_due_on == date(2026, 5, 4)
    assert _mail("assignment_extension_requested") == [world.head.account.email]
    parent.refresh_from_db()
    extension = services.extension_decide(
        actor=world.head.account,
        extension=extension,
        grant=True,
        comment="Đồng ý",
        expected_version=parent.version,
    )
    assert extension.state == ExtensionRequest.State.GRANTED
    assert extension.decided_by == world.head
    parent.refresh_from_db()
    assert parent.due_on == date(2026, 5, 8)
    assert _mail("assignment_extension_decided") == [world.economy_head.account.email]

    parent = services.assignment_complete(
        actor=world.economy_head.account,
        assignment=parent,
        result_note="Báo cáo số 12/BC-KT đã trình",
        expected_version=parent.version,
    )
    assert (parent.state, parent.progress) == (State.DONE, 100)
    assert parent.result_note == "Báo cáo số 12/BC-KT đã trình"
    assert _mail("assignment_completed") == sorted(
        [world.economy_head.account.email, world.head.account.email]
    )

    parent = services.assignment_reopen(
        actor=world.head.account,
        assignment=parent,
        reason="Thiếu số liệu xuất khẩu",
        due_on=date(2026, 5, 12),
        expected_version=parent.version,
    )
    assert parent.state == State.IN_PROGRESS
    assert parent.completed_at is None
    assert parent.result_note == ""
    assert parent.due_on == date(2026, 5, 12)
    assert _mail("assignment_reopened") == [world.economy_head.account.email]

    assert _events(parent) == [
        "create",
        "extension_request",
        "extension_grant",
        "complete",
        "reopen",
    ]
    assert _events(child) == ["create", "progress", "progress", "complete"]
    reopen = AssignmentEvent.objects.get(assignment=parent, action="reopen")
    assert reopen.data["previous_result"] == "Báo cáo số 12/BC-KT đã trình"
    assert list(
        AuditEntry.objects.filter(object_type="assignments.assignment", object_id=str(parent.pk))
        .order_by("id")
        .values_list("action", flat=True)
    ) == [
        "assignment.create",
        "assignment.extension_request",
        "assignment.extension_decide",
        "assignment.complete",
        "assignment.reopen",
    ]


def _nothing_written(before_messages: int = 0) -> None:
    assert Assignment.objects.count() == 0
    assert OutboundMessage.objects.count() == before_messages
    assert AuditEntry.objects.filter(action__startswith="assignment.").count() == 0


@pytest.mark.parametrize(
    ("who", "target"),
    [
        ("economy_head", "culture"),  # a unit head reaches only their own unit
        ("economy_officer", "economy"),  # an officer gives no work
        ("dept_head", "economy"),  # another organisation's head
        ("outsider", "economy_officer"),
    ],
)
def test_assigning_outside_ones_scope_is_refused(world: World, who: str, target: str) -> None:
    person = getattr(world, who)
    goal = getattr(world, target)
    kwargs = {"assignee_officer": goal} if target.endswith("officer") else {"assignee_unit": goal}
    with pytest.raises(PermissionDenied) as refused:
        services.assignment_create(
            actor=person.account,
            title="Việc ngoài phạm vi",
            starts_on=date(2026, 4, 20),
            due_on=date(2026, 5, 4),
            **kwargs,
        )
    assert refused.value.code == "assignment.out_of_scope"
    _nothing_written()


def test_a_co_unit_outside_the_scope_is_refused_too(world: World, give: Any) -> None:
    with pytest.raises(PermissionDenied):
        give(actor=world.economy_head.account, co_units=[world.culture])
    _nothing_written()


def test_due_before_start_is_refused(world: World, give: Any) -> None:
    with pytest.raises(services.AssignmentInvalid) as refused:
        give(starts_on=date(2026, 5, 5), due_on=date(2026, 5, 4))
    assert (refused.value.code, refused.value.field) == ("assignment.due_before_start", "due_on")
    _nothing_written()


def test_an_assignment_needs_a_lead(world: World, give: Any) -> None:
    with pytest.raises(services.AssignmentInvalid) as refused:
        give(assignee_unit=None)
    assert refused.value.code == "assignment.no_assignee"
    _nothing_written()


def test_the_database_keeps_progress_and_dates_in_range(world: World, give: Any) -> None:
    assignment = give()
    with pytest.raises(IntegrityError), transaction.atomic():
        Assignment.objects.filter(pk=assignment.pk).update(progress=101)
    with pytest.raises(IntegrityError), transaction.atomic():
        Assignment.objects.filter(pk=assignment.pk).update(due_on=date(2026, 4, 1))
    with pytest.raises(IntegrityError), transaction.atomic():
        Assignment.objects.filter(pk=assignment.pk).update(state="lost")


@pytest.mark.parametrize("percent", [101, -1])
def test_progress_out_of_range_is_refused(world: World, give: Any, percent: int) -> None:
    assignment = give()
    with pytest.raises(services.AssignmentInvalid) as refused:
        services.assignment_update_progress(
            actor=world.economy_head.account, assignment=assignment, percent=percent
        )
    assert (refused.value.code, refused.value.field) == ("assignment.bad_progress", "percent")
    assignment.refresh_from_db()
    assert (assignment.progress, assignment.state, assignment.version) == (0, State.OPEN, 1)
    assert ProgressUpdate.objects.count() == 0


def test_a_stale_version_is_refused(world: World, give: Any) -> None:
    assignment = give()
    services.assignment_update_progress(
        actor=world.economy_head.account, assignment=assignment, percent=30, expected_version=1
    )
    with pytest.raises(services.AssignmentConflict) as refused:
        services.assignment_update_progress(
            actor=world.economy_head.account, assignment=assignment, percent=50, expected_version=1
        )
    assert refused.value.code == "assignment.conflict"
    assignment.refresh_from_db()
    assert (assignment.progress, assignment.version) == (30, 2)
    assert ProgressUpdate.objects.count() == 1


def test_actions_in_the_wrong_state_are_refused(world: World, give: Any) -> None:
    assignment = give()
    with pytest.raises(services.TransitionNotAllowed):
        services.assignment_reopen(actor=world.head.account, assignment=assignment, reason="x")
    services.assignment_cancel(actor=world.head.account, assignment=assignment, reason="Thôi")
    assignment.refresh_from_db()
    for call in (
        lambda: services.assignment_update_progress(
            actor=world.economy_head.account, assignment=assignment, percent=10
        ),
        lambda: services.assignment_complete(
            actor=world.economy_head.account, assignment=assignment, result_note="x"
        ),
        lambda: services.assignment_cancel(
            actor=world.head.account, assignment=assignment, reason="x"
        ),
        lambda: services.extension_request(
            actor=world.economy_head.account,
            assignment=assignment,
            new_due_on=date(2026, 6, 1),
            reason="x",
        ),
    ):
        with pytest.raises(services.TransitionNotAllowed):
            call()
    assert _events(assignment) == ["create", "cancel"]


def test_only_the_responsible_people_report_progress(world: World, give: Any) -> None:
    assignment = give()
    for person in (world.economy_officer, world.culture_head, world.head):
        with pytest.raises(PermissionDenied):
            services.assignment_update_progress(
                actor=person.account, assignment=assignment, percent=10
            )
    assert ProgressUpdate.objects.count() == 0


def test_a_sub_task_by_someone_not_responsible_or_after_the_parent_is_refused(
    world: World, give: Any
) -> None:
    parent = give()
    with pytest.raises(PermissionDenied):
        services.assignment_create(
            actor=world.culture_head.account,
            title="Việc con",
            assignee_officer=world.culture_officer,
            starts_on=date(2026, 4, 20),
            due_on=date(2026, 4, 30),
            parent=parent,
        )
    with pytest.raises(services.AssignmentInvalid) as refused:
        services.assignment_create(
            actor=world.economy_head.account,
            title="Việc con",
            assignee_officer=world.economy_officer,
            starts_on=date(2026, 4, 20),
            due_on=date(2026, 5, 5),
            parent=parent,
        )
    assert refused.value.code == "assignment.after_parent"
    assert Assignment.objects.count() == 1


def test_an_officer_may_keep_a_sub_task_for_themselves(world: World, give: Any) -> None:
    parent = give(assignee_unit=None, assignee_officer=world.economy_officer)
    child = services.assignment_create(
        actor=world.economy_officer.account,
        title="Phần việc của tôi",
        assignee_officer=world.economy_officer,
        starts_on=date(2026, 4, 20),
        due_on=date(2026, 4, 28),
        parent=parent,
    )
    assert child.assigned_by == world.economy_officer
    with pytest.raises(PermissionDenied):
        services.assignment_create(
            actor=world.economy_officer.account,
            title="Cho đồng nghiệp",
            assignee_officer=world.economy_officer2,
            starts_on=date(2026, 4, 20),
            due_on=date(2026, 4, 28),
            parent=parent,
        )


def test_extension_rules(world: World, give: Any) -> None:
    assignment = give()
    with pytest.raises(services.AssignmentInvalid) as refused:
        services.extension_request(
            actor=world.economy_head.account,
            assignment=assignment,
            new_due_on=date(2026, 5, 4),
            reason="Cần thêm thời gian",
        )
    assert refused.value.code == "assignment.extension_not_later"
    extension = services.extension_request(
        actor=world.economy_head.account,
        assignment=assignment,
        new_due_on=date(2026, 5, 15),
        reason="Cần thêm thời gian",
    )
    with pytest.raises(services.AssignmentInvalid) as twice:
        services.extension_request(
            actor=world.economy_head.account,
            assignment=assignment,
            new_due_on=date(2026, 5, 20),
            reason="Lần hai",
        )
    assert twice.value.code == "assignment.extension_pending"
    with pytest.raises(PermissionDenied):
        services.extension_decide(actor=world.economy_head.account, extension=extension, grant=True)
    with pytest.raises(services.AssignmentInvalid) as no_comment:
        services.extension_decide(actor=world.head.account, extension=extension, grant=False)
    assert no_comment.value.field == "comment"
    refused_ext = services.extension_decide(
        actor=world.head.account, extension=extension, grant=False, comment="Không đủ lý do"
    )
    assert refused_ext.state == ExtensionRequest.State.REFUSED
    assignment.refresh_from_db()
    assert (assignment.due_on, assignment.version) == (date(2026, 5, 4), 1)
    with pytest.raises(services.AssignmentConflict) as decided:
        services.extension_decide(actor=world.head.account, extension=extension, grant=True)
    assert decided.value.code == "assignment.extension_decided"
    assignment.refresh_from_db()
    assert assignment.due_on == date(2026, 5, 4)


def test_cancelling_cancels_the_open_sub_tasks(world: World, give: Any) -> None:
    parent = give()
    child = services.assignment_create(
        actor=world.economy_head.account,
        title="Việc con",
        assignee_officer=world.economy_officer,
        starts_on=date(2026, 4, 20),
        due_on=date(2026, 4, 30),
        parent=parent,
    )
    services.extension_request(
        actor=world.economy_officer.account,
        assignment=child,
        new_due_on=date(2026, 5, 4),
        reason="Cần thêm",
    )
    with pytest.raises(PermissionDenied):
        services.assignment_cancel(actor=world.economy_head.account, assignment=parent, reason="x")
    services.assignment_cancel(actor=world.head.account, assignment=parent, reason="Không cần nữa")
    child.refresh_from_db()
    assert child.state == State.CANCELLED
    assert ExtensionRequest.objects.get(assignment=child).state == ExtensionRequest.State.REFUSED
    assert _mail("assignment_cancelled") == [world.economy_head.account.email]


def test_reassigning_within_scope_tells_the_new_lead(world: World, give: Any) -> None:
    assignment = give()
    with pytest.raises(PermissionDenied):
        services.assignment_reassign(
            actor=world.head.account, assignment=assignment, assignee_unit=world.dept_unit
        )
    services.assignment_reassign(
        actor=world.head.account,
        assignment=assignment,
        assignee_unit=world.culture,
        note="Chuyển phòng Văn hóa",
        expected_version=1,
    )
    assignment.refresh_from_db()
    assert (assignment.assignee_unit, assignment.version) == (world.culture, 2)
    assert world.culture_head.account.email in _mail("assignment_assigned")
    event = AssignmentEvent.objects.get(assignment=assignment, action="reassign")
    assert event.data == {
        "from": {"unit": "Phòng Kinh tế", "officer": ""},
        "to": {"unit": "Phòng Văn hóa - Xã hội", "officer": ""},
    }


def test_an_officer_without_e_mail_is_skipped(world: World, give: Any) -> None:
    world.economy_head.account.email = ""
    world.economy_head.account.save(update_fields=["email"])
    assignment = give()
    assert assignment.pk is not None
    assert OutboundMessage.objects.count() == 0


def test_a_bad_address_does_not_stop_the_work(world: World, give: Any) -> None:
    world.economy_head.email = "not an address"
    world.economy_head.save(update_fields=["email"])
    world.economy_head.account.email = ""
    world.economy_head.account.save(update_fields=["email"])
    assignment = give()
    assert assignment.state == State.OPEN
    assert OutboundMessage.objects.count() == 0


def test_the_apps_above_hear_of_state_changes_after_commit(
    world: World, give: Any, django_capture_on_commit_callbacks: Any
) -> None:
    heard: list[dict[str, Any]] = []

    def receiver(sender: Any, **kwargs: Any) -> None:
        heard.append({k: v for k, v in kwargs.items() if k != "signal"})

    assignment_state_changed.connect(receiver)
    try:
        parent = give(source_type="document", source_id="42")
        child = services.assignment_create(
            actor=world.economy_head.account,
            title="Việc con",
            assignee_officer=world.economy_officer,
            starts_on=date(2026, 4, 20),
            due_on=date(2026, 4, 30),
            parent=parent,
        )
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            services.assignment_update_progress(
                actor=world.economy_head.account, assignment=parent, percent=10
            )
        assert heard == []
        for callback in callbacks:
            callback()
        with django_capture_on_commit_callbacks(execute=True):
            services.assignment_cancel(actor=world.head.account, assignment=parent, reason="x")
    finally:
        assignment_state_changed.disconnect(receiver)
    assert heard == [
        {
            "assignment_id": parent.pk,
            "state": "in_progress",
            "previous_state": "open",
            "source_type": "document",
            "source_id": "42",
        },
        {
            "assignment_id": child.pk,
            "state": "cancelled",
            "previous_state": "open",
            "source_type": "",
            "source_id": "",
        },
        {
            "assignment_id": parent.pk,
            "state": "cancelled",
            "previous_state": "in_progress",
            "source_type": "document",
            "source_id": "42",
        },
    ]

"""Full lives of a dossier, walked through a hand-computed calendar around Tết 2026.

Tết 2026: Saturday 14 February to Sunday 22 February are not working days. From an intake on
Thursday 12 February before the cut-off, five working days are: Fri 13, Mon 23, Tue 24,
Wed 25, Thu 26 February — the appointment is Thursday 26 February at 17:00.
"""

from __future__ import annotations

from typing import Any

import pytest
from dossiers_support import VN, Clock, World, vn

from egov.core.errors import PermissionDenied, ValidationFailed
from egov.core.models import AuditEntry, OutboundMessage
from egov.dossiers import selectors, services
from egov.dossiers.models import ClockStop, Dossier, DossierEvent, DossierStep, State


def _steps(dossier: Dossier) -> list[DossierStep]:
    return list(dossier.steps.order_by("order"))


def test_intake_gives_code_appointment_fees_and_a_receipt_message(
    world: World, clock: Clock, receive: Any
) -> None:
    dossier = receive()

    assert dossier.code == "000.00.20.H51-260212-0001"
    assert len(dossier.lookup_code) == 8
    assert dossier.state == State.SUBMITTED
    assert dossier.received_at == vn(2026, 2, 12, 9, 0)
    assert dossier.appointment_at == vn(2026, 2, 26, 17, 0)
    assert dossier.due_at == vn(2026, 2, 26, 17, 0)
    assert dossier.receiving_organization == world.centre
    assert dossier.competent_organization == world.construction
    assert dossier.applicant_name == "Lê Thị Dân"
    assert dossier.received_by == world.counter
    assert [(f.name, f.amount, f.paid) for f in dossier.fees.order_by("order")] == [
        ("Lệ phí cấp giấy phép", 75000, False),
        ("Phí thẩm định", 1_000_000, False),
    ]
    assert dossier.fee_due is True
    message = OutboundMessage.objects.get(channel="sms", template="dossier_received")
    assert message.recipient == "0900000001"
    assert "000.00.20.H51-260212-0001" in message.body
    assert f"/tra-cuu-ho-so/{dossier.code}/" in message.body  # the status page, never a secret
    mail = OutboundMessage.objects.get(channel="email", template="dossier_received")
    assert mail.recipient == "dan@test.example"
    entry = AuditEntry.objects.get(action="dossiers.dossier.receive")
    assert entry.object_id == str(dossier.pk)
    assert AuditEntry.objects.order_by("-pk").first() == entry


def test_codes_run_per_receiving_organisation_and_day(clock: Clock, receive: Any) -> None:
    first, second = receive(), receive()
    clock.set(vn(2026, 2, 13, 8, 0))
    third = receive()
    assert [first.code, second.code, third.code] == [
        "000.00.20.H51-260212-0001",
        "000.00.20.H51-260212-0002",
        "000.00.20.H51-260213-0001",
    ]


def test_intake_after_the_cutoff_counts_from_the_next_working_day(
    clock: Clock, receive: Any
) -> None:
    # Friday 13 Feb 17:30: deemed received Monday 23 Feb (after Tết) → 24, 25, 26, 27, 2 March.
    clock.set(vn(2026, 2, 13, 17, 30))
    dossier = receive()
    assert dossier.appointment_at == vn(2026, 3, 2, 17, 0)


def test_accept_steps_across_two_organisations_result_and_return(
    world: World, clock: Clock, receive: Any
) -> None:
    dossier = receive()
    clock.set(vn(2026, 2, 12, 10, 0))
    dossier = services.dossier_accept(actor=world.counter.account, dossier=dossier)

    steps = _steps(dossier)
    assert [
        (s.name, s.responsible_unit.code, s.due_at.astimezone(VN).date().isoformat()) for s in steps
    ] == [
        ("Tiếp nhận hồ sơ", "H51.20", "2026-02-13"),
        ("Thẩm định hồ sơ", "H51.04.02", "2026-02-24"),
        ("Lấy ý kiến Sở NN&MT", "H51.08", "2026-02-25"),
        ("Phê duyệt", "H51.04", "2026-02-26"),
        ("Trả kết quả", "H51.20", "2026-02-26"),
    ]
    assert steps[0].finished_at == vn(2026, 2, 12, 10, 0)
    assert steps[0].result == "early"

    clock.set(vn(2026, 2, 23, 8, 0))
    services.dossier_start_step(actor=world.reviewer.account, dossier=dossier, step=steps[1])
    dossier.refresh_from_db()
    assert dossier.state == State.IN_PROCESS
    clock.set(vn(2026, 2, 23, 15, 0))
    services.dossier_complete_step(
        actor=world.reviewer.account, dossier=dossier, step=steps[1], note="Đủ điều kiện"
    )
    dossier.refresh_from_db()

    # The other organisation's officer takes the next step; the reviewer cannot.
    with pytest.raises(PermissionDenied):
        services.dossier_start_step(actor=world.reviewer.account, dossier=dossier, step=steps[2])
    clock.set(vn(2026, 2, 25, 9, 0))
    services.dossier_start_step(actor=world.env_officer.account, dossier=dossier, step=steps[2])
    dossier.refresh_from_db()
    clock.set(vn(2026, 2, 25, 16, 0))
    services.dossier_complete_step(actor=world.env_officer.account, dossier=dossier, step=steps[2])
    dossier.refresh_from_db()

    with pytest.raises(PermissionDenied):
        services.dossier_approve_result(actor=world.reviewer.account, dossier=dossier)
    clock.set(vn(2026, 2, 26, 10, 0))
    dossier = services.dossier_approve_result(
        actor=world.head.account, dossier=dossier, result_number="15/GPXD"
    )
    assert dossier.state == State.APPROVED
    assert dossier.on_time is True
    assert selectors.dossier_timeliness(dossier) == "on_time"

    clock.set(vn(2026, 2, 26, 15, 0))
    dossier = services.dossier_return_result(
        actor=world.counter.account, dossier=dossier, delivery="counter"
    )
    assert dossier.state == State.RETURNED
    assert dossier.returned_at == vn(2026, 2, 26, 15, 0)
    assert [(s.result, s.assignee_id) for s in _steps(dossier)] == [
        ("early", world.counter.pk),
        ("early", world.reviewer.pk),
        ("on_time", world.env_officer.pk),
        ("on_time", world.head.pk),
        ("on_time", world.counter.pk),
    ]
    handovers = [
        (e.action, e.from_unit.code if e.from_unit else None, e.to_unit.code if e.to_unit else None)
        for e in DossierEvent.objects.filter(dossier=dossier).order_by("at", "pk")
    ]
    assert handovers == [
        ("receive", None, "H51.20"),
        ("accept", "H51.20", "H51.04.02"),
        ("start_step", None, "H51.04.02"),
        ("complete_step", "H51.04.02", "H51.08"),
        ("start_step", None, "H51.08"),
        ("complete_step", "H51.08", "H51.04"),
        ("approve_result", None, "H51.20"),
        ("return_result", None, None),
    ]
    assert list(
        OutboundMessage.objects.filter(channel="sms")
        .order_by("pk")
        .values_list("template", flat=True)
    ) == [
        "dossier_received",
        "dossier_result_ready",
        "dossier_returned",
    ]


def test_steps_must_be_taken_in_order_and_started_before_finished(
    world: World, clock: Clock, receive: Any
) -> None:
    dossier = services.dossier_accept(actor=world.counter.account, dossier=receive())
    steps = _steps(dossier)
    with pytest.raises(services.TransitionNotAllowed) as not_current:
        services.dossier_start_step(actor=world.env_officer.account, dossier=dossier, step=steps[2])
    assert not_current.value.code == "dossier.not_current_step"
    with pytest.raises(services.TransitionNotAllowed) as not_started:
        services.dossier_complete_step(actor=world.reviewer.account, dossier=dossier, step=steps[1])
    assert not_started.value.code == "dossier.step_not_started"
    with pytest.raises(services.TransitionNotAllowed) as not_now:
        services.dossier_approve_result(actor=world.head.account, dossier=dossier)
    assert not_now.value.code == "dossier.transition_not_allowed"
    services.dossier_start_step(actor=world.reviewer.account, dossier=dossier, step=steps[1])
    dossier.refresh_from_db()
    with pytest.raises(services.TransitionNotAllowed) as pending:
        services.dossier_approve_result(actor=world.head.account, dossier=dossier)
    assert pending.value.code == "dossier.steps_pending"
    dossier.refresh_from_db()
    assert dossier.state == State.IN_PROCESS
    assert dossier.version == 3
    assert dossier.decided_at is None


def test_supplement_stops_the_clock_and_resubmission_restarts_it(
    world: World, clock: Clock, receive: Any
) -> None:
    dossier = receive()
    clock.set(vn(2026, 2, 13, 10, 0))
    dossier = services.dossier_request_supplement(
        actor=world.counter.account,
        dossier=dossier,
        items=[{"document_code": "TP2", "name": "Bản vẽ thiết kế", "reason": "Thiếu chữ ký"}],
    )
    assert dossier.state == State.SUPPLEMENT_REQUESTED
    stop = ClockStop.objects.get(dossier=dossier)
    assert stop.stopped_at == vn(2026, 2, 13, 10, 0)
    assert stop.items == [
        {"document_code": "TP2", "name": "Bản vẽ thiết kế", "reason": "Thiếu chữ ký"}
    ]
    # Looked at long after the due day, a stopped dossier is not overdue.
    assert selectors.dossier_timeliness(dossier, at=vn(2026, 3, 20)) == "on_time"
    assert (
        OutboundMessage.objects.filter(
            channel="sms", template="dossier_supplement_requested"
        ).count()
        == 1
    )

    with pytest.raises(services.TransitionNotAllowed):
        services.dossier_request_supplement(
            actor=world.counter.account, dossier=dossier, items=[{"name": "X", "reason": "Y"}]
        )

    # Resubmitted Tuesday 24 Feb: five working days again → 25, 26, 27 Feb, 2, 3 March.
    clock.set(vn(2026, 2, 24, 9, 0))
    dossier = services.dossier_resubmit(actor=world.counter.account, dossier=dossier)
    assert dossier.state == State.SUBMITTED
    assert dossier.clock_started_at == vn(2026, 2, 24, 9, 0)
    assert dossier.due_at == vn(2026, 3, 3, 17, 0)
    assert dossier.appointment_at == vn(2026, 3, 3, 17, 0)
    stop.refresh_from_db()
    assert stop.resumed_at == vn(2026, 2, 24, 9, 0)

    # Only once: a second supplement is refused even after acceptance.
    dossier = services.dossier_accept(actor=world.counter.account, dossier=dossier)
    assert [s.due_at.astimezone(VN).date().isoformat() for s in _steps(dossier)] == [
        "2026-02-25",
        "2026-02-27",
        "2026-03-02",
        "2026-03-03",
        "2026-03-03",
    ]
    with pytest.raises(ValidationFailed) as twice:
        services.dossier_request_supplement(
            actor=world.counter.account, dossier=dossier, items=[{"name": "X", "reason": "Y"}]
        )
    assert twice.value.code == "dossier.supplement_once"
    assert ClockStop.objects.filter(dossier=dossier).count() == 1


def test_resume_rule_moves_the_due_day_by_the_days_stopped(
    world: World, clock: Clock, receive: Any, settings: Any
) -> None:
    settings.EGOV_DOSSIER_CLOCK_ON_RESUBMIT = "resume"
    dossier = services.dossier_accept(actor=world.counter.account, dossier=receive())
    clock.set(vn(2026, 2, 13, 10, 0))
    dossier = services.dossier_request_supplement(
        actor=world.counter.account, dossier=dossier, items=[{"name": "Đơn", "reason": "Sai"}]
    )
    clock.set(vn(2026, 2, 24, 9, 0))
    dossier = services.dossier_resubmit(actor=world.counter.account, dossier=dossier)
    # Stopped 13 Feb, resumed 24 Feb: two working days (23, 24) → due 26 Feb + 2 = 2 March.
    assert dossier.due_at == vn(2026, 3, 2, 17, 0)
    assert dossier.state == State.IN_PROCESS
    assert dossier.clock_started_at == vn(2026, 2, 12, 9, 0)


def test_supplement_needs_a_reason_for_every_item(world: World, clock: Clock, receive: Any) -> None:
    dossier = receive()
    with pytest.raises(ValidationFailed) as refused:
        services.dossier_request_supplement(
            actor=world.counter.account, dossier=dossier, items=[{"name": "Đơn"}]
        )
    assert refused.value.code == "dossier.supplement_item"
    assert refused.value.field == "items.0"
    assert not ClockStop.objects.exists()


def test_refusal_with_reasons_and_legal_basis(world: World, clock: Clock, receive: Any) -> None:
    dossier = receive()
    with pytest.raises(ValidationFailed) as no_basis:
        services.dossier_refuse(
            actor=world.counter.account,
            dossier=dossier,
            reasons=["Ngoài thẩm quyền"],
            legal_basis="",
        )
    assert no_basis.value.field == "legal_basis"
    dossier = services.dossier_refuse(
        actor=world.counter.account,
        dossier=dossier,
        reasons=["Công trình thuộc thẩm quyền cấp xã"],
        legal_basis="Điều 103 Luật Xây dựng 2014",
    )
    assert dossier.state == State.REFUSED
    assert dossier.reasons == ["Công trình thuộc thẩm quyền cấp xã"]
    assert dossier.closed_at == vn(2026, 2, 12, 9, 0)
    message = OutboundMessage.objects.get(channel="email", template="dossier_refused")
    assert "Điều 103 Luật Xây dựng 2014" in message.body
    assert "Công trình thuộc thẩm quyền cấp xã" in message.body
    with pytest.raises(services.TransitionNotAllowed):
        services.dossier_accept(actor=world.counter.account, dossier=dossier)


def test_the_applicant_withdraws_online(world: World, clock: Clock, receive: Any) -> None:
    dossier = services.dossier_accept(actor=world.counter.account, dossier=receive())
    with pytest.raises(PermissionDenied):
        services.dossier_withdraw(actor=world.reviewer.account, dossier=dossier)
    dossier = services.dossier_withdraw(
        actor=world.applicant.account, dossier=dossier, reason="Không còn nhu cầu"
    )
    assert dossier.state == State.WITHDRAWN
    assert dossier.reasons == ["Không còn nhu cầu"]
    with pytest.raises(services.TransitionNotAllowed):
        services.dossier_withdraw(actor=world.applicant.account, dossier=dossier)


def test_a_head_cancels_with_a_reason(world: World, clock: Clock, receive: Any) -> None:
    dossier = receive()
    with pytest.raises(PermissionDenied):
        services.dossier_cancel(actor=world.counter.account, dossier=dossier, reason="Trùng")
    dossier = services.dossier_cancel(actor=world.head.account, dossier=dossier, reason="Trùng")
    assert dossier.state == State.CANCELLED


def test_late_dossier_apology_before_the_due_day_then_late_result(
    world: World, clock: Clock, receive: Any
) -> None:
    dossier = services.dossier_accept(actor=world.counter.account, dossier=receive())
    # Due Thursday 26 Feb: at least one working day before means Wednesday 25 Feb at the latest.
    clock.set(vn(2026, 2, 26, 8, 0))
    with pytest.raises(ValidationFailed) as too_late:
        services.dossier_apologize(
            actor=world.head.account,
            dossier=dossier,
            reason="Chờ ý kiến liên ngành",
            new_appointment_at=vn(2026, 3, 5, 17, 0),
        )
    assert too_late.value.code == "dossier.apology_too_late"
    assert "25/02/2026" in str(too_late.value.message)

    clock.set(vn(2026, 2, 25, 16, 0))
    with pytest.raises(ValidationFailed) as not_later:
        services.dossier_apologize(
            actor=world.head.account,
            dossier=dossier,
            reason="Chờ ý kiến liên ngành",
            new_appointment_at=vn(2026, 2, 26, 17, 0),
        )
    assert not_later.value.code == "dossier.apology_not_later"
    apology = services.dossier_apologize(
        actor=world.head.account,
        dossier=dossier,
        reason="Chờ ý kiến liên ngành",
        new_appointment_at=vn(2026, 3, 5, 17, 0),
    )
    assert apology.previous_appointment_at == vn(2026, 2, 26, 17, 0)
    dossier.refresh_from_db()
    assert dossier.appointment_at == vn(2026, 3, 5, 17, 0)
    assert dossier.due_at == vn(2026, 2, 26, 17, 0)
    assert OutboundMessage.objects.filter(channel="sms", template="dossier_apology").count() == 1

    # On 27 Feb the open dossier is overdue against the legal due day.
    assert selectors.dossier_timeliness(dossier, at=vn(2026, 2, 27, 9, 0)) == "overdue"
    for step in _steps(dossier)[1:3]:
        actor = world.reviewer if step.order == 2 else world.env_officer
        clock.set(vn(2026, 3, 2, 9, 0))
        services.dossier_start_step(actor=actor.account, dossier=dossier, step=step)
        dossier.refresh_from_db()
        services.dossier_complete_step(actor=actor.account, dossier=dossier, step=step)
        dossier.refresh_from_db()
    clock.set(vn(2026, 3, 3, 9, 0))
    dossier = services.dossier_deny_result(
        actor=world.head.account, dossier=dossier, reasons=["Không phù hợp quy hoạch"]
    )
    assert dossier.state == State.DENIED
    assert dossier.on_time is False
    assert selectors.dossier_timeliness(dossier) == "late"
    assert [s.result for s in _steps(dossier)][:4] == ["early", "late", "late", "late"]


def test_cash_payment_marks_every_unpaid_line(world: World, clock: Clock, receive: Any) -> None:
    dossier = receive()
    clock.set(vn(2026, 2, 12, 9, 30))
    paid = services.dossier_record_cash_payment(
        actor=world.counter.account, dossier=dossier, receipt_number="BL-0001"
    )
    assert [(f.paid, f.method, f.paid_at) for f in paid] == [
        (True, "counter_cash", vn(2026, 2, 12, 9, 30)),
        (True, "counter_cash", vn(2026, 2, 12, 9, 30)),
    ]
    with pytest.raises(ValidationFailed) as nothing:
        services.dossier_record_cash_payment(actor=world.counter.account, dossier=paid[0].dossier)
    assert nothing.value.code == "dossier.nothing_due"


def test_a_failed_resubmission_keeps_no_file_and_changes_nothing(
    world: World, clock: Clock, receive: Any, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    dossier = services.dossier_request_supplement(
        actor=world.counter.account, dossier=receive(), items=[{"name": "Đơn", "reason": "Sai"}]
    )

    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("audit log unavailable")

    with monkeypatch.context() as patch:
        patch.setattr(services, "_audit", broken)
        with pytest.raises(RuntimeError):
            services.dossier_resubmit(
                actor=world.applicant.account,
                dossier=dossier,
                files=[services.IncomingFile(upload=pdf, name="don.pdf", document_code="TP1")],
            )
    fresh = Dossier.objects.get(pk=dossier.pk)
    assert (fresh.state, fresh.version) == (State.SUPPLEMENT_REQUESTED, dossier.version)
    assert not fresh.files.exists()
    assert [p for p in (tmp_path / "files").rglob("*") if p.is_file()] == []

    # The applicant may bring the supplement online themselves.
    resumed = services.dossier_resubmit(
        actor=world.applicant.account,
        dossier=dossier,
        files=[services.IncomingFile(upload=pdf, name="don.pdf", document_code="TP1")],
    )
    assert resumed.state == State.SUBMITTED
    assert resumed.files.count() == 1

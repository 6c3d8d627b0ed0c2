"""Meetings: scheduling, papers, electronic invitations and their answers, cancel, reschedule."""

from __future__ import annotations

from typing import Any

import pytest
from meetings_support import World, vn

from egov.core.errors import NotFound, PermissionDenied, ValidationFailed
from egov.core.files import FileTypeNotAllowed
from egov.core.models import AuditEntry, OutboundMessage
from egov.meetings import selectors, services
from egov.meetings.models import (
    CalendarEntry,
    EntryState,
    Invitation,
    Meeting,
    MeetingPaper,
    MeetingState,
    Response,
)

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def schedule(world: World, **kwargs: Any) -> Meeting:
    values: dict[str, Any] = {
        "actor": world.clerk.account,
        "organization": world.committee,
        "title": "Họp triển khai chuyển đổi số",
        "agenda": "1. Báo cáo tiến độ\n2. Thảo luận",
        "starts_at": vn(2026, 12, 2, 14),
        "ends_at": vn(2026, 12, 2, 16, 30),
        "location": "Phòng họp tầng 3",
        "chair": world.head,
        "video_room_url": "https://hop.phutho.gov.vn/phong/chuyen-doi-so",
    }
    values.update(kwargs)
    return services.meeting_schedule(**values)


def test_schedule_with_a_calendar_entry(world: World) -> None:
    meeting = schedule(world, add_to_calendar=True, visibility="public")
    assert meeting.state == MeetingState.SCHEDULED
    entry = meeting.calendar_entry
    assert entry is not None
    assert (entry.title, entry.state, entry.chair_officer, entry.visibility) == (
        "Họp triển khai chuyển đổi số",
        EntryState.DRAFT,
        world.head,
        "public",
    )
    assert AuditEntry.objects.filter(action="meetings.meeting.schedule").count() == 1


@pytest.mark.parametrize(
    "url", ["http://hop.example.vn/phong", "javascript:alert(1)", "hop.example.vn", "https://"]
)
def test_video_room_link_must_be_https(world: World, url: str) -> None:
    with pytest.raises(ValidationFailed) as bad:
        schedule(world, video_room_url=url)
    assert bad.value.code == "meetings.bad_video_url"
    assert Meeting.objects.count() == 0


def test_plain_officer_cannot_schedule(world: World) -> None:
    with pytest.raises(PermissionDenied):
        schedule(world, actor=world.officer.account, add_to_calendar=True)
    assert Meeting.objects.count() == 0
    assert CalendarEntry.objects.count() == 0


def test_papers_follow_the_file_rules(world: World) -> None:
    meeting = schedule(world)
    paper = services.meeting_add_paper(
        actor=world.clerk.account, meeting=meeting, upload=PDF, name="bao-cao.pdf", title="Báo cáo"
    )
    assert paper.stored_file.content_type == "application/pdf"
    assert paper.label == "Báo cáo"
    with pytest.raises(FileTypeNotAllowed):
        services.meeting_add_paper(
            actor=world.clerk.account,
            meeting=meeting,
            upload=b"<?xml version='1.0'?><a/>",
            name="du-lieu.xml",
        )
    with pytest.raises(PermissionDenied):
        services.meeting_add_paper(
            actor=world.officer.account, meeting=meeting, upload=PDF, name="x.pdf"
        )
    assert MeetingPaper.objects.count() == 1


def test_invitations_reach_officers_unit_heads_and_guests_by_email(world: World) -> None:
    meeting = schedule(world)
    services.meeting_add_paper(
        actor=world.clerk.account, meeting=meeting, upload=PDF, name="bao-cao.pdf"
    )
    created = services.meeting_invite(
        actor=world.clerk.account,
        meeting=meeting,
        officers=[world.deputy, world.colleague],
        units=[world.economy],
        guests=[services.Guest("Ông Trần Văn Khách", "Khach@Example.VN")],
    )
    assert [i.kind for i in created] == ["officer", "officer", "unit", "external"]
    assert all(i.response == Response.PENDING and i.sent_at for i in created)
    by_kind = {(i.kind, i.invitee_officer_id): i for i in created}
    assert by_kind[("officer", world.colleague.pk)].email_message is None  # no address on file
    mails = OutboundMessage.objects.filter(template="meetings_invitation")
    assert sorted(m.recipient for m in mails) == [
        "khach@example.vn",
        "pho.chu.tich@phutho.gov.vn",
        "truong.phong.kt@phutho.gov.vn",  # the head of the invited unit
    ]
    guest_mail = mails.get(recipient="khach@example.vn")
    assert guest_mail.subject == "Giấy mời họp: Họp triển khai chuyển đổi số — 14:00 02/12/2026"
    body = guest_mail.body
    assert "Thời gian: 14:00 ngày 02/12/2026 đến 16:30 02/12/2026" in body
    assert "Địa điểm: Phòng họp tầng 3" in body
    assert "Phòng họp trực tuyến: https://hop.phutho.gov.vn/phong/chuyen-doi-so" in body
    assert "1. Báo cáo tiến độ\n2. Thảo luận" in body
    assert "Tài liệu họp:\n- bao-cao.pdf" in body
    guest = by_kind[("external", None)]
    assert f"/giay-moi-hop/{guest.token}/" in body

    again = services.meeting_invite(
        actor=world.clerk.account, meeting=meeting, officers=[world.deputy]
    )
    assert again == []
    assert Invitation.objects.count() == 4


def test_invite_needs_someone_and_the_right_to_manage(world: World) -> None:
    meeting = schedule(world)
    with pytest.raises(ValidationFailed) as nobody:
        services.meeting_invite(actor=world.clerk.account, meeting=meeting)
    assert nobody.value.code == "meetings.no_invitee"
    with pytest.raises(PermissionDenied):
        services.meeting_invite(
            actor=world.officer.account, meeting=meeting, officers=[world.colleague]
        )
    with pytest.raises(ValidationFailed) as bad_mail:
        services.meeting_invite(
            actor=world.clerk.account,
            meeting=meeting,
            guests=[services.Guest("Khách", "khong-phai-email")],
        )
    assert bad_mail.value.code == "meetings.bad_email"
    assert Invitation.objects.count() == 0
    assert OutboundMessage.objects.count() == 0


def test_accept_decline_and_delegate(world: World) -> None:
    meeting = schedule(world)
    deputy_inv, officer_inv, unit_inv = services.meeting_invite(
        actor=world.clerk.account,
        meeting=meeting,
        officers=[world.deputy, world.officer],
        units=[world.economy],
    )

    accepted = services.invitation_respond(
        actor=world.deputy.account, invitation=deputy_inv, response="accepted", expected_version=1
    )
    assert (accepted.response, accepted.responded_by, accepted.version) == (
        Response.ACCEPTED,
        world.deputy,
        2,
    )

    with pytest.raises(ValidationFailed) as no_reason:
        services.invitation_respond(
            actor=world.officer.account, invitation=officer_inv, response="declined"
        )
    assert no_reason.value.code == "meetings.reason_required"
    declined = services.invitation_respond(
        actor=world.officer.account,
        invitation=officer_inv,
        response="declined",
        comment="Đi công tác huyện",
    )
    assert (declined.response, declined.comment) == (Response.DECLINED, "Đi công tác huyện")

    # The head of the invited unit sends a colleague in their place.
    delegated = services.invitation_respond(
        actor=world.economy_head.account,
        invitation=unit_inv,
        response="delegated",
        delegate=world.colleague,
    )
    assert (delegated.response, delegated.delegate) == (Response.DELEGATED, world.colleague)
    forwarded = Invitation.objects.get(delegated_from=unit_inv)
    assert (forwarded.invitee_officer, forwarded.response) == (world.colleague, Response.PENDING)
    assert list(selectors.my_invitations(world.colleague)) == [forwarded]
    with pytest.raises(services.TransitionNotAllowed) as again:
        services.invitation_respond(
            actor=world.economy_head.account, invitation=unit_inv, response="accepted"
        )
    assert again.value.code == "meetings.already_delegated"

    assert selectors.attendance_summary(meeting) == {
        "pending": 1,
        "accepted": 1,
        "declined": 1,
        "delegated": 1,
        "total": 4,
    }
    assert AuditEntry.objects.filter(action="meetings.invitation.respond").count() == 3


def test_delegate_must_be_of_the_same_organisation_and_only_invitees_answer(
    world: World,
) -> None:
    meeting = schedule(world)
    (invitation,) = services.meeting_invite(
        actor=world.clerk.account, meeting=meeting, officers=[world.officer]
    )
    with pytest.raises(ValidationFailed) as foreign:
        services.invitation_respond(
            actor=world.officer.account,
            invitation=invitation,
            response="delegated",
            delegate=world.outsider,
        )
    assert foreign.value.code == "meetings.bad_delegate"
    for intruder in (world.colleague, world.outsider, world.head):
        with pytest.raises(PermissionDenied):
            services.invitation_respond(
                actor=intruder.account, invitation=invitation, response="accepted"
            )
    invitation.refresh_from_db()
    assert (invitation.response, invitation.version) == (Response.PENDING, 1)
    assert Invitation.objects.count() == 1


def test_stale_answer_is_refused(world: World) -> None:
    meeting = schedule(world)
    # The same head answers twice from two stale screens: the second answer is refused.
    (inv2,) = services.meeting_invite(
        actor=world.clerk.account, meeting=meeting, officers=[world.economy_head]
    )
    services.invitation_respond(
        actor=world.economy_head.account, invitation=inv2, response="accepted", expected_version=1
    )
    with pytest.raises(services.MeetingsConflict):
        services.invitation_respond(
            actor=world.economy_head.account,
            invitation=inv2,
            response="declined",
            comment="Bận",
            expected_version=1,
        )
    inv2.refresh_from_db()
    assert inv2.response == Response.ACCEPTED


def test_guest_answers_through_the_token(world: World) -> None:
    meeting = schedule(world)
    (guest,) = services.meeting_invite(
        actor=world.clerk.account,
        meeting=meeting,
        guests=[services.Guest("Bà Lê Thị Khách", "le.khach@example.vn")],
    )
    answered = services.invitation_respond_by_token(token=guest.token, response="accepted")
    assert answered.response == Response.ACCEPTED
    assert answered.responded_by is None
    with pytest.raises(ValidationFailed):
        services.invitation_respond_by_token(token=guest.token, response="delegated")
    with pytest.raises(NotFound):
        services.invitation_respond_by_token(token="sai-ma", response="accepted")


def test_cancel_tells_every_invitee_and_cancels_the_calendar_entry(world: World) -> None:
    meeting = schedule(world, add_to_calendar=True)
    services.meeting_invite(
        actor=world.clerk.account,
        meeting=meeting,
        officers=[world.deputy],
        units=[world.economy],
        guests=[services.Guest("Khách", "khach@example.vn")],
    )
    with pytest.raises(services.MeetingsConflict):
        services.meeting_cancel(
            actor=world.clerk.account, meeting=meeting, expected_version=9, reason="Trùng lịch"
        )
    cancelled = services.meeting_cancel(
        actor=world.head.account, meeting=meeting, expected_version=1, reason="Trùng lịch"
    )
    assert (cancelled.state, cancelled.cancel_reason) == (MeetingState.CANCELLED, "Trùng lịch")
    assert CalendarEntry.objects.get().state == EntryState.CANCELLED
    told = OutboundMessage.objects.filter(template="meetings_cancelled")
    assert sorted(m.recipient for m in told) == [
        "khach@example.vn",
        "pho.chu.tich@phutho.gov.vn",
        "truong.phong.kt@phutho.gov.vn",
    ]
    assert "Lý do: Trùng lịch" in told[0].body
    with pytest.raises(services.TransitionNotAllowed):
        services.meeting_invite(
            actor=world.clerk.account, meeting=cancelled, officers=[world.officer]
        )


def test_reschedule_moves_the_entry_and_tells_the_invitees(world: World) -> None:
    meeting = schedule(world, add_to_calendar=True)
    services.meeting_invite(actor=world.clerk.account, meeting=meeting, officers=[world.officer])
    moved = services.meeting_reschedule(
        actor=world.clerk.account,
        meeting=meeting,
        expected_version=1,
        starts_at=vn(2026, 12, 3, 8),
        ends_at=vn(2026, 12, 3, 10),
        location="Hội trường B",
    )
    assert (moved.starts_at, moved.location, moved.version) == (
        vn(2026, 12, 3, 8),
        "Hội trường B",
        2,
    )
    entry = CalendarEntry.objects.get()
    assert (entry.starts_at, entry.ends_at, entry.location, entry.version) == (
        vn(2026, 12, 3, 8),
        vn(2026, 12, 3, 10),
        "Hội trường B",
        2,
    )
    (mail,) = OutboundMessage.objects.filter(template="meetings_rescheduled")
    assert mail.recipient == "chuyen.vien@phutho.gov.vn"
    assert "Thời gian cũ: 14:00 02/12/2026\nThời gian mới: 08:00 03/12/2026" in mail.body


def test_my_invitations_lists_pending_first(world: World) -> None:
    early = schedule(world, title="Sớm", starts_at=vn(2026, 12, 1, 8), ends_at=vn(2026, 12, 1, 9))
    late = schedule(world, title="Muộn", starts_at=vn(2026, 12, 5, 8), ends_at=vn(2026, 12, 5, 9))
    (early_inv,) = services.meeting_invite(
        actor=world.clerk.account, meeting=early, officers=[world.officer]
    )
    (late_inv,) = services.meeting_invite(
        actor=world.clerk.account, meeting=late, officers=[world.officer]
    )
    services.invitation_respond(
        actor=world.officer.account, invitation=early_inv, response="accepted"
    )
    assert [i.pk for i in selectors.my_invitations(world.officer)] == [late_inv.pk, early_inv.pk]
    assert list(selectors.my_invitations(world.colleague)) == []


def test_meeting_is_marked_held_only_once_it_started(world: World) -> None:
    future = schedule(world)
    with pytest.raises(services.TransitionNotAllowed) as early:
        services.meeting_mark_held(actor=world.clerk.account, meeting=future, expected_version=1)
    assert early.value.code == "meetings.not_started"
    past = schedule(world, starts_at=vn(2026, 1, 5, 8), ends_at=vn(2026, 1, 5, 10))
    held = services.meeting_mark_held(actor=world.head.account, meeting=past, expected_version=1)
    assert (held.state, held.version) == (MeetingState.HELD, 2)
    with pytest.raises(PermissionDenied):
        services.meeting_mark_held(actor=world.officer.account, meeting=future, expected_version=1)
    with pytest.raises(services.TransitionNotAllowed):
        services.meeting_add_paper(
            actor=world.clerk.account, meeting=held, upload=PDF, name="muon.pdf"
        )


def test_a_paper_added_later_reaches_the_invitees(world: World) -> None:
    meeting = schedule(world)
    officer_inv, guest_inv = services.meeting_invite(
        actor=world.clerk.account,
        meeting=meeting,
        officers=[world.officer],
        guests=[services.Guest("Khách", "khach@example.vn")],
    )
    services.meeting_add_paper(
        actor=world.clerk.account, meeting=meeting, upload=PDF, name="du-thao.pdf"
    )
    mails = {
        m.recipient: m for m in OutboundMessage.objects.filter(template="meetings_paper_added")
    }
    assert set(mails) == {"chuyen.vien@phutho.gov.vn", "khach@example.vn"}
    assert "Tài liệu mới: du-thao.pdf" in mails["khach@example.vn"].body
    assert f"/giay-moi-hop/{guest_inv.token}/" in mails["khach@example.vn"].body
    assert f"/lam-viec/lich-cong-tac/cuoc-hop/{meeting.pk}/" in (
        mails["chuyen.vien@phutho.gov.vn"].body
    )

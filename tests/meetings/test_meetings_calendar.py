"""The weekly work calendar: entries, weeks in local time, publication and revisions."""

from __future__ import annotations

import email
import email.policy
import socket
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from meetings_support import World, vn

from egov.core.errors import PermissionDenied, ValidationFailed
from egov.core.models import AuditEntry, OutboundMessage
from egov.meetings import selectors, services
from egov.meetings.models import CalendarEntry, CalendarWeek, EntryState, Visibility

pytestmark = pytest.mark.django_db

IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


def entry(world: World, title: str, at: Any, **kwargs: Any) -> CalendarEntry:
    return services.calendar_entry_create(
        actor=kwargs.pop("actor", world.clerk.account),
        organization=world.committee,
        title=title,
        starts_at=at,
        **kwargs,
    )


# --- weeks ---------------------------------------------------------------------------------------


def test_iso_weeks_start_on_monday_and_week_53_exists_only_in_long_years() -> None:
    week = selectors.week_of(date(2027, 1, 1))
    assert (week.year, week.number, week.monday, week.sunday) == (
        2026,
        53,
        date(2026, 12, 28),
        date(2027, 1, 3),
    )
    assert selectors.week_from(2025, 53) is None
    assert selectors.week_from(2026, 49).monday == date(2026, 11, 30)  # type: ignore[union-attr]
    assert week.next().number == 1
    assert week.next().year == 2027
    assert week.previous().number == 52


def test_week_view_groups_by_local_day_and_half_day_across_the_week_boundary(
    world: World,
) -> None:
    sunday_late = entry(world, "Trực ban", vn(2026, 11, 29, 23, 30))
    # 06:30 on Monday in Hà Nội is still Sunday 23:30 in UTC: it belongs to Monday morning.
    monday_early = entry(world, "Chào cờ", vn(2026, 11, 30, 6, 30))
    monday_noon = entry(world, "Họp giao ban", vn(2026, 11, 30, 12, 0))
    friday = entry(world, "Tiếp công dân", vn(2026, 12, 4, 14, 0))
    next_monday = entry(world, "Tuần sau", vn(2026, 12, 7, 0, 0))

    week = selectors.week_from(2026, 49)
    assert week is not None
    view = selectors.calendar_week(world.committee, week, include_drafts=True)

    assert [day.day for day in view.days] == [date(2026, 11, 30 + n) for n in range(1)] + [
        date(2026, 12, n) for n in range(1, 7)
    ]
    monday = view.days[0]
    assert [e.pk for e in monday.morning] == [monday_early.pk]
    assert [e.pk for e in monday.afternoon] == [monday_noon.pk]
    assert [e.pk for e in view.days[4].afternoon] == [friday.pk]
    shown = {e.pk for day in view.days for e in day.morning + day.afternoon}
    assert shown == {monday_early.pk, monday_noon.pk, friday.pk}
    assert sunday_late.pk not in shown
    assert next_monday.pk not in shown
    previous = selectors.calendar_week(world.committee, week.previous(), include_drafts=True)
    assert [e.pk for e in previous.days[6].afternoon] == [sunday_late.pk]


def test_officers_do_not_see_drafts_but_editors_do(world: World) -> None:
    draft = entry(world, "Dự thảo", vn(2026, 11, 30, 9))
    week = selectors.week_of(date(2026, 11, 30))
    assert selectors.calendar_week(world.committee, week).days[0].morning == []
    assert selectors.calendar_week(world.committee, week, include_drafts=True).days[0].morning == [
        draft
    ]


# --- entries -------------------------------------------------------------------------------------


def test_clerk_creates_a_draft_entry_with_an_audit_entry(world: World) -> None:
    created = entry(
        world,
        "Họp Ban Thường vụ",
        vn(2026, 11, 30, 8),
        ends_at=vn(2026, 11, 30, 11),
        location="Phòng họp số 1",
        chair_officer=world.head,
        participants="Các Phó Chủ tịch",
        preparing_unit=world.office,
        visibility=Visibility.PUBLIC,
    )
    created.refresh_from_db()
    assert created.state == EntryState.DRAFT
    assert created.version == 1
    assert created.created_by == world.clerk
    assert created.chair_label == world.head.full_name
    audit = AuditEntry.objects.get(action="meetings.entry.create")
    assert audit.object_id == str(created.pk)
    assert audit.summary["after"]["title"] == "Họp Ban Thường vụ"


@pytest.mark.parametrize("who", ["officer", "economy_head", "outsider", "outsider_head"])
def test_only_heads_and_clerks_of_the_organisation_write_its_calendar(
    world: World, who: str
) -> None:
    actor = getattr(world, who).account
    with pytest.raises(PermissionDenied):
        entry(world, "Không được", vn(2026, 11, 30, 8), actor=actor)
    assert CalendarEntry.objects.count() == 0
    assert not AuditEntry.objects.filter(action="meetings.entry.create").exists()


def test_entry_period_and_unit_are_checked(world: World) -> None:
    with pytest.raises(ValidationFailed) as bad_period:
        entry(world, "Sai giờ", vn(2026, 11, 30, 10), ends_at=vn(2026, 11, 30, 9))
    assert bad_period.value.code == "meetings.bad_period"
    with pytest.raises(ValidationFailed) as foreign:
        entry(world, "Sai đơn vị", vn(2026, 11, 30, 10), preparing_unit=world.department)
    assert foreign.value.code == "meetings.foreign_unit"
    with pytest.raises(ValidationFailed) as empty:
        entry(world, "   ", vn(2026, 11, 30, 10))
    assert empty.value.code == "meetings.required"
    assert CalendarEntry.objects.count() == 0


def test_stale_version_is_refused_and_nothing_changes(world: World) -> None:
    created = entry(world, "Bản đầu", vn(2026, 11, 30, 8))
    services.calendar_entry_update(
        actor=world.head.account,
        entry=created,
        expected_version=1,
        title="Bản của lãnh đạo",
        starts_at=vn(2026, 11, 30, 8),
    )
    with pytest.raises(services.MeetingsConflict) as conflict:
        services.calendar_entry_update(
            actor=world.clerk.account,
            entry=created,
            expected_version=1,
            title="Bản của văn thư",
            starts_at=vn(2026, 11, 30, 9),
        )
    assert conflict.value.code == "meetings.conflict"
    assert conflict.value.status == 409
    created.refresh_from_db()
    assert (created.title, created.version) == ("Bản của lãnh đạo", 2)
    assert AuditEntry.objects.filter(action="meetings.entry.update").count() == 1


def test_cancelled_entry_cannot_be_changed(world: World) -> None:
    created = entry(world, "Sẽ hủy", vn(2026, 11, 30, 8))
    cancelled = services.calendar_entry_cancel(
        actor=world.clerk.account, entry=created, expected_version=1, reason="Lãnh đạo bận"
    )
    assert (cancelled.state, cancelled.version, cancelled.notes) == (
        EntryState.CANCELLED,
        2,
        "Lãnh đạo bận",
    )
    with pytest.raises(services.TransitionNotAllowed):
        services.calendar_entry_update(
            actor=world.clerk.account,
            entry=cancelled,
            expected_version=2,
            title="Không được",
            starts_at=vn(2026, 11, 30, 8),
        )


# --- publishing ----------------------------------------------------------------------------------

COMMITTEE_ADDRESSES = {
    "chu.tich@phutho.gov.vn",
    "pho.chu.tich@phutho.gov.vn",
    "van.thu@phutho.gov.vn",
    "truong.phong.kt@phutho.gov.vn",
    "chuyen.vien@phutho.gov.vn",
}


def test_publish_makes_drafts_visible_and_mails_the_officers_of_the_organisation(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    first = entry(world, "Họp UBND tỉnh thường kỳ", vn(2026, 11, 30, 8), chair_officer=world.head)
    other_week = entry(world, "Tuần khác", vn(2026, 12, 7, 8))

    with django_capture_on_commit_callbacks() as callbacks:
        publication = services.calendar_week_publish(
            actor=world.clerk.account, organization=world.committee, year=2026, week=49
        )

    assert (publication.revision, publication.published_by) == (1, world.clerk)
    first.refresh_from_db()
    other_week.refresh_from_db()
    assert (first.state, first.version) == (EntryState.PUBLISHED, 2)
    assert other_week.state == EntryState.DRAFT
    messages = OutboundMessage.objects.filter(template="meetings_week_published")
    assert {m.recipient for m in messages} == COMMITTEE_ADDRESSES  # not the department's
    assert len(callbacks) == len(COMMITTEE_ADDRESSES)  # one delivery task per message, after commit
    message = messages.get(recipient="chuyen.vien@phutho.gov.vn")
    assert message.subject == "Ủy ban nhân dân tỉnh Phú Thọ: lịch công tác tuần 49/2026"
    assert "- 08:00 30/11/2026: Họp UBND tỉnh thường kỳ — chủ trì: " in message.body
    assert "Tuần khác" not in message.body
    assert "http://127.0.0.1:8000/lam-viec/lich-cong-tac/2026/49/" in message.body
    audit = AuditEntry.objects.get(action="meetings.week.publish")
    assert audit.summary["after"]["revision"] == 1
    assert audit.summary["after"]["emails"] == 5


def test_republishing_needs_a_change_and_bumps_the_revision(world: World) -> None:
    first = entry(world, "Họp giao ban", vn(2026, 11, 30, 8))
    services.calendar_week_publish(
        actor=world.clerk.account, organization=world.committee, year=2026, week=49
    )
    sent_after_first = OutboundMessage.objects.count()

    with pytest.raises(services.TransitionNotAllowed) as unchanged:
        services.calendar_week_publish(
            actor=world.clerk.account, organization=world.committee, year=2026, week=49
        )
    assert unchanged.value.code == "meetings.nothing_to_publish"
    assert OutboundMessage.objects.count() == sent_after_first

    first.refresh_from_db()
    services.calendar_entry_update(
        actor=world.head.account,
        entry=first,
        expected_version=first.version,
        title="Họp giao ban (dời sang chiều)",
        starts_at=vn(2026, 11, 30, 14),
    )
    week = selectors.week_from(2026, 49)
    assert week is not None
    view = selectors.calendar_week(world.committee, week)
    assert view.changed_since_publication is True
    assert [e.title for e in view.days[0].afternoon] == ["Họp giao ban (dời sang chiều)"]

    second = services.calendar_week_publish(
        actor=world.head.account, organization=world.committee, year=2026, week=49
    )
    assert second.revision == 2
    assert CalendarWeek.objects.count() == 1
    assert selectors.calendar_week(world.committee, week).changed_since_publication is False
    new = OutboundMessage.objects.filter(template="meetings_week_published").order_by("-pk")[0]
    assert new.subject.endswith("(điều chỉnh lần 1)")
    assert "Những nội dung thay đổi:\n- 14:00 30/11/2026: Họp giao ban (dời sang chiều)" in (
        new.body
    )
    assert OutboundMessage.objects.count() == 2 * sent_after_first


def test_publishing_is_refused_to_plain_officers_and_for_a_missing_week(world: World) -> None:
    entry(world, "Họp", vn(2026, 11, 30, 8))
    with pytest.raises(PermissionDenied):
        services.calendar_week_publish(
            actor=world.officer.account, organization=world.committee, year=2026, week=49
        )
    with pytest.raises(ValidationFailed) as bad:
        services.calendar_week_publish(
            actor=world.clerk.account, organization=world.committee, year=2025, week=53
        )
    assert bad.value.code == "meetings.bad_week"
    assert CalendarWeek.objects.count() == 0
    assert OutboundMessage.objects.count() == 0
    assert CalendarEntry.objects.get().state == EntryState.DRAFT


# --- the public calendar -------------------------------------------------------------------------


def test_public_entries_are_only_published_public_and_not_cancelled(world: World) -> None:
    public = entry(world, "Tiếp công dân định kỳ", vn(2026, 12, 1, 8), visibility="public")
    internal = entry(world, "Họp nội bộ", vn(2026, 12, 1, 9))
    cancelled = entry(world, "Đối thoại bị hủy", vn(2026, 12, 2, 8), visibility="public")
    services.calendar_week_publish(
        actor=world.clerk.account, organization=world.committee, year=2026, week=49
    )
    cancelled.refresh_from_db()
    services.calendar_entry_cancel(
        actor=world.clerk.account, entry=cancelled, expected_version=cancelled.version
    )
    draft = entry(world, "Chưa công bố", vn(2026, 12, 3, 8), visibility="public")

    week = selectors.week_from(2026, 49)
    assert week is not None
    shown = selectors.public_week_entries(world.committee, week)
    assert [e.pk for e in shown] == [public.pk]
    assert {internal.pk, cancelled.pk, draft.pk}.isdisjoint({e.pk for e in shown})


# --- real delivery through SMTP ------------------------------------------------------------------


class Inbox:
    def __init__(self) -> None:
        self.envelopes: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.envelopes.append(envelope)
        return "250 OK"


@pytest.fixture
def smtp_inbox(settings: Any) -> Iterator[Inbox]:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 5
    settings.TASKS = IMMEDIATE
    try:
        yield inbox
    finally:
        controller.stop()


def test_publication_mail_arrives_through_smtp(
    world: World, smtp_inbox: Inbox, django_capture_on_commit_callbacks: Any
) -> None:
    entry(world, "Hội nghị trực tuyến với các xã", vn(2026, 12, 2, 14), location="Hội trường A")
    with django_capture_on_commit_callbacks(execute=True):
        services.calendar_week_publish(
            actor=world.clerk.account, organization=world.committee, year=2026, week=49
        )
    received = {tuple(e.rcpt_tos) for e in smtp_inbox.envelopes}
    assert received == {(address,) for address in COMMITTEE_ADDRESSES}
    envelope = next(e for e in smtp_inbox.envelopes if e.rcpt_tos == ["chuyen.vien@phutho.gov.vn"])
    arrived = email.message_from_bytes(envelope.content, policy=email.policy.default)
    assert str(arrived["Subject"]).strip() == (
        "Ủy ban nhân dân tỉnh Phú Thọ: lịch công tác tuần 49/2026"
    )
    body = str(arrived.get_body(("plain",)).get_content())  # type: ignore[union-attr]
    assert "- 14:00 02/12/2026: Hội nghị trực tuyến với các xã — địa điểm: Hội trường A" in body
    assert set(
        OutboundMessage.objects.filter(template="meetings_week_published").values_list(
            "status", flat=True
        )
    ) == {OutboundMessage.Status.SENT}


def test_moving_a_published_entry_to_another_week_marks_its_old_week_changed(
    world: World,
) -> None:
    moving = entry(world, "Làm việc với Sở Xây dựng", vn(2026, 12, 1, 8))
    services.calendar_week_publish(
        actor=world.clerk.account, organization=world.committee, year=2026, week=49
    )
    moving.refresh_from_db()
    services.calendar_entry_update(
        actor=world.clerk.account,
        entry=moving,
        expected_version=moving.version,
        title=moving.title,
        starts_at=vn(2026, 12, 8, 8),
    )
    week = selectors.week_from(2026, 49)
    assert week is not None
    assert selectors.calendar_week(world.committee, week).changed_since_publication is True
    republished = services.calendar_week_publish(
        actor=world.clerk.account, organization=world.committee, year=2026, week=49
    )
    assert republished.revision == 2
    assert selectors.calendar_week(world.committee, week).changed_since_publication is False

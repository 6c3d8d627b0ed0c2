"""The calendar and meeting screens: officers' pages, guests' link and the public calendar."""

from __future__ import annotations

import re
from typing import Any

import pytest
from directory_factories import ApplicantFactory
from django.test import Client
from django.urls import reverse
from meetings_support import World, vn

from egov.core.models import OutboundMessage
from egov.meetings import services
from egov.meetings.models import (
    CalendarEntry,
    CalendarWeek,
    EntryState,
    Invitation,
    Meeting,
    Response,
)

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
WEEK = "/lam-viec/lich-cong-tac/2026/49/"


def signed_in(client: Client, officer: Any) -> Client:
    client.force_login(officer.account)
    return client


def no_inline_code(html: str) -> None:
    assert re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html) is None
    assert " style=" not in html
    assert "<style" not in html


def entry(world: World, title: str, at: Any, **kwargs: Any) -> CalendarEntry:
    return services.calendar_entry_create(
        actor=world.clerk.account, organization=world.committee, title=title, starts_at=at, **kwargs
    )


def meeting_with_paper(world: World) -> tuple[Meeting, int]:
    meeting = services.meeting_schedule(
        actor=world.clerk.account,
        organization=world.committee,
        title="Họp bàn kế hoạch năm 2027",
        agenda="Thảo luận kế hoạch",
        starts_at=vn(2026, 12, 2, 14),
        ends_at=vn(2026, 12, 2, 16),
        video_room_url="https://hop.phutho.gov.vn/phong/1",
    )
    paper = services.meeting_add_paper(
        actor=world.clerk.account, meeting=meeting, upload=PDF, name="ke-hoach.pdf"
    )
    return meeting, paper.pk


# --- the weekly calendar -------------------------------------------------------------------------


def test_anonymous_is_sent_to_sign_in(client: Client) -> None:
    response = client.get(WEEK)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('directory:login')}?next={WEEK}"


def test_citizen_gets_403(client: Client, world: World) -> None:
    applicant = ApplicantFactory()
    client.force_login(applicant.account)
    assert client.get(WEEK).status_code == 403


def test_officer_sees_published_entries_but_not_drafts(client: Client, world: World) -> None:
    entry(world, "Họp giao ban đầu tuần", vn(2026, 11, 30, 8))
    services.calendar_week_publish(
        actor=world.clerk.account, organization=world.committee, year=2026, week=49
    )
    entry(world, "Bản nháp chưa công bố", vn(2026, 12, 1, 14))

    page = signed_in(client, world.officer).get(WEEK)
    html = page.content.decode()
    assert page.status_code == 200
    assert "Họp giao ban đầu tuần" in html
    assert "Bản nháp chưa công bố" not in html
    assert 'data-testid="publish"' not in html
    assert "revision 1" in html
    assert 'href="/lam-viec/lich-cong-tac/2026/48/"' in html
    assert 'href="/lam-viec/lich-cong-tac/2026/50/"' in html
    no_inline_code(html)


def test_editor_sees_drafts_and_the_publish_button_with_the_next_revision(
    client: Client, world: World
) -> None:
    entry(world, "Họp giao ban", vn(2026, 11, 30, 8))
    services.calendar_week_publish(
        actor=world.clerk.account, organization=world.committee, year=2026, week=49
    )
    unchanged = signed_in(client, world.clerk).get(WEEK).content.decode()
    assert 'data-testid="publish"' not in unchanged  # nothing to publish again
    entry(world, "Bổ sung", vn(2026, 12, 1, 14))
    html = client.get(WEEK).content.decode()
    assert "Bổ sung" in html
    assert 'data-testid="unpublished-changes"' in html
    assert "Publish the changes (revision 2)" in html


def test_unknown_week_is_404(client: Client, world: World) -> None:
    assert signed_in(client, world.officer).get("/lam-viec/lich-cong-tac/2025/53/").status_code == (
        404
    )


def test_clerk_adds_an_entry_through_the_form(client: Client, world: World) -> None:
    response = signed_in(client, world.clerk).post(
        "/lam-viec/lich-cong-tac/muc/moi/",
        {
            "title": "Tiếp công dân định kỳ",
            "starts_at": "2026-12-03T08:00",
            "ends_at": "2026-12-03T11:00",
            "location": "Trụ sở tiếp công dân",
            "chair_officer": world.head.pk,
            "preparing_unit": world.office.pk,
            "visibility": "public",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == WEEK
    created = CalendarEntry.objects.get()
    assert (created.starts_at, created.visibility, created.state) == (
        vn(2026, 12, 3, 8),
        "public",
        EntryState.DRAFT,
    )


def test_officer_cannot_open_the_entry_form(client: Client, world: World) -> None:
    c = signed_in(client, world.officer)
    assert c.get("/lam-viec/lich-cong-tac/muc/moi/").status_code == 403
    post = c.post(
        "/lam-viec/lich-cong-tac/muc/moi/",
        {"title": "X", "starts_at": "2026-12-03T08:00", "visibility": "internal"},
    )
    assert post.status_code == 403
    assert CalendarEntry.objects.count() == 0


def test_stale_edit_shows_the_conflict_next_to_the_form(client: Client, world: World) -> None:
    created = entry(world, "Bản đầu", vn(2026, 11, 30, 8))
    services.calendar_entry_update(
        actor=world.head.account,
        entry=created,
        expected_version=1,
        title="Lãnh đạo sửa",
        starts_at=vn(2026, 11, 30, 8),
    )
    response = signed_in(client, world.clerk).post(
        f"/lam-viec/lich-cong-tac/muc/{created.pk}/",
        {
            "version": "1",
            "title": "Văn thư sửa",
            "starts_at": "2026-11-30T09:00",
            "visibility": "internal",
        },
    )
    assert response.status_code == 422
    assert "Someone else changed this in the meantime" in response.content.decode()
    created.refresh_from_db()
    assert created.title == "Lãnh đạo sửa"


def test_publish_button_publishes_and_says_the_revision(client: Client, world: World) -> None:
    entry(world, "Họp", vn(2026, 11, 30, 8))
    c = signed_in(client, world.clerk)
    response = c.post(WEEK + "cong-bo/", follow=True)
    assert response.status_code == 200
    assert "Week 49 published (revision 1)." in response.content.decode()
    assert CalendarWeek.objects.get().revision == 1
    assert signed_in(Client(), world.officer).post(WEEK + "cong-bo/").status_code == 403
    assert CalendarWeek.objects.get().revision == 1


# --- meetings ------------------------------------------------------------------------------------


def test_meeting_page_and_papers_only_for_invitees_and_organisers(
    client: Client, world: World
) -> None:
    meeting, paper_pk = meeting_with_paper(world)
    services.meeting_invite(actor=world.clerk.account, meeting=meeting, officers=[world.officer])
    page_url = f"/lam-viec/lich-cong-tac/cuoc-hop/{meeting.pk}/"
    paper_url = f"{page_url}tai-lieu/{paper_pk}/"

    for allowed in (world.officer, world.clerk, world.head):
        c = signed_in(Client(), allowed)
        page = c.get(page_url)
        assert page.status_code == 200
        no_inline_code(page.content.decode())
        download = c.get(paper_url)
        assert download.status_code == 200
        assert b"".join(download.streaming_content) == PDF  # type: ignore[attr-defined]
        assert 'filename="ke-hoach.pdf"' in download["Content-Disposition"]

    for refused in (world.colleague, world.outsider, world.outsider_head, world.economy_head):
        c = signed_in(Client(), refused)
        assert c.get(page_url).status_code == 404
        assert c.get(paper_url).status_code == 404
    assert Client().get(paper_url).status_code == 302  # anonymous: sign in first


def test_invite_form_sends_invitations_to_guests_too(client: Client, world: World) -> None:
    meeting, _paper = meeting_with_paper(world)
    response = signed_in(client, world.clerk).post(
        f"/lam-viec/lich-cong-tac/cuoc-hop/{meeting.pk}/moi-hop/",
        {
            "officers": [world.officer.pk],
            "units": [world.economy.pk],
            "guests": "Ông Khách Mời, khach@example.vn\n",
        },
    )
    assert response.status_code == 302
    assert Invitation.objects.filter(meeting=meeting).count() == 3
    assert sorted(
        OutboundMessage.objects.filter(template="meetings_invitation").values_list(
            "recipient", flat=True
        )
    ) == ["chuyen.vien@phutho.gov.vn", "khach@example.vn", "truong.phong.kt@phutho.gov.vn"]

    bad = signed_in(client, world.clerk).post(
        f"/lam-viec/lich-cong-tac/cuoc-hop/{meeting.pk}/moi-hop/", {"guests": "khong co email"}
    )
    assert bad.status_code == 422
    assert "Line 1: write a name, a comma and an e-mail address." in bad.content.decode()


def test_my_invitations_and_answering_with_delegation(client: Client, world: World) -> None:
    meeting, _paper = meeting_with_paper(world)
    (invitation,) = services.meeting_invite(
        actor=world.clerk.account, meeting=meeting, units=[world.economy]
    )
    c = signed_in(client, world.economy_head)
    page = c.get("/lam-viec/lich-cong-tac/giay-moi/")
    html = page.content.decode()
    assert page.status_code == 200
    assert "Họp bàn kế hoạch năm 2027" in html
    no_inline_code(html)

    prefix = f"i{invitation.pk}"
    response = c.post(
        f"/lam-viec/lich-cong-tac/giay-moi/{invitation.pk}/tra-loi/",
        {
            "prefix": prefix,
            f"{prefix}-version": "1",
            f"{prefix}-response": "delegated",
            f"{prefix}-delegate": world.officer.pk,
        },
    )
    assert response.status_code == 302
    invitation.refresh_from_db()
    assert (invitation.response, invitation.delegate) == (Response.DELEGATED, world.officer)
    forwarded = Invitation.objects.get(delegated_from=invitation)
    # The delegate now sees the meeting and answers from its page.
    c2 = signed_in(Client(), world.officer)
    assert c2.get(f"/lam-viec/lich-cong-tac/cuoc-hop/{meeting.pk}/").status_code == 200
    answer = c2.post(
        f"/lam-viec/lich-cong-tac/giay-moi/{forwarded.pk}/tra-loi/",
        {"version": "1", "response": "accepted", "next": "meeting"},
    )
    assert answer["Location"] == f"/lam-viec/lich-cong-tac/cuoc-hop/{meeting.pk}/"
    forwarded.refresh_from_db()
    assert forwarded.response == Response.ACCEPTED
    # Someone else cannot answer it.
    other = signed_in(Client(), world.colleague).post(
        f"/lam-viec/lich-cong-tac/giay-moi/{forwarded.pk}/tra-loi/",
        {"version": "2", "response": "declined", "comment": "x"},
    )
    assert other.status_code == 404


def test_guest_link_shows_the_meeting_takes_the_answer_and_serves_papers(
    client: Client, world: World
) -> None:
    meeting, paper_pk = meeting_with_paper(world)
    (guest,) = services.meeting_invite(
        actor=world.clerk.account,
        meeting=meeting,
        guests=[services.Guest("Bà Khách", "ba.khach@example.vn")],
    )
    url = f"/giay-moi-hop/{guest.token}/"
    page = client.get(url)
    html = page.content.decode()
    assert page.status_code == 200
    assert "https://hop.phutho.gov.vn/phong/1" in html
    no_inline_code(html)
    assert client.get(f"{url}tai-lieu/{paper_pk}/").status_code == 200
    response = client.post(url, {"response": "declined", "comment": "Trùng lịch công tác"})
    assert response.status_code == 302
    guest.refresh_from_db()
    assert (guest.response, guest.comment) == (Response.DECLINED, "Trùng lịch công tác")
    assert client.get("/giay-moi-hop/khong-dung/").status_code == 404
    assert client.get(f"/giay-moi-hop/khong-dung/tai-lieu/{paper_pk}/").status_code == 404


# --- the public calendar -------------------------------------------------------------------------


def test_public_page_never_shows_internal_draft_or_cancelled_entries(
    client: Client, world: World
) -> None:
    entry(world, "Tiếp công dân định kỳ", vn(2026, 12, 1, 8), visibility="public")
    entry(world, "Họp nội bộ về nhân sự", vn(2026, 12, 1, 9))
    cancelled = entry(world, "Đối thoại đã hủy", vn(2026, 12, 2, 14), visibility="public")
    services.calendar_week_publish(
        actor=world.clerk.account, organization=world.committee, year=2026, week=49
    )
    cancelled.refresh_from_db()
    services.calendar_entry_cancel(
        actor=world.clerk.account, entry=cancelled, expected_version=cancelled.version
    )
    entry(world, "Nháp công khai", vn(2026, 12, 3, 8), visibility="public")

    page = client.get("/lich-cong-tac/H25.01/2026/49/")
    html = page.content.decode()
    assert page.status_code == 200
    assert "egov/base_portal.html" in [t.name for t in page.templates]
    assert "Tiếp công dân định kỳ" in html
    for hidden in ("Họp nội bộ về nhân sự", "Đối thoại đã hủy", "Nháp công khai"):
        assert hidden not in html
    assert 'href="/lich-cong-tac/H25.01/2026/50/"' in html
    no_inline_code(html)
    assert client.get("/lich-cong-tac/H25.01/").status_code == 200
    assert client.get("/lich-cong-tac/KHONG-CO/").status_code == 404
    assert client.get("/lich-cong-tac/H25.01.01/").status_code == 404  # a unit, not an organisation


# --- query counts --------------------------------------------------------------------------------


def _count_queries(client: Client, url: str) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_week_and_invitation_pages_do_not_query_per_row(client: Client, world: World) -> None:
    def add(n: int) -> None:
        for i in range(n):
            meeting = services.meeting_schedule(
                actor=world.clerk.account,
                organization=world.committee,
                title=f"Họp {i}",
                starts_at=vn(2026, 12, 1 + i % 5, 8 + i),
                ends_at=vn(2026, 12, 1 + i % 5, 9 + i),
                chair=world.head,
                add_to_calendar=True,
            )
            services.meeting_invite(
                actor=world.clerk.account, meeting=meeting, officers=[world.economy_head]
            )

    c = signed_in(client, world.economy_head)
    add(2)
    head = signed_in(Client(), world.head)
    _count_queries(head, WEEK)  # warm the per-process caches (site names, templates)
    _count_queries(c, "/lam-viec/lich-cong-tac/giay-moi/")
    few_week = _count_queries(head, WEEK)
    few_mine = _count_queries(c, "/lam-viec/lich-cong-tac/giay-moi/")
    add(4)
    assert _count_queries(head, WEEK) == few_week
    assert _count_queries(c, "/lam-viec/lich-cong-tac/giay-moi/") == few_mine


def test_organiser_records_a_past_meeting_as_held(client: Client, world: World) -> None:
    meeting = services.meeting_schedule(
        actor=world.clerk.account,
        organization=world.committee,
        title="Họp đã diễn ra",
        starts_at=vn(2026, 1, 5, 8),
        ends_at=vn(2026, 1, 5, 10),
    )
    url = f"/lam-viec/lich-cong-tac/cuoc-hop/{meeting.pk}/da-hop/"
    assert signed_in(Client(), world.officer).post(url, {"version": "1"}).status_code == 404
    response = signed_in(client, world.clerk).post(url, {"version": "1"}, follow=True)
    assert "The meeting is recorded as held." in response.content.decode()
    meeting.refresh_from_db()
    assert meeting.state == "held"

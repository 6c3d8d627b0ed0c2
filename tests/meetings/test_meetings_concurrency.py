"""Two people act at once on PostgreSQL: one publication per week, one answer per invitation."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from meetings_support import World, vn

from egov.core.models import OutboundMessage
from egov.meetings import services
from egov.meetings.models import CalendarWeek, Invitation, Response


def race(count: int, action: Callable[[int], Any]) -> tuple[list[Any], list[BaseException]]:
    barrier = threading.Barrier(count)
    results: list[Any] = []
    errors: list[BaseException] = []

    def run(index: int) -> None:
        try:
            barrier.wait(timeout=30)
            results.append(action(index))
        except BaseException as exc:  # noqa: BLE001 - reported to the test
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results, errors


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_clerks_publishing_the_same_week_give_one_publication(world: World) -> None:
    services.calendar_entry_create(
        actor=world.clerk.account,
        organization=world.committee,
        title="Họp giao ban",
        starts_at=vn(2026, 11, 30, 8),
    )
    actors = [world.clerk.account, world.head.account]
    results, errors = race(
        2,
        lambda i: services.calendar_week_publish(
            actor=actors[i], organization=world.committee, year=2026, week=49
        ),
    )
    assert len(results) == 1
    assert len(errors) == 1
    assert isinstance(errors[0], services.MeetingsConflict | services.TransitionNotAllowed)
    assert CalendarWeek.objects.get().revision == 1
    assert OutboundMessage.objects.filter(template="meetings_week_published").count() == 5


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_heads_answering_for_one_unit_first_one_wins(world: World) -> None:
    meeting = services.meeting_schedule(
        actor=world.clerk.account,
        organization=world.committee,
        title="Họp",
        starts_at=vn(2026, 12, 2, 8),
        ends_at=vn(2026, 12, 2, 9),
    )
    (invitation,) = services.meeting_invite(
        actor=world.clerk.account, meeting=meeting, officers=[world.economy_head]
    )
    answers = [("accepted", ""), ("declined", "Bận")]
    results, errors = race(
        2,
        lambda i: services.invitation_respond(
            actor=world.economy_head.account,
            invitation=invitation,
            response=answers[i][0],
            comment=answers[i][1],
            expected_version=1,
        ),
    )
    assert len(results) == 1
    assert [type(e) for e in errors] == [services.MeetingsConflict]
    fresh = Invitation.objects.get()
    assert fresh.version == 2
    assert fresh.response in {Response.ACCEPTED, Response.DECLINED}

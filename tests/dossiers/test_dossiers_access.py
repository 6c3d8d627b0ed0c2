"""Who may receive and accept dossiers, who sees them, and the national portal's status codes."""

from __future__ import annotations

from typing import Any

import pytest
from directory_factories import AccountFactory
from dossiers_support import Clock, World, vn

from egov.core.errors import PermissionDenied
from egov.core.models import AuditEntry
from egov.dossiers import national, selectors, services
from egov.dossiers.models import Dossier, PortalStatus, State

ACTORS = ["anonymous", "applicant", "outsider_counter", "centre_officer", "head", "counter"]


def _actor(name: str, world: World) -> Any:
    if name == "anonymous":
        return None
    if name == "applicant":
        return world.applicant.account
    return getattr(world, name).account


@pytest.mark.parametrize(
    ("who", "allowed"),
    [(name, name == "counter") for name in ACTORS],
)
def test_dossier_receive_permission_matrix(
    world: World, clock: Clock, receive: Any, who: str, allowed: bool
) -> None:
    actor = _actor(who, world)
    if allowed:
        assert receive(actor=actor).state == State.SUBMITTED
        return
    with pytest.raises(PermissionDenied):
        receive(actor=actor)
    assert Dossier.objects.count() == 0
    assert AuditEntry.objects.filter(action="dossiers.dossier.receive").count() == 0


@pytest.mark.parametrize(
    ("who", "allowed"),
    [(name, name == "counter") for name in ACTORS],
)
def test_dossier_accept_permission_matrix(
    world: World, clock: Clock, receive: Any, who: str, allowed: bool
) -> None:
    dossier = receive()
    actor = _actor(who, world)
    if allowed:
        assert services.dossier_accept(actor=actor, dossier=dossier).state == State.ACCEPTED
        return
    with pytest.raises(PermissionDenied):
        services.dossier_accept(actor=actor, dossier=dossier)
    fresh = Dossier.objects.get(pk=dossier.pk)
    assert (fresh.state, fresh.version) == (State.SUBMITTED, 1)
    assert not fresh.steps.exists()


def test_an_applicant_submits_online_only_for_themselves(
    world: World, clock: Clock, receive: Any
) -> None:
    stranger = AccountFactory(applicant=True)
    with pytest.raises(PermissionDenied):
        receive(actor=stranger, channel="online")
    dossier = receive(actor=world.applicant.account, channel="online")
    assert dossier.channel == "online"
    assert national.dossier_portal_status(dossier) == PortalStatus.SUBMITTED_ONLINE


def test_receiving_and_competent_organisations_and_step_units_see_the_dossier(
    world: World, clock: Clock, receive: Any
) -> None:
    dossier = receive()
    visible = {
        name: list(selectors.dossiers_visible_to(_actor(name, world)).values_list("pk", flat=True))
        for name in ACTORS
    }
    assert visible == {
        "anonymous": [],
        "applicant": [dossier.pk],
        "outsider_counter": [],
        "centre_officer": [dossier.pk],
        "head": [dossier.pk],
        "counter": [dossier.pk],
    }
    # The other organisation's officer sees it once a step of theirs exists (after acceptance).
    assert not selectors.dossiers_visible_to(world.env_officer.account).exists()
    services.dossier_accept(actor=world.counter.account, dossier=dossier)
    assert list(selectors.dossiers_visible_to(world.env_officer.account)) == [dossier]
    assert list(selectors.dossiers_visible_to(world.reviewer.account)) == [dossier]


@pytest.mark.parametrize(
    ("state", "channel", "code"),
    [
        ("submitted", "online", 1),
        ("submitted", "counter", 2),
        ("submitted", "post", 2),
        ("accepted", "online", 2),
        ("refused", "counter", 3),
        ("in_process", "counter", 4),
        ("supplement_requested", "online", 5),
        ("withdrawn", "online", 7),
        ("cancelled", "counter", 8),
        ("approved", "counter", 9),
        ("denied", "counter", 9),
        ("returned", "post", 10),
    ],
)
def test_portal_status_mapping(state: str, channel: str, code: int) -> None:
    assert national.portal_status(state, channel) == code


def test_every_state_maps_to_a_portal_status() -> None:
    assert {national.portal_status(s, "counter") for s in State.values} <= set(PortalStatus)
    with pytest.raises(ValueError, match="unknown dossier state"):
        national.portal_status("lost", "counter")


def test_portal_datetime_is_local_and_compact(db: None) -> None:
    assert national.portal_datetime(vn(2026, 2, 12, 9, 5)) == "20260212090500"

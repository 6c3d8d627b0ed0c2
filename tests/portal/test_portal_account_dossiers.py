"""A signed-in citizen's dossiers: "my dossiers" lists only their own, and no route shows them
another citizen's dossier (portal pages, officers' pages, the API, the public look-up)."""

from __future__ import annotations

import importlib.util
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import translation


def _load(name: str, path: Path) -> None:
    if name in sys.modules:
        return
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)


_TESTS = Path(__file__).parent.parent
_load("directory_factories", _TESTS / "directory" / "factories.py")
_load("dossiers_support", _TESTS / "dossiers" / "support.py")

from directory_factories import (  # noqa: E402
    ApplicantFactory,
    OfficerFactory,
    OrganizationFactory,
)
from dossiers_support import FORM, PROCEDURE, PROCEDURE_CODE  # noqa: E402

from egov.core.botguard import form_token  # noqa: E402
from egov.directory.models import Applicant, Organization, Role, Scope  # noqa: E402
from egov.dossiers.models import Dossier  # noqa: E402
from egov.dossiers.services import dossier_receive  # noqa: E402
from egov.portal.views import account as account_views  # noqa: E402
from egov.procedures.models import Field  # noqa: E402
from egov.procedures.services import procedure_create  # noqa: E402

pytestmark = pytest.mark.django_db
MINE = "/cong-dan/ho-so-cua-toi/"


@dataclass
class People:
    alice: Applicant
    bob: Applicant
    walk_in: Applicant
    alice_codes: list[str]
    bob_code: str
    counter: Any


@pytest.fixture
def people(db: None) -> People:
    root = OrganizationFactory(code="H51", committee=True, name_vi="UBND tỉnh")
    centre = OrganizationFactory(
        code="H51.20", parent=root, kind=Organization.Kind.AGENCY, name_vi="Trung tâm PVHCC"
    )
    construction = OrganizationFactory(code="H51.04", parent=root, name_vi="Sở Xây dựng")
    OrganizationFactory(code="H51.04.02", parent=construction, unit=True)
    environment = OrganizationFactory(code="H51.08", parent=root, name_vi="Sở NN và MT")
    OrganizationFactory(code="H51.08.01", parent=environment, unit=True)
    Field.objects.create(code="XD", name="Hoạt động xây dựng")
    procedure_create(actor=None, data=PROCEDURE, as_system=True)
    counter = OfficerFactory(unit=centre, roles=[(Role.COUNTER, Scope.ORGANIZATION)])
    alice = ApplicantFactory(national_id="051185000123", phone="0900000001", full_name="Lê Thị Dân")
    bob = ApplicantFactory(national_id="051185000456", phone="0900000002", full_name="Võ Văn Bảo")
    walk_in = Applicant.objects.create(
        kind="person", full_name="Đinh Thị Cúc", national_id="051185000789", phone="0900000003"
    )

    def receive(applicant: Applicant) -> Dossier:
        with translation.override("en"):
            return dossier_receive(
                actor=counter.account,
                procedure_code=PROCEDURE_CODE,
                receiving_organization=centre,
                applicant=applicant,
                channel="counter",
                form_data=dict(FORM),
            )

    first, second = receive(alice), receive(alice)
    bobs = receive(bob)
    for_walk_in = receive(walk_in)
    # Alice sent this one online from her account for someone without an account.
    Dossier.objects.filter(pk=for_walk_in.pk).update(submitted_by=alice.account, channel="online")
    # A counter officer is `submitted_by` of walk-in intakes: that never makes them an owner.
    Dossier.objects.filter(pk=bobs.pk).update(submitted_by=alice.account)
    return People(
        alice=alice,
        bob=bob,
        walk_in=walk_in,
        alice_codes=[first.code, second.code, for_walk_in.code],
        bob_code=bobs.code,
        counter=counter,
    )


def _codes(page: str) -> set[str]:
    marker = 'data-code="'
    found = set()
    start = page.find(marker)
    while start != -1:
        end = page.find('"', start + len(marker))
        found.add(page[start + len(marker) : end])
        start = page.find(marker, end)
    return found


def test_my_dossiers_lists_exactly_my_own(client: Client, people: People) -> None:
    client.force_login(people.alice.account)
    response = client.get(MINE)
    assert response.status_code == 200
    page = response.content.decode()
    assert _codes(page) == set(people.alice_codes)
    assert people.bob_code not in page
    assert "Võ Văn Bảo" not in page
    assert page.count("Received, being checked for completeness") == 3
    assert f'href="/cong-dan/ho-so/{people.alice_codes[0]}/"' in page

    client.force_login(people.bob.account)
    assert _codes(client.get(MINE).content.decode()) == {people.bob_code}


def test_a_citizen_without_dossiers_is_told_so(client: Client, people: People) -> None:
    nobody = ApplicantFactory(national_id="051185000999")
    client.force_login(nobody.account)
    page = client.get(MINE).content.decode()
    assert 'data-testid="my-dossiers-empty"' in page
    assert _codes(page) == set()


def test_my_dossiers_is_paginated(
    client: Client, people: People, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(account_views, "PAGE_SIZE", 2)
    client.force_login(people.alice.account)
    first = client.get(MINE).content.decode()
    second = client.get(MINE + "?page=2").content.decode()
    assert "Page 1 of 2" in first
    assert "Page 2 of 2" in second
    assert len(_codes(first)) == 2
    assert _codes(first) | _codes(second) == set(people.alice_codes)
    assert _codes(first) & _codes(second) == set()


def test_my_dossiers_costs_the_same_queries_for_one_or_many(client: Client, people: People) -> None:
    client.force_login(people.bob.account)
    client.get(MINE)  # warm the session and caches
    with CaptureQueriesContext(connection) as one:
        client.get(MINE)
    client.force_login(people.alice.account)
    client.get(MINE)
    with CaptureQueriesContext(connection) as three:
        client.get(MINE)
    assert len(three.captured_queries) == len(one.captured_queries)


# --- every route refuses another's dossier -------------------------------------------------------


PORTAL_ROUTES = [
    "/cong-dan/ho-so/{code}/",
    "/cong-dan/ho-so/{code}/ket-qua/",
    "/cong-dan/ho-so/{code}/danh-gia/",
    "/nop-ho-so/bo-sung/{code}/",
    "/api/v1/dossiers/{code}",
]
OFFICER_ROUTES = [
    "/lam-viec/ho-so/{code}/",
    "/lam-viec/ho-so/{code}/bien-nhan/",
    "/lam-viec/ho-so/{code}/phieu/01/",
    "/lam-viec/ho-so/{code}/ket-qua/",
    "/lam-viec/ho-so/{code}/tep/1/",
]


@pytest.mark.parametrize("route", PORTAL_ROUTES + OFFICER_ROUTES)
def test_another_citizens_dossier_code_in_a_url_is_not_found(
    client: Client, people: People, route: str
) -> None:
    client.force_login(people.alice.account)
    response = client.get(route.format(code=people.bob_code))
    assert response.status_code == 404
    body = response.content.decode()
    assert "Võ Văn Bảo" not in body
    assert "0900000002" not in body


@pytest.mark.parametrize("route", OFFICER_ROUTES)
def test_officers_pages_refuse_a_citizen_even_for_their_own_dossier(
    client: Client, people: People, route: str
) -> None:
    client.force_login(people.alice.account)
    response = client.get(route.format(code=people.alice_codes[0]))
    assert response.status_code in {403, 404}


@pytest.mark.parametrize(
    "route",
    ["/lam-viec/ho-so/", "/lam-viec/ho-so/tra-cuu/?q={code}", "/lam-viec/ho-so/bang-theo-doi/"],
)
def test_officers_lists_refuse_citizens(client: Client, people: People, route: str) -> None:
    client.force_login(people.alice.account)
    response = client.get(route.format(code=people.bob_code))
    assert response.status_code == 403
    assert "Võ Văn Bảo" not in response.content.decode()


def test_an_officers_action_on_another_dossier_is_refused_and_changes_nothing(
    client: Client, people: People
) -> None:
    client.force_login(people.alice.account)
    before = Dossier.objects.get(code=people.bob_code)
    response = client.post(
        f"/lam-viec/ho-so/{people.bob_code}/thao-tac/accept/", {"expected_version": before.version}
    )
    assert response.status_code == 404
    after = Dossier.objects.get(code=people.bob_code)
    assert (after.state, after.version) == (before.state, before.version)


def test_the_api_list_holds_only_my_dossiers(client: Client, people: People) -> None:
    client.force_login(people.alice.account)
    response = client.get("/api/v1/dossiers")
    assert response.status_code == 200
    assert people.bob_code not in response.content.decode()


def test_the_public_look_up_needs_the_other_citizens_own_second_factor(
    client: Client, people: People
) -> None:
    client.force_login(people.alice.account)
    for secret in ("0900000001", "051185000123"):  # Alice's own phone and ID number
        response = client.post(
            "/tra-cuu-ho-so/",
            {"code": people.bob_code, "secret": secret, "form_started": form_token()},
        )
        assert response.status_code == 404
        assert 'data-testid="status-found"' not in response.content.decode()

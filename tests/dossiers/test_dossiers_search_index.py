"""Dossiers in the search index: officers find them by name without diacritics, by code and by
the applicant's numbers, and only among the dossiers they may see."""

from __future__ import annotations

from typing import Any

from directory_factories import ApplicantFactory
from django.test import Client
from dossiers_support import Clock, World, vn

from egov.core.models import SearchEntry
from egov.dossiers.models import Dossier
from egov.dossiers.search import SEARCH_KIND
from egov.dossiers.selectors import dossier_search


def _lan(world: World, receive: Any) -> Dossier:
    lan = ApplicantFactory(
        full_name="Nguyễn Thị Lan", national_id="001190000777", phone="0912345678"
    )
    return receive(applicant=lan)


def test_intake_indexes_code_applicant_and_procedure(
    world: World, clock: Clock, receive: Any
) -> None:
    clock.set(vn(2025, 3, 3))
    dossier = _lan(world, receive)
    entry = SearchEntry.objects.get(kind=SEARCH_KIND, object_id=str(dossier.pk))
    assert entry.title == f"{dossier.code} Nguyễn Thị Lan"
    for word in ["nguyen thi lan", "001190000777", "0912345678", dossier.lookup_code.lower()]:
        assert word in entry.folded, word
    assert "cap giay phep xay dung nha o rieng le" in entry.folded


def test_nguyen_thi_lan_finds_her_dossier_and_nobody_elses(
    world: World, clock: Clock, receive: Any
) -> None:
    clock.set(vn(2025, 3, 3))
    dossier = _lan(world, receive)
    receive()  # Lê Thị Dân's
    found = dossier_search(world.counter.account, "nguyen thi lan")
    assert [d.code for d in found] == [dossier.code]
    assert [d.code for d in dossier_search(world.counter.account, "NGUYỄN thị")] == [dossier.code]


def test_an_officer_of_another_organisation_finds_nothing(
    world: World, clock: Clock, receive: Any
) -> None:
    clock.set(vn(2025, 3, 3))
    dossier = _lan(world, receive)
    outsider = world.outsider_counter.account
    for query in ["nguyen thi lan", dossier.code, dossier.lookup_code, "001190000777"]:
        assert dossier_search(outsider, query) == [], query
    response = Client()
    response.force_login(outsider)
    page = response.get("/lam-viec/ho-so/tra-cuu/", {"q": "nguyen thi lan"})
    assert page.status_code == 200
    assert page.context["results"] == []


def test_a_full_code_finds_exactly_that_dossier(world: World, clock: Clock, receive: Any) -> None:
    clock.set(vn(2025, 3, 3))
    first = receive()
    second = receive()
    counter = world.counter.account
    assert [d.code for d in dossier_search(counter, first.code)] == [first.code]
    assert [d.code for d in dossier_search(counter, second.code.lower())] == [second.code]
    assert [d.code for d in dossier_search(counter, first.lookup_code)] == [first.code]
    # A part of the code finds every dossier it belongs to, through the index.
    day_part = first.code.rsplit("-", 2)[1]
    assert {d.code for d in dossier_search(counter, day_part)} == {first.code, second.code}


def test_the_applicants_numbers_in_any_writing(world: World, clock: Clock, receive: Any) -> None:
    clock.set(vn(2025, 3, 3))
    dossier = _lan(world, receive)
    counter = world.counter.account
    for query in ["001190000777", "0912 345 678", "+84912345678"]:
        assert [d.code for d in dossier_search(counter, query)] == [dossier.code], query
    assert dossier_search(counter, "0999999999") == []


def test_the_search_screen_lists_index_hits(world: World, clock: Clock, receive: Any) -> None:
    clock.set(vn(2025, 3, 3))
    dossier = _lan(world, receive)
    client = Client()
    client.force_login(world.counter.account)
    page = client.get("/lam-viec/ho-so/tra-cuu/", {"q": "lan nguyen"})
    assert [d.code for d in page.context["results"]] == [dossier.code]

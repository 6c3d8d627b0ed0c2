"""The public pages of the organisation directory (Decree 42/2022: structure and contacts)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client

from egov.portal import selectors

from .conftest import Tree
from .html import Page

pytestmark = pytest.mark.django_db


def _group_names(page: Page) -> list[str]:
    return [values["id"] for values in page.find("h2") if values.get("id", "").startswith("group-")]


def test_home_shows_the_committee_contacts(client: Client, tree: Tree) -> None:
    page = Page(client.get("/").content.decode())
    assert "Quang Ngai Provincial People's Committee" in page.text  # English name in English
    assert "52 Hùng Vương, phường Cẩm Thành" in page.text
    assert page.find("a", href="tel:02553822123") != []
    assert page.find("a", href="mailto:ubnd@quangngai.egov.example") != []


def test_home_without_directory_data_still_renders(client: Client, db: None) -> None:
    response = client.get("/")
    assert response.status_code == 200
    assert "have not been entered yet" in Page(response.content.decode()).text


def test_directory_groups_active_organisations_and_hides_units_and_ended_ones(
    client: Client, tree: Tree
) -> None:
    page = Page(client.get("/co-quan/").content.decode())
    assert _group_names(page) == [
        "group-committee",
        "group-department",
        "group-agency",
        "group-commune",
    ]
    links = [v["href"] for v in page.find("a", class_="org-list__name")]
    assert links == [
        "/co-quan/H51/",
        "/co-quan/H51.10/",
        "/co-quan/H51.20/",
        "/co-quan/H51.21002/",  # communes alphabetically: An Phú before Bình Sơn
        "/co-quan/H51.21001/",
    ]


def test_directory_search_ignores_diacritics_and_case(vi_client: Client, tree: Tree) -> None:
    page = Page(vi_client.get("/co-quan/", {"q": "so TU phap"}).content.decode())
    assert [v["href"] for v in page.find("a", class_="org-list__name")] == ["/co-quan/H51.10/"]
    assert page.find("input", name="q")[0]["value"] == "so TU phap"
    by_abbreviation = Page(vi_client.get("/co-quan/", {"q": "stp"}).content.decode())
    assert [v["href"] for v in by_abbreviation.find("a", class_="org-list__name")] == [
        "/co-quan/H51.10/"
    ]


def test_directory_search_without_match_says_so(client: Client, tree: Tree) -> None:
    page = Page(client.get("/co-quan/", {"q": "zzz"}).content.decode())
    assert page.find("a", class_="org-list__name") == []
    assert "No organisation matches your search." in page.text


def test_directory_page_query_count(
    client: Client, tree: Tree, django_assert_num_queries: Callable[..., object]
) -> None:
    with django_assert_num_queries(1):  # type: ignore[operator]
        client.get("/co-quan/")


def test_organisation_page_shows_contacts_units_and_children(client: Client, tree: Tree) -> None:
    root = Page(client.get("/co-quan/H51/").content.decode())
    assert "52 Hùng Vương, phường Cẩm Thành" in root.text
    child_links = {v["href"] for v in root.find("a")}
    assert {"/co-quan/H51.10/", "/co-quan/H51.20/", "/co-quan/H51.21001/"} <= child_links
    assert "/co-quan/H51.21003/" not in child_links  # ended commune
    justice = Page(client.get("/co-quan/H51.10/").content.decode())
    assert "Divisions" in justice.text
    assert justice.find("a", href="/co-quan/H51.10.01/") != []
    assert justice.find("a", href="/co-quan/H51/") != []  # belongs to


def test_organisation_page_query_count(
    client: Client, tree: Tree, django_assert_num_queries: Callable[..., object]
) -> None:
    # the node with parent and successor, then its children
    with django_assert_num_queries(2):  # type: ignore[operator]
        client.get("/co-quan/H51/")


def test_ended_organisation_points_to_its_successor(client: Client, tree: Tree) -> None:
    page = Page(client.get("/co-quan/H51.21003/").content.decode())
    assert "This organisation ceased to exist on 30/06/2025." in page.text
    assert page.find("a", href="/co-quan/H51.21002/") != []


def test_unknown_organisation_is_404(client: Client, tree: Tree) -> None:
    assert client.get("/co-quan/KHONG-CO/").status_code == 404


def test_portal_pages_accept_only_safe_methods(client: Client, tree: Tree) -> None:
    assert client.post("/co-quan/").status_code == 405


def test_group_of_puts_commune_level_committees_with_the_communes(tree: Tree) -> None:
    assert selectors.group_of(tree.commune_a) == selectors.GROUP_COMMUNE
    assert selectors.group_of(tree.root) == selectors.GROUP_COMMITTEE
    assert selectors.group_of(tree.justice) == selectors.GROUP_DEPARTMENT


def test_english_names_fall_back_to_vietnamese(client: Client, tree: Tree) -> None:
    page = Page(client.get("/co-quan/").content.decode())
    assert "Department of Justice" in page.text  # has an English name
    assert "Trung tâm Phục vụ hành chính công tỉnh" in page.text  # has none

"""The shells every screen extends: language, skip link, no inline code, error pages."""

from __future__ import annotations

import pytest
from django.contrib.staticfiles import finders
from django.db import connection
from django.template.loader import render_to_string
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from egov_testing import language_client

from .conftest import Tree
from .html import Page

pytestmark = pytest.mark.django_db

PUBLIC_PAGES = ["/", "/co-quan/", "/co-quan/H51/", "/dang-nhap/"]


@pytest.mark.parametrize("url", PUBLIC_PAGES)
def test_pages_carry_no_inline_code_and_only_local_assets(
    client: Client, tree: Tree, url: str
) -> None:
    response = client.get(url)
    assert response.status_code == 200
    assert "script-src 'self'" in response["Content-Security-Policy"]
    page = Page(response.content.decode())
    assert page.inline_scripts == 0
    assert page.style_elements == 0
    assert page.with_attribute("style") == []
    assert [name for name, _ in page.tags if any(a.startswith("on") for a in _)] == []
    for tag, attribute in (("script", "src"), ("link", "href"), ("img", "src")):
        for values in page.find(tag):
            if attribute in values:
                assert values[attribute].startswith("/"), values


def test_default_language_is_vietnamese(vi_client: Client, tree: Tree) -> None:
    page = Page(vi_client.get("/").content.decode())
    assert page.find("html") == [{"lang": "vi"}]


def test_skip_link_leads_to_the_main_landmark(client: Client, tree: Tree) -> None:
    page = Page(client.get("/").content.decode())
    first_link = next(values for name, values in page.tags if name == "a")
    assert first_link == {"class": "skip-link", "href": "#main"}
    assert page.find("main", id="main", tabindex="-1") != []


def test_language_switch_is_a_plain_form_that_works_without_javascript(
    vi_client: Client, tree: Tree
) -> None:
    page = Page(vi_client.get("/co-quan/").content.decode())
    forms = page.find("form", action="/i18n/setlang/")
    assert forms == [{"class": "lang-switch", "action": "/i18n/setlang/", "method": "post"}]
    assert page.find("input", type="hidden", name="next") == [
        {"type": "hidden", "name": "next", "value": "/co-quan/"}
    ]
    buttons = page.find("button", name="language")
    assert [(b["value"], b["aria-pressed"]) for b in buttons] == [
        ("vi", "true"),
        ("en", "false"),
    ]
    response = vi_client.post("/i18n/setlang/", {"language": "en", "next": "/co-quan/"})
    assert response.status_code == 302
    assert response["Location"] == "/co-quan/"
    english = Page(vi_client.get("/co-quan/").content.decode())
    assert english.find("html") == [{"lang": "en"}]
    assert "Organisations and contacts" in english.text


def test_province_name_is_in_the_header(client: Client, tree: Tree) -> None:
    page = Page(client.get("/").content.decode())
    assert "People's Committee of Quảng Ngãi province" in page.text
    assert "Electronic information portal of Quảng Ngãi province" in page.text


def test_portal_menu_marks_the_current_page_and_offers_both_sign_ins(
    client: Client, tree: Tree
) -> None:
    page = Page(client.get("/co-quan/").content.decode())
    current = page.find("a", aria_current="page")
    assert [link["href"] for link in current] == ["/co-quan/"]
    hrefs = {values.get("href") for values in page.find("a")}
    assert {"/dang-nhap/", "/cong-dan/dang-nhap/", "/api/v1/docs"} <= hrefs


def test_signed_in_visitor_sees_the_workspace_link_instead_of_sign_in(
    client: Client, tree: Tree
) -> None:
    client.force_login(tree.officer.account)
    hrefs = {values.get("href") for values in Page(client.get("/").content.decode()).find("a")}
    assert "/lam-viec/" in hrefs
    assert "/dang-nhap/" not in hrefs


def test_workspace_shell_shows_the_officer_and_a_logout_form(client: Client, tree: Tree) -> None:
    client.force_login(tree.officer.account)
    response = client.get("/lam-viec/")
    assert response.status_code == 200
    page = Page(response.content.decode())
    assert "Nguyễn Văn Minh" in page.text
    assert page.find("form", action="/dang-xuat/", method="post") != []
    nav = page.find("nav", aria_label="Workspace menu")
    assert nav != []
    assert [a["href"] for a in page.find("a", aria_current="page")] == ["/lam-viec/"]
    assert "/quan-tri/" not in {values.get("href") for values in page.find("a")}


def test_workspace_shell_offers_system_administration_to_staff_only(
    client: Client, tree: Tree
) -> None:
    account = tree.officer.account
    account.is_staff = True
    account.save(update_fields=["is_staff"])
    client.force_login(account)
    hrefs = {
        values.get("href") for values in Page(client.get("/lam-viec/").content.decode()).find("a")
    }
    assert "/quan-tri/" in hrefs


def test_unknown_page_renders_our_404(client: Client, tree: Tree) -> None:
    response = client.get("/khong-co-trang-nay/")
    assert response.status_code == 404
    page = Page(response.content.decode())
    assert "Page not found" in page.text
    assert page.find("a", class_="btn btn--primary", href="/") != []


def test_500_page_renders_without_request_or_database() -> None:
    html = render_to_string("500.html")
    page = Page(html)
    assert "System error" in page.text
    assert page.find("form") == []  # no language switch: there is no request to post back to


def test_expired_form_renders_our_403_csrf_page(tree: Tree) -> None:
    strict = language_client("en", enforce_csrf_checks=True)
    response = strict.post("/i18n/setlang/", {"language": "en"})
    assert response.status_code == 403
    assert "The form has expired" in Page(response.content.decode()).text


def test_403_page() -> None:
    html = render_to_string("403.html")
    assert "Access denied" in Page(html).text


def test_stylesheet_and_logo_are_found_by_staticfiles() -> None:
    assert finders.find("egov/egov.css") is not None
    assert finders.find("egov/logo.svg") is not None


def test_api_docs_page_uses_only_local_assets(client: Client) -> None:
    response = client.get("/api/v1/docs")
    assert response.status_code == 200
    page = Page(response.content.decode())
    sources = [v["src"] for v in page.find("script") if "src" in v]
    sheets = [v["href"] for v in page.find("link", rel="stylesheet")]
    assert sources == ["/static/ninja/swagger-ui-bundle.js", "/static/ninja/swagger-ui-init.js"]
    assert sheets == ["/static/ninja/swagger-ui.css"]
    assert page.inline_scripts == 0


def test_workspace_header_costs_no_query_beyond_the_view(client: Client, tree: Tree) -> None:
    """The header reuses the officer the workspace view looked up (selectors.officer_for)."""
    client.force_login(tree.officer.account)
    client.get("/lam-viec/")
    with CaptureQueriesContext(connection) as captured:
        client.get("/lam-viec/")
    tables = [q["sql"].split(" FROM ", 1)[1].split()[0] for q in captured.captured_queries]
    assert tables.count('"directory_officer"') == 1
    assert tables.count('"directory_position"') == 0  # joined, not fetched one by one


def test_header_of_other_workspace_pages_costs_one_query(tree: Tree, rf: RequestFactory) -> None:
    request = rf.get("/lam-viec/khac/")
    request.user = tree.officer.account
    with CaptureQueriesContext(connection) as captured:
        html = render_to_string("egov/base_workspace.html", request=request)
    assert len(captured.captured_queries) == 1
    assert "Nguyễn Văn Minh" in html
    assert "Chuyên viên" in html

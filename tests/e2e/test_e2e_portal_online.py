"""The public catalogue and the citizen's account pages in a real browser: axe-clean, no
sideways scrolling at 360 px, the sign-up error summary takes the focus, the code activates."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from egov.core.models import OutboundMessage
from egov.directory.demo import demo_seed
from egov.procedures.services import procedures_seed_demo

from .conftest import assert_accessible


def _sideways(page: Page) -> int:
    return int(
        page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    )


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_catalogue_pages_in_a_browser(page: Page) -> None:
    demo_seed()
    procedures_seed_demo()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto("/thu-tuc/")
    assert_accessible(page, "catalogue")
    page.locator("#cat-q").fill("cap phep xay dung")
    page.locator("form[role=search] button[type=submit]").first.click()
    first = page.locator(".catalogue-list__name a").first
    expect(first).to_be_visible()
    assert "xây dựng" in first.inner_text().lower()
    assert_accessible(page, "results")
    first.click()
    expect(page.locator("h1")).to_be_visible()
    assert_accessible(page, "procedure")
    expect(page.locator("a.catalogue-apply").first).to_be_visible()
    assert errors == []  # the pages below answer 400 / 404 on purpose
    for url, name in (
        ("/thu-tuc/su-kien/gia-dinh/", "life event"),
        ("/thu-tuc/?page=abc", "bad page"),
        ("/thu-tuc/?q=zzzz", "empty"),
        ("/thu-tuc/KHONG-CO/", "unknown procedure"),
    ):
        page.goto(url)
        assert_accessible(page, name)
    for width in (360, 768):
        page.set_viewport_size({"width": width, "height": 740})
        for url in ("/thu-tuc/", "/thu-tuc/?q=dang+ky", "/thu-tuc/su-kien/kinh-doanh/"):
            page.goto(url)
            assert _sideways(page) == 0, f"{url} scrolls sideways at {width}px"


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_sign_up_with_a_code_on_a_phone(page: Page) -> None:
    page.set_viewport_size({"width": 360, "height": 740})
    for url in (
        "/cong-dan/dang-ky/",
        "/cong-dan/dang-ky/?loai=doanh-nghiep",
        "/cong-dan/quen-mat-khau/",
    ):
        page.goto(url)
        assert_accessible(page, url)
        assert _sideways(page) == 0, url
    page.goto("/cong-dan/dang-ky/")
    page.fill("#id_full_name", "Trần Thị Bình")
    page.fill("#id_national_id", "123")
    page.fill("#id_phone", "0912345678")
    page.fill("#id_password", "Thu-nghiem-2025")
    page.fill("#id_password2", "Thu-nghiem-2025")
    page.locator("form[data-testid=signup-form] button[type=submit]").click()
    expect(page.locator("#error-summary")).to_be_focused()
    assert_accessible(page, "sign-up errors")
    page.fill("#id_national_id", "051185000777")
    page.fill("#id_password", "Thu-nghiem-2025")
    page.fill("#id_password2", "Thu-nghiem-2025")
    page.locator("form[data-testid=signup-form] button[type=submit]").click()
    expect(page.locator("#id_code")).to_be_visible()
    assert_accessible(page, "code page")
    page.fill("#id_code", "000000")
    page.locator("form[data-testid=code-form] button[type=submit]").click()
    expect(page.locator("#error-summary")).to_be_visible()
    body = OutboundMessage.objects.order_by("-pk").values_list("body", flat=True).first()
    found = re.search(r"\b(\d{6})\b", body or "")
    assert found is not None
    page.fill("#id_code", found.group(1))
    page.locator("form[data-testid=code-form] button[type=submit]").click()
    expect(page.get_by_test_id("profile")).to_be_visible()
    assert_accessible(page, "account")
    for url in ("/cong-dan/ho-so-cua-toi/", "/cong-dan/tai-khoan/mat-khau/"):
        page.goto(url)
        assert_accessible(page, url)
        assert _sideways(page) == 0, url

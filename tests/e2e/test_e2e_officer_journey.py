"""An officer of the demo province signs in with a second factor and reaches the workspace."""

from __future__ import annotations

import time

import pyotp
import pytest
from playwright.sync_api import Page, expect

from egov.directory.demo import OFFICER_PASSWORD, demo_seed, demo_totp_secret

from .conftest import SCREENSHOTS, assert_accessible

OFFICER = "vanthu.vpubnd"  # clerk of the provincial office, which demands a second factor
OFFICER_NAME = "Phạm Thị Hồng"


def _fresh_totp(secret: str) -> str:
    """A code that will still be valid when the server checks it (not in a step's last 2 s)."""
    totp = pyotp.TOTP(secret)
    if totp.interval - time.time() % totp.interval < 2:
        time.sleep(2.1)
    return totp.now()


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_officer_signs_in_with_totp_and_sees_the_workspace(page: Page) -> None:
    demo_seed()

    # the public portal, in Vietnamese by default
    page.goto("/")
    expect(page.locator("html")).to_have_attribute("lang", "vi")
    expect(page.get_by_role("link", name="Bỏ qua đến nội dung chính")).to_be_attached()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Quảng Ngãi")
    assert_accessible(page, "portal home")

    # keyboard: the first Tab lands on the skip link, which moves focus to the main content
    page.keyboard.press("Tab")
    expect(page.locator(".skip-link")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#main")).to_be_focused()

    # the officer goes to the sign-in page from the portal's menu
    page.get_by_role("navigation", name="Trình đơn chính").get_by_role(
        "link", name="Đăng nhập cán bộ"
    ).click()
    expect(page).to_have_url("/dang-nhap/")
    assert_accessible(page, "sign-in")
    page.locator("input[name=username]").fill(OFFICER)
    page.locator("input[name=password]").fill(OFFICER_PASSWORD)
    page.locator("main form button[type=submit]").click()

    # second step: the code from the authenticator app
    expect(page).to_have_url("/dang-nhap/ma-xac-thuc/")
    assert_accessible(page, "TOTP step")
    page.locator("input[name=code]").fill(_fresh_totp(demo_totp_secret(OFFICER)))
    page.locator("main form button[type=submit]").click()

    # the workspace shows who is signed in
    expect(page).to_have_url("/lam-viec/")
    expect(page.get_by_test_id("officer-name")).to_have_text(OFFICER_NAME)
    expect(page.get_by_role("navigation", name="Trình đơn làm việc")).to_be_visible()
    expect(page.get_by_role("button", name="Đăng xuất")).to_be_visible()
    assert_accessible(page, "workspace")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "workspace.png"), full_page=True)

    # switch to English (a plain form post: works without JavaScript)
    page.locator("button[name=language][value=en]").click()
    expect(page).to_have_url("/lam-viec/")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    expect(page.get_by_role("navigation", name="Workspace menu")).to_be_visible()
    # the names are NFC-normalised, so "Tiếng Việt" typed on a keyboard matches
    expect(page.get_by_role("button", name="Tiếng Việt")).to_have_attribute("aria-pressed", "false")
    expect(page.get_by_role("button", name="English")).to_have_attribute("aria-pressed", "true")
    assert_accessible(page, "workspace in English")

    # on a phone the menu moves above the content and nothing scrolls sideways
    page.set_viewport_size({"width": 360, "height": 740})
    page.reload()
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow == 0
    page.screenshot(path=str(SCREENSHOTS / "workspace-phone.png"), full_page=True)

    # sign out with the POST form and land on the portal
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url("/")
    expect(page.get_by_role("link", name="Officer sign-in").first).to_be_visible()

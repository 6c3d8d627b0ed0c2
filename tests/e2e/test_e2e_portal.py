"""The public portal in a real browser: accessibility, small screens, and the API docs."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, expect

from egov.api.api import api
from egov.directory.demo import demo_seed

from .conftest import assert_accessible

STRICT_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)
CSP_LISTENER = (
    "document.addEventListener('securitypolicyviolation', "
    "e => console.error('CSP violation: ' + e.violatedDirective + ' ' + e.blockedURI))"
)


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_portal_pages_are_accessible_and_fit_a_phone(page: Page) -> None:
    result = demo_seed()
    assert result.organizations > 100
    errors: list[str] = []
    page.on(
        "console", lambda message: errors.append(message.text) if message.type == "error" else None
    )

    page.goto("/co-quan/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Cơ quan, đơn vị và liên hệ")
    assert_accessible(page, "organisations")
    page.get_by_label("Tìm cơ quan, đơn vị").fill("so noi vu")
    page.get_by_role("button", name="Tìm kiếm").click()
    expect(page.locator("a.org-list__name")).to_have_count(1)
    page.locator("a.org-list__name").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sở Nội vụ")
    assert_accessible(page, "one organisation")

    assert errors == []
    page.goto("/khong-co-trang-nay/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Không tìm thấy trang")
    assert_accessible(page, "404")
    errors.clear()  # the browser logs the 404 status of the page itself

    for width in (360, 768):
        page.set_viewport_size({"width": width, "height": 740})
        for url in ("/", "/co-quan/", "/dang-nhap/"):
            page.goto(url)
            overflow = page.evaluate(
                "document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            assert overflow == 0, f"{url} scrolls sideways by {overflow}px at {width}px"
    assert errors == []


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_api_docs_work_under_the_strict_csp(page: Page) -> None:
    """Swagger UI runs with the same CSP as every other page (no exemption needed)."""
    problems: list[str] = []
    page.on(
        "console", lambda message: problems.append(message.text) if "CSP" in message.text else None
    )
    page.add_init_script(CSP_LISTENER)

    def with_csp(route: Any) -> None:
        response = route.fetch()
        route.fulfill(
            response=response,
            headers={**response.headers, "content-security-policy": STRICT_CSP},
        )

    page.route("**/api/v1/docs", with_csp)
    page.goto("/api/v1/docs")
    operations = sum(len(ops) for ops in api.get_openapi_schema()["paths"].values())
    expect(page.locator(".opblock")).to_have_count(operations)
    page.locator(".opblock-summary").first.click()
    expect(page.locator(".opblock-body").first).to_be_visible()
    assert problems == []

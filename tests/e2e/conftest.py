"""Browser tests: Playwright driving Debian's Chromium against pytest-django's live server.

Playwright's sync API runs an event loop in the test thread, so Django's guard against
synchronous database access from async code must be lifted for these tests only.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import pytest

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

from axe_playwright_python.sync_playwright import Axe  # noqa: E402
from playwright.sync_api import Browser, Page, sync_playwright  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
BLOCKING_IMPACTS = {"serious", "critical"}
T = TypeVar("T")


def outside_event_loop(func: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
    """Run `func` in a worker thread and return its result.

    Playwright's sync API keeps an asyncio loop running in the test thread for the whole
    session, so code that calls `asyncio.run()` itself (pyHanko's signing, for one) must run
    elsewhere. Database work done there uses its own connection (tests with transaction=True).
    """
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(func, *args, **kwargs).result()


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"{CHROMIUM} is missing: run `bash scripts/system-deps.sh chromium` as root")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Browser, live_server: Any) -> Iterator[Page]:
    """A fresh browser context per test, as a Vietnamese desktop browser would be."""
    context = browser.new_context(
        locale="vi-VN",
        viewport={"width": 1280, "height": 800},
        base_url=live_server.url,
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    # Hermetic: any request that leaves the live server (a CDN, a font host) fails the test.
    outside: list[str] = []

    def guard(route: Any) -> None:
        if route.request.url.startswith(live_server.url) or route.request.url.startswith("data:"):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    page.route("**/*", guard)
    yield page
    context.close()
    assert outside == [], f"requests left the platform: {outside}"


_axe = Axe()


def axe_blocking_violations(page: Page) -> list[str]:
    """axe-core's serious and critical violations on the current page, one line each."""
    results = _axe.run(page)
    lines = []
    for violation in results.response["violations"]:
        if violation.get("impact") in BLOCKING_IMPACTS:
            targets = [", ".join(node["target"]) for node in violation["nodes"]][:5]
            lines.append(
                f"[{violation['impact']}] {violation['id']}: {violation['help']} -> {targets}"
            )
    return lines


def assert_accessible(page: Page, label: str) -> None:
    problems = axe_blocking_violations(page)
    assert problems == [], f"axe on {label} ({page.url}):\n" + "\n".join(problems)

"""Shared test set-up: hermetic storage, database-kind selection, no silent skips in CI."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).with_name("_support")))

import pytest
from django.db import connection


def _db_vendor() -> str:
    url = os.environ.get("DATABASE_URL", "sqlite")
    return "postgresql" if url.startswith(("postgres", "postgresql")) else "sqlite"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests marked `postgres` run only in the PostgreSQL pass, `sqlite` only in the SQLite one."""
    vendor = _db_vendor()
    selected, deselected = [], []
    for item in items:
        if (item.get_closest_marker("postgres") and vendor != "postgresql") or (
            item.get_closest_marker("sqlite") and vendor != "sqlite"
        ):
            deselected.append(item)
        else:
            selected.append(item)
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = selected


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """Under CI=true a skipped test is a failure: nothing may be skipped there."""
    outcome = yield
    report = outcome.get_result()  # type: ignore[attr-defined]
    if os.environ.get("CI") == "true" and report.skipped and not hasattr(report, "wasxfail"):
        report.outcome = "failed"
        report.longrepr = f"skipped under CI=true: {report.longrepr}"


@pytest.fixture(autouse=True)
def _isolated_files(settings: pytest.FixtureRequest, tmp_path: Path) -> None:
    """Every test writes files (uploads, mail, SMS) under its own temporary folder."""
    settings.MEDIA_ROOT = tmp_path / "files"  # type: ignore[attr-defined]
    settings.STORAGES = {  # type: ignore[attr-defined]
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "files")},
        },
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    settings.EGOV_SMS_FILE_DIR = tmp_path / "sms"  # type: ignore[attr-defined]
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"  # type: ignore[attr-defined]


@pytest.fixture
def db_vendor(db: None) -> str:
    return connection.vendor

"""Helpers shared by the test packages (tests/ is not a package; conftest puts this on sys.path)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.test import Client


def language_client(language: str, **kwargs: Any) -> Client:
    """A test client whose person chose `language` with the language switch (the cookie)."""
    client = Client(**kwargs)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return client

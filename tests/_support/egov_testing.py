"""Helpers shared by the test packages (tests/ is not a package; conftest puts this on sys.path)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.conf import settings
from django.template.base import Template
from django.test import Client
from django.test.utils import _TestState


def language_client(language: str, **kwargs: Any) -> Client:
    """A test client whose person chose `language` with the language switch (the cookie)."""
    client = Client(**kwargs)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return client


@contextmanager
def production_templates() -> Iterator[None]:
    """Render templates without the test environment's instrumentation (which copies every
    context for `response.context`), as a served page renders them; then put it back.
    Benchmarks of rendered pages measure inside this."""
    instrumented = Template._render
    saved = getattr(_TestState, "saved_data", None)
    Template._render = getattr(saved, "template_render", instrumented)
    try:
        yield
    finally:
        Template._render = instrumented

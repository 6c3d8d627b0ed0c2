"""Helpers shared by the test packages (tests/ is not a package; conftest puts this on sys.path)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.conf import settings
from django.db import connection
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


def settle_search_index() -> None:
    """After a bulk fill inside a test's transaction: fold PostgreSQL's GIN pending lists into
    the index and refresh the planner's statistics, as autovacuum does for a live table (a
    benchmark that ran earlier in the same database otherwise leaves rolled-back entries in
    the pending list that every search scans). Nothing to do on SQLite."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexrelid::regclass::text FROM pg_index JOIN pg_class c ON c.oid = indexrelid "
            "JOIN pg_am am ON am.oid = c.relam WHERE indrelid = 'core_searchentry'::regclass "
            "AND am.amname = 'gin'"
        )
        for (index,) in cursor.fetchall():
            cursor.execute("SELECT gin_clean_pending_list(%s::regclass)", [index])
        cursor.execute("ANALYZE")  # every table the search joins, not only the index

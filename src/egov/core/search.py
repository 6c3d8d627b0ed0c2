"""Accent-insensitive search on the database's own full-text index.

Apps register a kind of object once (`search_register`), their services call `search_index`
after each change and `search_remove` before a deletion, and screens call `search_query`.
Each indexed object is one `SearchEntry` row holding its folded words; the index is an FTS5
table kept in sync by triggers on SQLite and a stored `search_vector` column with a GIN index on
PostgreSQL (migrations 0003 and 0004). Ranking is bounded: the database first finds at
most `EGOV_SEARCH_RANK_CAP` matching rows, and only those are ranked (ARCHITECTURE.md §6).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import connection, models, transaction

from egov.core.models import SearchEntry
from egov.core.text import search_text, search_tokens

__all__ = [
    "SearchRegistration",
    "search_index",
    "search_query",
    "search_rebuild",
    "search_register",
    "search_remove",
]

DEFAULT_RANK_CAP = 1000
_TITLE_MAX = SearchEntry._meta.get_field("title").max_length or 500


@dataclass(frozen=True)
class SearchRegistration:
    kind: str
    model: type[models.Model]
    text_of: Callable[[Any], str]
    title_of: Callable[[Any], str]


_registry: dict[str, SearchRegistration] = {}


def search_register(
    kind: str,
    model: type[models.Model],
    text_of: Callable[[Any], str],
    title_of: Callable[[Any], str],
) -> None:
    """Declare that objects of `model` are searchable under `kind` (call in AppConfig.ready).

    `title_of(obj)` is shown in results and indexed too; `text_of(obj)` is the rest of the text
    people search for (codes, summaries, agency names).
    """
    if not kind or len(kind) > SearchEntry._meta.get_field("kind").max_length:  # type: ignore[operator]
        raise ValueError(f"bad search kind {kind!r}")
    current = _registry.get(kind)
    if current is not None and current.model is not model:
        raise ValueError(f"search kind {kind!r} is already registered for {current.model!r}")
    _registry[kind] = SearchRegistration(kind, model, text_of, title_of)


def _registrations_for(obj: models.Model) -> list[SearchRegistration]:
    found = [reg for reg in _registry.values() if isinstance(obj, reg.model)]
    if not found:
        raise LookupError(f"no search kind is registered for {type(obj).__name__}")
    return found


def _entry(reg: SearchRegistration, obj: models.Model) -> SearchEntry:
    title = " ".join(str(reg.title_of(obj)).split())
    text = str(reg.text_of(obj))
    return SearchEntry(
        kind=reg.kind,
        object_id=str(obj.pk),
        title=title[:_TITLE_MAX],
        folded=search_text(f"{title}\n{text}"),
    )


def _upsert(entries: list[SearchEntry]) -> None:
    # One INSERT … ON CONFLICT per batch: no read-then-write race between two indexers.
    SearchEntry.objects.bulk_create(
        entries,
        batch_size=500,
        update_conflicts=True,
        unique_fields=["kind", "object_id"],
        update_fields=["title", "folded", "updated_at"],
    )


def search_index(obj: models.Model) -> None:
    """(Re)index one saved object under every kind registered for its model."""
    if obj.pk is None:
        raise ValueError("only saved objects can be indexed")
    _upsert([_entry(reg, obj) for reg in _registrations_for(obj)])


def search_remove(obj: models.Model) -> None:
    """Take one object out of the index; call it before deleting the object (pk still set)."""
    if obj.pk is None:
        raise ValueError("call search_remove before the object is deleted")
    kinds = [reg.kind for reg in _registrations_for(obj)]
    SearchEntry.objects.filter(kind__in=kinds, object_id=str(obj.pk)).delete()


def search_rebuild(kind: str) -> int:
    """Re-index every object of a registered kind and drop entries of vanished objects."""
    reg = _registry[kind]
    count = 0
    with transaction.atomic():
        seen: set[str] = set()
        batch: list[SearchEntry] = []
        for obj in reg.model._default_manager.order_by("pk").iterator(chunk_size=500):
            entry = _entry(reg, obj)
            seen.add(entry.object_id)
            batch.append(entry)
            if len(batch) >= 500:
                _upsert(batch)
                count += len(batch)
                batch = []
        if batch:
            _upsert(batch)
            count += len(batch)
        existing = SearchEntry.objects.filter(kind=kind).values_list("object_id", flat=True)
        gone = sorted(set(existing) - seen)
        for start in range(0, len(gone), 500):
            SearchEntry.objects.filter(kind=kind, object_id__in=gone[start : start + 500]).delete()
    return count


# CROSS JOIN fixes the join order in SQLite: walk the FTS matches, then fetch each entry by
# its primary key (never scan a whole kind and probe the index row by row).
_SQLITE_QUERY = """
SELECT object_id, score FROM (
    SELECT e.id AS id, e.object_id AS object_id, -bm25(core_searchentry_fts) AS score
    FROM core_searchentry_fts
    CROSS JOIN core_searchentry AS e ON e.id = core_searchentry_fts.rowid
    WHERE core_searchentry_fts MATCH %s AND e.kind = %s
    LIMIT %s
) AS capped
ORDER BY score DESC, id
LIMIT %s
"""

_POSTGRES_QUERY = """
SELECT capped.object_id,
       ts_rank(capped.search_vector, to_tsquery('simple'::regconfig, %s), 1) AS score
FROM (
    SELECT id, object_id, search_vector FROM core_searchentry
    WHERE kind = %s
      AND search_vector @@ to_tsquery('simple'::regconfig, %s)
    LIMIT %s
) AS capped
ORDER BY score DESC, capped.id
LIMIT %s
"""


def search_query(*, kind: str, query: str, limit: int = 50) -> list[tuple[str, float]]:
    """Object ids of `kind` whose text holds every word of `query`, best first, with scores.

    Accents, case and punctuation do not matter; the last word also matches as a prefix (people
    stop typing early). Higher scores are better; scores compare only within one result list.
    """
    if limit <= 0:
        return []
    words = search_tokens(query)[:32]
    if not words:
        return []
    cap = max(int(getattr(settings, "EGOV_SEARCH_RANK_CAP", DEFAULT_RANK_CAP)), limit)
    vendor = connection.vendor
    with connection.cursor() as cursor:
        if vendor == "sqlite":
            match = " ".join([f'"{word}"' for word in words[:-1]] + [f'"{words[-1]}"*'])
            cursor.execute(_SQLITE_QUERY, [match, kind, cap, limit])
        elif vendor == "postgresql":
            tsquery = " & ".join([f"'{word}'" for word in words[:-1]] + [f"'{words[-1]}':*"])
            cursor.execute(_POSTGRES_QUERY, [tsquery, kind, tsquery, cap, limit])
        else:  # pragma: no cover - only SQLite and PostgreSQL are supported
            raise NotImplementedError(f"search is not available on {vendor}")
        return [(str(object_id), float(score)) for object_id, score in cursor.fetchall()]

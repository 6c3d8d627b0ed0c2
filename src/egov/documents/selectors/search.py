"""Full-text search over official documents, always through the visibility rule.

`document_search(actor, query, …)` finds the documents whose metadata or extracted text holds
every word of the query (accents and case optional: "ke hoach chuyen doi so" finds "Kế hoạch
chuyển đổi số"; the last word also matches as a prefix). The database does the work in one
bounded query: the full-text index (FTS5 / tsvector + GIN, `egov.core.search`) names the
matching documents, the visibility filter (`selectors.visibility`) and the chosen facets are
applied in the same statement, and at most EGOV_SEARCH_RANK_CAP visible candidates are taken.
Only those are ranked, counted into facets and paged (ARCHITECTURE.md §6: unbounded ranking
had a p99 of seconds over a million rows). Filtering BEFORE the cap means a common word cannot
push the documents the caller may read out of the candidate set; when the cap is reached the
result says so (`capped`) and the screen asks for more words or a facet.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import QuerySet
from django.db.models.expressions import RawSQL

from egov.core.search import DEFAULT_RANK_CAP
from egov.core.text import fold, search_tokens
from egov.directory.models import ApiKey
from egov.documents.models import Direction, Document, DocumentType, State
from egov.documents.search import SEARCH_KIND
from egov.documents.selectors.visibility import (
    documents_visible_to,
    documents_visible_to_key,
    search_reach_tokens,
    search_reach_tokens_for_key,
)

__all__ = [
    "FACETS",
    "DocumentSearchFilters",
    "DocumentSearchResult",
    "FacetValue",
    "document_search",
    "document_snippet",
    "documents_filtered",
]

FACETS = ("document_type", "issuer", "year", "state", "direction")
MAX_WORDS = 32
SNIPPET_WORDS = 40


@dataclass(frozen=True)
class DocumentSearchFilters:
    """Facet filters; empty means "any". `document_type` is the type's code."""

    document_type: str = ""
    issuer: str = ""
    year: int | None = None
    state: str = ""
    direction: str = ""

    def active(self) -> dict[str, str]:
        values = {
            "document_type": self.document_type,
            "issuer": self.issuer,
            "year": str(self.year) if self.year else "",
            "state": self.state,
            "direction": self.direction,
        }
        return {k: v for k, v in values.items() if v}


@dataclass(frozen=True)
class FacetValue:
    value: str
    label: str
    count: int


@dataclass
class DocumentSearchResult:
    documents: list[Document]
    total: int  # candidates found (at most `cap`)
    capped: bool  # True when more documents may match than were ranked
    page: int
    page_size: int
    facets: dict[str, list[FacetValue]] = field(default_factory=dict)

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.page_size))


def _cap() -> int:
    return int(getattr(settings, "EGOV_SEARCH_RANK_CAP", DEFAULT_RANK_CAP))


def _tsquery(words: Sequence[str], tokens: Sequence[str] | None) -> str:
    text = " & ".join([f"'{w}'" for w in words[:-1]] + [f"'{words[-1]}':*"])
    if tokens is None:
        return text
    reach = " | ".join("'" + t + "'" for t in tokens)
    return f"{text} & ({reach})"


def _fts_match(words: Sequence[str], tokens: Sequence[str] | None) -> str:
    text = " AND ".join([f'"{w}"' for w in words[:-1]] + [f'"{words[-1]}"*'])
    if tokens is None:
        return text
    reach = " OR ".join('"' + t + '"' for t in tokens)
    return f"({text}) AND ({reach})"


def _match_sql(words: Sequence[str], tokens: Sequence[str] | None = None) -> tuple[str, list[Any]]:
    """SQL naming the ids of the documents whose index entry holds every word and, unless
    `tokens` is None, one of the caller's reach tokens (`egov.documents.search`)."""
    if connection.vendor == "postgresql":
        return (
            "SELECT CAST(object_id AS bigint) FROM core_searchentry WHERE kind = %s "
            "AND search_vector @@ to_tsquery('simple'::regconfig, %s)",
            [SEARCH_KIND, _tsquery(words, tokens)],
        )
    if connection.vendor == "sqlite":
        return (
            "SELECT CAST(e.object_id AS integer) FROM core_searchentry_fts "
            "CROSS JOIN core_searchentry AS e ON e.id = core_searchentry_fts.rowid "
            "WHERE core_searchentry_fts MATCH %s AND e.kind = %s",
            [_fts_match(words, tokens), SEARCH_KIND],
        )
    raise NotImplementedError(f"search is not available on {connection.vendor}")  # pragma: no cover


def _scores(words: Sequence[str], ids: list[int]) -> dict[int, float]:
    """Relevance of the candidates (higher is better); only the capped set is ranked."""
    if not ids:
        return {}
    keys = [str(pk) for pk in ids]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT object_id, ts_rank(search_vector, to_tsquery('simple'::regconfig, %s), 1)"
                " FROM core_searchentry WHERE kind = %s AND object_id = ANY(%s)",
                [_tsquery(words, None), SEARCH_KIND, keys],
            )
        else:
            match = _fts_match(words, None)
            cursor.execute(
                "SELECT e.object_id, -bm25(core_searchentry_fts) FROM core_searchentry_fts "
                "CROSS JOIN core_searchentry AS e ON e.id = core_searchentry_fts.rowid "
                "WHERE core_searchentry_fts MATCH %s AND e.kind = %s "
                "AND e.object_id IN (SELECT value FROM json_each(%s))",
                [match, SEARCH_KIND, json.dumps(keys)],
            )
        return {int(object_id): float(score) for object_id, score in cursor.fetchall()}


def _postgres_candidates(
    qs: QuerySet[Document],
    words: Sequence[str],
    tokens: Sequence[str] | None,
    columns: Sequence[str],
    limit: int,
) -> tuple[list[tuple[Any, ...]], dict[int, float]]:
    """Candidates and their ranks in one statement, driven by the GIN index.

    The index entry is joined on `documents_document.id = CAST(object_id AS bigint)` (the
    primary key index serves each match) rather than `pk IN (…)`, which made PostgreSQL gather
    and de-duplicate every match before the LIMIT could stop it (measured over 1M documents).
    """
    tsquery = _tsquery(words, tokens)
    matched = qs.extra(  # noqa: S610 - fixed SQL, the words are parameters
        select={
            "score": "ts_rank(core_searchentry.search_vector, "
            "to_tsquery('simple'::regconfig, %s), 1)"
        },
        select_params=[_tsquery(words, None)],
        tables=["core_searchentry"],
        where=[
            "core_searchentry.kind = %s",
            "core_searchentry.search_vector @@ to_tsquery('simple'::regconfig, %s)",
            "documents_document.id = CAST(core_searchentry.object_id AS bigint)",
        ],
        params=[SEARCH_KIND, tsquery],
    )
    found = list(matched.values_list(*columns, "score")[:limit])
    return [row[:-1] for row in found], {row[0]: float(row[-1]) for row in found}


def documents_filtered(
    actor: Any,
    filters: DocumentSearchFilters | None = None,
    *,
    visible: QuerySet[Document] | None = None,
) -> QuerySet[Document]:
    """The documents the actor may read, narrowed by the facet filters (unordered).

    `visible` replaces the actor's reach for callers that are not people (an API key's reach,
    `visibility.documents_visible_to_key`)."""
    qs = documents_visible_to(actor) if visible is None else visible
    f = filters or DocumentSearchFilters()
    if f.document_type:
        qs = qs.filter(document_type__code=f.document_type)
    if f.issuer:
        qs = qs.filter(issuer_name=f.issuer)
    if f.year:
        qs = qs.filter(issued_on__gte=date(f.year, 1, 1), issued_on__lte=date(f.year, 12, 31))
    if f.state:
        qs = qs.filter(state=f.state)
    if f.direction:
        qs = qs.filter(direction=f.direction)
    return qs


def _facets(rows: list[tuple[Any, ...]]) -> dict[str, list[FacetValue]]:
    types: Counter[int] = Counter()
    issuers: Counter[str] = Counter()
    years: Counter[int] = Counter()
    states: Counter[str] = Counter()
    directions: Counter[str] = Counter()
    for _pk, type_id, issuer, issued_on, state, direction in rows:
        types[type_id] += 1
        if issuer:
            issuers[issuer] += 1
        if issued_on is not None:
            years[issued_on.year] += 1
        states[state] += 1
        directions[direction] += 1
    type_rows = DocumentType.objects.filter(pk__in=list(types)).values_list("pk", "code", "name_vi")
    by_count = sorted(type_rows, key=lambda r: (-types[r[0]], r[2]))
    return {
        "document_type": [FacetValue(code, name, types[pk]) for pk, code, name in by_count],
        "issuer": [FacetValue(n, n, c) for n, c in sorted(issuers.items(), key=_most)][:20],
        "year": [FacetValue(str(y), str(y), c) for y, c in sorted(years.items(), reverse=True)],
        "state": [
            FacetValue(s, str(State(s).label), c) for s, c in sorted(states.items(), key=_most)
        ],
        "direction": [
            FacetValue(d, str(Direction(d).label), c)
            for d, c in sorted(directions.items(), key=_most)
        ],
    }


def _most(item: tuple[Any, int]) -> tuple[int, str]:
    return (-item[1], str(item[0]))


def document_search(
    actor: Any,
    query: str,
    *,
    filters: DocumentSearchFilters | None = None,
    page: int = 1,
    page_size: int = 20,
    api_key: ApiKey | None = None,
) -> DocumentSearchResult:
    """The page `page` of the documents the actor may read that match `query` and `filters`.

    With words: best first (relevance, then newest). Without words: the filtered documents,
    newest first. Facet counts cover the candidates (all of them unless `capped`). For an
    integrating system, pass its `api_key` (then `actor` is ignored): its reach is used.
    """
    page = max(1, page)
    page_size = max(1, min(page_size, 100))
    words = search_tokens(query)[:MAX_WORDS]
    cap = max(_cap(), page_size)
    visible: QuerySet[Document] | None = None
    tokens: list[str] | None
    if api_key is not None:
        visible, tokens = documents_visible_to_key(api_key), search_reach_tokens_for_key(api_key)
    else:
        tokens = search_reach_tokens(actor)
    # No ordering while collecting: the database may stop after `cap + 1` visible candidates.
    qs = documents_filtered(actor, filters, visible=visible).order_by()
    columns = ("pk", "document_type_id", "issuer_name", "issued_on", "state", "direction")
    scores: dict[int, float] | None = None
    if words and tokens == []:
        rows: list[tuple[Any, ...]] = []
    elif words and connection.vendor == "postgresql":
        rows, scores = _postgres_candidates(qs, words, tokens, columns, cap + 1)
    elif words:
        sql, params = _match_sql(words, tokens)
        matching = RawSQL(sql, params)  # noqa: S611 - fixed SQL, the words are parameters
        rows = list(qs.filter(pk__in=matching).values_list(*columns)[: cap + 1])
    else:
        rows = list(qs.order_by("-pk").values_list(*columns)[: cap + 1])
    capped = len(rows) > cap
    rows = rows[:cap]
    ids = [row[0] for row in rows]
    if words:
        if scores is None:
            scores = _scores(words, ids)
        ids.sort(key=lambda pk: (-scores.get(pk, 0.0), -pk))
    chosen = ids[(page - 1) * page_size : page * page_size]
    found = Document.objects.select_related("document_type", "organization").in_bulk(chosen)
    return DocumentSearchResult(
        documents=[found[pk] for pk in chosen if pk in found],
        total=len(ids),
        capped=capped,
        page=page,
        page_size=page_size,
        facets=_facets(rows),
    )


def document_snippet(document: Document, query: str, *, words: int = SNIPPET_WORDS) -> str:
    """A plain piece of the document's text around the first word of the query (no markup)."""
    text = document.extracted_text or document.description or ""
    parts = text.split()
    if not parts:
        return ""
    tokens = search_tokens(query)
    start = 0
    if tokens:
        for index, part in enumerate(parts):
            folded = fold(part)
            if any(token in folded for token in tokens):
                start = max(0, index - 8)
                break
    piece = parts[start : start + words]
    prefix = "… " if start > 0 else ""
    suffix = " …" if start + words < len(parts) else ""
    return f"{prefix}{' '.join(piece)}{suffix}"

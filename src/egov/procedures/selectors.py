"""Reads of the catalogue that other code reuses: public search, one published procedure."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import Prefetch, Q, QuerySet
from django.db.models.expressions import RawSQL

from egov.core.search import DEFAULT_RANK_CAP, search_query
from egov.core.text import search_tokens
from egov.directory.models import Organization
from egov.procedures.format import FORMAT_ID, version_to_dict
from egov.procedures.models import (
    Fee,
    Field,
    Procedure,
    ProcedureChannel,
    ProcedureStep,
    ProcedureVersion,
    RequiredDocument,
)
from egov.procedures.search import SEARCH_KIND

MAX_PAGE = 100


@dataclass(frozen=True)
class ProcedurePage:
    """One page of search results and how many matched in all."""

    total: int
    items: list[Procedure]


def _published() -> QuerySet[Procedure]:
    return Procedure.objects.filter(published_version__isnull=False)


def _with_version(qs: QuerySet[Procedure]) -> QuerySet[Procedure]:
    return qs.select_related(
        "published_version__field",
        "published_version__competent_organization",
        "published_version__executing_organization",
    )


def _ids_in(ids: list[int]) -> RawSQL:
    """The right side of `pk__in` for up to EGOV_SEARCH_RANK_CAP ids, as ONE query parameter.

    Django prepares every element of a plain list one by one: for a thousand ids that took
    longer than the query itself. The ids travel as one JSON array that the database unpacks.
    """
    payload = json.dumps([int(i) for i in ids])
    if connection.vendor == "postgresql":
        return RawSQL("SELECT (jsonb_array_elements_text(%s::jsonb))::bigint", [payload])
    return RawSQL("SELECT value FROM json_each(%s)", [payload])


def _name_index(name: str) -> tuple[str, frozenset[str]]:
    """A name's folded words as " w1 w2 …" and as a set (cached: names repeat across searches).

    With a space before every word, " giay phep" in the text means the words in a row from a
    word's start, and a last word typed halfway still matches (" xay du").
    """
    cached = _name_index_cache.get(name)
    if cached is None:
        if len(_name_index_cache) >= _NAME_INDEX_CACHE_MAX:
            _name_index_cache.clear()
        tokens = search_tokens(name)
        cached = _name_index_cache[name] = (" " + " ".join(tokens), frozenset(tokens))
    return cached


_name_index_cache: dict[str, tuple[str, frozenset[str]]] = {}
_NAME_INDEX_CACHE_MAX = 20_000

# Ranking tiers of a search (docs/portal.md, "How results are ranked"): lower comes first.
TIER_CODE = 0  # the query is the procedure's code
TIER_PHRASE = 1  # the name holds the words in a row, in the order typed
TIER_NAME = 2  # the name holds every word, anywhere
TIER_MENTION = 3  # some word is only in the field, organisations, result or subjects


def search_tier(words: list[str], query: str, code: str, name: str) -> int:
    """Where a matching procedure ranks: its name matches before mere mentions.

    `words` are the query's folded words; as in the index, the last one also matches as a
    prefix (people stop typing early).
    """
    if query.strip().casefold() == code.casefold():
        return TIER_CODE
    if not words:
        return TIER_MENTION
    text, present = _name_index(name)
    if " " + " ".join(words) in text:
        return TIER_PHRASE
    if all(word in present for word in words[:-1]) and " " + words[-1] in text:
        return TIER_NAME
    return TIER_MENTION


def procedure_search(
    query: str = "",
    *,
    field: str | None = None,
    organization: str | None = None,
    service_level: str | None = None,
    level: str | None = None,
    life_event: str | None = None,
    limit: int = 20,
    offset: int = 0,
) -> ProcedurePage:
    """Published procedures matching `query` (accents optional), best first, then filtered.

    `field` is a field code, `organization` an organisation code (competent or executing),
    `service_level` one of full_online / partial_online / none, `level` one of central /
    province / commune, `life_event` a key of LIFE_EVENTS. Without a query the list is in code
    order. With one, the index's matches (at most EGOV_SEARCH_RANK_CAP, ARCHITECTURE.md §6) are
    ordered by `search_tier` (the code, then the words in a row in the name, then every word in
    the name, then mentions elsewhere) and, within a tier, by the index's relevance score.
    Three queries with a query (index, filter with the names, page), two without.
    """
    limit = max(0, min(limit, MAX_PAGE))
    offset = max(0, offset)
    qs = _published()
    if field:
        qs = qs.filter(published_version__field__code=field)
    if organization:
        qs = qs.filter(
            Q(published_version__competent_organization__code=organization)
            | Q(published_version__executing_organization__code=organization)
        )
    if service_level:
        qs = qs.filter(published_version__service_level=service_level)
    if level:
        qs = qs.filter(published_version__level=level)
    if life_event:
        # The JSON list as text holds the key in quotes (both databases write ["a", "b"]);
        # SQLite has no JSON containment lookup, and keys are plain lower-case words.
        qs = qs.filter(published_version__life_events__icontains=f'"{life_event}"')
    if not query.strip():
        total = qs.count()
        items = list(_with_version(qs).order_by("code")[offset : offset + limit]) if limit else []
        return ProcedurePage(total, items)
    cap = int(getattr(settings, "EGOV_SEARCH_RANK_CAP", DEFAULT_RANK_CAP))
    ranked = search_query(kind=SEARCH_KIND, query=query, limit=cap)
    if not ranked:
        return ProcedurePage(0, [])
    order = {int(object_id): index for index, (object_id, _score) in enumerate(ranked)}
    words = search_tokens(query)[:32]
    rows = (
        qs.filter(pk__in=_ids_in(list(order)))
        .order_by()
        .values_list("pk", "code", "published_version__name")
    )
    matching = [
        pk
        for _tier, _position, pk in sorted(
            (search_tier(words, query, code, name), order[pk], pk) for pk, code, name in rows
        )
    ]
    page_ids = matching[offset : offset + limit]
    if not page_ids:
        return ProcedurePage(len(matching), [])
    found = {p.pk: p for p in _with_version(Procedure.objects.filter(pk__in=page_ids))}
    return ProcedurePage(len(matching), [found[pk] for pk in page_ids])


def procedure_ids_matching(query: str) -> list[int]:
    """Ids of every procedure, published or not, whose indexed text matches `query`, best first.

    For the IT staff's lists (the admin): accent-free like the public search, capped at
    EGOV_SEARCH_RANK_CAP matches.
    """
    cap = int(getattr(settings, "EGOV_SEARCH_RANK_CAP", DEFAULT_RANK_CAP))
    return [
        int(object_id)
        for object_id, _score in search_query(kind=SEARCH_KIND, query=query, limit=cap)
    ]


def version_details(qs: QuerySet[ProcedureVersion]) -> QuerySet[ProcedureVersion]:
    """Versions with everything a detail page or an export shows, in five queries in all."""
    return qs.select_related(
        "procedure", "field", "competent_organization", "executing_organization"
    ).prefetch_related(
        Prefetch("channels", queryset=ProcedureChannel.objects.order_by("channel")),
        Prefetch("documents", queryset=RequiredDocument.objects.order_by("order")),
        Prefetch("fees", queryset=Fee.objects.order_by("order")),
        Prefetch(
            "steps",
            queryset=ProcedureStep.objects.select_related("responsible_unit").order_by("order"),
        ),
    )


def procedure_published(code: str) -> ProcedureVersion | None:
    """The published version of the procedure with this code, with its details, or None."""
    return (
        version_details(ProcedureVersion.objects.filter(procedure__code=code))
        .filter(pk=Procedure.objects.filter(code=code).values("published_version")[:1])
        .first()
    )


# code -> ((published_version_id, published_at), version): see procedure_published_cached.
_published_cache: dict[str, tuple[tuple[int, Any], ProcedureVersion]] = {}
_PUBLISHED_CACHE_MAX = 4096


def procedure_published_cached(code: str) -> ProcedureVersion | None:
    """`procedure_published`, cached per process for hot paths such as the dossier intake.

    A published version never changes (ProcedureVersion refuses updates), so the five queries
    of its details are needed once per process. Each call still reads the procedure's
    (published_version_id, published_at) pair, one indexed single-row query, and rebuilds when
    it changed: a publish, a re-publish or an unpublish in any process is seen at once, also
    after rolled-back transactions that reuse ids (published_at differs). The returned object is
    shared between threads: callers must only read it. Related organisations are as they were
    when the version was loaded: read only their ids and codes from it.
    """
    row = (
        Procedure.objects.filter(code=code).values_list("published_version_id", "published_at")
    ).first()
    if row is None or row[0] is None:
        return None
    key = (row[0], row[1])
    cached = _published_cache.get(code)
    if cached is not None and cached[0] == key:
        return cached[1]
    version = version_details(ProcedureVersion.objects.filter(pk=row[0])).first()
    if version is None:  # pragma: no cover - the foreign key is PROTECTed
        return None
    if len(_published_cache) >= _PUBLISHED_CACHE_MAX:
        _published_cache.clear()
    _published_cache[code] = (key, version)
    return version


def procedure_published_cache_clear() -> None:
    """Forget every cached published version of this process (tests, imports)."""
    _published_cache.clear()


def procedure_latest_versions() -> QuerySet[ProcedureVersion]:
    """The latest version of every procedure, in code order, with details (for exports)."""
    latest = Procedure.objects.exclude(latest_version__isnull=True).values("latest_version")
    return version_details(ProcedureVersion.objects.filter(pk__in=latest)).order_by(
        "procedure__code"
    )


def fields_all() -> QuerySet[Field]:
    return Field.objects.order_by("code")


def organization_lookup(codes: set[str]) -> dict[str, Organization]:
    """Organisations by code, one query (for imports)."""
    return {o.code: o for o in Organization.objects.filter(code__in=codes)} if codes else {}


def procedures_export() -> dict[str, Any]:
    """The whole catalogue (latest versions) as one document in the JSON exchange format."""
    return {
        "format": FORMAT_ID,
        "fields": [{"code": f.code, "name": f.name} for f in fields_all()],
        "procedures": [
            version_to_dict(v, published=v.procedure.published_version_id == v.pk)
            for v in procedure_latest_versions()
        ],
    }

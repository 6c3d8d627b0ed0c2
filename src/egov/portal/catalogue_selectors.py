"""What the citizens' catalogue of procedures reads: search, filter choices, one procedure.

The search itself is the catalogue's own (`egov.procedures.selectors.procedure_search`, on the
accent-free index of `egov.core.search`): this module only adds what the portal's pages need
around it (the choices of the filters, the life events with their counts, the template forms).
Only published procedures and their published versions are ever read.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Max, Q, QuerySet

from egov.core.models import StoredFile
from egov.directory.models import Organization
from egov.procedures import selectors as procedure_selectors
from egov.procedures.models import (
    LIFE_EVENTS,
    Field,
    Procedure,
    ProcedureVersion,
    RequiredDocument,
)

PAGE_SIZE = 20

# Vietnamese paths without diacritics (ARCHITECTURE conventions) for the keys of LIFE_EVENTS;
# a key added later without a slug here is reachable under the key itself.
LIFE_EVENT_SLUGS: dict[str, str] = {
    "business": "kinh-doanh",
    "house": "nha-dat-xay-dung",
    "family": "gia-dinh",
    "vehicle": "phuong-tien-giao-thong",
    "work": "viec-lam-hanh-nghe",
    "residence": "cu-tru-giay-to",
    "health": "y-te",
    "education": "giao-duc",
    "complaint": "khieu-nai-to-cao",
    "investment": "dau-tu",
}


def life_event_slug(key: str) -> str:
    """The path segment of a life event's page (/thu-tuc/su-kien/<slug>/)."""
    return LIFE_EVENT_SLUGS.get(key, key)


@dataclass(frozen=True)
class CatalogueQuery:
    """A checked search of the catalogue (the view checks the raw parameters)."""

    q: str = ""
    field: str = ""
    organization: str = ""
    level: str = ""
    service_level: str = ""
    life_event: str = ""
    page: int = 1


@dataclass(frozen=True)
class CatalogueResult:
    total: int
    page: int
    pages: int
    items: list[Procedure]


@dataclass(frozen=True)
class CatalogueChoices:
    """The values the filters offer: fields and organisations that have published procedures."""

    fields: list[tuple[str, str]]
    organizations: list[tuple[str, str]]


def _published_versions() -> QuerySet[ProcedureVersion]:
    return ProcedureVersion.objects.filter(
        pk__in=Procedure.objects.filter(published_version__isnull=False).values("published_version")
    )


def _catalogue_stamp() -> tuple[Any, ...]:
    """What changes whenever the published catalogue does: how many, and the last publication.

    A publish, a re-publish (a new version) or an unpublish changes it; one indexed query.
    """
    row = Procedure.objects.filter(published_version__isnull=False).aggregate(
        n=Count("pk"), last=Max("published_at")
    )
    return (row["n"], row["last"])


_choices_cache: tuple[tuple[Any, ...], CatalogueChoices] | None = None


def catalogue_choices() -> CatalogueChoices:
    """Fields and organisations (competent or executing) of published procedures.

    Cached per process until the published catalogue changes (`_catalogue_stamp`, one query);
    rebuilding takes two more. A field or an organisation renamed without any publication shows
    its new name in the filter after the next publication or restart (the procedure pages read
    the names directly).
    """
    global _choices_cache  # noqa: PLW0603 - a per-process cache, replaced as one tuple
    stamp = _catalogue_stamp()
    cached = _choices_cache
    if cached is not None and cached[0] == stamp:
        return cached[1]
    versions = _published_versions()
    fields = list(
        Field.objects.filter(pk__in=versions.values("field"))
        .order_by("name")
        .values_list("code", "name")
    )
    organizations = list(
        Organization.objects.filter(
            Q(pk__in=versions.values("competent_organization"))
            | Q(pk__in=versions.values("executing_organization"))
        )
        .order_by("path")
        .values_list("code", "name_vi")
    )
    choices = CatalogueChoices(fields=fields, organizations=organizations)
    _choices_cache = (stamp, choices)
    return choices


def catalogue_choices_clear() -> None:
    """Forget the cached filter choices of this process (tests, imports)."""
    global _choices_cache  # noqa: PLW0603
    _choices_cache = None


def catalogue_search(query: CatalogueQuery, *, page_size: int = PAGE_SIZE) -> CatalogueResult:
    """One page of the catalogue's search (ranking: `procedure_search`); three queries with
    words, two without. A page past the last one comes back empty with the real count."""
    page = max(1, query.page)
    found = procedure_selectors.procedure_search(
        query.q,
        field=query.field or None,
        organization=query.organization or None,
        service_level=query.service_level or None,
        level=query.level or None,
        life_event=query.life_event or None,
        limit=page_size,
        offset=(page - 1) * page_size,
    )
    pages = max(1, -(-found.total // page_size))
    return CatalogueResult(total=found.total, page=page, pages=pages, items=found.items)


def life_event_counts() -> list[tuple[str, Any, int]]:
    """(key, label, number of published procedures) for each life event that has any, in the
    order of LIFE_EVENTS: one query over the published versions' lists of keys."""
    counts = dict.fromkeys(LIFE_EVENTS, 0)
    for keys in _published_versions().values_list("life_events", flat=True):
        for key in set(keys or []):
            if key in counts:
                counts[key] += 1
    return [(key, LIFE_EVENTS[key], n) for key, n in counts.items() if n]


def procedure_public(code: str) -> ProcedureVersion | None:
    """The published version of a procedure with everything its page shows (five queries)."""
    if len(code) > Procedure._meta.get_field("code").max_length:  # type: ignore[operator]
        return None
    return procedure_selectors.procedure_published(code)


def procedure_template(code: str, document_code: str) -> StoredFile | None:
    """The template form of one required document of a published procedure, or None."""
    found = (
        RequiredDocument.objects.select_related("template")
        .filter(
            version__pk=Procedure.objects.filter(code=code).values("published_version")[:1],
            code=document_code,
            template__isnull=False,
        )
        .first()
    )
    return found.template if found is not None else None

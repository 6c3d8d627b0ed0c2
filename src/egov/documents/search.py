"""Documents in the accent-insensitive search index (egov.core.search), kind "document".

One entry per document with what people type to find it: the number and notation (also as
printed, "15/QĐ-UBND"), the subject (the title), the issuer, the signer, the type and the
extracted text (text layer or OCR). The index holds no access rule: `selectors.search`
filters every candidate through `selectors.visibility` before anything is returned.

The services call `search_index(document)` after each change of these fields (registration,
metadata correction, issue, secrecy, text extraction); `document_search_rebuild()` re-indexes
every document in batches (core's `search_rebuild("document")` works too, two queries a row).

Reach tokens. Over a million documents, checking the visibility of every document that holds
the words is too slow (an officer reads a tenth of them; measured 370 ms at p50). So each entry
also carries tokens saying who may find it, and the query asks the full-text index for the
words AND one of the caller's tokens: `qqorg<id>` (a non-classified document of organisation
<id>), `qqsub<id>` (… of <id> or an organisation below it, for subtree roles and API keys) and
`qqconf` (any classified document: few, each then checked by name). The tokens only narrow the
candidates; `selectors.visibility` still decides every row, so a stale token can hide a
document from search but never show one.
"""

from __future__ import annotations

from django.db import transaction

from egov.core.models import SearchEntry
from egov.core.search import search_index, search_register
from egov.core.text import search_text
from egov.directory.selectors import path_ids
from egov.documents.models import Document, Secrecy

__all__ = [
    "CONFIDENTIAL_TOKEN",
    "EXTRACT_INDEXED_CHARS",
    "SEARCH_KIND",
    "document_search_rebuild",
    "document_search_text",
    "document_search_title",
    "organization_token",
    "search_index",
    "subtree_token",
]

SEARCH_KIND = "document"
# Enough for the body of any ordinary document; a 300-page appendix is not indexed whole.
EXTRACT_INDEXED_CHARS = 200_000
_TITLE_MAX = SearchEntry._meta.get_field("title").max_length or 500


CONFIDENTIAL_TOKEN = "qqconf"  # noqa: S105 - an index word, not a secret


def organization_token(organization_id: int) -> str:
    return f"qqorg{organization_id}"


def subtree_token(organization_id: int) -> str:
    return f"qqsub{organization_id}"


def reach_tokens(document: Document) -> list[str]:
    """Who may find the document, as index words (see the module's docstring)."""
    if document.secrecy != Secrecy.NONE:
        return [CONFIDENTIAL_TOKEN]
    organization = document.organization
    return [organization_token(organization.pk)] + [
        subtree_token(pk) for pk in path_ids(organization.path)
    ]


def document_search_title(document: Document) -> str:
    return document.subject


def document_search_text(document: Document) -> str:
    parts = [
        document.number_notation,
        document.code_number,
        document.code_notation,
        document.issuer_name,
        document.signer_name,
        document.document_type.name_vi,
        document.description,
        document.extracted_text[:EXTRACT_INDEXED_CHARS],
        " ".join(reach_tokens(document)),
    ]
    return "\n".join(p for p in parts if p)


def document_search_rebuild(batch_size: int = 1000) -> int:
    """Re-index every document (types fetched with the rows) and drop entries of vanished ones."""
    count = 0
    with transaction.atomic():
        seen: set[str] = set()
        rows = Document.objects.select_related("document_type", "organization").order_by("pk")
        batch: list[SearchEntry] = []
        for document in rows.iterator(chunk_size=batch_size):
            title = " ".join(document_search_title(document).split())
            batch.append(
                SearchEntry(
                    kind=SEARCH_KIND,
                    object_id=str(document.pk),
                    title=title[:_TITLE_MAX],
                    folded=search_text(f"{title}\n{document_search_text(document)}"),
                )
            )
            seen.add(str(document.pk))
            if len(batch) >= batch_size:
                _upsert(batch)
                count += len(batch)
                batch = []
        if batch:
            _upsert(batch)
            count += len(batch)
        existing = SearchEntry.objects.filter(kind=SEARCH_KIND).values_list("object_id", flat=True)
        gone = sorted(set(existing) - seen)
        for start in range(0, len(gone), 500):
            SearchEntry.objects.filter(
                kind=SEARCH_KIND, object_id__in=gone[start : start + 500]
            ).delete()
    return count


def _upsert(entries: list[SearchEntry]) -> None:
    SearchEntry.objects.bulk_create(
        entries,
        batch_size=500,
        update_conflicts=True,
        unique_fields=["kind", "object_id"],
        update_fields=["title", "folded", "updated_at"],
    )


search_register(SEARCH_KIND, Document, document_search_text, document_search_title)

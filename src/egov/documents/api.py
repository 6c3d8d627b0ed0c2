"""The read-only document API (mounted by egov.api at /api/v1/documents).

- `GET /documents`: the documents the caller may read, newest first, filtered by direction,
  state, type, issuer, year; paginated.
- `GET /documents/search?q=…`: full-text search (accents optional) over metadata and extracted
  text, with the same filters, facet counts and pages.
- `GET /documents/{id}`: metadata, the processing slip's routes and the files with their
  download URLs.
- `GET /documents/{id}/files/{file_id}`: the bytes of one file.

Every route filters through `selectors.visibility` (a signed-in officer: `documents_visible_to`;
an integrating system's key with the scope "documents.read": the non-classified documents of
its organisation subtree). A document or file the caller may not read answers 404, never 403,
so that ids cannot be probed; each download of a confidential document's file is audited.
"""

# No `from __future__ import annotations`: ninja reads the handlers' annotations at import.
from datetime import date, datetime
from typing import Any, Literal

from django.db.models import QuerySet
from django.http import FileResponse, HttpRequest
from django.urls import reverse
from django.utils.timezone import localtime
from django.utils.translation import gettext
from ninja import Field, Query, Router, Schema
from ninja.pagination import PageNumberPagination, paginate

from egov.core.errors import NotFound
from egov.core.files import file_open
from egov.directory.models import Account, ApiKey
from egov.documents.models import Document, Route, State
from egov.documents.selectors.search import (
    DocumentSearchFilters,
    document_search,
    document_snippet,
    documents_filtered,
)
from egov.documents.selectors.visibility import documents_visible_to_key
from egov.documents.services.text import document_file_read

router = Router(tags=["documents"])

PAGE_SIZE = 20
MAX_PAGE_SIZE = 100

DirectionValue = Literal["incoming", "outgoing"]
# Spelled out so that the OpenAPI document shows the values inline;
# tests/documents/test_documents_api.py checks they match the model's choices.
StateValue = Literal[
    "arrived",
    "registered",
    "presented",
    "in_process",
    "completed",
    "for_information",
    "returned_to_sender",
    "draft",
    "in_review",
    "returned",
    "approved",
    "signed",
    "issued",
    "recalled",
    "cancelled",
]


# --- schemas -----------------------------------------------------------------------------------


class DocumentFilter(Schema):
    direction: DirectionValue | None = None
    state: StateValue | None = None
    document_type: str | None = Field(None, max_length=30, description="document type code")
    issuer: str | None = Field(None, max_length=200, description="issuer name, exactly")
    year: int | None = Field(None, ge=1945, le=2100, description="year of the issue date")


class SearchParams(DocumentFilter):
    q: str = Field("", max_length=200, description="words to find; accents optional")
    page: int = Field(1, ge=1, le=1000)
    page_size: int = Field(PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE)


class OrganizationRefOut(Schema):
    code: str
    name: str


class DocumentSummaryOut(Schema):
    id: int
    direction: DirectionValue
    state: StateValue
    state_label: str
    document_type: str
    document_type_name: str
    number_notation: str
    code_number: str
    code_notation: str
    issued_on: date | None
    issuer_name: str
    subject: str
    signer_name: str
    urgency: str
    secrecy: str
    due_on: date | None
    register_year: int | None
    register_number: int | None
    organization: OrganizationRefOut
    version: int


class SearchHitOut(DocumentSummaryOut):
    snippet: str


class FacetValueOut(Schema):
    value: str
    label: str
    count: int


class FacetsOut(Schema):
    document_type: list[FacetValueOut]
    issuer: list[FacetValueOut]
    year: list[FacetValueOut]
    state: list[FacetValueOut]
    direction: list[FacetValueOut]


class SearchOut(Schema):
    total: int = Field(description="matching documents found (at most the ranking cap)")
    capped: bool = Field(description="true when more documents may match: add words or filters")
    page: int
    pages: int
    items: list[SearchHitOut]
    facets: FacetsOut


class RouteOut(Schema):
    id: int
    parent_id: int | None
    role: str
    unit: OrganizationRefOut | None
    officer: str | None
    state: str
    direction_text: str
    due_on: date | None
    sent_at: datetime
    read_at: datetime | None
    completed_at: datetime | None
    result_note: str


class DocumentFileOut(Schema):
    id: int
    role: str
    name: str
    content_type: str
    size: int
    sha256: str
    draft_version: int | None
    added_at: datetime
    download_url: str


class DocumentOut(DocumentSummaryOut):
    channel: str
    issuer_code: str
    page_count: int | None
    description: str
    signer_position: str
    language: str
    arrived_at: datetime | None
    issued_at: datetime | None
    recipients_text: str
    issued_amount: int | None
    text_state: str
    ocr_suggestions: dict[str, str]
    routes: list[RouteOut]
    files: list[DocumentFileOut]


# --- helpers -----------------------------------------------------------------------------------


def _auth(request: HttpRequest) -> Any:
    return getattr(request, "auth", None)


def _visible(request: HttpRequest, filters: DocumentFilter | None = None) -> QuerySet[Document]:
    auth = _auth(request)
    if isinstance(auth, ApiKey):
        return documents_filtered(None, _filters(filters), visible=documents_visible_to_key(auth))
    return documents_filtered(auth if isinstance(auth, Account) else None, _filters(filters))


def _filters(filters: DocumentFilter | None) -> DocumentSearchFilters:
    if filters is None:
        return DocumentSearchFilters()
    return DocumentSearchFilters(
        document_type=filters.document_type or "",
        issuer=filters.issuer or "",
        year=filters.year,
        state=filters.state or "",
        direction=filters.direction or "",
    )


def _document(request: HttpRequest, document_id: int) -> Document:
    found = (
        _visible(request)
        .select_related("document_type", "organization")
        .filter(pk=document_id)
        .first()
    )
    if found is None:
        raise NotFound(
            gettext("No document with this id is visible to you."), code="document.not_found"
        )
    return found


def _org(node: Any) -> dict[str, str]:
    return {"code": node.code, "name": node.name_vi}


def _summary(document: Document) -> dict[str, Any]:
    return {
        "id": document.pk,
        "direction": document.direction,
        "state": document.state,
        "state_label": str(State(document.state).label),
        "document_type": document.document_type.code,
        "document_type_name": document.document_type.name_vi,
        "number_notation": document.number_notation,
        "code_number": document.code_number,
        "code_notation": document.code_notation,
        "issued_on": document.issued_on,
        "issuer_name": document.issuer_name,
        "subject": document.subject,
        "signer_name": document.signer_name,
        "urgency": document.urgency,
        "secrecy": document.secrecy,
        "due_on": document.due_on,
        "register_year": document.register_year,
        "register_number": document.register_number,
        "organization": _org(document.organization),
        "version": document.version,
    }


def _local(moment: datetime | None) -> datetime | None:
    return localtime(moment) if moment is not None else None


class _Page:
    """The page of documents as ninja's pagination sees it."""

    def __init__(self, queryset: QuerySet[Document]) -> None:
        self.queryset = queryset

    def __len__(self) -> int:
        return self.queryset.count()

    def __getitem__(self, window: slice) -> list[dict[str, Any]]:
        rows = self.queryset.select_related("document_type", "organization")[window]
        return [_summary(d) for d in rows]


# --- operations --------------------------------------------------------------------------------


@router.get("", summary="Documents visible to the caller", response=list[DocumentSummaryOut])
@paginate(PageNumberPagination, page_size=PAGE_SIZE, max_page_size=MAX_PAGE_SIZE)
def document_list(request: HttpRequest, filters: Query[DocumentFilter]) -> Any:
    """Newest first. A confidential document is listed only for the people it is routed to,
    its drafter, approvers, signer and the keepers of its register."""
    return _Page(_visible(request, filters).order_by("-pk"))


@router.get("/search", summary="Full-text search over documents", response=SearchOut)
def document_search_api(request: HttpRequest, params: Query[SearchParams]) -> dict[str, Any]:
    """Every word of `q` must occur in the metadata (number and notation, subject, issuer,
    signer, type) or in the extracted text; accents and case are optional and the last word
    also matches as a prefix. Facet counts cover every match found (all of them unless
    `capped`)."""
    auth = _auth(request)
    result = document_search(
        auth if isinstance(auth, Account) else None,
        params.q,
        filters=_filters(params),
        page=params.page,
        page_size=params.page_size,
        api_key=auth if isinstance(auth, ApiKey) else None,
    )
    return {
        "total": result.total,
        "capped": result.capped,
        "page": result.page,
        "pages": result.pages,
        "items": [
            {**_summary(d), "snippet": document_snippet(d, params.q)} for d in result.documents
        ],
        "facets": {
            name: [{"value": v.value, "label": v.label, "count": v.count} for v in values]
            for name, values in result.facets.items()
        },
    }


def _routes(document: Document) -> list[dict[str, Any]]:
    rows = (
        Route.objects.filter(document=document)
        .select_related("unit", "officer")
        .order_by("sent_at", "pk")
    )
    return [
        {
            "id": r.pk,
            "parent_id": r.parent_id,
            "role": r.role,
            "unit": _org(r.unit) if r.unit is not None else None,
            "officer": r.officer.full_name if r.officer is not None else None,
            "state": r.state,
            "direction_text": r.direction_text,
            "due_on": r.due_on,
            "sent_at": localtime(r.sent_at),
            "read_at": _local(r.read_at),
            "completed_at": _local(r.completed_at),
            "result_note": r.result_note,
        }
        for r in rows
    ]


@router.get("/{document_id}", summary="One document", response=DocumentOut)
def document_detail(request: HttpRequest, document_id: int) -> dict[str, Any]:
    """Metadata, the routes of the processing slip and the files with their download URLs."""
    document = _document(request, document_id)
    files = document.files.select_related("file").order_by("added_at", "pk")
    return {
        **_summary(document),
        "channel": document.channel,
        "issuer_code": document.issuer_code,
        "page_count": document.page_count,
        "description": document.description,
        "signer_position": document.signer_position,
        "language": document.language,
        "arrived_at": _local(document.arrived_at),
        "issued_at": _local(document.issued_at),
        "recipients_text": document.recipients_text,
        "issued_amount": document.issued_amount,
        "text_state": document.text_state,
        "ocr_suggestions": {str(k): str(v) for k, v in (document.ocr_suggestions or {}).items()},
        "routes": _routes(document),
        "files": [
            {
                "id": f.pk,
                "role": f.role,
                "name": f.file.original_name,
                "content_type": f.file.content_type,
                "size": f.file.size,
                "sha256": f.file.sha256,
                "draft_version": f.draft_version,
                "added_at": localtime(f.added_at),
                "download_url": reverse(
                    "api:document_file", kwargs={"document_id": document.pk, "file_id": f.pk}
                ),
            }
            for f in files
        ],
    }


@router.get(
    "/{document_id}/files/{file_id}",
    summary="The bytes of one file of a document",
    response={200: None},
    url_name="document_file",
)
def document_file(request: HttpRequest, document_id: int, file_id: int) -> FileResponse:
    """The file as stored (its own content type); 404 when the caller may not read it. Each
    download of a confidential document's file is written to the audit log."""
    document = _document(request, document_id)
    auth = _auth(request)
    item = document_file_read(
        actor=auth if isinstance(auth, Account) else None,
        document=document,
        file_id=file_id,
        api_key=auth if isinstance(auth, ApiKey) else None,
    )
    return FileResponse(
        file_open(item.file),
        as_attachment=True,
        filename=item.file.original_name,
        content_type=item.file.content_type,
    )

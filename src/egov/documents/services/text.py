"""Store the text of a document's file and what page one says (after registration).

`document_text_extract_enqueue(document_id)` is what the registration and drafting services
call inside their transaction: the extraction runs in a background task after the commit.
`document_text_extract(document_id=…)` is the task's body: it reads the main file (text layer
or OCR, `egov.documents.text`), stores `extracted_text`, `text_state` and `ocr_suggestions`,
writes an event, and re-indexes the document for search. It is idempotent: a document whose
text is already read is left alone unless `force`.

The slow part (OCR takes seconds a page) runs outside any transaction; the result is written
in one short transaction with the row locked. The document's `version` is NOT bumped: the text
is not something a person edits, so a clerk's open form must not turn stale because OCR
finished. The suggestions are never copied into the document's fields: the clerk confirms them
(`document.correct_metadata`).
"""

from __future__ import annotations

import logging
import shutil
import tempfile
from datetime import date
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils.module_loading import import_string
from django.utils.translation import gettext

from egov.core.audit import audit_record
from egov.core.errors import NotFound
from egov.core.files import file_open
from egov.directory import policy
from egov.directory.models import ApiKey
from egov.documents.models import Document, DocumentFile, Register
from egov.documents.search import search_index
from egov.documents.selectors.visibility import document_readable_by_key
from egov.documents.services._common import event, now
from egov.documents.text import Extracted, ExtractionFailed, extract_text, first_page_suggestions

__all__ = [
    "EXTRACT_TASK",
    "document_file_read",
    "document_main_file",
    "document_text_extract",
    "document_text_extract_enqueue",
    "register_export_record",
]

logger = logging.getLogger("egov.documents.text")

# Loaded by path: services sit below the tasks module in the app's layers.
EXTRACT_TASK = "egov.documents.tasks.extract_document_text"
_DONE = (Document.TextState.TEXT_LAYER, Document.TextState.OCR_DONE)
_FILE_PREFERENCE = (DocumentFile.Role.SIGNED, DocumentFile.Role.MAIN, DocumentFile.Role.DRAFT)


def document_main_file(document: Document) -> DocumentFile | None:
    """The file whose text stands for the document: the signed text, else the main text, else
    the newest draft version."""
    files = list(
        DocumentFile.objects.filter(document=document, role__in=_FILE_PREFERENCE)
        .select_related("file")
        .order_by("-added_at", "-pk")
    )
    for role in _FILE_PREFERENCE:
        for item in files:
            if item.role == role:
                return item
    return None


def _read(item: DocumentFile) -> Extracted:
    stored = item.file
    suffix = Path(stored.file.name or "").suffix or ".bin"
    with tempfile.TemporaryDirectory(prefix="egov-text-") as tmp:
        path = Path(tmp) / f"file{suffix}"
        with file_open(stored) as source, path.open("wb") as target:
            shutil.copyfileobj(source, target)
        return extract_text(path, stored.content_type)


def document_text_extract(*, document_id: int, force: bool = False) -> Document | None:
    """Read and store the text of the document's main file; None when the document is gone."""
    document = Document.objects.filter(pk=document_id).first()
    if document is None:
        return None
    if document.text_state in _DONE and not force:
        return document
    item = document_main_file(document)
    failure = ""
    extracted: Extracted | None = None
    if item is not None:
        try:
            extracted = _read(item)
        except ExtractionFailed as exc:
            failure = exc.reason
        except OSError as exc:
            failure = f"{type(exc).__name__}: {exc}"
    at = now()
    with transaction.atomic():
        fresh = Document.objects.select_for_update().filter(pk=document_id).first()
        if fresh is None:
            return None
        if fresh.text_state in _DONE and not force:
            return fresh
        before = fresh.text_state
        if item is None:
            fresh.text_state = Document.TextState.NONE
            fresh.extracted_text = ""
            fresh.ocr_suggestions = {}
        elif extracted is None:
            fresh.text_state = Document.TextState.FAILED
        else:
            fresh.text_state = (
                Document.TextState.OCR_DONE
                if extracted.method == "ocr"
                else Document.TextState.TEXT_LAYER
            )
            fresh.extracted_text = extracted.text
            fresh.ocr_suggestions = first_page_suggestions(extracted.first_page)
        fresh.save(update_fields=["text_state", "extracted_text", "ocr_suggestions", "updated_at"])
        if fresh.text_state == Document.TextState.FAILED:
            event(fresh, action="document.text_failed", actor=None, at=at, note=failure)
            logger.warning("text extraction of document %s failed: %s", document_id, failure)
        elif item is not None:
            event(fresh, action="document.text_extracted", actor=None, at=at, note=fresh.text_state)
        search_index(fresh)
        audit_record(
            actor=None,
            action="document.text_extract",
            obj=fresh,
            before={"text_state": before},
            after={
                "text_state": fresh.text_state,
                "file": str(item.file_id) if item is not None else None,
                "suggested": sorted(fresh.ocr_suggestions),
                "reason": failure,
            },
        )
    return fresh


def document_text_extract_enqueue(document_id: int) -> None:
    """Extract the document's text in the background once the caller's transaction commits.

    Call it from inside the service that stored the file. A failure to enqueue is logged and
    swallowed: the document stays PENDING and `document_text_extract` can be run again.
    """

    def enqueue() -> None:
        try:
            import_string(EXTRACT_TASK).enqueue(document_id)
        except Exception:
            logger.exception("could not enqueue text extraction of document %s", document_id)

    transaction.on_commit(enqueue)


# --- reading a file ------------------------------------------------------------------------


def document_file_read(
    *, actor: Any, document: Document, file_id: int, api_key: ApiKey | None = None
) -> DocumentFile:
    """The file `file_id` of a document the caller may read, for a download.

    The caller has already found `document` through `documents_visible_to`; this checks
    `document.file_read` again (for an integrating system: its key's reach) and, for a
    confidential document, appends an audit entry (`document.file_read`): the decree asks that
    every access to it be logged. A file the caller may not read answers NotFound, never
    PermissionDenied, so ids cannot be probed.
    """
    item = (
        DocumentFile.objects.select_related("file", "document")
        .filter(pk=file_id, document_id=document.pk)
        .first()
    )
    if api_key is not None:
        allowed = item is not None and document_readable_by_key(api_key, item.document)
    else:
        allowed = item is not None and policy.can(actor, "document.file_read", item)
    if item is None or not allowed:
        raise NotFound(gettext("The file does not exist."), code="document.file_not_found")
    if document.is_confidential:
        with transaction.atomic():
            audit_record(
                actor=actor,
                action="document.file_read",
                obj=document,
                after={"file": str(item.file_id), "sha256": item.file.sha256, "role": item.role},
            )
    return item


def register_export_record(
    *, actor: Any, register: Register, kind: str, start: date, end: date, rows: int
) -> None:
    """Refuse an export the actor may not make; log the export of a confidential register
    (its lines name confidential documents, and the decree wants every access logged)."""
    policy.require(actor, "document.register_export", register)
    if register.is_confidential:
        with transaction.atomic():
            audit_record(
                actor=actor,
                action="document.register_export",
                obj=register,
                after={"kind": kind, "from": start, "to": end, "rows": rows},
            )

"""Background jobs of the documents app (django-tasks; run by `egov worker`).

Tasks receive ids, never objects, and are idempotent.
"""

from __future__ import annotations

from django_tasks import task

from egov.documents.services.text import document_text_extract


@task()
def extract_document_text(document_id: int) -> str:
    """Read the text (text layer or OCR) and page-one metadata of a document's main file;
    enqueued after commit by `services.text.document_text_extract_enqueue`."""
    document = document_text_extract(document_id=document_id)
    return "missing" if document is None else str(document.text_state)

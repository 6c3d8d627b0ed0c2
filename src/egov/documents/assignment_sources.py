"""Documents as the source of assigned work: `?nguon=document:<id>` on the new-assignment form."""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from egov.assignments.sources import Source, source_register
from egov.documents.models import Direction, Document
from egov.documents.selectors.visibility import document_readable


def document_source(actor: Any, ident: str) -> Source | None:
    """The document named and linked as assignments show it, if the actor may read it."""
    document = Document.objects.filter(pk=int(ident)).select_related("register").first()
    if document is None or not document_readable(actor, document):
        return None
    name = "documents:incoming_document"
    if document.direction == Direction.OUTGOING:
        name = "documents:outgoing_document"
    label = " — ".join(part for part in (document.number_notation, document.subject) if part)
    return Source(
        type="document",
        id=str(document.pk),
        label=label[:300],
        url=reverse(name, kwargs={"pk": document.pk}),
    )


source_register("document", document_source)

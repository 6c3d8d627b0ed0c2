"""Receivers of the documents app's signals, connected in `ExchangeConfig.ready()`.

Both run inside the documents service's transaction, so the outbox row commits (or rolls back)
with the change that caused it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from egov.documents.models import Delivery, Document
from egov.exchange.services import outbox_enqueue_issue, outbox_enqueue_progress


def on_document_issued(
    sender: Any, *, document: Document, deliveries: list[Delivery], **kwargs: Any
) -> None:
    outbox_enqueue_issue(document=document, deliveries=deliveries)


def on_incoming_progress(
    sender: Any, *, document: Document, assigned: bool, at: datetime, **kwargs: Any
) -> None:
    outbox_enqueue_progress(document=document, assigned=assigned, at=at)

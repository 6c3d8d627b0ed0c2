"""Signals of the documents app, for the apps above it (the exchange) to react in the same
transaction without documents importing them.

- `document_issued(document, deliveries)`: sent by `document_issue` inside its transaction,
  after the deliveries are written; a receiver's writes commit or roll back with the issue.
- `incoming_progress(document, assigned, at)`: sent by `delivery_follow`, i.e. by every service
  that changes an incoming document's state, inside its transaction; `assigned` is True when
  the change was the head's direction.
"""

from __future__ import annotations

from django.dispatch import Signal

__all__ = ["document_issued", "incoming_progress"]

document_issued = Signal()
incoming_progress = Signal()

"""Reads of the exchange: which peer hosts a code, which keys verify a sender, what is due."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import Q, QuerySet

from egov.exchange.models import InboxMessage, LocalKey, OutboxMessage, Peer

__all__ = [
    "inbox_list",
    "local_key_active",
    "outbox_due",
    "outbox_list",
    "peer_for_code",
    "peer_for_key",
    "public_keys_for_code",
]


def _codes(peer: Peer) -> list[str]:
    return [str(code) for code in (peer.org_codes or [])]


def peer_for_code(code: str) -> Peer | None:
    """The enabled peer hosting an organisation code (few rows: filtered in Python, because
    SQLite has no JSON containment lookup)."""
    for peer in Peer.objects.filter(enabled=True).order_by("pk"):
        if code in _codes(peer):
            return peer
    return None


def peer_for_key(key_id: str) -> Peer | None:
    """The enabled peer whose link key is `key_id` (several rows may share a hub's key)."""
    return Peer.objects.filter(enabled=True, key_id=key_id).order_by("pk").first()


def public_keys_for_code(code: str) -> list[str]:
    """Ed25519 public keys that may sign messages from organisation `code`."""
    return [
        peer.public_key
        for peer in Peer.objects.filter(enabled=True).exclude(public_key="").order_by("pk")
        if code in _codes(peer)
    ]


def local_key_active() -> LocalKey | None:
    return LocalKey.objects.filter(active=True).order_by("-created_at", "-pk").first()


def outbox_due(*, now: datetime, lease: timedelta, limit: int) -> list[int]:
    """Ids of messages to attempt now: queued or failed and due, or stuck in `sending` longer
    than the lease (the process that claimed them died)."""
    due = Q(
        state__in=[OutboxMessage.State.QUEUED, OutboxMessage.State.FAILED],
        next_attempt_at__lte=now,
    ) | Q(state=OutboxMessage.State.SENDING, claimed_at__lt=now - lease)
    return list(
        OutboxMessage.objects.filter(due)
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )


def outbox_next_attempt(*, now: datetime) -> datetime | None:
    """When the next queued or failed message falls due (None: nothing waiting)."""
    row = (
        OutboxMessage.objects.filter(
            state__in=[
                OutboxMessage.State.QUEUED,
                OutboxMessage.State.FAILED,
                OutboxMessage.State.SENDING,
            ]
        )
        .order_by("next_attempt_at")
        .values_list("next_attempt_at", flat=True)
        .first()
    )
    return row


def outbox_list(*, limit: int = 200) -> QuerySet[OutboxMessage]:
    return OutboxMessage.objects.defer("payload").order_by("-pk")[:limit]


def inbox_list(*, limit: int = 200) -> QuerySet[InboxMessage]:
    return InboxMessage.objects.defer("payload").order_by("-pk")[:limit]


__all__ += ["outbox_next_attempt"]

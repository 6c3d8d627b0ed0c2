"""Tables of the exchange: peers, our package-signing key, the outbox, the inbox.

The outbox is written in the transaction that issues a document (or changes an incoming
document that came by exchange), so nothing is lost between the commit and the network; the
inbox keys every received message by its message id, so a message delivered twice is taken
once. `services.py` is the only writer.
"""

from __future__ import annotations

import uuid

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from egov.documents.models import Delivery, Document


class Peer(models.Model):
    """Another installation (or a hub) hosting some organisation codes at an endpoint.

    Requests on the link are signed with HMAC-SHA256 under `secret`, named by `key_id` (the
    same id and secret on both ends; several rows may share a hub's key). Packages and status
    messages are signed end to end by the originating installation with Ed25519:
    `public_key` verifies what comes from this peer's organisation codes.
    """

    class Connector(models.TextChoices):
        DIRECT = "direct", _("Direct (peer to peer)")
        HUB = "hub", _("Through an exchange hub")

    name = models.CharField(_("name"), max_length=200)
    endpoint_url = models.URLField(_("endpoint URL"), max_length=300)
    org_codes = models.JSONField(_("organisation codes"), default=list)
    connector = models.CharField(
        _("connector"), max_length=10, choices=Connector.choices, default=Connector.DIRECT
    )
    key_id = models.CharField(_("key id"), max_length=100, db_index=True)
    secret = models.CharField(_("shared secret"), max_length=200)
    public_key = models.CharField(_("public key (Ed25519, base64)"), max_length=100, blank=True)
    enabled = models.BooleanField(_("enabled"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["name", "pk"]
        verbose_name = _("exchange peer")
        verbose_name_plural = _("exchange peers")

    def __str__(self) -> str:
        return self.name


class LocalKey(models.Model):
    """This installation's Ed25519 key that signs every package and status message it sends."""

    key_id = models.CharField(_("key id"), max_length=100, unique=True)
    private_key = models.CharField(_("private key (base64)"), max_length=100)
    public_key = models.CharField(_("public key (base64)"), max_length=100)
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("exchange signing key")
        verbose_name_plural = _("exchange signing keys")

    def __str__(self) -> str:
        return self.key_id


class Kind(models.TextChoices):
    PACKAGE = "package", _("Document package")
    STATUS = "status", _("Status message")


class OutboxMessage(models.Model):
    """One message to send to one organisation code, retried until sent or dead."""

    class State(models.TextChoices):
        QUEUED = "queued", _("Queued")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed, will retry")
        DEAD = "dead", _("Given up")

    message_id = models.UUIDField(_("message id"), default=uuid.uuid4, unique=True)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    to_code = models.CharField(_("recipient organisation code"), max_length=35)
    from_code = models.CharField(_("sender organisation code"), max_length=35)
    document = models.ForeignKey(
        Document,
        verbose_name=_("document"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    delivery = models.ForeignKey(
        Delivery,
        verbose_name=_("delivery"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    document_key = models.CharField(_("edXML DocumentId"), max_length=120, blank=True)
    status_code = models.CharField(_("status code"), max_length=2, blank=True)
    payload = models.BinaryField(_("payload"))
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.QUEUED)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt at"))
    claimed_at = models.DateTimeField(_("claimed at"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    verdict = models.CharField(_("receiver's answer"), max_length=20, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["pk"]
        verbose_name = _("outbox message")
        verbose_name_plural = _("outbox messages")
        indexes = [
            models.Index(fields=["state", "next_attempt_at"], name="exchange_outbox_due"),
            models.Index(fields=["document_key", "to_code"], name="exchange_outbox_doc"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=Kind.values), name="exchange_outbox_kind_known"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind}:{self.message_id}→{self.to_code}"


class InboxMessage(models.Model):
    """One received message; `message_id` is unique, so a redelivery is recognised."""

    class State(models.TextChoices):
        RECEIVED = "received", _("Received, waiting for registration")
        REGISTERED = "registered", _("Registered")
        QUARANTINED = "quarantined", _("Quarantined")
        REFUSED = "refused", _("Refused")
        APPLIED = "applied", _("Status applied")
        IGNORED = "ignored", _("Status ignored (older or duplicate)")

    message_id = models.CharField(_("message id"), max_length=64, unique=True)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    sender_code = models.CharField(_("sender organisation code"), max_length=35, blank=True)
    recipient_code = models.CharField(_("recipient organisation code"), max_length=35, blank=True)
    peer = models.ForeignKey(
        Peer,
        verbose_name=_("peer"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    document_key = models.CharField(_("edXML DocumentId"), max_length=120, blank=True)
    document = models.ForeignKey(
        Document,
        verbose_name=_("incoming document"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    delivery = models.ForeignKey(
        Delivery,
        verbose_name=_("delivery"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    status_code = models.CharField(_("status code"), max_length=2, blank=True)
    status_at = models.DateTimeField(_("status time"), null=True, blank=True)
    last_status_sent = models.CharField(_("last status sent back"), max_length=2, blank=True)
    state = models.CharField(_("state"), max_length=12, choices=State.choices)
    reason = models.TextField(_("reason"), blank=True)
    payload = models.BinaryField(_("payload"), blank=True)
    received_at = models.DateTimeField(_("received at"), auto_now_add=True)

    class Meta:
        ordering = ["pk"]
        verbose_name = _("inbox message")
        verbose_name_plural = _("inbox messages")
        indexes = [
            models.Index(fields=["document_key", "recipient_code"], name="exchange_inbox_doc"),
            models.Index(fields=["delivery", "state"], name="exchange_inbox_delivery"),
        ]

    def __str__(self) -> str:
        return f"{self.kind}:{self.message_id}"


class RequestNonce(models.Model):
    """A request's nonce, kept for the accepted clock skew window to refuse replays."""

    key_id = models.CharField(_("key id"), max_length=100)
    nonce = models.CharField(_("nonce"), max_length=64)
    seen_at = models.DateTimeField(_("seen at"))

    class Meta:
        verbose_name = _("request nonce")
        verbose_name_plural = _("request nonces")
        constraints = [
            models.UniqueConstraint(fields=["key_id", "nonce"], name="exchange_nonce_once"),
        ]
        indexes = [models.Index(fields=["seen_at"], name="exchange_nonce_seen")]

    def __str__(self) -> str:
        return f"{self.key_id}:{self.nonce}"

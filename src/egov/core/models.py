"""Tables of the core services. No domain words here (ARCHITECTURE.md §3)."""

from __future__ import annotations

import uuid
from typing import Any, NoReturn

from django.db import models
from django.utils.translation import gettext_lazy as _

from egov.core.errors import EgovError


class CalendarOverride(models.Model):
    """A day that differs from the national rule: set by IT admins each year."""

    class Kind(models.TextChoices):
        HOLIDAY = "holiday", _("Holiday")
        DAY_OFF = "day_off", _("Compensatory or swapped day off")
        WORKING_DAY = "working_day", _("Make-up working day")

    day = models.DateField(_("day"), unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=200)
    legal_basis = models.CharField(_("legal basis"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    # Part of the cache version key of `egov.core.calendar.get_calendar()`: an edit in one
    # process must reach the calendars cached by every other process.
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["day"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind__in=["holiday", "day_off", "working_day"]),
                name="core_calendaroverride_kind_valid",
            ),
            models.CheckConstraint(
                condition=~models.Q(name=""), name="core_calendaroverride_name_not_empty"
            ),
        ]
        verbose_name = _("calendar override")
        verbose_name_plural = _("calendar overrides")

    def __str__(self) -> str:
        return f"{self.day:%d/%m/%Y} {self.name}"


class Sequence(models.Model):
    """The last number handed out in one series: (scope, register, year)."""

    scope = models.CharField(_("scope"), max_length=64)
    register = models.CharField(_("register"), max_length=64)
    year = models.PositiveIntegerField(_("year"))
    last_value = models.PositiveBigIntegerField(_("last value"), default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["scope", "register", "year"], name="core_sequence_unique_series"
            )
        ]
        verbose_name = _("sequence")
        verbose_name_plural = _("sequences")

    def __str__(self) -> str:
        return f"{self.scope}/{self.register}/{self.year}={self.last_value}"


class AuditLogIsAppendOnly(EgovError):
    """An attempt to change or delete an audit entry: a bug, or tampering."""

    code = "audit.append_only"
    status = 409
    default_message = _("Audit entries cannot be changed or deleted.")


class AuditEntryQuerySet(models.QuerySet["AuditEntry"]):
    """Bulk writes would bypass the hash chain: only `egov.core.audit.audit_record` adds rows."""

    def update(self, **kwargs: Any) -> NoReturn:
        raise AuditLogIsAppendOnly()

    def delete(self) -> NoReturn:
        raise AuditLogIsAppendOnly()

    def bulk_update(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise AuditLogIsAppendOnly()

    def bulk_create(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise AuditLogIsAppendOnly()


class AuditEntry(models.Model):
    """One append-only, hash-chained record of a state change.

    Written only by `egov.core.audit.audit_record`; the ORM refuses updates and deletes here and
    a database trigger refuses them below the ORM (migration 0002_audit_append_only).
    """

    created_at = models.DateTimeField(_("time"), db_index=True)
    actor_id = models.BigIntegerField(_("actor id"), null=True, blank=True)
    actor_label = models.CharField(_("actor"), max_length=200, blank=True)
    action = models.CharField(_("action"), max_length=100, db_index=True)
    object_type = models.CharField(_("object type"), max_length=100)
    object_id = models.CharField(_("object id"), max_length=64)
    summary = models.JSONField(_("summary"), default=dict)
    request_id = models.CharField(_("request id"), max_length=64, blank=True)
    ip = models.CharField(_("IP address"), max_length=64, blank=True)
    prev_hash = models.CharField(_("previous hash"), max_length=64)
    hash = models.CharField(_("hash"), max_length=64, unique=True)

    objects = AuditEntryQuerySet.as_manager()

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["object_type", "object_id"], name="core_audit_object")]
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit entries")

    def __str__(self) -> str:
        return f"#{self.pk} {self.action} {self.object_type}:{self.object_id}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding or kwargs.get("force_update") or kwargs.get("update_fields"):
            raise AuditLogIsAppendOnly()
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise AuditLogIsAppendOnly()


class StoredFile(models.Model):
    """An uploaded file that passed the checks, with its SHA-256."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    file = models.FileField(_("file"), upload_to="%Y/%m/")
    original_name = models.CharField(_("original name"), max_length=255)
    content_type = models.CharField(_("content type"), max_length=100)
    size = models.PositiveBigIntegerField(_("size"))
    sha256 = models.CharField(_("SHA-256"), max_length=64, db_index=True)
    uploaded_by_id = models.BigIntegerField(_("uploaded by"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("stored file")
        verbose_name_plural = _("stored files")

    def __str__(self) -> str:
        return self.original_name


class OutboundMessage(models.Model):
    """A notification queued for a channel (e-mail, SMS, Zalo), kept for retries and audit."""

    class Channel(models.TextChoices):
        EMAIL = "email", _("E-mail")
        SMS = "sms", _("SMS")
        ZALO = "zalo", _("Zalo")

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    recipient = models.CharField(_("recipient"), max_length=254)
    template = models.CharField(_("template"), max_length=100)
    language = models.CharField(_("language"), max_length=8, default="vi")
    subject = models.CharField(_("subject"), max_length=255, blank=True)
    body = models.TextField(_("body"), blank=True)
    body_html = models.TextField(_("HTML body"), blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.QUEUED
    )
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("outbound message")
        verbose_name_plural = _("outbound messages")

    def __str__(self) -> str:
        return f"{self.channel} → {self.recipient} ({self.status})"


class SearchEntry(models.Model):
    """Accent-folded text of one indexed object; the database's full-text index sits on it."""

    kind = models.CharField(_("kind"), max_length=64)
    object_id = models.CharField(_("object id"), max_length=64)
    title = models.CharField(_("title"), max_length=500)
    folded = models.TextField(_("folded text"))
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["kind", "object_id"], name="core_search_unique")
        ]
        verbose_name = _("search entry")
        verbose_name_plural = _("search entries")

    def __str__(self) -> str:
        return f"{self.kind}:{self.object_id}"


class RateCounter(models.Model):
    """Hits of one rate-limit bucket in one fixed window: in the database so that every web
    process of the province shares the count (egov.core.ratelimit)."""

    bucket = models.CharField(_("bucket"), max_length=200)
    window_start = models.BigIntegerField(_("window start (Unix seconds)"))
    hits = models.PositiveIntegerField(_("hits"), default=0)

    class Meta:
        verbose_name = _("rate counter")
        verbose_name_plural = _("rate counters")
        constraints = [
            models.UniqueConstraint(
                fields=["bucket", "window_start"], name="core_ratecounter_unique_window"
            ),
        ]
        indexes = [models.Index(fields=["window_start"], name="core_ratecounter_window")]

    def __str__(self) -> str:
        return f"{self.bucket}@{self.window_start}: {self.hits}"

"""Django admin for IT staff: calendar overrides are edited; logs are read-only."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from egov.core.calendar import calendar_override_delete, calendar_override_set
from egov.core.models import AuditEntry, CalendarOverride, OutboundMessage, StoredFile


@admin.register(CalendarOverride)
class CalendarOverrideAdmin(admin.ModelAdmin[CalendarOverride]):
    """Edits go through the calendar services so they are validated and audited."""

    list_display = ["day", "kind", "name", "legal_basis", "updated_at"]
    list_filter = ["kind"]
    date_hierarchy = "day"
    readonly_fields = ["updated_at"]
    actions = None

    def save_model(
        self, request: HttpRequest, obj: CalendarOverride, form: Any, change: bool
    ) -> None:
        if change and "day" in form.changed_data:
            calendar_override_delete(day=form.initial["day"], actor=request.user)
        saved = calendar_override_set(
            day=obj.day,
            kind=obj.kind,
            name=obj.name,
            legal_basis=obj.legal_basis,
            actor=request.user,
        )
        obj.pk = saved.pk

    def delete_model(self, request: HttpRequest, obj: CalendarOverride) -> None:
        calendar_override_delete(day=obj.day, actor=request.user)


class ReadOnlyAdmin(admin.ModelAdmin[Any]):
    """Append-only records: nobody edits or deletes them through the admin."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    list_display = ["id", "created_at", "actor_label", "action", "object_type", "object_id"]
    list_filter = ["action", "object_type"]
    search_fields = ["object_id", "actor_label", "request_id"]


@admin.register(StoredFile)
class StoredFileAdmin(ReadOnlyAdmin):
    list_display = ["original_name", "content_type", "size", "sha256", "created_at"]
    search_fields = ["original_name", "sha256"]


@admin.register(OutboundMessage)
class OutboundMessageAdmin(ReadOnlyAdmin):
    list_display = ["id", "channel", "recipient", "template", "status", "attempts", "created_at"]
    list_filter = ["channel", "status"]

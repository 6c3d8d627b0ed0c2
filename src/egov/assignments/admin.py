"""Django admin for IT staff: read-only views of assignments and their records (every change
goes through the services, which check permissions and write the audit log)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from egov.assignments.models import (
    Assignment,
    AssignmentEvent,
    ExtensionRequest,
    ProgressUpdate,
    ReminderLog,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Assignment)
class AssignmentAdmin(ReadOnlyAdmin):
    list_display = ["title", "assigned_by", "assignee_unit", "assignee_officer", "state", "due_on"]
    list_filter = ["state", "priority"]
    search_fields = ["title", "source_label"]
    list_select_related = ["assigned_by", "assignee_unit", "assignee_officer"]


@admin.register(ExtensionRequest)
class ExtensionRequestAdmin(ReadOnlyAdmin):
    list_display = ["assignment", "requested_by", "new_due_on", "state", "decided_at"]
    list_filter = ["state"]


@admin.register(ProgressUpdate)
class ProgressUpdateAdmin(ReadOnlyAdmin):
    list_display = ["assignment", "percent", "author", "at"]


@admin.register(ReminderLog)
class ReminderLogAdmin(ReadOnlyAdmin):
    list_display = ["day", "kind", "assignment", "officer", "message"]
    list_filter = ["kind", "day"]


@admin.register(AssignmentEvent)
class AssignmentEventAdmin(ReadOnlyAdmin):
    list_display = ["assignment", "action", "actor_name", "at"]
    list_filter = ["action"]

"""Django admin for IT staff: the calendar and meetings are read-only here (writes go through
the services, with their permission checks, audit entries and e-mails)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from egov.meetings.models import CalendarEntry, CalendarWeek, Invitation, Meeting, MeetingPaper


class ReadOnlyAdmin(admin.ModelAdmin[Any]):
    actions = None

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(CalendarEntry)
class CalendarEntryAdmin(ReadOnlyAdmin):
    list_display = ["starts_at", "title", "organization", "state", "visibility", "version"]
    list_filter = ["state", "visibility"]
    list_select_related = ["organization"]
    search_fields = ["title"]
    date_hierarchy = "starts_at"


@admin.register(CalendarWeek)
class CalendarWeekAdmin(ReadOnlyAdmin):
    list_display = ["organization", "iso_year", "iso_week", "revision", "published_at"]
    list_select_related = ["organization"]


@admin.register(Meeting)
class MeetingAdmin(ReadOnlyAdmin):
    list_display = ["starts_at", "title", "organization", "state", "version"]
    list_filter = ["state"]
    list_select_related = ["organization"]
    search_fields = ["title"]
    date_hierarchy = "starts_at"


@admin.register(MeetingPaper)
class MeetingPaperAdmin(ReadOnlyAdmin):
    list_display = ["meeting", "title", "added_at"]
    list_select_related = ["meeting", "stored_file"]


@admin.register(Invitation)
class InvitationAdmin(ReadOnlyAdmin):
    list_display = ["meeting", "kind", "response", "sent_at", "responded_at"]
    list_filter = ["kind", "response"]
    list_select_related = ["meeting", "invitee_officer", "invitee_unit"]
    exclude = ["token"]

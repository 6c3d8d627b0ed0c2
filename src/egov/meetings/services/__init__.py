"""Every write on the weekly calendar and meetings: one function per use case, keyword-only,
one transaction, the policy check first, the audit entry last.

Two people may edit one calendar entry or meeting at once (the office clerk and the head): the
services that change them take `expected_version`, the version the caller saw, and refuse with
`meetings.conflict` when it moved on. E-mails are rendered now and delivered after commit
(`egov.core.notifications.notification_send`).

The calendar's life: entries are written as drafts; `calendar_week_publish` publishes the drafts
of one ISO week and records the publication (revision 1); changing a published entry keeps it
visible and marks the week as changed, and publishing again bumps the revision and tells the
officers what changed.
"""

from __future__ import annotations

from egov.meetings.services._common import (
    PAPER_KINDS,
    Guest,
    MeetingsConflict,
    MeetingsInvalid,
    TransitionNotAllowed,
)
from egov.meetings.services.calendar import (
    calendar_entry_cancel,
    calendar_entry_create,
    calendar_entry_update,
    calendar_week_publish,
)
from egov.meetings.services.invitations import invitation_respond, invitation_respond_by_token
from egov.meetings.services.meetings import (
    meeting_add_paper,
    meeting_cancel,
    meeting_invite,
    meeting_mark_held,
    meeting_reschedule,
    meeting_schedule,
)

__all__ = [
    "PAPER_KINDS",
    "Guest",
    "MeetingsConflict",
    "MeetingsInvalid",
    "TransitionNotAllowed",
    "calendar_entry_cancel",
    "calendar_entry_create",
    "calendar_entry_update",
    "calendar_week_publish",
    "invitation_respond",
    "invitation_respond_by_token",
    "meeting_add_paper",
    "meeting_cancel",
    "meeting_invite",
    "meeting_mark_held",
    "meeting_reschedule",
    "meeting_schedule",
]

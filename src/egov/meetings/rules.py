"""Who may act on the calendar and meetings (registered with egov.directory.policy in ready()).

- `meetings.calendar.edit` (`obj`: the organisation): write, cancel and publish entries of the
  organisation's weekly calendar, and organise its meetings: its heads and its office clerks,
  i.e. officers holding the head or clerk role with a scope that reaches the organisation.
- `meetings.calendar.view` (`obj`: the organisation): the officers working in it, and editors.
- `meetings.meeting.manage` (`obj`: the meeting): add papers, invite, cancel, reschedule: the
  officer who organised it, or an editor of its organisation's calendar.
- `meetings.meeting.view` (`obj`: the meeting): organisers and invitees (an invited officer,
  the delegate, the heads of an invited unit). Papers are downloadable only by them.
- `meetings.invitation.respond` (`obj`: the invitation): the invited officer, or a head of the
  invited unit.
"""

from __future__ import annotations

from typing import Any

from egov.directory import policy
from egov.directory import selectors as directory
from egov.directory.models import Account, Organization, Role
from egov.meetings.models import Invitation, Meeting
from egov.meetings.selectors import invitation_addressed_to, is_invited


def edits_calendar(actor: Account, organization: Organization | None) -> bool:
    officer = policy.officer_of(actor)
    return policy.has_role(officer, Role.HEAD, over=organization) or policy.has_role(
        officer, Role.CLERK, over=organization
    )


@policy.rule("meetings.calendar.edit")
def _calendar_edit(actor: Account, obj: Any) -> bool:
    return isinstance(obj, Organization) and edits_calendar(actor, obj)


@policy.rule("meetings.calendar.view")
def _calendar_view(actor: Account, obj: Any) -> bool:
    if not isinstance(obj, Organization):
        return False
    officer = policy.officer_of(actor)
    if officer is None:
        return False
    if directory.officer_organization(officer).pk == obj.pk:
        return True
    return edits_calendar(actor, obj)


def manages_meeting(actor: Account, meeting: Meeting) -> bool:
    officer = policy.officer_of(actor)
    if officer is None:
        return False
    if meeting.organised_by_id == officer.pk:
        return True
    return edits_calendar(actor, meeting.organization)


@policy.rule("meetings.meeting.manage")
def _meeting_manage(actor: Account, obj: Any) -> bool:
    return isinstance(obj, Meeting) and manages_meeting(actor, obj)


@policy.rule("meetings.meeting.view")
def _meeting_view(actor: Account, obj: Any) -> bool:
    if not isinstance(obj, Meeting):
        return False
    if manages_meeting(actor, obj):
        return True
    officer = policy.officer_of(actor)
    return officer is not None and is_invited(officer, obj)


@policy.rule("meetings.invitation.respond")
def _invitation_respond(actor: Account, obj: Any) -> bool:
    if not isinstance(obj, Invitation):
        return False
    officer = policy.officer_of(actor)
    return officer is not None and invitation_addressed_to(officer, obj)

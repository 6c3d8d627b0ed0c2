"""Answers to invitations: accept, decline with a reason, delegate; guests by their link."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext

from egov.core.audit import audit_record
from egov.core.errors import NotFound
from egov.directory import policy
from egov.directory import selectors as directory
from egov.directory.models import Officer
from egov.meetings import notify, selectors
from egov.meetings.models import (
    Invitation,
    InviteeKind,
    Meeting,
    Response,
)
from egov.meetings.services._common import (
    TEXT_MAX,
    MeetingsInvalid,
    TransitionNotAllowed,
    _locked,
    _now,
    _officer,
    _save,
    _text,
)
from egov.meetings.services.meetings import _new_token, _require_scheduled, _send_invitation

# --- answering invitations ----------------------------------------------------------------------


def _check_answer(response: str, comment: str, *, allow_delegate: bool) -> str:
    allowed = {Response.ACCEPTED, Response.DECLINED}
    if allow_delegate:
        allowed.add(Response.DELEGATED)
    if response not in allowed:
        raise MeetingsInvalid(
            gettext("Choose to accept, decline or delegate."),
            code="meetings.bad_response",
            field="response",
        )
    comment = _text(comment, field="comment", limit=TEXT_MAX)
    if response == Response.DECLINED and not comment:
        raise MeetingsInvalid(
            gettext("Give the reason why you cannot attend."),
            code="meetings.reason_required",
            field="comment",
        )
    return comment


def invitation_respond(
    *,
    actor: Any,
    invitation: Invitation,
    response: str,
    comment: str = "",
    delegate: Officer | None = None,
    expected_version: int | None = None,
) -> Invitation:
    """Accept, decline with a reason, or delegate to a deputy (who then gets an invitation).

    An answer may be changed until the invitation is delegated; the heads of an invited unit
    answer for it (the first one wins when `expected_version` is given).
    """
    policy.require(actor, "meetings.invitation.respond", invitation)
    officer = _officer(actor)
    comment = _check_answer(response, comment, allow_delegate=True)
    if response == Response.DELEGATED:
        if delegate is None:
            raise MeetingsInvalid(
                gettext("Choose the officer who attends in your place."),
                code="meetings.delegate_required",
                field="delegate",
            )
        if (
            delegate.pk == officer.pk
            or not delegate.is_active
            or directory.officer_organization(delegate).pk
            != directory.officer_organization(officer).pk
        ):
            raise MeetingsInvalid(
                gettext("The delegate must be another active officer of your organisation."),
                code="meetings.bad_delegate",
                field="delegate",
            )
    elif delegate is not None:
        raise MeetingsInvalid(
            gettext("A delegate is only named when you delegate."),
            code="meetings.bad_delegate",
            field="delegate",
        )
    with transaction.atomic():
        fresh: Invitation = _locked(Invitation, invitation, expected_version)
        meeting = Meeting.objects.select_related("organization", "chair").get(pk=fresh.meeting_id)
        _require_scheduled(meeting)
        if fresh.response == Response.DELEGATED:
            raise TransitionNotAllowed(
                gettext("This invitation was delegated: the delegate answers now."),
                code="meetings.already_delegated",
            )
        before = {"response": fresh.response}
        at = _now()
        fresh.response, fresh.comment, fresh.delegate = response, comment, delegate
        fresh.responded_at, fresh.responded_by = at, officer
        _save(fresh, ["response", "comment", "delegate", "responded_at", "responded_by"])
        after: dict[str, Any] = {"response": response, "comment": comment}
        if delegate is not None:
            if meeting.invitations.filter(invitee_officer=delegate).exists():
                raise MeetingsInvalid(
                    gettext("%(name)s is already invited to this meeting.")
                    % {"name": delegate.full_name},
                    code="meetings.delegate_already_invited",
                    field="delegate",
                )
            forwarded = Invitation.objects.create(
                meeting=meeting,
                kind=InviteeKind.OFFICER,
                invitee_officer=delegate,
                delegated_from=fresh,
                sent_at=at,
                token=_new_token(),
                invited_by=officer,
            )
            message = _send_invitation(
                forwarded, notify.meeting_context(meeting), delegated_by=officer.full_name
            )
            if message is not None:
                forwarded.email_message = message
                forwarded.save(update_fields=["email_message"])
            after["delegate"] = delegate.pk
            after["forwarded_invitation"] = forwarded.pk
        audit_record(
            actor=actor, action="meetings.invitation.respond", obj=fresh, before=before, after=after
        )
    return fresh


def invitation_respond_by_token(*, token: str, response: str, comment: str = "") -> Invitation:
    """An outside guest accepts or declines through the link of their e-mail."""
    invitation = selectors.invitation_by_token(token)
    if invitation is None:
        raise NotFound(gettext("This invitation link is not valid."), code="meetings.bad_token")
    comment = _check_answer(response, comment, allow_delegate=False)
    with transaction.atomic():
        fresh: Invitation = _locked(Invitation, invitation, None)
        _require_scheduled(Meeting.objects.get(pk=fresh.meeting_id))
        before = {"response": fresh.response}
        fresh.response, fresh.comment, fresh.responded_at = response, comment, _now()
        _save(fresh, ["response", "comment", "responded_at"])
        audit_record(
            actor=None,
            action="meetings.invitation.respond",
            obj=fresh,
            before=before,
            after={"response": response, "comment": comment, "guest": fresh.external_email},
        )
    return fresh

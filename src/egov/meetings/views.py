"""Screens of the weekly work calendar and meetings (officers) and the public calendar (portal).

Views parse, ask the policy what to show, call one service and render; they never write a
model. Forms that change an entry, a meeting or an invitation carry the version the officer saw
(`expected_version`). A meeting the user may not see, and its papers, answer 404.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from egov.core.errors import EgovError
from egov.core.files import file_open
from egov.directory import policy
from egov.directory import selectors as directory
from egov.directory.models import Officer, Organization
from egov.meetings import selectors, services
from egov.meetings.forms import (
    CancelForm,
    EntryCancelForm,
    EntryForm,
    GuestRespondForm,
    InviteForm,
    MeetingForm,
    PaperForm,
    RescheduleForm,
    RespondForm,
    VersionForm,
)
from egov.meetings.models import CalendarEntry, Meeting, MeetingState, Response
from egov.meetings.selectors import Week

# --- helpers ------------------------------------------------------------------------------------


def _officer(request: HttpRequest) -> Officer:
    officer = policy.officer_of(request.user)
    if officer is None:
        raise DjangoPermissionDenied
    return officer


def _home(request: HttpRequest) -> Organization:
    return directory.officer_organization(_officer(request))


def _week(year: int | None, number: int | None) -> Week:
    if year is None or number is None:
        return selectors.current_week()
    week = selectors.week_from(year, number)
    if week is None:
        raise Http404
    return week


def _form_error(form: Any, exc: EgovError) -> None:
    field = exc.field if exc.field in form.fields else None
    form.add_error(field, str(exc.message))


def _week_url(week: Week) -> str:
    return reverse("meetings:week_of", kwargs={"year": week.year, "week": week.number})


def _file_response(stored: Any) -> FileResponse:
    return FileResponse(
        file_open(stored),
        as_attachment=True,
        filename=stored.original_name,
        content_type=stored.content_type,
    )


# --- the weekly calendar ------------------------------------------------------------------------


@login_required
@require_GET
def week_view(
    request: HttpRequest, year: int | None = None, week: int | None = None
) -> HttpResponse:
    """The organisation's calendar of one week, by day and half-day; printable."""
    organization = _home(request)
    if not policy.can(request.user, "meetings.calendar.view", organization):
        raise DjangoPermissionDenied
    the_week = _week(year, week)
    can_edit = policy.can(request.user, "meetings.calendar.edit", organization)
    view = selectors.calendar_week(organization, the_week, include_drafts=can_edit)
    return render(
        request,
        "meetings/week.html",
        {
            "view": view,
            "week": the_week,
            "previous_url": _week_url(the_week.previous()),
            "next_url": _week_url(the_week.next()),
            "current_url": reverse("meetings:week"),
            "can_edit": can_edit,
            "public_url": reverse(
                "meetings:public_week_of",
                kwargs={"code": organization.code, "year": the_week.year, "week": the_week.number},
            ),
        },
    )


@login_required
@require_POST
def week_publish_view(request: HttpRequest, year: int, week: int) -> HttpResponse:
    organization = _home(request)
    the_week = _week(year, week)
    try:
        publication = services.calendar_week_publish(
            actor=request.user, organization=organization, year=year, week=week
        )
    except EgovError as exc:
        if exc.status == 403:
            raise DjangoPermissionDenied from exc
        messages.error(request, str(exc.message))
    else:
        messages.success(
            request,
            gettext("Week %(week)s published (revision %(revision)s).")
            % {"week": week, "revision": publication.revision},
        )
    return redirect(_week_url(the_week))


def _entry_form(organization: Organization, *args: Any, **kwargs: Any) -> EntryForm:
    return EntryForm(
        *args,
        officers=selectors.organization_officers(organization).select_related("unit"),
        units=selectors.organization_units(organization),
        **kwargs,
    )


def _entry_fields(form: EntryForm) -> dict[str, Any]:
    data = form.cleaned_data
    return {
        name: data[name]
        for name in (
            "title",
            "starts_at",
            "ends_at",
            "location",
            "chair_officer",
            "chair_text",
            "participants",
            "preparing_unit",
            "notes",
            "visibility",
        )
    }


@login_required
@require_http_methods(["GET", "POST"])
def entry_create_view(request: HttpRequest) -> HttpResponse:
    organization = _home(request)
    if not policy.can(request.user, "meetings.calendar.edit", organization):
        raise DjangoPermissionDenied
    form = _entry_form(organization, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            entry = services.calendar_entry_create(
                actor=request.user, organization=organization, **_entry_fields(form)
            )
        except EgovError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, gettext("Entry added as a draft."))
            return redirect(_week_url(selectors.week_of_moment(entry.starts_at)))
    status = 422 if request.method == "POST" else 200
    return render(request, "meetings/entry_form.html", {"form": form, "entry": None}, status=status)


def _editable_entry(request: HttpRequest, pk: int) -> CalendarEntry:
    entry = CalendarEntry.objects.select_related("organization").filter(pk=pk).first()
    if entry is None or not policy.can(request.user, "meetings.calendar.view", entry.organization):
        raise Http404
    if not policy.can(request.user, "meetings.calendar.edit", entry.organization):
        raise DjangoPermissionDenied
    return entry


@login_required
@require_http_methods(["GET", "POST"])
def entry_edit_view(request: HttpRequest, pk: int) -> HttpResponse:
    entry = _editable_entry(request, pk)
    initial = {
        "version": entry.version,
        "title": entry.title,
        "starts_at": selectors.local_time(entry.starts_at),
        "ends_at": selectors.local_time(entry.ends_at) if entry.ends_at else None,
        "location": entry.location,
        "chair_officer": entry.chair_officer_id,
        "chair_text": entry.chair_text,
        "participants": entry.participants,
        "preparing_unit": entry.preparing_unit_id,
        "notes": entry.notes,
        "visibility": entry.visibility,
    }
    form = _entry_form(entry.organization, request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            entry = services.calendar_entry_update(
                actor=request.user,
                entry=entry,
                expected_version=form.cleaned_data["version"] or 0,
                **_entry_fields(form),
            )
        except EgovError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, gettext("Entry saved."))
            return redirect(_week_url(selectors.week_of_moment(entry.starts_at)))
    status = 422 if request.method == "POST" else 200
    return render(
        request,
        "meetings/entry_form.html",
        {
            "form": form,
            "entry": entry,
            "cancel_form": EntryCancelForm(initial={"version": entry.version}),
        },
        status=status,
    )


@login_required
@require_POST
def entry_cancel_view(request: HttpRequest, pk: int) -> HttpResponse:
    entry = _editable_entry(request, pk)
    form = EntryCancelForm(request.POST)
    if not form.is_valid():
        messages.error(request, gettext("The form is not valid. Reload the page."))
    else:
        try:
            services.calendar_entry_cancel(
                actor=request.user,
                entry=entry,
                expected_version=form.cleaned_data["version"],
                reason=form.cleaned_data["reason"],
            )
        except EgovError as exc:
            messages.error(request, str(exc.message))
        else:
            messages.success(request, gettext("Entry cancelled."))
    return redirect(_week_url(selectors.week_of_moment(entry.starts_at)))


# --- meetings -----------------------------------------------------------------------------------


def _visible_meeting(request: HttpRequest, pk: int) -> Meeting:
    if policy.officer_of(request.user) is None and not request.user.is_superuser:
        raise Http404
    meeting = selectors.meeting_by_pk(pk)
    if meeting is None or not policy.can(request.user, "meetings.meeting.view", meeting):
        raise Http404
    return meeting


def _managed_meeting(request: HttpRequest, pk: int) -> Meeting:
    meeting = _visible_meeting(request, pk)
    if not policy.can(request.user, "meetings.meeting.manage", meeting):
        raise DjangoPermissionDenied
    return meeting


def _meeting_url(meeting: Meeting) -> str:
    return reverse("meetings:meeting", kwargs={"pk": meeting.pk})


@login_required
@require_GET
def meetings_view(request: HttpRequest) -> HttpResponse:
    """Meetings of the officer's organisation, for those who organise them."""
    organization = _home(request)
    if not policy.can(request.user, "meetings.calendar.edit", organization):
        raise DjangoPermissionDenied
    return render(
        request,
        "meetings/meetings.html",
        {"meetings": selectors.organization_meetings(organization)[:100]},
    )


@login_required
@require_http_methods(["GET", "POST"])
def meeting_create_view(request: HttpRequest) -> HttpResponse:
    organization = _home(request)
    if not policy.can(request.user, "meetings.calendar.edit", organization):
        raise DjangoPermissionDenied
    form = MeetingForm(
        request.POST or None,
        officers=selectors.organization_officers(organization),
    )
    if request.method == "POST" and form.is_valid():
        try:
            meeting = services.meeting_schedule(
                actor=request.user, organization=organization, **form.cleaned_data
            )
        except EgovError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, gettext("Meeting scheduled. Add papers and invite people."))
            return redirect(_meeting_url(meeting))
    status = 422 if request.method == "POST" else 200
    return render(request, "meetings/meeting_form.html", {"form": form}, status=status)


def _delegates(officer: Officer) -> Any:
    """Who may attend in the officer's place: the other officers of their organisation."""
    return selectors.organization_officers(directory.officer_organization(officer)).exclude(
        pk=officer.pk
    )


def _delegate_choices(officer: Officer) -> list[tuple[int, str]]:
    return [(o.pk, f"{o.full_name} — {o.unit.name_vi}") for o in _delegates(officer)]


def _my_invitation(request: HttpRequest, meeting: Meeting) -> Any:
    officer = policy.officer_of(request.user)
    if officer is None:
        return None
    for invitation in selectors.my_invitations(officer).filter(meeting=meeting):
        return invitation
    return None


@login_required
@require_GET
def meeting_view(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = _visible_meeting(request, pk)
    manages = policy.can(request.user, "meetings.meeting.manage", meeting)
    scheduled = meeting.state == MeetingState.SCHEDULED
    mine = _my_invitation(request, meeting)
    officer = policy.officer_of(request.user)
    respond_form = None
    if mine is not None and scheduled and mine.response != Response.DELEGATED and officer:
        respond_form = RespondForm(
            initial={"version": mine.version}, delegates=_delegate_choices(officer)
        )
    context = {
        "meeting": meeting,
        "papers": selectors.meeting_papers(meeting),
        "attendance": selectors.attendance_summary(meeting),
        "invitations": selectors.meeting_invitations(meeting) if manages else [],
        "manages": manages and scheduled,
        "mine": mine,
        "respond_form": respond_form,
        "paper_form": PaperForm(),
        "cancel_form": CancelForm(initial={"version": meeting.version}),
        "held_form": VersionForm(initial={"version": meeting.version}),
        "reschedule_form": RescheduleForm(
            initial={
                "version": meeting.version,
                "starts_at": selectors.local_time(meeting.starts_at),
                "ends_at": selectors.local_time(meeting.ends_at),
                "location": meeting.location,
            }
        ),
    }
    return render(request, "meetings/meeting.html", context)


@login_required
@require_POST
def paper_add_view(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = _managed_meeting(request, pk)
    form = PaperForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, gettext("Choose a file to add."))
    else:
        upload = form.cleaned_data["file"]
        try:
            services.meeting_add_paper(
                actor=request.user,
                meeting=meeting,
                upload=upload,
                name=upload.name,
                title=form.cleaned_data["title"],
            )
        except EgovError as exc:
            messages.error(request, str(exc.message))
        else:
            messages.success(request, gettext("Paper added."))
    return redirect(_meeting_url(meeting) + "#papers")


@login_required
@require_GET
def paper_view(request: HttpRequest, pk: int, paper_pk: int) -> FileResponse:
    """A paper of the meeting, only for its invitees and organisers (404 for anyone else)."""
    meeting = _visible_meeting(request, pk)
    paper = meeting.papers.select_related("stored_file").filter(pk=paper_pk).first()
    if paper is None:
        raise Http404
    return _file_response(paper.stored_file)


@login_required
@require_http_methods(["GET", "POST"])
def invite_view(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = _managed_meeting(request, pk)
    organization = meeting.organization
    form = InviteForm(
        request.POST or None,
        officers=selectors.organization_officers(organization),
        units=selectors.organization_units(organization),
    )
    if request.method == "POST" and form.is_valid():
        try:
            created = services.meeting_invite(
                actor=request.user,
                meeting=meeting,
                officers=form.cleaned_data["officers"],
                units=form.cleaned_data["units"],
                guests=form.cleaned_data["guests"],
            )
        except EgovError as exc:
            _form_error(form, exc)
        else:
            messages.success(
                request,
                gettext("%(count)s invitations sent.") % {"count": len(created)},
            )
            return redirect(_meeting_url(meeting) + "#attendance")
    status = 422 if request.method == "POST" else 200
    return render(
        request, "meetings/invite.html", {"form": form, "meeting": meeting}, status=status
    )


@login_required
@require_POST
def meeting_cancel_view(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = _managed_meeting(request, pk)
    form = CancelForm(request.POST)
    if not form.is_valid():
        messages.error(request, gettext("Give the reason for cancelling."))
    else:
        try:
            services.meeting_cancel(
                actor=request.user,
                meeting=meeting,
                expected_version=form.cleaned_data["version"],
                reason=form.cleaned_data["reason"],
            )
        except EgovError as exc:
            messages.error(request, str(exc.message))
        else:
            messages.success(request, gettext("Meeting cancelled; the invitees were told."))
    return redirect(_meeting_url(meeting))


@login_required
@require_POST
def meeting_reschedule_view(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = _managed_meeting(request, pk)
    form = RescheduleForm(request.POST)
    if not form.is_valid():
        messages.error(request, gettext("Give the new start and end."))
    else:
        try:
            services.meeting_reschedule(
                actor=request.user,
                meeting=meeting,
                expected_version=form.cleaned_data["version"],
                starts_at=form.cleaned_data["starts_at"],
                ends_at=form.cleaned_data["ends_at"],
                location=form.cleaned_data["location"],
            )
        except EgovError as exc:
            messages.error(request, str(exc.message))
        else:
            messages.success(request, gettext("Meeting moved; the invitees were told."))
    return redirect(_meeting_url(meeting))


@login_required
@require_POST
def meeting_held_view(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = _managed_meeting(request, pk)
    form = VersionForm(request.POST)
    if not form.is_valid():
        messages.error(request, gettext("The form is not valid. Reload the page."))
    else:
        try:
            services.meeting_mark_held(
                actor=request.user, meeting=meeting, expected_version=form.cleaned_data["version"]
            )
        except EgovError as exc:
            messages.error(request, str(exc.message))
        else:
            messages.success(request, gettext("The meeting is recorded as held."))
    return redirect(_meeting_url(meeting))


# --- invitations --------------------------------------------------------------------------------


@login_required
@require_GET
def my_invitations_view(request: HttpRequest) -> HttpResponse:
    officer = _officer(request)
    invitations = list(selectors.my_invitations(officer)[:200])
    delegates = _delegate_choices(officer)
    rows = [
        {
            "invitation": invitation,
            "form": RespondForm(
                initial={"version": invitation.version},
                delegates=delegates,
                prefix=f"i{invitation.pk}",
            )
            if invitation.meeting.state == MeetingState.SCHEDULED
            and invitation.response != Response.DELEGATED
            else None,
        }
        for invitation in invitations
    ]
    return render(request, "meetings/my_invitations.html", {"rows": rows})


@login_required
@require_POST
def invitation_respond_view(request: HttpRequest, pk: int) -> HttpResponse:
    officer = _officer(request)
    invitation = selectors.my_invitations(officer).filter(pk=pk).first()
    if invitation is None:
        raise Http404
    prefix = request.POST.get("prefix") or None
    form = RespondForm(request.POST, delegates=_delegate_choices(officer), prefix=prefix)
    back = request.POST.get("next") == "meeting"
    target = _meeting_url(invitation.meeting) if back else reverse("meetings:my_invitations")
    if not form.is_valid():
        messages.error(request, gettext("Choose your answer."))
        return redirect(target)
    data = form.cleaned_data
    try:
        services.invitation_respond(
            actor=request.user,
            invitation=invitation,
            response=data["response"],
            comment=data["comment"],
            delegate=_delegates(officer).filter(pk=data["delegate"]).first()
            if data["response"] == Response.DELEGATED and data["delegate"]
            else None,
            expected_version=data["version"],
        )
    except EgovError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, gettext("Your answer was recorded."))
    return redirect(target)


# --- outside guests (link in the e-mail) --------------------------------------------------------


@require_http_methods(["GET", "POST"])
def guest_view(request: HttpRequest, token: str) -> HttpResponse:
    invitation = selectors.invitation_by_token(token)
    if invitation is None:
        raise Http404
    form = GuestRespondForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.invitation_respond_by_token(
                    token=token,
                    response=form.cleaned_data["response"],
                    comment=form.cleaned_data["comment"],
                )
            except EgovError as exc:
                _form_error(form, exc)
                status = 422
            else:
                messages.success(request, gettext("Thank you: your answer was recorded."))
                return redirect(reverse("meetings:guest", kwargs={"token": token}))
        else:
            status = 422
    invitation.refresh_from_db()
    meeting = invitation.meeting
    return render(
        request,
        "meetings/guest.html",
        {
            "invitation": invitation,
            "meeting": meeting,
            "papers": selectors.meeting_papers(meeting),
            "form": form if meeting.state == MeetingState.SCHEDULED else None,
        },
        status=status,
    )


@require_GET
def guest_paper_view(request: HttpRequest, token: str, paper_pk: int) -> FileResponse:
    invitation = selectors.invitation_by_token(token)
    if invitation is None:
        raise Http404
    paper = invitation.meeting.papers.select_related("stored_file").filter(pk=paper_pk).first()
    if paper is None:
        raise Http404
    return _file_response(paper.stored_file)


# --- the public calendar ------------------------------------------------------------------------


@require_GET
def public_week_view(
    request: HttpRequest, code: str, year: int | None = None, week: int | None = None
) -> HttpResponse:
    """The public entries of an organisation's published calendar (never internal ones)."""
    organization = (
        Organization.objects.filter(code=code[:35]).exclude(kind=Organization.Kind.UNIT).first()
    )
    if organization is None:
        raise Http404
    the_week = _week(year, week)

    def url(w: Week) -> str:
        return reverse(
            "meetings:public_week_of",
            kwargs={"code": organization.code, "year": w.year, "week": w.number},
        )

    return render(
        request,
        "meetings/public_week.html",
        {
            "organization": organization,
            "week": the_week,
            "days": selectors.public_week_days(organization, the_week),
            "previous_url": url(the_week.previous()),
            "next_url": url(the_week.next()),
        },
    )


__all__ = [
    "entry_cancel_view",
    "entry_create_view",
    "entry_edit_view",
    "guest_paper_view",
    "guest_view",
    "invitation_respond_view",
    "invite_view",
    "meeting_cancel_view",
    "meeting_create_view",
    "meeting_held_view",
    "meeting_reschedule_view",
    "meeting_view",
    "meetings_view",
    "my_invitations_view",
    "paper_add_view",
    "paper_view",
    "public_week_view",
    "week_publish_view",
    "week_view",
]

"""The assignment screens (/lam-viec/giao-viec/…): my assignments, the follow-up board, the new
assignment form, the assignment page with its actions, the progress and extension forms.

Views parse, ask the assignments policy rules what to show, call one service and render; they
never write a model. Each action form carries the version the officer saw, passed to the service
as `expected_version`: when someone else acted first the service refuses with
`assignment.conflict` and the page says so. An assignment the user may not see answers 404.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from egov.assignments import selectors, services
from egov.assignments.forms import (
    AssignmentForm,
    BoardFilterForm,
    CompleteForm,
    DecideForm,
    ExtensionForm,
    ProgressForm,
    ReasonForm,
    ReassignForm,
    ReopenForm,
)
from egov.assignments.models import Assignment, ExtensionRequest, Priority, State
from egov.assignments.sources import source_resolve
from egov.core.calendar import WorkingCalendar, get_calendar
from egov.core.errors import Conflict, EgovError, PermissionDenied, ValidationFailed
from egov.directory import policy
from egov.directory.models import Officer, Role

PAGE_SIZE = 25

EVENT_LABELS: dict[str, Any] = {
    "create": _("Assigned"),
    "progress": _("Progress reported"),
    "complete": _("Completed"),
    "reopen": _("Reopened"),
    "cancel": _("Cancelled"),
    "reassign": _("Reassigned"),
    "extension_request": _("Extension requested"),
    "extension_grant": _("Extension granted"),
    "extension_refuse": _("Extension refused"),
}
BUCKET_LABELS: dict[str, Any] = {
    selectors.OVERDUE: _("Overdue"),
    selectors.DUE_SOON: _("Due soon"),
    selectors.ON_TRACK: _("On track"),
    selectors.CLOSED: _("Closed"),
}

# The house colours of timeliness (egov.css `.due--*`): red, amber, blue, green.
BUCKET_CSS: dict[str, str] = {
    selectors.OVERDUE: "overdue",
    selectors.DUE_SOON: "late",
    selectors.ON_TRACK: "on_time",
    selectors.CLOSED: "early",
}


# --- helpers ------------------------------------------------------------------------------------


def _officer(request: HttpRequest) -> Officer:
    """The signed-in officer; citizens and accounts without a staff profile get 403."""
    officer = policy.officer_of(request.user)
    if officer is None:
        raise DjangoPermissionDenied
    return officer


def _visible(request: HttpRequest, pk: int) -> Assignment:
    """The assignment when the signed-in officer may see it; 404 otherwise."""
    assignment = (
        Assignment.objects.select_related(
            "organization",
            "assigned_by",
            "assignee_unit",
            "assignee_officer__unit",
            "parent",
        )
        .filter(pk=pk)
        .first()
    )
    if assignment is None or not policy.can(request.user, "assignments.view", assignment):
        raise Http404
    return assignment


@dataclass(frozen=True)
class _Day:
    """Today with the calendar facts every row of a page needs (one calendar look-up)."""

    day: date
    soon: date
    calendar: WorkingCalendar


def _today() -> _Day:
    day = selectors.today()
    return _Day(day=day, soon=selectors.due_soon_limit(day), calendar=get_calendar())


def _row(assignment: Assignment, today: _Day) -> dict[str, Any]:
    day = today.day
    bucket = selectors.bucket_of(assignment, day, soon=today.soon)
    return {
        "assignment": assignment,
        "bucket": bucket,
        "bucket_label": BUCKET_LABELS[bucket],
        "css": BUCKET_CSS[bucket],
        "late_days": selectors.late_working_days(assignment, day, calendar=today.calendar),
        "state_label": State(assignment.state).label,
        "priority_label": Priority(assignment.priority).label,
    }


def _apply_error(form: forms.Form, exc: EgovError) -> int:
    """Put a service error next to its field (or on top) and answer the HTTP status."""
    if isinstance(exc, ValidationFailed):
        form.add_error(exc.field if exc.field in form.fields else None, str(exc.message))
        return 422
    form.add_error(None, str(exc.message))
    if isinstance(exc, PermissionDenied):
        return 403
    if isinstance(exc, Conflict):
        return 409
    return exc.status


# --- lists --------------------------------------------------------------------------------------


@login_required
@require_GET
def mine_view(request: HttpRequest) -> HttpResponse:
    """ "Việc của tôi": assigned to me or to the unit I head, soonest due first."""
    officer = _officer(request)
    include_closed = request.GET.get("closed") == "1"
    today = _today()
    day = today.day
    qs = selectors.assignments_mine(officer, include_closed=include_closed)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "rows": [_row(a, today) for a in page.object_list],
        "include_closed": include_closed,
        "may_assign": policy.holds_role(officer, Role.HEAD),
        "summary": selectors.assignments_summary(officer, day=day),
    }
    return render(request, "assignments/mine.html", context)


@login_required
@require_GET
def board_view(request: HttpRequest) -> HttpResponse:
    """The follow-up board: what I assigned, overdue first, then due soon, then the rest."""
    officer = _officer(request)
    today = _today()
    day = today.day
    whole = selectors.follow_up_board(officer, day=day)
    units = [(u["unit_id"], u["name"]) for u in whole.by_unit]
    filters = BoardFilterForm(request.GET or None, units=units)
    chosen: dict[str, Any] = {}
    if filters.is_valid():
        chosen = filters.cleaned_data
    board = selectors.follow_up_board(
        officer,
        day=day,
        state=chosen.get("state") or "",
        unit_id=chosen.get("unit") or None,
        priority=chosen.get("priority") or "",
        bucket=chosen.get("bucket") or "",
    )
    page = Paginator(board.rows, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "board": whole,
        "filters": filters,
        "page": page,
        "query": query.urlencode(),
        "rows": [_row(a, today) for a in page.object_list],
        "states": [(s.value, s.label, whole.by_state.get(s.value, 0)) for s in State],
        "buckets": [(b, BUCKET_LABELS[b], whole.by_bucket.get(b, 0)) for b in selectors.BUCKETS],
    }
    return render(request, "assignments/board.html", context)


# --- create -------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def create_view(request: HttpRequest) -> HttpResponse:
    """New assignment (a head), or a sub-task of `?parent=<id>` (its responsible person)."""
    officer = _officer(request)
    parent = None
    parent_id = request.GET.get("parent") or request.POST.get("parent")
    if parent_id:
        if not str(parent_id).isdigit():
            raise Http404
        parent = _visible(request, int(parent_id))
        if not policy.can(request.user, "assignments.subtask", parent) or not parent.is_active:
            raise DjangoPermissionDenied
    elif not policy.holds_role(officer, Role.HEAD):
        raise DjangoPermissionDenied
    include_self = parent is not None
    reference = request.GET.get("nguon") or request.POST.get("nguon") or ""
    source = source_resolve(request.user, reference) if reference else None
    if reference and source is None:
        raise Http404
    initial = {"starts_on": selectors.today(), "priority": Priority.NORMAL}
    if source is not None:
        initial["title"] = source.label[:200]
    if parent is not None:
        initial["due_on"] = parent.due_on
    status = 200
    if request.method == "POST":
        form = AssignmentForm(request.POST, officer=officer, include_self=include_self)
        if form.is_valid():
            data = form.cleaned_data
            try:
                assignment = services.assignment_create(
                    actor=request.user,
                    title=data["title"],
                    description=data["description"],
                    assignee_unit=data["assignee_unit"],
                    assignee_officer=data["assignee_officer"],
                    co_units=list(data["co_units"]),
                    co_officers=list(data["co_officers"]),
                    priority=data["priority"],
                    starts_on=data["starts_on"],
                    due_on=data["due_on"],
                    parent=parent,
                    **(
                        {
                            "source_type": source.type,
                            "source_id": source.id,
                            "source_label": source.label,
                            "source_url": source.url,
                        }
                        if source is not None
                        else {}
                    ),
                )
            except EgovError as exc:
                status = _apply_error(form, exc)
            else:
                messages.success(
                    request,
                    gettext("Assignment “%(title)s” given.") % {"title": assignment.title},
                )
                return redirect("assignments:detail", pk=assignment.pk)
        else:
            status = 422
    else:
        form = AssignmentForm(initial=initial, officer=officer, include_self=include_self)
    return render(
        request,
        "assignments/create.html",
        {"form": form, "parent": parent, "source": source, "reference": reference},
        status=status,
    )


# --- the assignment page ------------------------------------------------------------------------


@dataclass(frozen=True)
class Action:
    slug: str
    title: Any
    form: type[forms.Form]
    run: Callable[[HttpRequest, Assignment, Any], Any]
    rule: str
    danger: bool = False


def _run_complete(request: HttpRequest, assignment: Assignment, data: Any) -> Any:
    return services.assignment_complete(
        actor=request.user,
        assignment=assignment,
        result_note=data["result_note"],
        expected_version=data["version"],
    )


def _run_reopen(request: HttpRequest, assignment: Assignment, data: Any) -> Any:
    return services.assignment_reopen(
        actor=request.user,
        assignment=assignment,
        reason=data["reason"],
        due_on=data["due_on"],
        expected_version=data["version"],
    )


def _run_cancel(request: HttpRequest, assignment: Assignment, data: Any) -> Any:
    return services.assignment_cancel(
        actor=request.user,
        assignment=assignment,
        reason=data["reason"],
        expected_version=data["version"],
    )


def _run_reassign(request: HttpRequest, assignment: Assignment, data: Any) -> Any:
    return services.assignment_reassign(
        actor=request.user,
        assignment=assignment,
        assignee_unit=data["assignee_unit"],
        assignee_officer=data["assignee_officer"],
        note=data["note"],
        expected_version=data["version"],
    )


ACTIONS: dict[str, Action] = {
    a.slug: a
    for a in [
        Action(
            "hoan-thanh", _("Report completion"), CompleteForm, _run_complete, "assignments.work"
        ),
        Action("mo-lai", _("Reopen"), ReopenForm, _run_reopen, "assignments.manage"),
        Action("giao-lai", _("Reassign"), ReassignForm, _run_reassign, "assignments.manage"),
        Action(
            "huy", _("Cancel the assignment"), ReasonForm, _run_cancel, "assignments.manage", True
        ),
    ]
}


def available_actions(request: HttpRequest, assignment: Assignment) -> list[str]:
    """The actions the user may take now: the policy rules and the state table."""
    user = request.user
    out: list[str] = []
    if policy.officer_of(user) is None:
        return out  # the services act for officers only (a bare superuser only reads)
    work = policy.can(user, "assignments.work", assignment)
    manage = policy.can(user, "assignments.manage", assignment)
    if work and assignment.is_active:
        out.append("hoan-thanh")
    if manage and assignment.state == State.DONE:
        out.append("mo-lai")
    if manage and assignment.is_active:
        out += ["giao-lai", "huy"]
    return out


def _make_form(
    request: HttpRequest, action: Action, assignment: Assignment, data: Any = None
) -> forms.Form:
    kwargs: dict[str, Any] = {"initial": {"version": assignment.version}, "prefix": action.slug}
    if action.form is ReassignForm:
        kwargs["officer"] = _officer(request)
    if data is not None:
        return action.form(data, **kwargs)
    return action.form(**kwargs)


def _detail_context(
    request: HttpRequest, assignment: Assignment, bound: tuple[str, forms.Form] | None = None
) -> dict[str, Any]:
    today = _today()
    slugs = available_actions(request, assignment)
    forms_by_slug = {slug: _make_form(request, ACTIONS[slug], assignment) for slug in slugs}
    if bound is not None and bound[0] in ACTIONS:
        forms_by_slug[bound[0]] = bound[1]  # shown even when the action is no longer allowed
    manage = policy.can(request.user, "assignments.manage", assignment)
    work = policy.can(request.user, "assignments.work", assignment)
    extensions = list(
        assignment.extension_requests.select_related("requested_by", "decided_by").order_by(
            "requested_at", "pk"
        )
    )
    decide_form = None
    pending = next((e for e in extensions if e.state == ExtensionRequest.State.PENDING), None)
    if pending is not None and manage and assignment.is_active:
        decide_form = DecideForm(initial={"version": assignment.version}, prefix="quyet-dinh")
        if bound is not None and bound[0] == "quyet-dinh":
            decide_form = bound[1]  # type: ignore[assignment]
    events = list(assignment.events.order_by("at", "pk"))
    return {
        "assignment": assignment,
        "row": _row(assignment, today),
        "co_units": list(assignment.co_units.order_by("path")),
        "co_officers": list(assignment.co_officers.select_related("unit").order_by("full_name")),
        "ancestors": list(reversed(selectors.ancestors(assignment))),
        "subtasks": [
            {"depth": depth, **_row(child, today)}
            for child, depth in selectors.subtask_tree(assignment)
        ],
        "updates": list(assignment.updates.select_related("author").order_by("at", "pk")),
        "extensions": extensions,
        "pending": pending,
        "decide_form": decide_form,
        "events": [{"event": e, "label": EVENT_LABELS.get(e.action, e.action)} for e in events],
        "actions": [
            {"action": ACTIONS[slug], "form": form, "open": bool(bound and bound[0] == slug)}
            for slug, form in forms_by_slug.items()
        ],
        "may_report": work and assignment.is_active,
        "may_request_extension": work and assignment.is_active and pending is None,
        "may_subtask": assignment.is_active
        and policy.can(request.user, "assignments.subtask", assignment),
    }


@login_required
@require_GET
def detail_view(request: HttpRequest, pk: int) -> HttpResponse:
    """The assignment: details, source, sub-tasks, progress, extensions, history, actions."""
    assignment = _visible(request, pk)
    return render(request, "assignments/detail.html", _detail_context(request, assignment))


@login_required
@require_POST
def action_view(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """Run one action through its service with the version the officer saw."""
    assignment = _visible(request, pk)
    spec = ACTIONS.get(action)
    if spec is None:
        raise Http404
    form = _make_form(request, spec, assignment, request.POST)
    status = 422
    if form.is_valid():
        try:
            spec.run(request, assignment, form.cleaned_data)
        except EgovError as exc:
            status = _apply_error(form, exc)
        else:
            messages.success(
                request,
                gettext("%(action)s: done for “%(title)s”.")
                % {"action": spec.title, "title": assignment.title},
            )
            return redirect("assignments:detail", pk=assignment.pk)
    fresh = _visible(request, pk)
    return render(
        request,
        "assignments/detail.html",
        _detail_context(request, fresh, bound=(action, form)),
        status=status,
    )


@login_required
@require_POST
def decide_view(request: HttpRequest, pk: int, request_id: int) -> HttpResponse:
    """Grant or refuse an extension request."""
    assignment = _visible(request, pk)
    extension = ExtensionRequest.objects.filter(pk=request_id, assignment=assignment).first()
    if extension is None:
        raise Http404
    form = DecideForm(request.POST, prefix="quyet-dinh")
    status = 422
    if form.is_valid():
        grant = form.cleaned_data["decision"] == "grant"
        try:
            services.extension_decide(
                actor=request.user,
                extension=extension,
                grant=grant,
                comment=form.cleaned_data["comment"],
                expected_version=form.cleaned_data["version"],
            )
        except EgovError as exc:
            status = _apply_error(form, exc)
        else:
            text = gettext("Extension granted.") if grant else gettext("Extension refused.")
            messages.success(request, text)
            return redirect("assignments:detail", pk=assignment.pk)
    fresh = _visible(request, pk)
    return render(
        request,
        "assignments/detail.html",
        _detail_context(request, fresh, bound=("quyet-dinh", form)),
        status=status,
    )


def _work_page(
    request: HttpRequest,
    pk: int,
    *,
    form_class: type[forms.Form],
    template: str,
    run: Callable[[Assignment, dict[str, Any]], Any],
    done: str,
) -> HttpResponse:
    assignment = _visible(request, pk)
    if not policy.can(request.user, "assignments.work", assignment) or not assignment.is_active:
        raise DjangoPermissionDenied
    status = 200
    if request.method == "POST":
        form = form_class(request.POST)
        if form.is_valid():
            try:
                run(assignment, form.cleaned_data)
            except EgovError as exc:
                status = _apply_error(form, exc)
            else:
                messages.success(request, done)
                return redirect("assignments:detail", pk=assignment.pk)
        else:
            status = 422
    else:
        form = form_class(initial={"version": assignment.version, "percent": assignment.progress})
    return render(request, template, {"assignment": assignment, "form": form}, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def progress_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Report progress (percentage and what was done)."""

    def run(assignment: Assignment, data: dict[str, Any]) -> Any:
        return services.assignment_update_progress(
            actor=request.user,
            assignment=assignment,
            percent=data["percent"],
            note=data["note"],
            expected_version=data["version"],
        )

    return _work_page(
        request,
        pk,
        form_class=ProgressForm,
        template="assignments/progress.html",
        run=run,
        done=gettext("Progress reported."),
    )


@login_required
@require_http_methods(["GET", "POST"])
def extension_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Ask the assigner for a later due date."""

    def run(assignment: Assignment, data: dict[str, Any]) -> Any:
        return services.extension_request(
            actor=request.user,
            assignment=assignment,
            new_due_on=data["new_due_on"],
            reason=data["reason"],
            expected_version=data["version"],
        )

    return _work_page(
        request,
        pk,
        form_class=ExtensionForm,
        template="assignments/extension.html",
        run=run,
        done=gettext("Extension requested: the assigner will decide."),
    )

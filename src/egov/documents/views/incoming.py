"""Screens of incoming documents: register, the organisation's list, the document page with the
actions allowed now, and "my documents" (/lam-viec/van-ban/…).

Views parse the form, call one service and render; refusals of the services are shown next to
the field they name. Who may see a document page is `document.read` (rules_read.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from egov.assignments.selectors import assignments_by_source
from egov.core.errors import EgovError
from egov.directory import policy
from egov.directory import selectors as directory
from egov.directory.models import Officer, Organization, Role
from egov.documents.forms_incoming import (
    CompleteForm,
    DirectForm,
    IncomingFilterForm,
    MetadataForm,
    MineFilterForm,
    PassOnForm,
    PresentForm,
    ReasonForm,
    RegisterArrivedForm,
    RegisterIncomingForm,
)
from egov.documents.models import Direction, Document, DocumentFile, Route, State
from egov.documents.selectors.incoming import (
    OPEN_ROUTE_STATES,
    document_routes_tree,
    incoming_list,
    my_documents,
    route_open_for,
)
from egov.documents.services import incoming as services

PAGE_SIZE = 25
OCR_KEYS = ("code_number", "code_notation", "issued_on", "issuer_name", "subject")
DIRECTABLE = (State.REGISTERED, State.PRESENTED, State.FOR_INFORMATION, State.IN_PROCESS)

EVENT_LABELS: dict[str, Any] = {
    "register": _("Registered"),
    "present": _("Presented to the head"),
    "direct": _("Direction given"),
    "pass_on": _("Passed on to an officer"),
    "read": _("Read"),
    "route_complete": _("Part completed"),
    "complete": _("Completed"),
    "reopen": _("Reopened"),
    "return_to_sender": _("Returned to the sender"),
    "correct_metadata": _("Metadata corrected"),
}


# --- helpers -------------------------------------------------------------------------------------


def _officer(request: HttpRequest) -> Officer:
    officer = policy.officer_of(request.user)
    if officer is None:
        raise DjangoPermissionDenied
    return officer


def _organization(officer: Officer) -> Organization:
    return directory.officer_organization(officer)


def _document(request: HttpRequest, pk: int) -> Document:
    """The incoming document when the signed-in person may see it; 404 otherwise (no leak)."""
    document = (
        Document.objects.select_related("organization", "register", "document_type", "issuer")
        .filter(pk=pk, direction=Direction.INCOMING)
        .first()
    )
    if document is None or not policy.can(request.user, "document.read", document):
        raise Http404
    return document


def _put_error(form: forms.Form, exc: EgovError) -> None:
    field = exc.field if exc.field in form.fields else None
    form.add_error(field, str(exc.message))


def _pager(number: int, pages: int) -> dict[str, Any]:
    return {
        "number": number,
        "pages": pages,
        "has_other": pages > 1,
        "has_previous": number > 1,
        "has_next": number < pages,
        "previous": number - 1,
        "next": number + 1,
    }


def _kept_confidential_registers(officer: Officer) -> list[int]:
    return list(officer.kept_registers.filter(is_confidential=True).values_list("pk", flat=True))


# --- register ------------------------------------------------------------------------------------


_FIELD_OF_SERVICE = {"files": "main_file", "file": "main_file"}


@login_required
@require_http_methods(["GET", "POST"])
def register_view(request: HttpRequest) -> HttpResponse:
    """Vào sổ văn bản đến: the clerk registers a scanned or e-mailed document."""
    officer = _officer(request)
    organization = _organization(officer)
    if not policy.can(request.user, "document.register_incoming", organization):
        raise DjangoPermissionDenied
    form = RegisterIncomingForm(
        request.POST or None, request.FILES or None, organization=organization
    )
    duplicates: list[dict[str, Any]] = []
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            data = form.cleaned_data
            files = [services.IncomingFile(name=data["main_file"].name, upload=data["main_file"])]
            files += [
                services.IncomingFile(name=upload.name or "phu-luc", upload=upload)
                for upload in request.FILES.getlist("appendices")
            ]
            try:
                document = services.document_register_incoming(
                    actor=request.user,
                    organization=organization,
                    document_type=data["document_type"],
                    subject=data["subject"],
                    issuer=data["issuer"],
                    issuer_name=data["issuer_name"],
                    code_number=data["code_number"],
                    code_notation=data["code_notation"],
                    issued_on=data["issued_on"],
                    signer_name=data["signer_name"],
                    signer_position=data["signer_position"],
                    page_count=data["page_count"],
                    urgency=data["urgency"],
                    secrecy=data["secrecy"],
                    due_on=data["due_on"],
                    channel=data["channel"],
                    files=files,
                    register=data["register"],
                    confirm_duplicate=data["confirm_duplicate"],
                    description=data["description"],
                )
            except EgovError as exc:
                if exc.code == "document.duplicate":
                    duplicates = list(exc.details.get("duplicates", []))
                    form.add_error(None, str(exc.message))
                else:
                    field = _FIELD_OF_SERVICE.get(exc.field or "", exc.field)
                    form.add_error(field if field in form.fields else None, str(exc.message))
            else:
                messages.success(
                    request,
                    gettext("Registered with arrival number %(number)s.")
                    % {"number": document.register_number},
                )
                return redirect("documents:incoming_document", pk=document.pk)
    context = {"form": form, "organization": organization, "duplicates": duplicates}
    return render(request, "documents/incoming/register.html", context, status=status)


# --- the organisation's list ---------------------------------------------------------------------


@login_required
@require_GET
def list_view(request: HttpRequest) -> HttpResponse:
    """Sổ văn bản đến on screen: the organisation's incoming documents for its clerks and heads."""
    officer = _officer(request)
    organization = _organization(officer)
    allowed = policy.can(request.user, "document.register_incoming", organization) or (
        policy.can(request.user, "document.direct", organization)
    )
    if not allowed:
        raise DjangoPermissionDenied
    form = IncomingFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    documents = incoming_list(
        organization,
        state=filters.get("state") or "",
        year=filters.get("year"),
        urgency=filters.get("urgency") or "",
        query=filters.get("q") or "",
        confidential_registers=_kept_confidential_registers(officer),
    )
    page = Paginator(documents, PAGE_SIZE).get_page(request.GET.get("page"))
    query = {k: v for k, v in request.GET.items() if k != "page" and v}
    context = {
        "form": form,
        "page": page,
        "pager": _pager(page.number, page.paginator.num_pages),
        "organization": organization,
        "query": urlencode(query),
        "can_register": policy.can(request.user, "document.register_incoming", organization),
    }
    return render(request, "documents/incoming/list.html", context)


# --- my documents --------------------------------------------------------------------------------


def _due_state(route: Route, today: date) -> str:
    if route.due_on is None or route.state not in OPEN_ROUTE_STATES:
        return "none"
    if route.due_on < today:
        return "overdue"
    if (route.due_on - today).days <= 2:
        return "soon"
    return "ok"


DUE_LABELS: dict[str, Any] = {
    "overdue": _("Overdue"),
    "soon": _("Due soon"),
    "ok": _("On time"),
    "none": "",
}


@login_required
@require_GET
def mine_view(request: HttpRequest) -> HttpResponse:
    """Văn bản của tôi: what was routed to me or to the unit I head; overdue and urgent first."""
    officer = _officer(request)
    form = MineFilterForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    try:
        number = int(request.GET.get("page", "1"))
    except ValueError:
        number = 1
    page = my_documents(
        officer,
        state=data.get("show") or "pending",
        urgency=data.get("urgency") or None,
        overdue_only=bool(data.get("overdue")),
        page=number,
    )
    rows = [
        {
            "route": r,
            "due": _due_state(r, page.today),
            "label": DUE_LABELS[_due_state(r, page.today)],
        }
        for r in page.items
    ]
    query = {k: v for k, v in request.GET.items() if k != "page" and v}
    context = {
        "form": form,
        "page": page,
        "pager": _pager(page.number, page.pages),
        "rows": rows,
        "query": urlencode(query),
    }
    return render(request, "documents/incoming/mine.html", context)


# --- the document page ---------------------------------------------------------------------------


@dataclass
class Action:
    slug: str
    title: Any
    form: forms.Form
    route: Route | None = None
    open: bool = False
    danger: bool = False


def _version_initial(document: Document) -> dict[str, Any]:
    return {"version": document.version}


def _ocr_initial(document: Document, chosen: list[str]) -> dict[str, Any]:
    """The metadata form's start values: the document's, or a suggestion the clerk picked."""
    initial: dict[str, Any] = {
        "version": document.version,
        "code_number": document.code_number,
        "code_notation": document.code_notation,
        "issued_on": document.issued_on,
        "issuer_name": document.issuer_name,
        "subject": document.subject,
    }
    suggestions = document.ocr_suggestions or {}
    for key in chosen:
        if key in OCR_KEYS and suggestions.get(key):
            initial[key] = suggestions[key]
    return initial


def _suggestions(document: Document, chosen: list[str]) -> list[dict[str, Any]]:
    """One row per OCR value, with the link that copies it into the metadata form."""
    suggestions = document.ocr_suggestions or {}
    rows = []
    for key in OCR_KEYS:
        value = suggestions.get(key)
        if not value:
            continue
        keys = sorted({*chosen, key})
        rows.append(
            {
                "key": key,
                "label": MetadataForm.base_fields[key].label,
                "value": value,
                "current": getattr(document, key),
                "used": key in chosen,
                "query": urlencode([("dung", k) for k in keys]),
            }
        )
    return rows


def _actions(
    request: HttpRequest,
    document: Document,
    officer: Officer,
    bound: Action | None = None,
    chosen: list[str] | None = None,
) -> list[Action]:
    """The actions the signed-in officer may take now, each with its (unbound) form."""
    user = request.user
    out: list[Action] = []
    state = document.state

    def add(action: Action) -> None:
        key = (action.slug, action.route.pk if action.route else None)
        if bound is not None and (bound.slug, bound.route.pk if bound.route else None) == key:
            out.append(bound)
        else:
            out.append(action)

    if state == State.ARRIVED and policy.can(user, "document.register_incoming", document):
        initial = {**_version_initial(document), "urgency": document.urgency}
        initial.update(page_count=document.page_count, due_on=document.due_on)
        add(
            Action(
                "vao-so",
                _("Enter in the register"),
                RegisterArrivedForm(initial=initial, document=document),
            )
        )
    if state in (State.ARRIVED, State.REGISTERED) and policy.can(
        user, "document.return_to_sender", document
    ):
        add(
            Action(
                "tra-lai",
                _("Return to the sender"),
                ReasonForm(initial=_version_initial(document)),
                danger=True,
            )
        )
    if state == State.REGISTERED and policy.can(user, "document.present", document):
        add(
            Action(
                "trinh",
                _("Present to a head"),
                PresentForm(initial=_version_initial(document), document=document),
            )
        )
    if state in DIRECTABLE and policy.can(user, "document.direct", document):
        add(
            Action(
                "but-phe",
                _("Direct (bút phê)"),
                DirectForm(
                    initial={**_version_initial(document), "due_on": document.due_on},
                    document=document,
                ),
                open=state == State.PRESENTED,
            )
        )
    for route in route_open_for(document, officer):
        if route.state not in OPEN_ROUTE_STATES:
            continue
        if (
            route.officer_id is None
            and route.role != Route.Role.HEAD
            and policy.can(user, "route.pass_on", route)
        ):
            assert route.unit is not None
            add(
                Action(
                    "chuyen",
                    _("Pass on to an officer of %(unit)s") % {"unit": route.unit.name_vi},
                    PassOnForm(initial={"route": route.pk}, unit=route.unit),
                    route=route,
                )
            )
        if route.role in (Route.Role.LEAD, Route.Role.CO) and policy.can(
            user, "route.complete", route
        ):
            add(
                Action(
                    "hoan-thanh",
                    _("Report completion (lead)")
                    if route.role == Route.Role.LEAD
                    else _("Report completion (co-operating)"),
                    CompleteForm(initial={"route": route.pk}, document=document),
                    route=route,
                )
            )
    if state == State.COMPLETED and policy.can(user, "document.reopen", document):
        add(
            Action(
                "mo-lai",
                _("Reopen"),
                ReasonForm(initial=_version_initial(document)),
                danger=True,
            )
        )
    editable = state in (*DIRECTABLE, State.COMPLETED)
    if editable and policy.can(user, "document.correct_metadata", document):
        add(
            Action(
                "sua",
                _("Confirm or correct the metadata"),
                MetadataForm(initial=_ocr_initial(document, chosen or [])),
                open=bool(chosen),
            )
        )
    return out


def _mark_read(request: HttpRequest, document: Document, officer: Officer) -> None:
    """Opening the page is the read receipt of the routes addressed to the viewer."""
    for route in route_open_for(document, officer):
        if route.read_at is None and policy.can(request.user, "route.read", route):
            services.route_mark_read(actor=request.user, route=route)


def _page(
    request: HttpRequest, document: Document, bound: Action | None = None, status: int = 200
) -> HttpResponse:
    officer = _officer(request)
    chosen = [k for k in request.GET.getlist("dung") if k in OCR_KEYS]
    files = list(
        DocumentFile.objects.filter(document=document).select_related("file").order_by("pk")
    )
    events = [
        {"event": e, "label": EVENT_LABELS.get(e.action, e.action)}
        for e in document.events.order_by("at", "pk")
    ]
    actions = _actions(request, document, officer, bound, chosen)
    context = {
        "document": document,
        "files": files,
        "tree": document_routes_tree(document),
        "events": events,
        "actions": actions,
        "suggestions": _suggestions(document, chosen)
        if any(a.slug == "sua" for a in actions)
        else [],
        # Whoever reports completion may answer with a reply document drafted from here.
        "can_reply": any(a.slug == "hoan-thanh" for a in actions)
        and officer is not None
        and policy.can(request.user, "document.draft", directory.officer_organization(officer)),
        # Heads give work from the document; what was given shows on its page.
        "can_assign": officer is not None and policy.holds_role(officer, Role.HEAD),
        "assignments": list(assignments_by_source("document", str(document.pk))),
        "today": timezone.localdate(),
    }
    return render(request, "documents/incoming/document.html", context, status=status)


@login_required
@require_GET
def document_view(request: HttpRequest, pk: int) -> HttpResponse:
    document = _document(request, pk)
    _mark_read(request, document, _officer(request))
    return _page(request, document)


def _route_from_post(request: HttpRequest, document: Document) -> Route:
    try:
        pk = int(request.POST.get("route", ""))
    except ValueError:
        raise Http404 from None
    found = (
        Route.objects.select_related("unit", "officer", "document")
        .filter(pk=pk, document=document)
        .first()
    )
    if found is None:
        raise Http404
    return found


def _run(request: HttpRequest, document: Document, slug: str) -> tuple[Action, Any]:
    """Bind the action's form, call its service; (the action, the service's result or None)."""
    data = request.POST
    try:
        version = {"expected_version": int(data.get("version") or 0)}
    except ValueError:
        version = {"expected_version": 0}  # answered as a conflict: reload and try again
    if slug == "vao-so":
        form: forms.Form = RegisterArrivedForm(data, document=document)
        action = Action(slug, _("Enter in the register"), form, open=True)
        if form.is_valid():
            c = form.cleaned_data
            return action, services.document_register_arrived(
                actor=request.user,
                document=document,
                register=c["register"],
                page_count=c["page_count"],
                urgency=c["urgency"],
                due_on=c["due_on"],
                **version,
            )
    elif slug == "tra-lai":
        form = ReasonForm(data)
        action = Action(slug, _("Return to the sender"), form, open=True, danger=True)
        if form.is_valid():
            return action, services.document_return_to_sender(
                actor=request.user, document=document, reason=form.cleaned_data["reason"], **version
            )
    elif slug == "trinh":
        form = PresentForm(data, document=document)
        action = Action(slug, _("Present to a head"), form, open=True)
        if form.is_valid():
            return action, services.document_present(
                actor=request.user, document=document, head=form.cleaned_data["head"], **version
            )
    elif slug == "but-phe":
        form = DirectForm(data, document=document)
        action = Action(slug, _("Direct (bút phê)"), form, open=True)
        if form.is_valid():
            c = form.cleaned_data
            return action, services.document_direct(
                actor=request.user,
                document=document,
                direction_text=c["direction_text"],
                lead_unit=c["lead_unit"],
                lead_officer=c["lead_officer"],
                co_units=list(c["co_units"]),
                co_officers=list(c["co_officers"]),
                info_units=list(c["info_units"]),
                info_officers=list(c["info_officers"]),
                due_on=c["due_on"],
                **version,
            )
    elif slug == "chuyen":
        route = _route_from_post(request, document)
        if route.unit is None:
            raise Http404
        form = PassOnForm(data, unit=route.unit)
        action = Action(slug, _("Pass on"), form, route=route, open=True)
        if form.is_valid():
            c = form.cleaned_data
            return action, services.route_pass_on(
                actor=request.user,
                route=route,
                officer=c["officer"],
                due_on=c["due_on"],
                note=c["note"],
            )
    elif slug == "hoan-thanh":
        route = _route_from_post(request, document)
        form = CompleteForm(data, document=document)
        action = Action(slug, _("Report completion"), form, route=route, open=True)
        if form.is_valid():
            c = form.cleaned_data
            reply = (
                Document.objects.filter(
                    pk=c["reply_document"], organization_id=document.organization_id
                ).first()
                if c["reply_document"]
                else None
            )
            return action, services.route_complete(
                actor=request.user, route=route, result_note=c["result_note"], reply_document=reply
            )
    elif slug == "mo-lai":
        form = ReasonForm(data)
        action = Action(slug, _("Reopen"), form, open=True, danger=True)
        if form.is_valid():
            return action, services.document_reopen(
                actor=request.user, document=document, reason=form.cleaned_data["reason"], **version
            )
    elif slug == "sua":
        form = MetadataForm(data)
        action = Action(slug, _("Confirm or correct the metadata"), form, open=True)
        if form.is_valid():
            c = form.cleaned_data
            return action, services.document_correct_metadata(
                actor=request.user,
                document=document,
                code_number=c["code_number"],
                code_notation=c["code_notation"],
                issued_on=c["issued_on"],
                issuer_name=c["issuer_name"],
                subject=c["subject"],
                **version,
            )
    else:
        raise Http404
    return action, None


DONE_MESSAGES: dict[str, Any] = {
    "vao-so": _("The document was registered."),
    "tra-lai": _("The document was returned to the sender."),
    "trinh": _("The document was presented to the head."),
    "but-phe": _("The direction was recorded and sent."),
    "chuyen": _("The document was passed on."),
    "hoan-thanh": _("Your completion was recorded."),
    "mo-lai": _("The document was reopened."),
    "sua": _("The metadata was saved."),
}


@login_required
@require_POST
def action_view(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """Run one action of the document page; on refusal, show the page with the error."""
    document = _document(request, pk)
    try:
        bound, result = _run(request, document, action)
    except EgovError as exc:
        if exc.status == 403:
            raise DjangoPermissionDenied from exc
        if exc.status == 404:
            raise Http404 from exc
        document.refresh_from_db()
        fresh = _run_form_only(request, document, action)
        _put_error(fresh.form, exc)
        return _page(request, document, fresh, status=409 if exc.status == 409 else 422)
    if result is None:
        return _page(request, document, bound, status=422)
    messages.success(request, DONE_MESSAGES[action])
    return redirect("documents:incoming_document", pk=document.pk)


def _run_form_only(request: HttpRequest, document: Document, slug: str) -> Action:
    """The action's form bound to what was posted, for showing a service's refusal."""
    data = request.POST.copy()
    data["version"] = str(document.version)  # show the current version for a retry
    forms_by_slug: dict[str, Any] = {
        "vao-so": lambda: RegisterArrivedForm(data, document=document),
        "tra-lai": lambda: ReasonForm(data),
        "trinh": lambda: PresentForm(data, document=document),
        "but-phe": lambda: DirectForm(data, document=document),
        "mo-lai": lambda: ReasonForm(data),
        "sua": lambda: MetadataForm(data),
        "hoan-thanh": lambda: CompleteForm(data, document=document),
    }
    route = None
    if slug in ("chuyen", "hoan-thanh"):
        route = _route_from_post(request, document)
    if slug == "chuyen":
        assert route is not None
        assert route.unit is not None
        form = PassOnForm(data, unit=route.unit)
    else:
        form = forms_by_slug[slug]()
    form.is_valid()
    title = bound_titles.get(slug, "")
    return Action(slug, title, form, route=route, open=True, danger=slug in ("tra-lai", "mo-lai"))


bound_titles: dict[str, Any] = {
    "vao-so": _("Enter in the register"),
    "tra-lai": _("Return to the sender"),
    "trinh": _("Present to a head"),
    "but-phe": _("Direct (bút phê)"),
    "chuyen": _("Pass on"),
    "hoan-thanh": _("Report completion"),
    "mo-lai": _("Reopen"),
    "sua": _("Confirm or correct the metadata"),
}

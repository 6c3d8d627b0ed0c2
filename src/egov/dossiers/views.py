"""The one-stop screens: the counter, "my dossiers", the dossier page, the head's board, and the
public status page (issue #4 §3; docs/adr/0006-dossier-states.md).

Views parse, ask the dossiers policy rules what to show, call one service and render; they
never write a model. Each action form carries the dossier version the officer saw, passed to
the service as `expected_version`: when someone else acted first the service refuses with
`dossier.conflict` and the page says so. A dossier the user may not see answers 404, so that
its code does not leak.
"""

from __future__ import annotations

import base64
import io
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import qrcode
import qrcode.image.svg
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.paginator import Paginator
from django.db.models import (
    Count,
    DateTimeField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
)
from django.db.models.functions import Coalesce
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from egov.core.botguard import bot_check
from egov.core.errors import Conflict, EgovError, PermissionDenied, ValidationFailed
from egov.core.files import file_open
from egov.core.ratelimit import RateLimited, rate_limit_check, rate_limit_hit, request_key
from egov.core.text import fold
from egov.directory import policy
from egov.directory import selectors as directory
from egov.directory import services as directory_services
from egov.directory.identifiers import normalize_tax_code
from egov.directory.models import Applicant, Officer, Organization, Role
from egov.dossiers import (
    citizen_selectors,
    conf,
    deadlines,
    notes,
    online_services,
    result_services,
    services,
    slip_services,
)
from egov.dossiers.forms import (
    FILE_PREFIX,
    ApologyForm,
    ApproveForm,
    DenyForm,
    DossierSearchForm,
    LogExportForm,
    NoteForm,
    OptionalReasonForm,
    PaymentForm,
    ProcedureSearchForm,
    ReasonForm,
    ReceiveForm,
    RefuseForm,
    ReturnForm,
    SignResultForm,
    StatusForm,
    SupplementForm,
    VersionForm,
)
from egov.dossiers.models import (
    OPEN_STATES,
    TRANSITIONS,
    ClockStop,
    Dossier,
    DossierFile,
    DossierSlip,
    DossierStep,
    SlipForm,
    State,
)
from egov.dossiers.selectors import (
    dossier_by_code,
    dossier_search,
    dossier_steps,
    dossiers_visible_to,
)
from egov.dossiers.slips import SOURCE_ACTIONS
from egov.procedures.eforms import eform_validate
from egov.procedures.models import Channel
from egov.procedures.selectors import procedure_published, procedure_search
from egov.signing.selectors import signing_keys_usable_by

PAGE_SIZE = 25
SEARCH_LIMIT = 50
_DIGITS = re.compile(r"\D")

# What each entry of the hand-over log means, for officers (the public reading is
# egov.dossiers.citizen_selectors.EVENT_WORDS).
EVENT_LABELS: dict[str, Any] = {
    "receive": _("Dossier received"),
    "accept": _("Accepted as complete"),
    "request_supplement": _("Supplement requested"),
    "resubmit": _("Supplements brought in"),
    "refuse": _("Refused"),
    "start_step": _("Step taken up"),
    "complete_step": _("Step finished and handed over"),
    "approve_result": _("Result approved"),
    "deny_result": _("Result denied"),
    "return_result": _("Result returned"),
    "withdraw": _("Withdrawn"),
    "cancel": _("Cancelled"),
    "apologize": _("Apology and new appointment"),
    "record_cash_payment": _("Fees paid in cash"),
    "sign_result": _("Result signed digitally"),
    "record_online_payment": _("Fees paid online"),
}
TIMELINESS_LABELS: dict[str, Any] = {
    deadlines.EARLY: _("Early"),
    deadlines.ON_TIME: _("On time"),
    deadlines.LATE: _("Late"),
    deadlines.OVERDUE: _("Overdue"),
}


# --- common helpers ------------------------------------------------------------------------------


def _officer(request: HttpRequest) -> Officer:
    """The signed-in officer; citizens and accounts without a staff profile get 403."""
    officer = policy.officer_of(request.user)
    if officer is None:
        raise DjangoPermissionDenied
    return officer


def _visible(request: HttpRequest, code: str) -> Dossier:
    """The dossier with this code when the signed-in officer may see it; 404 otherwise."""
    if policy.officer_of(request.user) is None and not request.user.is_superuser:
        raise Http404
    dossier = dossier_by_code(code[:64])
    if dossier is None or not policy.can(request.user, "dossiers.view", dossier):
        raise Http404
    return dossier


def _timeliness(
    due_at: datetime, finished_at: datetime | None, stopped_at: datetime | None, tz: Any = None
) -> str:
    """`selectors.step_timeliness` on values already fetched (no query per row of a page)."""
    return deadlines.timeliness(due_at, finished_at, at=stopped_at or deadlines.now(), tz=tz)


def _error_text(exc: EgovError) -> str:
    return str(exc.message)


# --- accent-insensitive name search --------------------------------------------------------------


def _letter_variants() -> dict[str, str]:
    """For each bare letter, every precomposed letter that folds to it (both cases)."""
    groups: dict[str, set[str]] = {}
    for start, stop in ((0x41, 0x5B), (0x61, 0x7B), (0x00C0, 0x0250), (0x1E00, 0x1F00)):
        for code in range(start, stop):
            char = chr(code)
            base = fold(char)
            if len(base) == 1 and base.isascii() and base.isalpha():
                groups.setdefault(base, set()).update({char, char.lower(), char.upper()})
    return {base: "".join(sorted(chars)) for base, chars in groups.items()}


_VARIANTS = _letter_variants()


def accent_free_pattern(text: str) -> str:
    """A regular expression that finds `text` in a name whatever its diacritics and case:
    "nguyen thi lan" finds "Nguyễn Thị Lan" (both databases run it; no folded column needed).
    The officers' search uses the search index now (`selectors.dossier_search`)."""
    out = []
    for char in fold(text):
        if char in _VARIANTS:
            out.append(f"[{_VARIANTS[char]}]")
        elif char == " ":
            out.append(r"\s+")
        else:
            out.append(re.escape(char))
    return "".join(out)


# --- "my dossiers" -------------------------------------------------------------------------------


def _current_steps() -> QuerySet[DossierStep]:
    """Each dossier's current step: unfinished, with no unfinished step before it."""
    earlier = DossierStep.objects.filter(
        dossier=OuterRef("dossier"), finished_at__isnull=True, order__lt=OuterRef("order")
    )
    return DossierStep.objects.filter(finished_at__isnull=True).exclude(Exists(earlier))


def _my_steps_q(officer: Officer) -> Q:
    """Steps the officer may work (the `dossiers.step.work` rule as a filter)."""
    condition = Q(pk__in=[])
    for assignment in directory.officer_roles(officer):
        reach = directory.scope_reach_q(officer, assignment.scope, field="responsible_unit")
        if assignment.role in (Role.OFFICER, Role.HEAD):
            condition |= reach
        elif assignment.role == Role.COUNTER:
            condition |= reach & Q(responsible_role=Role.COUNTER)
    return condition


def _counter_checks_q(officer: Officer) -> Q:
    """Dossiers waiting at the counter (completeness check, supplements) the officer reaches."""
    condition = Q(pk__in=[])
    for assignment in directory.officer_roles(officer):
        if assignment.role == Role.COUNTER:
            condition |= directory.scope_reach_q(
                officer, assignment.scope, field="receiving_organization"
            )
    return condition & Q(state__in=[State.SUBMITTED, State.SUPPLEMENT_REQUESTED])


def my_dossiers(officer: Officer) -> QuerySet[Dossier]:
    """The officer's queue: dossiers whose current step is theirs, and for the counter the
    dossiers waiting for the completeness check or supplements; soonest due first. Each row
    carries its current step (name, due, started) and the moment its clock stopped, if it did."""
    current = _current_steps().filter(dossier=OuterRef("pk")).order_by("order")
    stop = ClockStop.objects.filter(dossier=OuterRef("pk"), resumed_at__isnull=True)
    mine = _current_steps().filter(_my_steps_q(officer)).values("dossier_id")
    return (
        Dossier.objects.filter(Q(pk__in=mine) | _counter_checks_q(officer))
        .exclude(state__in=[State.REFUSED, State.RETURNED, State.WITHDRAWN, State.CANCELLED])
        .select_related("procedure_version")
        .annotate(
            step_name=Subquery(current.values("name")[:1]),
            step_due=Subquery(current.values("due_at")[:1]),
            step_started=Subquery(current.values("started_at")[:1]),
            stopped_at=Subquery(stop.values("stopped_at")[:1]),
            sort_due=Coalesce(Subquery(current.values("due_at")[:1]), F("due_at")),
        )
        .order_by("sort_due", "pk")
    )


@login_required
@require_GET
def queue_view(request: HttpRequest) -> HttpResponse:
    """ "Hồ sơ của tôi": the officer's dossiers, with the due-date colour of the current step."""
    officer = _officer(request)
    page = Paginator(my_dossiers(officer), PAGE_SIZE).get_page(request.GET.get("page"))
    rows = []
    tz = deadlines.get_calendar().tz
    for dossier in page.object_list:
        due = dossier.step_due or dossier.due_at  # type: ignore[attr-defined]
        state = _timeliness(due, None, dossier.stopped_at, tz)  # type: ignore[attr-defined]
        rows.append(
            {"dossier": dossier, "due": due, "timeliness": state, "label": TIMELINESS_LABELS[state]}
        )
    context = {
        "page": page,
        "rows": rows,
        "labels": TIMELINESS_LABELS,
        "can_receive": _may_receive(request, officer),
    }
    return render(request, "dossiers/queue.html", context)


# --- the counter: receive ------------------------------------------------------------------------


def _counter_organization(officer: Officer) -> Organization:
    return directory.officer_organization(officer)


def _may_receive(request: HttpRequest, officer: Officer) -> bool:
    return policy.can(request.user, "dossiers.receive", _counter_organization(officer))


def _require_receive(request: HttpRequest) -> Organization:
    officer = _officer(request)
    organization = _counter_organization(officer)
    if not policy.can(request.user, "dossiers.receive", organization):
        raise DjangoPermissionDenied
    return organization


@login_required
@require_GET
def receive_choose_view(request: HttpRequest) -> HttpResponse:
    """Step 1 at the counter: find the procedure (accents optional)."""
    _require_receive(request)
    form = ProcedureSearchForm(request.GET or None)
    query = form.cleaned_data["q"] if form.is_valid() else ""
    result = procedure_search(query, limit=30)
    return render(
        request,
        "dossiers/receive_choose.html",
        {"form": form, "query": query, "procedures": result.items, "total": result.total},
    )


def _applicant_for(identifier: str) -> Applicant | None:
    digits = _DIGITS.sub("", identifier)
    if len(digits) == 12:
        return Applicant.objects.filter(kind=Applicant.Kind.PERSON, national_id=digits).first()
    tax = normalize_tax_code(identifier)
    if tax:
        return Applicant.objects.filter(kind=Applicant.Kind.BUSINESS, tax_code=tax).first()
    return None


def _incoming_files(request: HttpRequest, form: ReceiveForm) -> list[services.IncomingFile]:
    """The scans attached under each required document (an original when the procedure asks
    for originals of it, else a copy)."""
    return [
        services.IncomingFile(
            upload=upload,
            name=upload.name or document.code,
            document_code=document.code,
            kind="original" if document.originals else "copy",
        )
        for document in form.documents
        for upload in request.FILES.getlist(FILE_PREFIX + document.code)
    ]


def _form_field_for(form: ReceiveForm, path: str | None) -> str | None:
    if not path:
        return None
    if path in ("applicant", "applicant_id"):
        return "applicant_id"
    name = "f_" + path.split(".")[0]
    return name if name in form.fields else None


def _add_service_errors(form: ReceiveForm, exc: EgovError) -> None:
    """Put each refusal next to its field (the e-form validator lists all of them)."""
    listed = exc.details.get("errors") if isinstance(exc.details, dict) else None
    if isinstance(listed, list) and listed:
        for item in listed:
            form.add_error(_form_field_for(form, item.get("path")), str(item.get("message")))
        return
    form.add_error(_form_field_for(form, exc.field), _error_text(exc))


_WALK_IN_FIELDS = {
    "identifier": "applicant_id",
    "full_name": "applicant_name",
    "phone": "applicant_phone",
}


def _walk_in(request: HttpRequest, form: ReceiveForm) -> Applicant | None:
    """A first-time applicant at the counter, recorded from the number, name and phone."""
    if not form.cleaned_data.get("applicant_name"):
        form.add_error("applicant_id", _unknown_applicant())
        return None
    try:
        return directory_services.applicant_record_walk_in(
            actor=request.user,  # type: ignore[arg-type]
            identifier=form.cleaned_data["applicant_id"],
            full_name=form.cleaned_data["applicant_name"],
            phone=form.cleaned_data.get("applicant_phone", ""),
            address=form.cleaned_data.get("applicant_address", ""),
        )
    except EgovError as exc:
        listed = exc.details.get("errors") if isinstance(exc.details, dict) else None
        for name, problem in (listed or {exc.field or "identifier": {"message": str(exc)}}).items():
            form.add_error(_WALK_IN_FIELDS.get(name, "applicant_id"), str(problem["message"]))
        return None


def _unknown_applicant() -> str:
    return gettext(
        "No citizen or business with this number is registered yet: enter the applicant's "
        "name and phone to record them."
    )


def _receive(
    request: HttpRequest,
    form: ReceiveForm,
    organization: Organization,
    applicant: Applicant | None,
) -> Dossier | None:
    """Check the checklist, then receive; None with the errors put on the form."""
    files = _incoming_files(request, form)
    present = form.ticked() | {f.document_code for f in files}
    for document in form.documents:
        if document.mandatory and document.code not in present:
            form.add_error(
                f"doc_{document.code}",
                gettext(
                    "%(name)s is mandatory: receive the dossier only when the applicant has it, "
                    "or give them the list of missing papers."
                )
                % {"name": document.name},
            )
    if form.errors or applicant is None:
        # Show every problem at once: the e-form's own refusals too (the service checks again).
        for problem in eform_validate(form.version.eform_schema or {}, form.form_data()):
            form.add_error(_form_field_for(form, problem.path), problem.message)
        return None
    try:
        return services.dossier_receive(
            actor=request.user,  # type: ignore[arg-type]
            procedure_code=form.version.procedure.code,
            receiving_organization=organization,
            applicant=applicant,
            channel=Channel.COUNTER,
            form_data=form.form_data(),
            files=files,
        )
    except EgovError as exc:
        _add_service_errors(form, exc)
        return None


@login_required
@require_http_methods(["GET", "POST"])
def receive_view(request: HttpRequest, procedure_code: str) -> HttpResponse:
    """Step 2 at the counter: the applicant, the e-form, the papers and the checklist."""
    organization = _require_receive(request)
    version = procedure_published(procedure_code)
    if version is None:
        raise Http404
    if not any(c.channel == Channel.COUNTER for c in version.channels.all()):
        messages.error(request, gettext("This procedure cannot be received at the counter."))
        return redirect("dossiers:receive_choose")
    form = ReceiveForm(request.POST or None, version=version)
    applicant = None
    status = 200
    if request.method == "POST" and request.POST.get("action") == "lookup":
        # Only the look-up: show who the number belongs to, keep what was typed, no errors.
        form = ReceiveForm(initial=request.POST.dict(), version=version)
        applicant = _applicant_for(request.POST.get("applicant_id", ""))
        if applicant is None:
            messages.warning(request, _unknown_applicant())
    elif request.method == "POST" and form.is_valid():
        applicant = _applicant_for(form.cleaned_data["applicant_id"]) or _walk_in(request, form)
        dossier = _receive(request, form, organization, applicant)
        if dossier is not None:
            messages.success(
                request, gettext("Dossier %(code)s received.") % {"code": dossier.code}
            )
            return redirect("dossiers:receipt", code=dossier.code)
        if form.errors:
            status = 422
    elif request.method == "POST":
        status = 422
    context = {
        "form": form,
        "version": version,
        "applicant": applicant,
        "organization": organization,
        "file_prefix": FILE_PREFIX,
    }
    return render(request, "dossiers/receive.html", context, status=status)


def _qr_data_uri(text: str) -> str:
    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathFillImage, box_size=8)
    buffer = io.BytesIO()
    image.save(buffer)
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


@login_required
@require_GET
def receipt_view(request: HttpRequest, code: str) -> HttpResponse:
    """The receipt and appointment (the content of Mẫu 01) as a page to print; the QR code leads
    to the public status page, which asks for the applicant's phone or ID number."""
    dossier = _visible(request, code)
    status_url = request.build_absolute_uri(reverse("dossiers:status_code", args=[dossier.code]))
    context = {
        "dossier": dossier,
        "files": list(dossier.files.select_related("stored_file").order_by("pk")),
        "documents": list(dossier.procedure_version.documents.order_by("order")),
        "fees": list(dossier.fees.order_by("order")),
        "qr": _qr_data_uri(status_url),
        "status_url": status_url,
        "receipt_form": SlipForm.RECEIPT.value,
    }
    return render(request, "dossiers/receipt.html", context)


# --- search --------------------------------------------------------------------------------------


@login_required
@require_GET
def search_view(request: HttpRequest) -> HttpResponse:
    """Find a dossier by code, applicant's name (accents optional) or ID number."""
    _officer(request)
    form = DossierSearchForm(request.GET or None)
    query = form.cleaned_data["q"] if form.is_valid() else ""
    results = dossier_search(request.user, query, limit=SEARCH_LIMIT) if query else []
    return render(
        request,
        "dossiers/search.html",
        {"form": form, "query": query, "results": results, "limit": SEARCH_LIMIT},
    )


# --- the dossier page ----------------------------------------------------------------------------


@dataclass
class Action:
    """One action offered on the dossier page: its slug, title, form and the service call."""

    slug: str
    title: Any
    form: Callable[..., Any]
    run: Callable[[HttpRequest, Dossier, Any, DossierStep | None], Any]
    danger: bool = False


def _result_upload(form: Any) -> services.IncomingFile | None:
    """The uploaded result document, handed to the service (which stores it)."""
    upload = form.cleaned_data.get("result_file")
    if not upload:
        return None
    return services.IncomingFile(upload=upload, name=upload.name or "ket-qua.pdf")


def _run_accept(request: HttpRequest, dossier: Dossier, form: Any, step: Any) -> Any:
    return services.dossier_accept(
        actor=request.user,  # type: ignore[arg-type]
        dossier=dossier,
        expected_version=form.cleaned_data["version"],
    )


def _run_supplement(request: HttpRequest, dossier: Dossier, form: Any, step: Any) -> Any:
    return services.dossier_request_supplement(
        actor=request.user,  # type: ignore[arg-type]
        dossier=dossier,
        items=form.items(),
        note=form.cleaned_data["note"],
        expected_version=form.cleaned_data["version"],
    )


def _run_resubmit(request: HttpRequest, dossier: Dossier, form: Any, step: Any) -> Any:
    files = [
        services.IncomingFile(upload=u, name=u.name or "bo-sung", kind="copy")
        for u in request.FILES.getlist("files")
    ]
    return services.dossier_resubmit(
        actor=request.user,  # type: ignore[arg-type]
        dossier=dossier,
        files=files,
        note=form.cleaned_data["note"],
        expected_version=form.cleaned_data["version"],
    )


def _run_refuse(request: HttpRequest, dossier: Dossier, form: Any, step: Any) -> Any:
    return services.dossier_refuse(
        actor=request.user,  # type: ignore[arg-type]
        dossier=dossier,
        reasons=form.reason_list(),
        legal_basis=form.cleaned_data["legal_basis"],
        expected_version=form.cleaned_data["version"],
    )


def _run_start(request: HttpRequest, dossier: Dossier, form: Any, step: Any) -> Any:
    return services.dossier_start_step(
        actor=request.user,  # type: ignore[arg-type]
        dossier=dossier,
        step=step,
        expected_version=form.cleaned_data["version"],
    )


def _run_complete(request: HttpRequest, dossier: Dossier, form: Any, step: Any) -> Any:
    return services.dossier_complete_step(
        actor=request.user,  # type: ignore[arg-type]
        dossier=dossier,
        step=step,
        note=form.cleaned_data["note"],
        expected_version=form.cleaned_data["version"],
    )


def _run_approve(request: HttpRequest, dossier: Dossier, form: Any, step: Any) -> Any:
    return services.dossier_approve_result(
        actor=request.user,  # type: ignore[arg-type]
        dossier=dossier,
        result_number=form.cleaned_data["result_number"],
        result_file=_result_upload(form),
        expected_version=form.cleaned_data["version"],
    )


def _run_deny(request: HttpRequest, dossier: Dossier, form: Any, step: Any) -> Any:
    return services.dossier_deny_result(
        actor=request.user,  # type: ignore[arg-type]
        dossier=dossier,
        reasons=form.reason_list(),
        result_file=_result_upload(form),
        expected_version=form.cleaned_data["version"],
    )


def _run_sign_result(request: HttpRequest, dossier: Dossier, form: Any, step: Any) -> Any:
    return result_services.dossier_sign_result(
        actor=request.user,
        dossier=dossier,
        key_id=form.cleaned_data["key"],
        secret=form.cleaned_data["secret"],
        expected_version=form.cleaned_data["version"],
    )


def _run_return(request: HttpRequest, dossier: Dossier, form: Any, step: Any) -> Any:
    return services.dossier_return_result(
        actor=request.user,  # type: ignore[arg-type]
        dossier=dossier,
        delivery=form.cleaned_data["delivery"],
        result_file=_result_upload(form),
        note=form.cleaned_data["note"],
        expected_version=form.cleaned_data["version"],
    )


def _run_withdraw(request: HttpRequest, dossier: Dossier, form: Any, step: Any) -> Any:
    return services.dossier_withdraw(
        actor=request.user,  # type: ignore[arg-type]
        dossier=dossier,
        reason=form.cleaned_data["reason"],
        expected_version=form.cleaned_data["version"],
    )


def _run_cancel(request: HttpRequest, dossier: Dossier, form: Any, step: Any) -> Any:
    return services.dossier_cancel(
        actor=request.user,  # type: ignore[arg-type]
        dossier=dossier,
        reason=form.cleaned_data["reason"],
        expected_version=form.cleaned_data["version"],
    )


def _run_apologize(request: HttpRequest, dossier: Dossier, form: Any, step: Any) -> Any:
    day: date = form.cleaned_data["new_appointment"]
    return services.dossier_apologize(
        actor=request.user,  # type: ignore[arg-type]
        dossier=dossier,
        reason=form.cleaned_data["reason"],
        new_appointment_at=deadlines.end_of_day(day),
        expected_version=form.cleaned_data["version"],
    )


def _run_payment(request: HttpRequest, dossier: Dossier, form: Any, step: Any) -> Any:
    return services.dossier_record_cash_payment(
        actor=request.user,  # type: ignore[arg-type]
        dossier=dossier,
        receipt_number=form.cleaned_data["receipt_number"],
        expected_version=form.cleaned_data["version"],
    )


ACTIONS: dict[str, Action] = {
    a.slug: a
    for a in [
        Action("tiep-nhan-du", _("Accept (complete)"), VersionForm, _run_accept),
        Action("yeu-cau-bo-sung", _("Request a supplement"), SupplementForm, _run_supplement),
        Action("nhan-bo-sung", _("Receive the supplements"), NoteForm, _run_resubmit),
        Action("tu-choi", _("Refuse"), RefuseForm, _run_refuse, danger=True),
        Action("bat-dau-buoc", _("Take up this step"), VersionForm, _run_start),
        Action("hoan-thanh-buoc", _("Finish the step and hand over"), NoteForm, _run_complete),
        Action("phe-duyet", _("Approve the result"), ApproveForm, _run_approve),
        Action("tu-choi-giai-quyet", _("Deny, with reasons"), DenyForm, _run_deny, danger=True),
        Action("ky-ket-qua", _("Sign the result"), SignResultForm, _run_sign_result),
        Action("tra-ket-qua", _("Return the result"), ReturnForm, _run_return),
        Action("thu-phi", _("Record cash payment"), PaymentForm, _run_payment),
        Action("xin-loi", _("Apologise and give a new appointment"), ApologyForm, _run_apologize),
        Action("rut-ho-so", _("Withdraw (written request)"), OptionalReasonForm, _run_withdraw),
        Action("huy", _("Cancel the dossier"), ReasonForm, _run_cancel, danger=True),
    ]
}


def _current(steps: list[DossierStep]) -> DossierStep | None:
    return next((s for s in steps if s.finished_at is None), None)


def _decision_ready(dossier: Dossier, steps: list[DossierStep]) -> bool:
    """The services' rule: nothing but (at most) the head's own step before the return."""
    pending = [s for s in steps if s.finished_at is None]
    while pending and pending[-1].responsible_role == Role.COUNTER:
        pending.pop()
    ready = not pending or (len(pending) == 1 and pending[0].responsible_role == Role.HEAD)
    return dossier.state == State.IN_PROCESS and ready


def available_actions(
    request: HttpRequest, dossier: Dossier, steps: list[DossierStep], unpaid: bool
) -> list[str]:
    """The actions the user may take now: the dossiers policy rules and the state table."""
    user = request.user
    state = dossier.state
    allowed = TRANSITIONS[state]
    out: list[str] = []
    if policy.can(user, "dossiers.counter", dossier):
        if state == State.SUBMITTED:
            out.append("tiep-nhan-du")
        if State.SUPPLEMENT_REQUESTED in allowed and not (
            dossier.supplement_requested and conf.supplement_once()
        ):
            out.append("yeu-cau-bo-sung")
        if state == State.SUPPLEMENT_REQUESTED:
            out.append("nhan-bo-sung")
        if state == State.SUBMITTED:
            out.append("tu-choi")
        if state in (State.APPROVED, State.DENIED):
            out.append("tra-ket-qua")
        if unpaid and state not in (State.REFUSED, State.WITHDRAWN, State.CANCELLED):
            out.append("thu-phi")
    step = _current(steps)
    decide = _decision_ready(dossier, steps) and policy.can(user, "dossiers.decide", dossier)
    if (
        step is not None
        and state in (State.ACCEPTED, State.IN_PROCESS)
        and not (decide and step.responsible_role == Role.HEAD)
        and policy.can(user, "dossiers.step.work", step)
    ):
        out.append("bat-dau-buoc" if step.started_at is None else "hoan-thanh-buoc")
    if decide:
        out += ["phe-duyet", "tu-choi-giai-quyet"]
    if (
        state == State.APPROVED
        and dossier.result_file_id is not None
        and dossier.result_signed_at is None
        and policy.can(user, "dossiers.decide", dossier)
        and signing_keys_usable_by(user, "signing.sign_as_person")
    ):
        out.append("ky-ket-qua")
    if state in (State.ACCEPTED, State.IN_PROCESS) and policy.can(
        user, "dossiers.apologize", dossier
    ):
        out.append("xin-loi")
    if State.WITHDRAWN in allowed and policy.can(user, "dossiers.withdraw", dossier):
        out.append("rut-ho-so")
    if State.CANCELLED in allowed and policy.can(user, "dossiers.cancel", dossier):
        out.append("huy")
    return out


def _make_form(
    action: Action, dossier: Dossier, data: Any = None, files: Any = None, user: Any = None
) -> Any:
    kwargs: dict[str, Any] = {"initial": {"version": dossier.version}, "prefix": action.slug}
    if action.form is SignResultForm:
        kwargs["keys"] = signing_keys_usable_by(user, "signing.sign_as_person") if user else []
    if action.form is SupplementForm:
        kwargs["documents"] = list(dossier.procedure_version.documents.order_by("order"))
    if data is not None:
        return action.form(data, files, **kwargs)
    return action.form(**kwargs)


def _step_row(step: DossierStep, stopped_at: datetime | None) -> dict[str, Any]:
    state = _timeliness(step.due_at, step.finished_at, None if step.finished_at else stopped_at)
    return {"step": step, "timeliness": state, "label": TIMELINESS_LABELS[state]}


def _dossier_context(
    request: HttpRequest, dossier: Dossier, bound: tuple[str, Any] | None = None
) -> dict[str, Any]:
    steps = dossier_steps(dossier)
    stop = dossier.clock_stops.filter(resumed_at__isnull=True).first()
    stopped_at = stop.stopped_at if stop else None
    fees = list(dossier.fees.order_by("order"))
    slugs = available_actions(request, dossier, steps, any(not f.paid for f in fees))
    forms_by_slug = {slug: _make_form(ACTIONS[slug], dossier, user=request.user) for slug in slugs}
    if bound is not None:
        forms_by_slug[bound[0]] = bound[1]
    overall = _timeliness(dossier.due_at, dossier.decided_at or dossier.closed_at, stopped_at)
    events = list(
        dossier.events.select_related(
            "from_officer", "to_officer", "from_unit", "to_unit", "step"
        ).order_by("at", "pk")
    )
    return {
        "dossier": dossier,
        "state_label": State(dossier.state).label,
        "steps": [_step_row(s, stopped_at) for s in steps],
        "current_step": _current(steps),
        "events": [{"event": e, "label": EVENT_LABELS.get(e.action, e.action)} for e in events],
        "files": list(dossier.files.select_related("stored_file").order_by("pk")),
        "fees": fees,
        "stop": stop,
        "apologies": list(dossier.apologies.order_by("issued_at")),
        "actions": [
            {
                "action": ACTIONS[slug],
                "form": forms_by_slug[slug],
                "open": bound and bound[0] == slug,
            }
            for slug in forms_by_slug
        ],
        "timeliness": overall,
        "timeliness_label": TIMELINESS_LABELS[overall],
        "slips": _slips_available({e.action for e in events}),
        **_notes_context(request, dossier),
    }


def _slips_available(actions: set[str]) -> list[dict[str, str]]:
    """The slips (Mẫu 01–05) the dossier's hand-over log gives a source for: stored ones are
    served, missing ones drawn on the first download."""
    out = []
    for form in SlipForm:
        sources = SOURCE_ACTIONS[form.value]
        if actions and (sources is None or sources & actions):
            out.append({"form": form.value, "label": str(form.label)})
    return out


def _notes_context(request: HttpRequest, dossier: Dossier) -> dict[str, Any]:
    """Notes between officers: shown only to staff who may write them (never the applicant)."""
    available = policy.can(request.user, "dossiers.note.add", dossier)
    return {
        "notes_available": available,
        "notes": list(notes.dossier_notes(dossier)) if available else [],
        "note_text": "",
        "note_error": "",
    }


@login_required
@require_GET
def dossier_view(request: HttpRequest, code: str) -> HttpResponse:
    """The dossier: applicant, form, papers, steps with their deadlines, the hand-over log and
    the actions allowed now."""
    dossier = _visible(request, code)
    return render(request, "dossiers/dossier.html", _dossier_context(request, dossier))


_STATUS_OF = {"dossier.conflict": 409}


@login_required
@require_POST
def action_view(request: HttpRequest, code: str, action: str) -> HttpResponse:
    """Run one action through its service with the version the officer saw."""
    dossier = _visible(request, code)
    spec = ACTIONS.get(action)
    if spec is None:
        raise Http404
    form = _make_form(spec, dossier, request.POST, request.FILES, user=request.user)
    status = 422
    if form.is_valid():
        step = _current(dossier_steps(dossier))
        try:
            spec.run(request, dossier, form, step)
        except PermissionDenied as exc:
            form.add_error(None, _error_text(exc))
            status = 403
        except Conflict as exc:
            form.add_error(None, _error_text(exc))
            status = 409
        except ValidationFailed as exc:
            field = exc.field if exc.field in form.fields else None
            form.add_error(field, _error_text(exc))
        except EgovError as exc:
            form.add_error(None, _error_text(exc))
            status = exc.status
        else:
            messages.success(
                request,
                gettext("%(action)s: done for dossier %(code)s.")
                % {"action": spec.title, "code": dossier.code},
            )
            return redirect("dossiers:dossier", code=dossier.code)
    fresh = Dossier.objects.select_related(
        "procedure_version__procedure", "receiving_organization", "competent_organization"
    ).get(pk=dossier.pk)
    return render(
        request,
        "dossiers/dossier.html",
        _dossier_context(request, fresh, bound=(action, form)),
        status=status,
    )


@login_required
@require_POST
def note_add_view(request: HttpRequest, code: str) -> HttpResponse:
    """Add a note for colleagues on the dossier page."""
    dossier = _visible(request, code)
    text = request.POST.get("text", "")
    try:
        notes.dossier_note_add(
            actor=request.user,  # type: ignore[arg-type]
            dossier=dossier,
            text=text,
        )
    except PermissionDenied as exc:
        raise DjangoPermissionDenied from exc
    except ValidationFailed as exc:
        context = _dossier_context(request, dossier)
        context.update(note_text=text, note_error=_error_text(exc))
        return render(request, "dossiers/dossier.html", context, status=422)
    messages.success(request, gettext("Note added."))
    return redirect(reverse("dossiers:dossier", kwargs={"code": dossier.code}) + "#notes")


def _file_response(stored: Any) -> FileResponse:
    return FileResponse(
        file_open(stored),
        as_attachment=True,
        filename=stored.original_name,
        content_type=stored.content_type,
    )


@login_required
@require_GET
def file_view(request: HttpRequest, code: str, file_id: int) -> FileResponse:
    """One paper of the dossier, for those who may see the dossier."""
    dossier = _visible(request, code)
    item = DossierFile.objects.select_related("stored_file").filter(pk=file_id, dossier=dossier)
    found = item.first()
    if found is None:
        raise Http404
    return _file_response(found.stored_file)


@login_required
@require_GET
def result_file_view(request: HttpRequest, code: str) -> FileResponse:
    dossier = _visible(request, code)
    if dossier.result_file_id is None:
        raise Http404
    return _file_response(dossier.result_file)


PDF_TYPE = "application/pdf"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@login_required
@require_GET
def slip_view(request: HttpRequest, code: str, form: str) -> FileResponse:
    """The stored slip `form` (Mẫu 01–05) of the dossier: the latest one stored, drawn and
    stored now through `slip_render` when the rendering task has not run yet."""
    dossier = _visible(request, code)
    if form not in SlipForm.values:
        raise Http404
    slip = (
        DossierSlip.objects.select_related("stored_file")
        .filter(dossier=dossier, form=form)
        .order_by("-created_at", "-pk")
        .first()
    )
    if slip is None:
        try:
            slip = slip_services.slip_render(dossier=dossier, form=form)
        except ValidationFailed as exc:  # nothing happened that this slip records
            raise Http404 from exc
    stored = slip.stored_file
    return FileResponse(
        file_open(stored),
        as_attachment=False,
        filename=f"{dossier.code}-mau-{form}.pdf",
        content_type=stored.content_type or PDF_TYPE,
    )


# --- the head's board ----------------------------------------------------------------------------

BOARD_STATES = [
    State.SUBMITTED,
    State.SUPPLEMENT_REQUESTED,
    State.ACCEPTED,
    State.IN_PROCESS,
    State.APPROVED,
    State.DENIED,
    State.RETURNED,
]


def dossier_board(actor: Any) -> list[dict[str, Any]]:
    """Dossiers the actor sees, counted by state and lateness per unit now holding them (the
    current step's unit) and procedure: one aggregate query.

    Overdue follows `deadlines.open_timeliness`: an open dossier whose due day is before today
    (judged on the day the clock stopped while it stands still); late: decided after its due day.
    """
    calendar = deadlines.get_calendar()
    today = datetime.combine(
        deadlines.now().astimezone(calendar.tz).date(), datetime.min.time(), tzinfo=calendar.tz
    )
    closes = calendar.office_closes
    after_due_day = timedelta(hours=24) - timedelta(hours=closes.hour, minutes=closes.minute)
    unit = (
        _current_steps()
        .filter(dossier=OuterRef("pk"))
        .order_by("order")
        .values("responsible_unit__name_vi")[:1]
    )
    stopped_late = ClockStop.objects.filter(
        dossier=OuterRef("pk"),
        resumed_at__isnull=True,
        stopped_at__gte=ExpressionWrapper(
            OuterRef("due_at") + after_due_day, output_field=DateTimeField()
        ),
    )
    running = Q(state__in=[State.SUBMITTED, State.ACCEPTED, State.IN_PROCESS])
    overdue = (running & Q(due_at__lt=today)) | Q(
        state=State.SUPPLEMENT_REQUESTED, stopped_late=True
    )
    counts: dict[str, Any] = {s.value: Count("pk", filter=Q(state=s)) for s in BOARD_STATES}
    rows = (
        dossiers_visible_to(actor)
        .order_by()
        .annotate(unit_name=Coalesce(Subquery(unit), F("receiving_organization__name_vi")))
        .annotate(stopped_late=Exists(stopped_late))
        .values("unit_name", "procedure_version__procedure__code", "procedure_version__name")
        .annotate(
            total=Count("pk"),
            overdue=Count("pk", filter=overdue),
            late=Count("pk", filter=Q(on_time=False)),
            **counts,
        )
        .order_by("unit_name", "procedure_version__procedure__code")
    )
    return [{**row} for row in rows]


@login_required
@require_GET
def board_view(request: HttpRequest) -> HttpResponse:
    """The head's live board (heads of an organisation or unit only)."""
    if not policy.can(request.user, "dossiers.board"):
        raise DjangoPermissionDenied
    return render(request, "dossiers/board.html", _board_context(request, _log_form()))


def _log_form(data: Any = None) -> LogExportForm:
    today = deadlines.now().astimezone(deadlines.get_calendar().tz).date()
    initial = {"start": today.replace(day=1), "end": today, "fmt": "pdf"}
    return LogExportForm(data, initial=initial)


def _board_context(request: HttpRequest, log_form: LogExportForm) -> dict[str, Any]:
    rows = dossier_board(request.user)
    totals = {key: sum(r[key] for r in rows) for key in ["total", "overdue", "late"]}
    states = [(s.value, s.label) for s in BOARD_STATES]
    return {
        "rows": [{**r, "by_state": [r[s] for s, _label in states]} for r in rows],
        "states": states,
        "totals": totals,
        "open_states": sorted(OPEN_STATES),
        "log_form": log_form,
    }


@login_required
@require_GET
def log_export_view(request: HttpRequest) -> HttpResponse:
    """The dossier log (Mẫu 06) of the officer's organisation for a period, as PDF or xlsx
    (`slip_services.dossier_log_export` decides who may export it)."""
    officer = _officer(request)
    organization = directory.officer_organization(officer)
    form = _log_form(request.GET)
    if form.is_valid():
        data = form.cleaned_data
        try:
            content = slip_services.dossier_log_export(
                actor=request.user,  # type: ignore[arg-type]
                organization=organization,
                start=data["start"],
                end=data["end"],
                fmt=data["fmt"],
            )
        except PermissionDenied as exc:
            raise DjangoPermissionDenied from exc
        except ValidationFailed as exc:
            field = exc.field if exc.field in form.fields else None
            form.add_error(field, _error_text(exc))
        else:
            fmt = data["fmt"]
            response = HttpResponse(content, content_type=XLSX_TYPE if fmt == "xlsx" else PDF_TYPE)
            name = f"so-theo-doi-ho-so-{data['start']:%Y%m%d}-{data['end']:%Y%m%d}.{fmt}"
            response["Content-Disposition"] = f'attachment; filename="{name}"'
            return response
    if not policy.can(request.user, "dossiers.board"):
        problems = "; ".join(str(e) for errors in form.errors.values() for e in errors)
        return HttpResponse(problems, status=422, content_type="text/plain; charset=utf-8")
    return render(request, "dossiers/board.html", _board_context(request, form), status=422)


# --- the public status page ----------------------------------------------------------------------


def _public_context(dossier: Dossier) -> dict[str, Any]:
    """The applicant's reading of the dossier (egov.dossiers.citizen_selectors), with the
    short-lived links (e-result, rating) that the second factor just earned."""
    links = citizen_selectors.track_links(dossier)
    supplement = (
        online_services.supplement_link(dossier)
        if dossier.state == State.SUPPLEMENT_REQUESTED
        else ""
    )
    citizen = citizen_selectors.citizen_dossier(
        dossier,
        result_url=links["result"],
        rate_url=links["rate"],
        supplement_url=supplement,
        proof=links["proof"],
    )
    return {
        "dossier": dossier,
        "citizen": citizen,
        "state_label": citizen.state_words,
        "next": citizen.actions[0].text,
        "timeline": [{"at": e.at, "label": e.label} for e in citizen.timeline],
        "open": citizen.open,
    }


@never_cache
@require_http_methods(["GET", "POST"])
def status_view(request: HttpRequest, code: str = "") -> HttpResponse:
    """Where the applicant (or the receipt's QR code) looks a dossier up: code plus the phone
    number or ID number given at intake. Without the second factor nothing is shown, and a
    wrong one gets the same answer as an unknown code."""
    initial = {"code": code} if code else None
    form = StatusForm(request.POST or None, initial=initial)
    context: dict[str, Any] = {"form": form, "code": code}
    status = 200
    if request.method == "POST" and form.is_valid():
        # Only misses are counted ("status_miss"); a client over the limit is refused on hits
        # too, so the limit cannot be probed. Unknown code and wrong second factor: one path.
        key = request_key(request)
        try:
            bot_check(request.POST)
            dossier = citizen_selectors.dossier_for_applicant(
                code=form.cleaned_data["code"], secret=form.cleaned_data["secret"]
            )
            if dossier is None:
                rate_limit_hit(scope="status_miss", key=key)
                context["not_found"] = True
                status = 404
            else:
                rate_limit_check(scope="status_miss", key=key)
                context.update(_public_context(dossier))
                context["found"] = True
        except RateLimited as exc:
            context["limited"], status = str(exc.message), exc.status
        except ValidationFailed as exc:  # the bot guard
            context["refused"], status = str(exc.message), exc.status
    elif request.method == "POST":
        status = 422
    return render(request, "dossiers/status.html", context, status=status)

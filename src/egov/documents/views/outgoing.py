"""Screens of outgoing documents and case files (/lam-viec/van-ban/di/…, …/ho-so-cong-viec/…).

A new draft; the document page with its versions, comments, approval rounds, deliveries and
the actions allowed now (new version, submit, approve or return, sign, issue, recall); "waiting
for my approval"; the organisation's outgoing list; case files. Views parse the form, call one
service and render; a refusal is shown next to the field it names. Every action form carries
the version the officer saw (`expected_version`).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from egov.core.errors import EgovError
from egov.directory import policy
from egov.directory import selectors as directory
from egov.directory.models import Officer, Organization
from egov.documents import rules_outgoing
from egov.documents.forms_outgoing import (
    CaseFileActionForm,
    CaseFileAddForm,
    CaseFileForm,
    CommentForm,
    DecideForm,
    DraftForm,
    IssueForm,
    RecallForm,
    ReturnUnsignedForm,
    SignForm,
    SubmitForm,
    UpdateForm,
)
from egov.documents.models import (
    ApprovalStep,
    CaseFile,
    Direction,
    Document,
    State,
)
from egov.documents.selectors import outgoing as selectors
from egov.documents.selectors.visibility import documents_visible_to
from egov.documents.services import casefiles
from egov.documents.services import outgoing as services
from egov.signing.selectors import signing_keys_usable_by

PAGE_SIZE = 25

EVENT_LABELS: dict[str, Any] = {
    "draft_create": _("Draft created"),
    "draft_update": _("New draft version"),
    "comment": _("Comment"),
    "submit": _("Submitted for approval"),
    "approve": _("Approved"),
    "return": _("Returned for revision"),
    "sign": _("Signed"),
    "issue": _("Issued"),
    "recall": _("Recalled"),
    "case_file_add": _("Put into a case file"),
    "case_file_remove": _("Taken out of a case file"),
}


# --- helpers -------------------------------------------------------------------------------------


def _officer(request: HttpRequest) -> Officer:
    officer = policy.officer_of(request.user)
    if officer is None:
        raise DjangoPermissionDenied
    return officer


def _participates(officer: Officer, document: Document) -> bool:
    """Drafter, approver (or their deputy) of a step, signer, or issuing clerk."""
    if rules_outgoing.is_drafter(officer, document):
        return True
    if document.signer_id == officer.pk:
        return True
    for step in ApprovalStep.objects.select_related("approver").filter(document=document):
        if rules_outgoing.acting_for(officer, step) is not None:
            return True
    return rules_outgoing.is_issuing_clerk(officer, document)


def _may_see(request: HttpRequest, document: Document) -> bool:
    """`document.read` (rules_read.py) where it is registered; the people who take part in
    the document's preparation always see it."""
    if "document.read" in policy.registered_actions() and policy.can(
        request.user, "document.read", document
    ):
        return True
    officer = policy.officer_of(request.user)
    if officer is None:
        return bool(request.user.is_superuser)
    if _participates(officer, document):
        return True
    if "document.read" in policy.registered_actions():
        return False
    return not document.is_confidential and rules_outgoing.works_for(officer, document.organization)


def _visible(request: HttpRequest, pk: int) -> Document:
    """The outgoing document when the user may see it; 404 otherwise (its existence does
    not leak)."""
    if policy.officer_of(request.user) is None and not request.user.is_superuser:
        raise Http404
    document = (
        Document.objects.select_related(
            "organization", "document_type", "drafting_unit", "reply_to", "register", "signer"
        )
        .filter(pk=pk, direction=Direction.OUTGOING)
        .first()
    )
    if document is None or not _may_see(request, document):
        raise Http404
    return document


def _apply_error(form: forms.Form, exc: EgovError) -> None:
    field = exc.field if exc.field in form.fields else None
    form.add_error(field, str(exc.message))


def _expected(form: forms.Form) -> int:
    return int(form.cleaned_data["version"])


# --- the outgoing list and "waiting for my approval" --------------------------------------------


@login_required
@require_GET
def outgoing_list_view(request: HttpRequest) -> HttpResponse:
    """The organisation's outgoing documents (drafts to issued), newest first."""
    officer = _officer(request)
    organization = directory.officer_organization(officer)
    state = request.GET.get("trang-thai", "")
    if state not in State.values:
        state = ""
    # Visible (rules_read) or taking part in the preparation, filtered by the database so that
    # every page of a long list is reachable; a deputy acting for an approver finds the
    # document under "waiting for my approval" instead.
    rows = (
        selectors.outgoing_list(organization, state=state)
        .filter(
            Q(pk__in=documents_visible_to(request.user).values("pk"))
            | Q(created_by=request.user)
            | Q(signer=officer)
            | Q(approvals__approver=officer)
            | Q(approvals__acted_by=officer)
        )
        .distinct()
    )
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    states = [(s, State(s).label) for s in sorted(State.values) if s in _OUTGOING_STATE_KEYS]
    return render(
        request,
        "documents/outgoing/list.html",
        {
            "page": page,
            "state": state,
            "states": states,
            "organization": organization,
            "can_draft": policy.can(request.user, "document.draft", organization),
        },
    )


_OUTGOING_STATE_KEYS = {
    State.DRAFT,
    State.IN_REVIEW,
    State.RETURNED,
    State.APPROVED,
    State.SIGNED,
    State.ISSUED,
    State.RECALLED,
    State.CANCELLED,
}


@login_required
@require_GET
def outgoing_waiting_view(request: HttpRequest) -> HttpResponse:
    """Steps waiting for my decision (mine and those delegated to me), and documents I sign."""
    officer = _officer(request)
    steps = selectors.approvals_waiting_for(officer)
    to_sign = [
        d
        for d in Document.objects.select_related("document_type").filter(
            organization=directory.officer_organization(officer),
            direction=Direction.OUTGOING,
            state=State.APPROVED,
        )
        if rules_outgoing.may_sign(officer, d) is not None
    ]
    return render(request, "documents/outgoing/waiting.html", {"steps": steps, "to_sign": to_sign})


# --- a new draft ---------------------------------------------------------------------------------


def _signers(organization: Organization) -> list[Officer]:
    probe = Document(organization=organization)
    return selectors.approver_candidates(probe, ApprovalStep.Kind.SIGN)


@login_required
@require_http_methods(["GET", "POST"])
def outgoing_new_view(request: HttpRequest) -> HttpResponse:
    """A new draft from the type's template or an uploaded file; `?tra-loi=<id>` answers an
    incoming document."""
    officer = _officer(request)
    organization = directory.officer_organization(officer)
    if not policy.can(request.user, "document.draft", organization):
        raise DjangoPermissionDenied
    signers = _signers(organization)
    reply_id = request.GET.get("tra-loi", "")
    initial = {"reply_to": int(reply_id)} if reply_id.isdigit() else {}
    form = DraftForm(
        request.POST or None,
        request.FILES or None,
        organization=organization,
        signers=signers,
        initial=initial,
    )
    reply_to = None
    if request.method == "POST" and form.is_valid():
        reply_pk = form.cleaned_data.get("reply_to")
        if reply_pk:
            reply_to = Document.objects.filter(pk=reply_pk, organization=organization).first()
        try:
            document = services.draft_create(
                actor=request.user,
                document_type=form.cleaned_data["document_type"],
                subject=form.cleaned_data["subject"],
                body=form.cleaned_data.get("body") or "",
                recipients=form.recipients(),
                urgency=form.cleaned_data["urgency"],
                secrecy=form.cleaned_data["secrecy"],
                reply_to=reply_to,
                upload=form.cleaned_data.get("upload"),
                signer=form.cleaned_data.get("signer"),
                signing_authority=form.cleaned_data.get("signing_authority") or "",
            )
        except EgovError as exc:
            field = {"recipients": "recipients_typed"}.get(exc.field or "", exc.field)
            form.add_error(field if field in form.fields else None, str(exc.message))
        else:
            messages.success(request, gettext("The draft was created."))
            return redirect("documents:outgoing_document", pk=document.pk)
    return render(
        request, "documents/outgoing/new.html", {"form": form}, status=422 if form.errors else 200
    )


# --- the document page ---------------------------------------------------------------------------


def _keys(request: HttpRequest, action: str, document: Document) -> list[Any]:
    usable = signing_keys_usable_by(request.user, action)
    if action == "signing.sign_as_organization":
        usable = [k for k in usable if k.organization_id == document.organization_id]
    return usable


def _page(
    request: HttpRequest, document: Document, bound: dict[str, forms.Form] | None = None
) -> HttpResponse:
    """The document page with the action forms allowed now (`bound`: a form with errors)."""
    bound = bound or {}
    user = request.user
    officer = policy.officer_of(user)
    version = {"version": document.version}
    step = selectors.approval_step_current(document) if document.state == State.IN_REVIEW else None
    actions: dict[str, forms.Form] = {}
    if policy.can(user, "document.draft_edit", document):
        actions["update"] = bound.get("update") or UpdateForm(
            initial={**version, "subject": document.subject, "body": document.body}
        )
    if document.state in (State.DRAFT, State.RETURNED) and policy.can(
        user, "document.submit", document
    ):
        chain = selectors.approval_chain_for(document.organization, document.document_type)
        candidates = {kind: selectors.approver_candidates(document, kind) for kind in chain}
        actions["submit"] = bound.get("submit") or SubmitForm(
            initial=version, candidates=candidates
        )
    if step is not None and policy.can(user, "approval.decide", step):
        actions["decide"] = bound.get("decide") or DecideForm(
            initial={**version, "step": step.pk, "decision": "approve"}
        )
    if document.state == State.APPROVED and policy.can(user, "document.sign", document):
        actions["sign"] = bound.get("sign") or SignForm(
            initial=version, keys=_keys(request, "signing.sign_as_person", document)
        )
        actions["return_unsigned"] = bound.get("return_unsigned") or ReturnUnsignedForm(
            initial=version
        )
    if document.state == State.SIGNED and policy.can(user, "document.issue", document):
        actions["issue"] = bound.get("issue") or IssueForm(
            initial=version, keys=_keys(request, "signing.sign_as_organization", document)
        )
    if document.state == State.ISSUED and policy.can(user, "document.recall", document):
        actions["recall"] = bound.get("recall") or RecallForm(initial=version)
    comment_form = None
    if policy.can(user, "document.comment", document):
        comment_form = bound.get("comment") or CommentForm()
    files = selectors.draft_files(document)
    events = [
        {"event": e, "label": EVENT_LABELS.get(e.action, e.action)}
        for e in document.events.all().order_by("at", "pk")
    ]
    context = {
        "document": document,
        "notation": document.number_notation or services.draft_notation(document),
        "recipients": services.recipients_parse(document.recipients_text),
        "files": files,
        "comments": selectors.draft_comments(document),
        "rounds": selectors.approval_rounds(document),
        "current_step": step,
        "deliveries": selectors.outgoing_deliveries(document),
        "events": events,
        "actions": actions,
        "comment_form": comment_form,
        "officer": officer,
        "signer_lines": [line for line in document.signer_position.split("\n") if line],
    }
    status = 422 if bound else 200
    return render(request, "documents/outgoing/document.html", context, status=status)


@login_required
@require_GET
def outgoing_document_view(request: HttpRequest, pk: int) -> HttpResponse:
    return _page(request, _visible(request, pk))


def _done(request: HttpRequest, document: Document, text: str) -> HttpResponse:
    messages.success(request, text)
    return redirect("documents:outgoing_document", pk=document.pk)


@login_required
@require_POST
def outgoing_update_view(request: HttpRequest, pk: int) -> HttpResponse:
    document = _visible(request, pk)
    form = UpdateForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.draft_update(
                actor=request.user,
                document=document,
                expected_version=_expected(form),
                upload=form.cleaned_data.get("upload"),
                subject=form.cleaned_data["subject"],
                body=form.cleaned_data.get("body") or "",
                change_note=form.cleaned_data["change_note"],
            )
        except EgovError as exc:
            _apply_error(form, exc)
        else:
            return _done(request, document, gettext("A new version was saved."))
    return _page(request, document, {"update": form})


@login_required
@require_POST
def outgoing_comment_view(request: HttpRequest, pk: int) -> HttpResponse:
    document = _visible(request, pk)
    form = CommentForm(request.POST)
    if form.is_valid():
        try:
            services.draft_comment(
                actor=request.user, document=document, text=form.cleaned_data["text"]
            )
        except EgovError as exc:
            _apply_error(form, exc)
        else:
            return _done(request, document, gettext("Your comment was added."))
    return _page(request, document, {"comment": form})


@login_required
@require_POST
def outgoing_submit_view(request: HttpRequest, pk: int) -> HttpResponse:
    document = _visible(request, pk)
    chain = selectors.approval_chain_for(document.organization, document.document_type)
    candidates = {kind: selectors.approver_candidates(document, kind) for kind in chain}
    form = SubmitForm(request.POST, candidates=candidates)
    if form.is_valid():
        try:
            services.draft_submit(
                actor=request.user,
                document=document,
                expected_version=_expected(form),
                approvers=form.approvers(),
            )
        except EgovError as exc:
            _apply_error(form, exc)
        else:
            return _done(request, document, gettext("The draft was submitted for approval."))
    return _page(request, document, {"submit": form})


@login_required
@require_POST
def outgoing_decide_view(request: HttpRequest, pk: int) -> HttpResponse:
    document = _visible(request, pk)
    form = DecideForm(request.POST)
    if form.is_valid():
        step = (
            ApprovalStep.objects.select_related("document", "approver")
            .filter(pk=form.cleaned_data["step"], document=document)
            .first()
        )
        if step is None:
            raise Http404
        approve = form.cleaned_data["decision"] == "approve"
        try:
            services.approval_decide(
                actor=request.user,
                step=step,
                approve=approve,
                comment=form.cleaned_data.get("comment") or "",
                expected_version=_expected(form),
            )
        except EgovError as exc:
            _apply_error(form, exc)
        else:
            text = gettext("Approved.") if approve else gettext("Returned to the drafter.")
            return _done(request, document, text)
    return _page(request, document, {"decide": form})


@login_required
@require_POST
def outgoing_sign_view(request: HttpRequest, pk: int) -> HttpResponse:
    document = _visible(request, pk)
    form = SignForm(request.POST, keys=_keys(request, "signing.sign_as_person", document))
    if form.is_valid():
        try:
            services.document_sign(
                actor=request.user,
                document=document,
                key_id=form.cleaned_data["key"],
                secret=form.cleaned_data["secret"],
                expected_version=_expected(form),
            )
        except EgovError as exc:
            _apply_error(form, exc)
        else:
            return _done(request, document, gettext("The document was signed."))
    return _page(request, document, {"sign": form})


@login_required
@require_POST
def outgoing_return_view(request: HttpRequest, pk: int) -> HttpResponse:
    """The signer declines to sign and sends the document back to the drafter."""
    document = _visible(request, pk)
    form = ReturnUnsignedForm(request.POST)
    if form.is_valid():
        try:
            services.document_return_unsigned(
                actor=request.user,
                document=document,
                comment=form.cleaned_data["comment"],
                expected_version=_expected(form),
            )
        except EgovError as exc:
            _apply_error(form, exc)
        else:
            return _done(request, document, gettext("Returned to the drafter."))
    return _page(request, document, {"return_unsigned": form})


@login_required
@require_POST
def outgoing_issue_view(request: HttpRequest, pk: int) -> HttpResponse:
    document = _visible(request, pk)
    form = IssueForm(request.POST, keys=_keys(request, "signing.sign_as_organization", document))
    if form.is_valid():
        try:
            issued = services.document_issue(
                actor=request.user,
                document=document,
                expected_version=_expected(form),
                seal_key_id=form.cleaned_data["key"],
                seal_secret=form.cleaned_data["secret"],
            )
        except EgovError as exc:
            _apply_error(form, exc)
        else:
            return _done(
                request,
                document,
                gettext("Issued as %(number)s.") % {"number": issued.number_notation},
            )
    return _page(request, document, {"issue": form})


@login_required
@require_POST
def outgoing_recall_view(request: HttpRequest, pk: int) -> HttpResponse:
    document = _visible(request, pk)
    form = RecallForm(request.POST)
    if form.is_valid():
        try:
            services.document_recall(
                actor=request.user,
                document=document,
                reason=form.cleaned_data["reason"],
                expected_version=_expected(form),
            )
        except EgovError as exc:
            _apply_error(form, exc)
        else:
            return _done(request, document, gettext("The document was recalled."))
    return _page(request, document, {"recall": form})


# --- case files ----------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def casefile_list_view(request: HttpRequest) -> HttpResponse:
    """The yearly case-file index of my organisation, and a form to open a file."""
    officer = _officer(request)
    organization = directory.officer_organization(officer)
    year_text = request.GET.get("nam", "")
    year = int(year_text) if year_text.isdigit() else timezone.localdate().year
    form = CaseFileForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            case_file = casefiles.case_file_create(
                actor=request.user,
                organization=organization,
                code=form.cleaned_data["code"],
                title=form.cleaned_data["title"],
                year=form.cleaned_data["year"],
                retention=form.cleaned_data.get("retention") or "",
                description=form.cleaned_data.get("description") or "",
            )
        except EgovError as exc:
            _apply_error(form, exc)
        else:
            messages.success(request, gettext("The case file was opened."))
            return redirect("documents:casefile_detail", pk=case_file.pk)
    return render(
        request,
        "documents/outgoing/casefiles.html",
        {
            "rows": selectors.case_file_index(organization, year),
            "year": year,
            "form": form,
            "organization": organization,
        },
        status=422 if form.errors else 200,
    )


def _case_file(request: HttpRequest, pk: int) -> CaseFile:
    officer = _officer(request)
    case_file = CaseFile.objects.select_related("organization", "owner").filter(pk=pk).first()
    if case_file is None or not rules_outgoing.works_for(officer, case_file.organization):
        raise Http404
    return case_file


def _addable(request: HttpRequest, case_file: CaseFile) -> list[Document]:
    candidates = (
        Document.objects.select_related("organization", "document_type")
        .filter(organization=case_file.organization, case_file__isnull=True)
        .exclude(state__in=[State.CANCELLED])
        .order_by("-created_at")[:200]
    )
    return [d for d in candidates if _may_see_any(request, d)]


def _may_see_any(request: HttpRequest, document: Document) -> bool:
    if document.direction == Direction.OUTGOING:
        return _may_see(request, document)
    if "document.read" in policy.registered_actions():
        return policy.can(request.user, "document.read", document)
    return not document.is_confidential


def _casefile_page(
    request: HttpRequest, case_file: CaseFile, bound: dict[str, forms.Form] | None = None
) -> HttpResponse:
    bound = bound or {}
    manage = policy.can(request.user, "casefile.manage", case_file)
    version = {"version": case_file.version}
    documents = [d for d in selectors.case_file_documents(case_file) if _may_see_any(request, d)]
    context: dict[str, Any] = {
        "case_file": case_file,
        "documents": documents,
        "manage": manage,
        "hidden_count": selectors.case_file_documents(case_file).count() - len(documents),
    }
    if manage and case_file.state == CaseFile.State.OPEN:
        context["add_form"] = bound.get("add") or CaseFileAddForm(
            initial=version, documents=_addable(request, case_file)
        )
    if manage:
        context["action_form"] = CaseFileActionForm(initial=version)
    return render(
        request, "documents/outgoing/casefile.html", context, status=422 if bound else 200
    )


@login_required
@require_GET
def casefile_detail_view(request: HttpRequest, pk: int) -> HttpResponse:
    return _casefile_page(request, _case_file(request, pk))


@login_required
@require_POST
def casefile_action_view(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """Add (them), remove (bo), close (dong), archive (luu-tru)."""
    case_file = _case_file(request, pk)
    if action == "them":
        form: forms.Form = CaseFileAddForm(request.POST, documents=_addable(request, case_file))
    elif action in ("bo", "dong", "luu-tru"):
        form = CaseFileActionForm(request.POST)
    else:
        raise Http404
    if not form.is_valid():
        messages.error(request, gettext("The form is not valid. Reload the page and try again."))
        return _casefile_page(request, case_file, {"add": form} if action == "them" else {})
    version = int(form.cleaned_data["version"])
    try:
        if action in ("them", "bo"):
            document = Document.objects.filter(
                pk=form.cleaned_data.get("document") or 0,
                organization=case_file.organization,
            ).first()
            if document is None:
                raise Http404
            if action == "them":
                casefiles.case_file_add_document(
                    actor=request.user,
                    case_file=case_file,
                    document=document,
                    expected_version=version,
                )
            else:
                casefiles.case_file_remove_document(
                    actor=request.user,
                    case_file=case_file,
                    document=document,
                    expected_version=version,
                )
        elif action == "dong":
            casefiles.case_file_close(
                actor=request.user, case_file=case_file, expected_version=version
            )
        else:
            casefiles.case_file_archive(
                actor=request.user, case_file=case_file, expected_version=version
            )
    except EgovError as exc:
        messages.error(request, str(exc.message))
        return _casefile_page(request, _case_file(request, pk), {"error": form})
    messages.success(request, gettext("The case file was updated."))
    return redirect("documents:casefile_detail", pk=case_file.pk)


__all__ = [
    "casefile_action_view",
    "casefile_detail_view",
    "casefile_list_view",
    "outgoing_comment_view",
    "outgoing_decide_view",
    "outgoing_document_view",
    "outgoing_issue_view",
    "outgoing_list_view",
    "outgoing_new_view",
    "outgoing_recall_view",
    "outgoing_return_view",
    "outgoing_sign_view",
    "outgoing_submit_view",
    "outgoing_update_view",
    "outgoing_waiting_view",
]

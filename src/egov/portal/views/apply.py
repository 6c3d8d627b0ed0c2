"""The citizen's online application: start, e-form, papers, review, submit, receipt, supplement.

Pages work without JavaScript (plain posts, multipart uploads); `apply.js` adds the same checks
in the browser (rules generated from the schema, see egov.portal.eform), commune lists, and the
resumable chunked upload that talks to the JSON endpoints below. Every write goes through
`egov.dossiers.online_services`. A draft, an upload or a supplement page that is not the
visitor's answers 404, never "forbidden", so nobody learns that it exists.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from egov.core.botguard import bot_check
from egov.core.errors import EgovError, NotFound
from egov.core.files import file_open
from egov.core.ratelimit import rate_limit_hit, request_key
from egov.dossiers import online_services as online
from egov.dossiers import slip_services
from egov.dossiers.models import Dossier, DossierSlip, SlipForm, State
from egov.dossiers.models_online import OnlineDraft, UploadSession
from egov.dossiers.selectors import open_clock_stop
from egov.portal import eform

SESSION_DRAFTS = "apply_drafts"  # public ids of account-less drafts this browser may open
SESSION_SUPPLEMENTS = "apply_supplements"  # dossier codes opened through a supplement link
SESSION_NEW_TOKEN = "apply_new_token"  # noqa: S105 - the resume link to show once after starting


# --- helpers -------------------------------------------------------------------------------------


def _actor(request: HttpRequest) -> Any:
    return request.user if request.user.is_authenticated else None


def _resumable(request: HttpRequest) -> list[str]:
    return list(request.session.get(SESSION_DRAFTS, []))


def _remember(request: HttpRequest, draft: OnlineDraft) -> None:
    held = _resumable(request)
    if str(draft.public_id) not in held:
        held = [*held[-19:], str(draft.public_id)]
    request.session[SESSION_DRAFTS] = held


def _draft(request: HttpRequest, draft_id: Any) -> OnlineDraft:
    try:
        return online.draft_for(
            actor=_actor(request), public_id=draft_id, resumable=_resumable(request)
        )
    except NotFound:
        raise Http404 from None


def _message(exc: EgovError) -> str:
    return str(exc.message)


def _error_list(exc: EgovError) -> list[dict[str, str]]:
    listed = exc.details.get("errors") if isinstance(exc.details, dict) else None
    if isinstance(listed, list) and listed:
        return [
            {"path": str(e.get("path", "")), "message": str(e.get("message", ""))} for e in listed
        ]
    return [{"path": exc.field or "", "message": _message(exc)}]


def _summary(errors: dict[str, str]) -> list[dict[str, str]]:
    """Error summary lines linking to their inputs."""
    out = []
    for path, message in errors.items():
        if path.startswith("applicant."):
            anchor = f"id_{eform.APPLICANT_PREFIX}{path.split('.', 1)[1]}"
        elif path.startswith("documents."):
            anchor = f"doc-{path.split('.', 1)[1]}"
        elif path == "case":
            anchor = "id_case"
        elif path:
            anchor = f"id_{eform.FIELD_PREFIX}{path.split('.')[0]}"
        else:
            anchor = "main"
        out.append({"anchor": anchor, "message": message})
    return out


def _draft_context(
    request: HttpRequest, draft: OnlineDraft, errors: dict[str, str] | None = None
) -> dict[str, Any]:
    errors = errors or {}
    version = draft.procedure_version
    documents = online.draft_documents(draft)
    kept = list(draft.files.select_related("stored_file").order_by("added_at", "pk"))
    papers = [
        {
            "document": d,
            "files": [k for k in kept if k.document_code == d.code],
            "error": errors.get(f"documents.{d.code}", ""),
        }
        for d in documents
    ]
    cases = [
        (str(c.get("code")), str(c.get("name") or c.get("code")))
        for c in (version.cases or [])
        if isinstance(c, dict) and c.get("code")
    ]
    return {
        "draft": draft,
        "version": version,
        "anonymous": draft.account_id is None,
        "applicant_fields": eform.applicant_fields(draft.applicant_data or {}, errors)
        if draft.account_id is None
        else [],
        "applicant": draft.applicant_data or {},
        "fields": eform.eform_fields(version.eform_schema or {}, draft.form_data or {}, errors),
        "form_title": (version.eform_schema or {}).get("title") or gettext("Application form"),
        "papers": papers,
        "cases": cases,
        "case_error": errors.get("case", ""),
        "errors": _summary(errors),
        "constants": eform.client_constants(),
        "chunk_size": online.CHUNK_MAX,
        "max_bytes": _max_bytes(),
        "new_token_link": _pop_token_link(request),
    }


def _max_bytes() -> int:
    return int(settings.EGOV_UPLOAD_MAX_BYTES)


def _pop_token_link(request: HttpRequest) -> str:
    token = request.session.pop(SESSION_NEW_TOKEN, "")
    if not token:
        return ""
    return request.build_absolute_uri(reverse("portal:apply_resume", kwargs={"token": token}))


# --- start ---------------------------------------------------------------------------------------


@never_cache
@require_http_methods(["GET", "POST"])
def apply_start(request: HttpRequest, procedure_code: str) -> HttpResponse:
    """The start page of an online procedure: sign-in (or not, when allowed), the case."""
    try:
        version = online.online_version(procedure_code)
    except NotFound:
        raise Http404 from None
    applicant = online.applicant_of(_actor(request))
    signed_in = request.user.is_authenticated
    login_url = (
        reverse("directory:applicant_login") + "?" + urlencode({"next": request.get_full_path()})
    )
    cases = [
        (str(c.get("code")), str(c.get("name") or c.get("code")))
        for c in (version.cases or [])
        if isinstance(c, dict) and c.get("code")
    ]
    context: dict[str, Any] = {
        "version": version,
        "procedure_code": version.procedure.code,
        "applicant": applicant,
        "signed_in": signed_in,
        "may_start": applicant is not None or (not signed_in and version.anonymous_allowed),
        "login_url": login_url,
        "cases": cases,
        "error": "",
        "drafts": list(
            online.drafts_of(applicant.account).filter(procedure_code=version.procedure.code)[:5]
        )
        if applicant is not None and applicant.account is not None
        else [],
    }
    if request.method == "POST" and context["may_start"]:
        try:
            draft, token = online.draft_start(
                actor=_actor(request),
                procedure_code=version.procedure.code,
                case=request.POST.get("case", ""),
                form_data=eform.eform_prefill(version.eform_schema or {}, applicant),
            )
        except EgovError as exc:
            context["error"] = _message(exc)
        else:
            if token:
                _remember(request, draft)
                request.session[SESSION_NEW_TOKEN] = token
            return redirect("portal:apply_draft", draft_id=draft.public_id)
    status = 200 if not context["error"] else 422
    return render(request, "portal/apply/start.html", context, status=status)


@never_cache
@require_GET
def apply_resume(request: HttpRequest, token: str) -> HttpResponse:
    """The secret link of an account-less draft: this browser may open the draft again."""
    try:
        draft = online.draft_resume(token=token)
    except NotFound:
        raise Http404 from None
    _remember(request, draft)
    if draft.state == OnlineDraft.State.SUBMITTED:
        return redirect("portal:apply_done", draft_id=draft.public_id)
    return redirect("portal:apply_draft", draft_id=draft.public_id)


@never_cache
@require_GET
def apply_my_drafts(request: HttpRequest) -> HttpResponse:
    """A signed-in citizen's drafts to continue."""
    applicant = online.applicant_of(_actor(request))
    if applicant is None or applicant.account is None:
        login = reverse("directory:applicant_login") + "?" + urlencode({"next": request.path})
        return redirect(login)
    drafts = online.drafts_of(applicant.account).select_related("procedure_version")
    return render(request, "portal/apply/my_drafts.html", {"drafts": drafts})


# --- the form ------------------------------------------------------------------------------------


def _save_from_post(request: HttpRequest, draft: OnlineDraft) -> OnlineDraft:
    schema = draft.procedure_version.eform_schema or {}
    return online.draft_save(
        draft=draft,
        form_data=eform.eform_data_from_post(schema, request.POST),
        applicant_data=eform.applicant_data_from_post(request.POST)
        if draft.account_id is None
        else None,
        case=request.POST.get("case"),
    )


@never_cache
@require_http_methods(["GET", "POST"])
def apply_draft(request: HttpRequest, draft_id: Any) -> HttpResponse:
    """The e-form and the papers. "Save" keeps everything as typed; "Review" checks it all
    with the server's rules and goes on to the review page when nothing is left."""
    draft = _draft(request, draft_id)
    if draft.state == OnlineDraft.State.SUBMITTED:
        return redirect("portal:apply_done", draft_id=draft.public_id)
    errors: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        try:
            draft = _save_from_post(request, draft)
        except EgovError as exc:
            errors = {e["path"]: e["message"] for e in _error_list(exc)}
            status = 422
        else:
            action = request.POST.get("action", "save")
            if action == "review":
                errors = eform.errors_by_field(online.draft_problems(draft))
                if not errors:
                    return redirect("portal:apply_review", draft_id=draft.public_id)
                status = 422
            else:
                messages.success(request, gettext("Your application was saved as a draft."))
                return redirect("portal:apply_draft", draft_id=draft.public_id)
    elif request.GET.get("kiem-tra"):
        errors = eform.errors_by_field(online.draft_problems(draft))
    return render(
        request, "portal/apply/draft.html", _draft_context(request, draft, errors), status=status
    )


def _upload_limited(request: HttpRequest) -> None:
    rate_limit_hit(scope="upload", key=request_key(request))


@require_POST
def apply_file_add(request: HttpRequest, draft_id: Any) -> HttpResponse:
    """The plain multipart upload (no JavaScript): one or more files for one paper."""
    draft = _draft(request, draft_id)
    document_code = request.POST.get("document_code", "")
    uploads = request.FILES.getlist(f"file_{document_code}") or request.FILES.getlist("file")
    errors: dict[str, str] = {}
    try:
        _upload_limited(request)
        if "form_present" in request.POST:  # the page's form: keep what was typed too
            draft = _save_from_post(request, draft)
        if not uploads:
            errors[f"documents.{document_code}"] = gettext("Choose a file to upload.")
        for upload in uploads:
            online.draft_file_add(
                actor=_actor(request),
                draft=draft,
                document_code=document_code,
                upload=upload,
                name=upload.name or "",
            )
    except EgovError as exc:
        errors[f"documents.{document_code}"] = _message(exc)
    if errors:
        return render(
            request,
            "portal/apply/draft.html",
            _draft_context(request, draft, errors),
            status=422,
        )
    messages.success(request, gettext("The file was attached."))
    return redirect(
        reverse("portal:apply_draft", kwargs={"draft_id": draft.public_id})
        + f"#doc-{document_code}"
    )


@require_POST
def apply_file_remove(request: HttpRequest, draft_id: Any, file_id: int) -> HttpResponse:
    draft = _draft(request, draft_id)
    try:
        if "form_present" in request.POST:
            draft = _save_from_post(request, draft)
        online.draft_file_remove(draft=draft, file_id=file_id)
    except NotFound:
        raise Http404 from None
    except EgovError as exc:
        messages.error(request, _message(exc))
    else:
        messages.success(request, gettext("The file was removed."))
    return redirect("portal:apply_draft", draft_id=draft.public_id)


# --- resumable uploads (JSON, used by apply.js) --------------------------------------------------


def _json_error(exc: EgovError) -> JsonResponse:
    body = {"code": exc.code, "message": _message(exc), "field": exc.field}
    if isinstance(exc.details, dict) and "received" in exc.details:
        body["received"] = exc.details["received"]
    response = JsonResponse(body, status=exc.status)
    retry = getattr(exc, "retry_after", None)
    if retry:
        response["Retry-After"] = str(retry)
    return response


def _session_json(session: UploadSession, **extra: Any) -> JsonResponse:
    return JsonResponse(
        {
            "id": str(session.public_id),
            "received": session.received,
            "size": session.size,
            "state": session.state,
            "chunk_size": online.CHUNK_MAX,
            **extra,
        }
    )


def _owner(request: HttpRequest, draft_id: Any = None, code: str = "") -> dict[str, Any]:
    if draft_id is not None:
        draft = _draft(request, draft_id)
        return {"draft": draft}
    return {"dossier": _supplement_dossier(request, code)}


def _upload_begin(request: HttpRequest, owner: dict[str, Any]) -> JsonResponse:
    try:
        _upload_limited(request)
        body = json.loads(request.body or b"{}")
        if not isinstance(body, dict):
            raise ValueError
        session = online.upload_begin(
            document_code=str(body.get("document_code") or ""),
            name=str(body.get("name") or ""),
            size=int(body.get("size") or 0),
            sha256=str(body.get("sha256") or ""),
            **owner,
        )
    except (ValueError, TypeError):
        return JsonResponse(
            {"code": "upload.bad_request", "message": gettext("Bad request.")}, status=400
        )
    except EgovError as exc:
        return _json_error(exc)
    return _session_json(session, status=201)


def _upload_step(request: HttpRequest, owner: dict[str, Any], upload_id: Any) -> JsonResponse:
    try:
        session = online.upload_for(public_id=upload_id, **owner)
    except NotFound:
        raise Http404 from None
    if request.method == "GET":
        return _session_json(session)
    try:
        _upload_limited(request)
        offset = int(request.GET.get("offset", "-1"))
        session = online.upload_chunk(session=session, offset=offset, data=request.body)
    except ValueError:
        return JsonResponse(
            {"code": "upload.bad_request", "message": gettext("Bad request.")}, status=400
        )
    except EgovError as exc:
        return _json_error(exc)
    return _session_json(session)


def _upload_finish(request: HttpRequest, owner: dict[str, Any], upload_id: Any) -> JsonResponse:
    try:
        session = online.upload_for(public_id=upload_id, **owner)
    except NotFound:
        raise Http404 from None
    try:
        kept = online.upload_finish(actor=_actor(request), session=session)
    except EgovError as exc:
        return _json_error(exc)
    stored = kept.stored_file
    return JsonResponse(
        {
            "id": str(session.public_id),
            "file_id": kept.pk,
            "name": stored.original_name,
            "size": stored.size,
            "sha256": stored.sha256,
            "document_code": kept.document_code,
        }
    )


@require_POST
def apply_upload_begin(request: HttpRequest, draft_id: Any) -> JsonResponse:
    return _upload_begin(request, _owner(request, draft_id=draft_id))


@require_http_methods(["GET", "POST"])
def apply_upload_chunk(request: HttpRequest, draft_id: Any, upload_id: Any) -> JsonResponse:
    return _upload_step(request, _owner(request, draft_id=draft_id), upload_id)


@require_POST
def apply_upload_finish(request: HttpRequest, draft_id: Any, upload_id: Any) -> JsonResponse:
    return _upload_finish(request, _owner(request, draft_id=draft_id), upload_id)


@require_GET
def apply_communes(request: HttpRequest, province: str) -> JsonResponse:
    """The communes of a province for the address picker (public data)."""
    listed = eform.communes(province[:3])
    if not listed:
        raise Http404
    response = JsonResponse({"communes": [[code, name] for code, name in listed]})
    response["Cache-Control"] = "public, max-age=86400"
    return response


# --- review, submit, receipt ---------------------------------------------------------------------


@never_cache
@require_GET
def apply_review(request: HttpRequest, draft_id: Any) -> HttpResponse:
    """Everything the citizen will send, read-only, with the submit button."""
    draft = _draft(request, draft_id)
    if draft.state == OnlineDraft.State.SUBMITTED:
        return redirect("portal:apply_done", draft_id=draft.public_id)
    problems = online.draft_problems(draft)
    if problems:
        url = reverse("portal:apply_draft", kwargs={"draft_id": draft.public_id})
        return redirect(url + "?kiem-tra=1")
    context = _draft_context(request, draft)
    context["submit_error"] = ""
    return render(request, "portal/apply/review.html", context)


@require_POST
def apply_submit(request: HttpRequest, draft_id: Any) -> HttpResponse:
    """Submit once: the draft's idempotency key and row lock make repeats return the first
    dossier; bot check and the "submit" rate limit run before anything is written."""
    draft = _draft(request, draft_id)
    if draft.state == OnlineDraft.State.SUBMITTED:
        return redirect("portal:apply_done", draft_id=draft.public_id)
    try:
        bot_check(request.POST)
        rate_limit_hit(scope="submit", key=request_key(request))
        online.draft_submit(actor=_actor(request), draft=draft)
    except EgovError as exc:
        context = _draft_context(request, draft)
        context["submit_error"] = _message(exc)
        context["errors"] = _summary({e["path"]: e["message"] for e in _error_list(exc)})
        status = 429 if exc.code == "rate_limited" else 422
        response = render(request, "portal/apply/review.html", context, status=status)
        retry = getattr(exc, "retry_after", None)
        if retry:
            response["Retry-After"] = str(retry)
        return response
    return redirect("portal:apply_done", draft_id=draft.public_id)


def _submitted(request: HttpRequest, draft_id: Any) -> tuple[OnlineDraft, Dossier]:
    draft = _draft(request, draft_id)
    if draft.state != OnlineDraft.State.SUBMITTED or draft.dossier is None:
        raise Http404
    return draft, draft.dossier


@never_cache
@require_GET
def apply_done(request: HttpRequest, draft_id: Any) -> HttpResponse:
    """The dossier code and the receipt, on screen."""
    draft, dossier = _submitted(request, draft_id)
    files = list(dossier.files.select_related("stored_file").order_by("pk"))
    fees = list(dossier.fees.order_by("order"))
    return render(
        request,
        "portal/apply/done.html",
        {"draft": draft, "dossier": dossier, "files": files, "fees": fees},
    )


@require_GET
def apply_receipt_pdf(request: HttpRequest, draft_id: Any) -> FileResponse:
    """The stored Mẫu 01 of the dossier (drawn and stored now if the task has not run yet)."""
    _draft_obj, dossier = _submitted(request, draft_id)
    slip = (
        DossierSlip.objects.select_related("stored_file")
        .filter(dossier=dossier, form=SlipForm.RECEIPT)
        .order_by("-created_at", "-pk")
        .first()
    )
    if slip is None:
        try:
            slip = slip_services.slip_render(dossier=dossier, form=SlipForm.RECEIPT)
        except EgovError:
            raise Http404 from None
    stored = slip.stored_file
    return FileResponse(
        file_open(stored),
        as_attachment=True,
        filename=f"{dossier.code}-mau-01.pdf",
        content_type=stored.content_type or "application/pdf",
    )


# --- supplements ---------------------------------------------------------------------------------


def _supplement_dossier(request: HttpRequest, code: str) -> Dossier:
    """The dossier if this visitor is its applicant (signed in) or opened the signed link;
    anyone else gets 404."""
    dossier = (
        Dossier.objects.select_related("applicant", "procedure_version")
        .filter(code=code[:64])
        .first()
    )
    if dossier is None:
        raise Http404
    user = request.user
    owner = (
        user.is_authenticated
        and dossier.applicant.account_id is not None
        and dossier.applicant.account_id == user.pk
    )
    if not owner and dossier.code not in request.session.get(SESSION_SUPPLEMENTS, []):
        raise Http404
    return dossier


@never_cache
@require_GET
def apply_supplement_token(request: HttpRequest, code: str, token: str) -> HttpResponse:
    """The link in the supplement request: opens the supplement page in this browser."""
    dossier = Dossier.objects.filter(code=code[:64]).first()
    if dossier is None or not online.supplement_token_valid(dossier, token):
        raise Http404
    held = list(request.session.get(SESSION_SUPPLEMENTS, []))
    if dossier.code not in held:
        request.session[SESSION_SUPPLEMENTS] = [*held[-9:], dossier.code]
    return redirect("portal:apply_supplement", code=dossier.code)


def _supplement_context(dossier: Dossier, error: str = "") -> dict[str, Any]:
    stop = open_clock_stop(dossier) if dossier.state == State.SUPPLEMENT_REQUESTED else None
    documents = list(dossier.procedure_version.documents.all())
    return {
        "dossier": dossier,
        "open": dossier.state == State.SUPPLEMENT_REQUESTED,
        "items": (stop.items if stop is not None else []) or [],
        "note": stop.note if stop is not None else "",
        "documents": documents,
        "files": list(online.supplement_files(dossier).order_by("added_at", "pk")),
        "error": error,
        "chunk_size": online.CHUNK_MAX,
        "max_bytes": _max_bytes(),
    }


@never_cache
@require_http_methods(["GET", "POST"])
def apply_supplement(request: HttpRequest, code: str) -> HttpResponse:
    """Upload the missing papers into the same dossier and send them (dossier_resubmit)."""
    dossier = _supplement_dossier(request, code)
    if request.method == "POST":
        action = request.POST.get("action", "upload")
        try:
            if action == "send":
                bot_check(request.POST)
                rate_limit_hit(scope="submit", key=request_key(request))
                online.supplement_submit(
                    actor=_actor(request),
                    dossier=dossier,
                    note=request.POST.get("note", ""),
                    link_verified=dossier.code in request.session.get(SESSION_SUPPLEMENTS, []),
                )
                messages.success(
                    request,
                    gettext("The missing papers were sent. Dossier %(code)s goes on.")
                    % {"code": dossier.code},
                )
                return redirect("portal:apply_supplement", code=dossier.code)
            _upload_limited(request)
            uploads = request.FILES.getlist("file")
            if not uploads:
                raise online.UploadIncomplete(gettext("Choose a file to upload."), field="file")
            for upload in uploads:
                online.supplement_file_add(
                    actor=_actor(request),
                    dossier=dossier,
                    document_code=request.POST.get("document_code", ""),
                    upload=upload,
                    name=upload.name or "",
                )
        except EgovError as exc:
            dossier.refresh_from_db()
            return render(
                request,
                "portal/apply/supplement.html",
                _supplement_context(dossier, _message(exc)),
                status=429 if exc.code == "rate_limited" else 422,
            )
        messages.success(request, gettext("The file was attached."))
        return redirect("portal:apply_supplement", code=dossier.code)
    return render(request, "portal/apply/supplement.html", _supplement_context(dossier))


@require_POST
def apply_supplement_upload_begin(request: HttpRequest, code: str) -> JsonResponse:
    return _upload_begin(request, _owner(request, code=code))


@require_http_methods(["GET", "POST"])
def apply_supplement_upload_chunk(request: HttpRequest, code: str, upload_id: Any) -> JsonResponse:
    return _upload_step(request, _owner(request, code=code), upload_id)


@require_POST
def apply_supplement_upload_finish(request: HttpRequest, code: str, upload_id: Any) -> JsonResponse:
    return _upload_finish(request, _owner(request, code=code), upload_id)

"""The public verification page: upload a PDF, see every signature and the platform's record."""

from __future__ import annotations

import hashlib
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.files.uploadedfile import UploadedFile
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext
from django.views.decorators.http import require_http_methods

from egov.core.errors import EgovError, PermissionDenied, ValidationFailed
from egov.core.files import detect_kind, file_open
from egov.directory import policy
from egov.signing import selectors, services
from egov.signing.errors import (
    CertificateExpired,
    CertificateRevoked,
    KeyNotFound,
    TokenUnavailable,
    WrongSecret,
)
from egov.signing.forms import PersonSignForm, SealSignForm
from egov.signing.models import SignatureRecord
from egov.signing.verification import SHA256_LENGTH, check_upload, verify_document


@require_http_methods(["GET", "POST"])
def verify_view(request: HttpRequest) -> HttpResponse:
    context: dict[str, Any] = {"max_bytes": settings.EGOV_SIGNING_VERIFY_MAX_BYTES}
    status = 200
    if request.method == "POST":
        upload = request.FILES.get("file")
        try:
            if upload is None:
                raise ValidationFailed(gettext("Choose a PDF file."), field="file")
            context["outcome"] = verify_document(check_upload(upload))
            context["file_name"] = upload.name
        except EgovError as exc:
            context["error"] = str(exc.message)
            context["error_code"] = exc.code
            status = 422
    return render(request, "signing/verify.html", context, status=status)


def record_view(request: HttpRequest, sha256: str) -> HttpResponse:
    """What the QR code on an issued document leads to: the platform's record of that file."""
    if len(sha256) != SHA256_LENGTH or any(c not in "0123456789abcdef" for c in sha256):
        raise Http404
    records = list(selectors.signature_records_for(sha256))
    return render(
        request,
        "signing/record.html",
        {"sha256": sha256, "records": records},
        status=200 if records else 404,
    )


def crl_view(request: HttpRequest, name: str) -> HttpResponse:
    """The latest revocation list of a CA, where its certificates say it is (RFC 5280 DER)."""
    row = selectors.revocation_list_get(name)
    if row is None:
        raise Http404
    response = HttpResponse(bytes(row.crl_der), content_type="application/pkix-crl")
    response["Content-Disposition"] = f'attachment; filename="{row.name}.crl"'
    response["Cache-Control"] = "public, max-age=300"
    return response


@require_http_methods(["GET", "POST"])
def code_view(request: HttpRequest, code: str) -> HttpResponse:
    """Where the QR code of an issued document leads: the platform's record of it, and a form
    to compare a copy with the file the platform signed (a changed or forged copy differs)."""
    code = code.upper()
    records = list(selectors.signature_records_by_code(code)) if len(code) <= 20 else []
    if not records:
        return render(request, "signing/code.html", {"code": code, "records": []}, status=404)
    history = list(selectors.signature_history(records[0]))
    context: dict[str, Any] = {
        "code": code,
        "records": history,
        "sha256": records[0].sha256_after,
        "max_bytes": settings.EGOV_SIGNING_VERIFY_MAX_BYTES,
    }
    status = 200
    if request.method == "POST":
        upload = request.FILES.get("file")
        try:
            if upload is None:
                raise ValidationFailed(gettext("Choose a PDF file."), field="file")
            data = check_upload(upload)
            uploaded = hashlib.sha256(data).hexdigest()
            context["uploaded_sha256"] = uploaded
            context["matches"] = any(r.sha256_after == uploaded for r in records)
            context["file_name"] = upload.name
        except EgovError as exc:
            context["error"] = str(exc.message)
            context["error_code"] = exc.code
            status = 422
    return render(request, "signing/code.html", context, status=status)


# --- the officer's signing screen ----------------------------------------------------------------

PERSON = "person"
SEAL = "seal"


def _read_pdf_upload(upload: UploadedFile) -> bytes:
    """The bytes of an uploaded PDF within the upload limit, judged by content."""
    limit = settings.EGOV_UPLOAD_MAX_BYTES
    if upload.size is None or upload.size > limit or upload.size == 0:
        raise ValidationFailed(
            gettext("The file is empty or larger than the limit of %(limit)s.")
            % {"limit": filesizeformat(limit)},
            code="file.too_large",
            field="file",
        )
    stream = upload.open("rb")
    if detect_kind(stream) != "pdf":
        raise ValidationFailed(
            gettext("Only PDF documents can be signed."), code="file.type_not_allowed", field="file"
        )
    stream.seek(0)
    return bytes(stream.read(limit + 1))


def _error_field(exc: EgovError) -> str:
    if isinstance(exc, WrongSecret | TokenUnavailable):
        return "secret"
    if isinstance(exc, CertificateRevoked | CertificateExpired | KeyNotFound | PermissionDenied):
        return "key"
    return "file"


def _sign(request: HttpRequest, kind: str, form: PersonSignForm | SealSignForm) -> Any:
    """Sign the uploaded PDF and keep it; the record, or None with errors added to the form."""
    data = form.cleaned_data
    upload = data["file"]
    try:
        pdf_bytes = _read_pdf_upload(upload)
        if kind == PERSON:
            result = services.signature_sign_as_person(
                actor=request.user,  # type: ignore[arg-type]
                pdf=pdf_bytes,
                key_id=data["key"],
                secret=data["secret"],
                reason=data["reason"],
                visible=data["visible"],
            )
        else:
            result = services.signature_sign_as_organization(
                actor=request.user,  # type: ignore[arg-type]
                pdf=pdf_bytes,
                key_id=data["key"],
                secret=data["secret"],
                reference=data["reference"],
                visible=data["visible"],
            )
    except EgovError as exc:
        form.add_error(_error_field(exc), str(exc.message))
        return None
    base = (upload.name or "van-ban.pdf").rsplit(".", 1)[0]
    services.signed_file_store(
        actor=request.user,  # type: ignore[arg-type]
        record=result.record,
        pdf=result.pdf,
        name=f"{base}-da-ky.pdf",
    )
    return result.record


@login_required
@require_http_methods(["GET", "POST"])
def workspace_sign_view(request: HttpRequest) -> HttpResponse:
    """Upload a PDF, choose a key, type its password: the signed PDF is kept and downloadable.

    Officers see their own keys they may sign with now (a deputy only with a delegation of the
    power to sign); clerks see the seals of their organisations."""
    if policy.officer_of(request.user) is None:
        raise DjangoPermissionDenied
    person_keys = selectors.signing_keys_usable_by(request.user, "signing.sign_as_person")
    seal_keys = selectors.signing_keys_usable_by(request.user, "signing.sign_as_organization")
    person_form = PersonSignForm(keys=person_keys, prefix=PERSON) if person_keys else None
    seal_form = SealSignForm(keys=seal_keys, prefix=SEAL) if seal_keys else None
    status = 200
    if request.method == "POST":
        kind = request.POST.get("action")
        if kind == PERSON and person_keys:
            person_form = PersonSignForm(
                request.POST, request.FILES, keys=person_keys, prefix=PERSON
            )
            form: PersonSignForm | SealSignForm = person_form
        elif kind == SEAL and seal_keys:
            seal_form = SealSignForm(request.POST, request.FILES, keys=seal_keys, prefix=SEAL)
            form = seal_form
        else:
            raise DjangoPermissionDenied
        record = _sign(request, kind, form) if form.is_valid() else None
        if record is not None:
            messages.success(request, gettext("The document was signed."))
            return redirect("signing:workspace_record", record_id=record.pk)
        status = 422
    context = {
        "person_form": person_form,
        "seal_form": seal_form,
        "records": selectors.signature_records_by_actor(request.user),
    }
    return render(request, "signing/workspace_sign.html", context, status=status)


def _own_record(request: HttpRequest, record_id: int) -> SignatureRecord:
    record = (
        SignatureRecord.objects.select_related("officer", "organization", "signed_file")
        .filter(pk=record_id, actor=request.user)  # type: ignore[misc]
        .first()
    )
    if record is None:
        raise Http404
    return record


@login_required
@require_http_methods(["GET"])
def workspace_record_view(request: HttpRequest, record_id: int) -> HttpResponse:
    """One signature the officer made: what, when, the hashes, the download."""
    record = _own_record(request, record_id)
    return render(request, "signing/workspace_record.html", {"record": record})


@login_required
@require_http_methods(["GET"])
def workspace_download_view(request: HttpRequest, record_id: int) -> FileResponse:
    """The signed PDF, for the officer who signed it."""
    record = _own_record(request, record_id)
    if record.signed_file is None:
        raise Http404
    return FileResponse(
        file_open(record.signed_file),
        as_attachment=True,
        filename=record.signed_file.original_name,
        content_type="application/pdf",
    )

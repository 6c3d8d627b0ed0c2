"""The public verification page: upload a PDF, see every signature and the platform's record."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext
from django.views.decorators.http import require_http_methods

from egov.core.errors import EgovError, ValidationFailed
from egov.signing import selectors
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

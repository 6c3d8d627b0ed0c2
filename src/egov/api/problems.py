"""Every API error as an RFC 9457 `application/problem+json` document with a stable code.

Clients branch on `code` (the same strings as `egov.core.errors`), show `detail` to people and
quote `request_id` to the help desk: it is the id our logs carry for that request.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from django.core.serializers.json import DjangoJSONEncoder
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from ninja import Schema
from ninja.errors import AuthenticationError, AuthorizationError, HttpError, ValidationError

from egov.core import errors

if TYPE_CHECKING:
    from ninja import NinjaAPI

logger = logging.getLogger(__name__)

PROBLEM_CONTENT_TYPE = "application/problem+json"
# Stable identifiers, not addresses to fetch: `<base><code>` never changes for a code.
PROBLEM_TYPE_BASE = "https://egov.example/problems/"

# Titles of the problems that do not come from an EgovError subclass.
_TITLES: dict[int, Any] = {
    400: _("Bad request."),
    401: errors.NotAuthenticated.default_message,
    403: errors.PermissionDenied.default_message,
    404: errors.NotFound.default_message,
    405: _("This method is not allowed here."),
    409: errors.Conflict.default_message,
    422: errors.ValidationFailed.default_message,
    429: _("Too many requests."),
    500: _("Internal server error."),
}
_CODES: dict[int, str] = {
    400: "bad_request",
    401: errors.NotAuthenticated.code,
    403: errors.PermissionDenied.code,
    404: errors.NotFound.code,
    405: "method_not_allowed",
    409: errors.Conflict.code,
    422: errors.ValidationFailed.code,
    429: "throttled",
    500: "server_error",
}


class ProblemFieldError(Schema):
    """One invalid input: where it was, which field, why."""

    location: str | None = None
    field: str | None = None
    code: str
    message: str


class Problem(Schema):
    """RFC 9457 problem details, with our stable `code` and the request id."""

    type: str
    title: str
    status: int
    detail: str
    code: str
    instance: str
    request_id: str
    errors: list[ProblemFieldError] = []


def problem_response(
    request: HttpRequest,
    *,
    status: int,
    code: str,
    detail: Any,
    title: Any = None,
    field_errors: Iterable[Mapping[str, Any]] = (),
    headers: Mapping[str, str] | None = None,
) -> HttpResponse:
    """Render one problem document (the only way this API answers with an error)."""
    body = {
        "type": f"{PROBLEM_TYPE_BASE}{code}",
        "title": str(title if title is not None else _TITLES.get(status, _TITLES[400])),
        "status": status,
        "detail": str(detail),
        "code": code,
        "instance": request.get_full_path(),
        "request_id": str(getattr(request, "request_id", "")),
        "errors": [
            {
                "location": item.get("location"),
                "field": item.get("field"),
                "code": str(item.get("code", code)),
                "message": str(item.get("message", "")),
            }
            for item in field_errors
        ],
    }
    response = HttpResponse(
        json.dumps(body, cls=DjangoJSONEncoder, ensure_ascii=False),
        status=status,
        content_type=PROBLEM_CONTENT_TYPE,
    )
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def _www_authenticate(status: int) -> dict[str, str]:
    return {"WWW-Authenticate": 'Bearer realm="egov"'} if status == 401 else {}


def egov_error(request: HttpRequest, exc: errors.EgovError) -> HttpResponse:
    field_errors = []
    if exc.field:
        field_errors.append({"field": exc.field, "code": exc.code, "message": exc.message})
    return problem_response(
        request,
        status=exc.status,
        code=exc.code,
        title=type(exc).default_message,
        detail=exc.message,
        field_errors=field_errors,
        headers=_www_authenticate(exc.status),
    )


def validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    field_errors = []
    for item in exc.errors:
        loc = [str(part) for part in item.get("loc", ())]
        field_errors.append(
            {
                "location": loc[0] if loc else None,
                "field": ".".join(loc[1:]) or None,
                "code": item.get("type", errors.ValidationFailed.code),
                "message": item.get("msg", ""),
            }
        )
    return problem_response(
        request,
        status=422,
        code=errors.ValidationFailed.code,
        detail=gettext("Some fields are not valid; see the list of errors."),
        field_errors=field_errors,
    )


def authentication_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return problem_response(
        request,
        status=401,
        code=errors.NotAuthenticated.code,
        detail=gettext(
            "Send a valid API key (Authorization: Bearer <key>, or X-API-Key) or sign in."
        ),
        headers=_www_authenticate(401),
    )


def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    status = exc.status_code
    code = _CODES.get(status, f"http_{status}")
    return problem_response(
        request,
        status=status,
        code=code,
        detail=_TITLES.get(status, exc.message),
        headers=_www_authenticate(status),
    )


def not_found(request: HttpRequest, exc: Exception) -> HttpResponse:
    return problem_response(
        request,
        status=404,
        code=errors.NotFound.code,
        detail=gettext("Nothing exists at this address."),
    )


def server_error(request: HttpRequest, exc: Exception) -> HttpResponse:
    logger.exception("unhandled API error", exc_info=exc)
    return problem_response(
        request,
        status=500,
        code="server_error",
        detail=gettext(
            "The request failed on our side. Quote the request id when you contact support."
        ),
    )


def install(api: NinjaAPI) -> None:
    """Register the handlers; the most specific exception class wins in django-ninja."""
    handlers: list[tuple[type[Exception], Any]] = [
        (errors.EgovError, egov_error),
        (ValidationError, validation_error),
        (AuthenticationError, authentication_error),
        (AuthorizationError, http_error),
        (HttpError, http_error),
        (Http404, not_found),
        (Exception, server_error),
    ]
    for exc_class, handler in handlers:
        api.add_exception_handler(exc_class, handler)

"""Who is calling: a signed-in person (session + CSRF) or an integrating system (API key).

An integrating system sends its key as `Authorization: Bearer <prefix>.<secret>` or as
`X-API-Key: <prefix>.<secret>`. A key that is sent but not valid (unknown, wrong secret,
revoked, organisation ended) is refused at once with 401 — we never fall back to the session
cookie, so a misconfigured integration fails loudly instead of acting as whoever is signed in
in the same browser.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest
from django.utils.translation import gettext
from ninja.errors import AuthenticationError
from ninja.security import APIKeyHeader, HttpBearer, SessionAuth
from ninja.utils import check_csrf

from egov.core.errors import PermissionDenied
from egov.directory import selectors as directory_selectors
from egov.directory import services as directory_services
from egov.directory.models import Account, ApiKey

Principal = Account | ApiKey


def _authenticate_key(raw_key: str | None) -> ApiKey | None:
    if raw_key is None:
        return None
    raw_key = raw_key.strip()
    key = directory_selectors.apikey_authenticate(raw_key) if raw_key else None
    if key is None:
        raise AuthenticationError()
    directory_services.apikey_mark_used(api_key=key)
    return key


class ApiKeyBearer(HttpBearer):
    """`Authorization: Bearer <key>` (what most HTTP client libraries send)."""

    openapi_name = "ApiKeyBearer"

    def authenticate(self, request: HttpRequest, token: str) -> ApiKey | None:
        return _authenticate_key(token)


class ApiKeyHeader(APIKeyHeader):
    """`X-API-Key: <key>` (for gateways that reserve the Authorization header)."""

    param_name = "X-API-Key"

    def authenticate(self, request: HttpRequest, key: str | None) -> ApiKey | None:
        return _authenticate_key(key)


class SessionCookie(SessionAuth):
    """The browser session of a signed-in account; unsafe methods need the CSRF token."""

    def _get_key(self, request: HttpRequest) -> str | None:
        return request.COOKIES.get(self.param_name)

    def authenticate(self, request: HttpRequest, key: str | None) -> Account | None:
        user = request.user
        if not (user.is_authenticated and user.is_active and isinstance(user, Account)):
            return None
        # Checked only for a signed-in session, so that a caller without any credentials
        # gets 401 (sign in) rather than a confusing CSRF refusal.
        exempt = getattr(request, "_ninja_csrf_exempt", False)
        if self.csrf and not exempt and check_csrf(request) is not None:
            raise PermissionDenied(
                gettext("CSRF verification failed: send the X-CSRFToken header."),
                code="csrf_failed",
            )
        return user


class ApiKeyScopeMissing(PermissionDenied):
    code = "api_key.scope_missing"

    def __init__(self, scope: str) -> None:
        super().__init__(
            gettext("This API key was not issued with the scope %(scope)s.") % {"scope": scope},
            details={"scope": scope},
        )


API_AUTH = [ApiKeyBearer(), ApiKeyHeader(), SessionCookie(csrf=True)]


def principal(request: HttpRequest) -> Principal:
    """The authenticated caller of the current request (set by django-ninja)."""
    auth: Any = getattr(request, "auth", None)
    if isinstance(auth, Account | ApiKey):
        return auth
    raise AuthenticationError()


def actor_account(request: HttpRequest) -> Account | AnonymousUser:
    """The account for policy checks: the signed-in person, or anonymous for an API key."""
    auth = principal(request)
    return auth if isinstance(auth, Account) else AnonymousUser()


def require_scope(request: HttpRequest, scope: str) -> None:
    """Refuse an API-key caller whose key was not issued with `scope`."""
    auth = principal(request)
    if isinstance(auth, ApiKey) and scope not in (auth.scopes or []):
        raise ApiKeyScopeMissing(scope)


__all__ = [
    "API_AUTH",
    "ApiKeyBearer",
    "ApiKeyHeader",
    "ApiKeyScopeMissing",
    "SessionCookie",
    "Principal",
    "actor_account",
    "principal",
    "require_scope",
]

"""One hierarchy of domain errors with stable machine codes.

Services raise these; the API renders them as application/problem+json and the screens show
the (translated) message next to the field.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _


class EgovError(Exception):
    """Base of every error a user may see. `code` is stable and documented."""

    code = "error"
    status = 400
    default_message: Any = _("The request could not be completed.")

    def __init__(
        self,
        message: Any = None,
        *,
        code: str | None = None,
        field: str | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        self.message = message if message is not None else self.default_message
        if code:
            self.code = code
        self.field = field
        self.details = details or {}
        super().__init__(str(self.message))


class ValidationFailed(EgovError):
    code = "validation"
    status = 422
    default_message = _("The data is not valid.")


class PermissionDenied(EgovError):
    code = "permission_denied"
    status = 403
    default_message = _("You do not have permission to do this.")


class NotAuthenticated(EgovError):
    code = "not_authenticated"
    status = 401
    default_message = _("Please sign in.")


class NotFound(EgovError):
    code = "not_found"
    status = 404
    default_message = _("Not found.")


class Conflict(EgovError):
    code = "conflict"
    status = 409
    default_message = _("The object was changed by someone else.")

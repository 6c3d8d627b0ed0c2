"""The API root and every path under /api/v1/ that no router serves.

The root answers where the contract and the docs are; any other unknown path gets a 404 problem
document rather than the HTML error page of the web site.
"""

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext
from ninja import Router

from egov.core.errors import NotFound

router = Router(tags=["system"])

_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]


@router.get("", auth=None, include_in_schema=False)
def api_index(request: HttpRequest) -> dict[str, str]:
    return {
        "title": "Open eGov VN API",
        "version": "1",
        "openapi": reverse("api:openapi-json"),
        "docs": reverse("api:openapi-view"),
    }


@router.api_operation(_METHODS, "/{path:rest}", auth=None, include_in_schema=False)
def unknown_path(request: HttpRequest, rest: str) -> None:
    raise NotFound(gettext("Nothing exists at this address."), code="not_found")

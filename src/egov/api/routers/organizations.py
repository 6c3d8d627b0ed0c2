"""The organisation directory: the tree of committees, departments, communes and their units."""

from datetime import date
from typing import Literal

from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext
from ninja import Query, Router, Schema
from ninja.pagination import PageNumberPagination, paginate

from egov.api.schemas import LIST_ERRORS, READ_ERRORS
from egov.core.errors import NotFound
from egov.directory.models import Organization

router = Router(tags=["directory"])

# Spelled out (not the model's enums) so the OpenAPI document shows the values inline and
# stays stable; tests/api/test_api_organizations.py checks they match the model's choices.
OrganizationKind = Literal["people_committee", "department", "commune", "agency", "unit"]
OrganizationLevel = Literal["central", "province", "district", "commune"]


class OrganizationOut(Schema):
    code: str
    qcvn_code: str
    admin_unit_code: str
    kind: OrganizationKind
    level: OrganizationLevel
    name_vi: str
    name_en: str
    abbreviation: str
    parent_code: str | None
    depth: int
    address: str
    phone: str
    email: str
    website: str
    valid_from: date | None
    valid_to: date | None
    successor_code: str | None

    @staticmethod
    def resolve_parent_code(obj: Organization) -> str | None:
        return obj.parent.code if obj.parent_id else None  # type: ignore[union-attr]

    @staticmethod
    def resolve_successor_code(obj: Organization) -> str | None:
        return obj.successor.code if obj.successor_id else None  # type: ignore[union-attr]


class OrganizationFilter(Schema):
    kind: OrganizationKind | None = None
    parent: str | None = None
    include_ended: bool = False


def organizations_listed(
    *, kind: str | None = None, parent_code: str | None = None, include_ended: bool = False
) -> QuerySet[Organization]:
    """Organisation nodes in tree order with their parent and successor in the same query."""
    qs = Organization.objects.select_related("parent", "successor").order_by("path")
    if kind:
        qs = qs.filter(kind=kind)
    if parent_code:
        qs = qs.filter(parent__code=parent_code)
    if not include_ended:
        qs = qs.filter(valid_to__isnull=True)
    return qs


@router.get("", summary="List organisations", response={200: list[OrganizationOut], **LIST_ERRORS})
@paginate(PageNumberPagination, page_size=50, max_page_size=200)
def organization_list(
    request: HttpRequest, filters: Query[OrganizationFilter]
) -> QuerySet[Organization]:
    """Organisation nodes in tree order; filter by `kind` and by the `parent` node's code.

    Ended nodes (merged communes, dissolved units) are left out unless `include_ended=true`.
    """
    return organizations_listed(
        kind=filters.kind, parent_code=filters.parent, include_ended=filters.include_ended
    )


@router.get("/{code}", summary="One organisation", response={200: OrganizationOut, **READ_ERRORS})
def organization_detail(request: HttpRequest, code: str) -> Organization:
    """One organisation node by its electronic identifier code (ended nodes included)."""
    found = organizations_listed(include_ended=True).filter(code=code).first()
    if found is None:
        raise NotFound(
            gettext("No organisation has the code %(code)s.") % {"code": code},
            code="directory.organization_not_found",
        )
    return found

"""Who am I: lets an integration or a script check its credentials before real work."""

from typing import Literal

from django.http import HttpRequest
from ninja import Router, Schema

from egov.api.auth import principal
from egov.api.schemas import AUTH_ERRORS, OrganizationRef
from egov.directory import selectors as directory_selectors
from egov.directory.models import ApiKey, Organization

router = Router(tags=["system"])


class RoleOut(Schema):
    role: str
    scope: str


class MeOut(Schema):
    """The caller: a signed-in account (officer or citizen) or an integrating system's key."""

    kind: Literal["account", "api_key"]
    username: str | None = None
    full_name: str | None = None
    is_officer: bool = False
    organization: OrganizationRef | None = None
    unit: OrganizationRef | None = None
    roles: list[RoleOut] = []
    system_name: str | None = None
    key_prefix: str | None = None
    scopes: list[str] = []


def _ref(node: Organization | None) -> OrganizationRef | None:
    if node is None:
        return None
    return OrganizationRef(
        code=node.code, name_vi=node.name_vi, name_en=node.name_en, kind=node.kind
    )


@router.get("/me", response={200: MeOut, **AUTH_ERRORS}, summary="Who am I")
def whoami(request: HttpRequest) -> MeOut:
    """The authenticated caller, with the organisation and roles or scopes it acts with."""
    caller = principal(request)
    if isinstance(caller, ApiKey):
        return MeOut(
            kind="api_key",
            system_name=caller.name,
            key_prefix=caller.prefix,
            organization=_ref(caller.organization),
            scopes=sorted(str(scope) for scope in caller.scopes or []),
        )
    officer = directory_selectors.officer_for(caller)
    if officer is None:
        # The directory stores Vietnamese names split as (given → first_name, family and
        # middle → last_name); shown in Vietnamese order, family name first.
        name = " ".join(part for part in (caller.last_name, caller.first_name) if part)
        return MeOut(kind="account", username=caller.get_username(), full_name=name or None)
    return MeOut(
        kind="account",
        username=caller.get_username(),
        full_name=officer.full_name,
        is_officer=True,
        organization=_ref(directory_selectors.officer_organization(officer)),
        unit=_ref(officer.unit),
        roles=[
            RoleOut(role=a.role, scope=a.scope) for a in directory_selectors.officer_roles(officer)
        ],
    )

"""An object's audit history, for IT administrators and auditing systems."""

from datetime import datetime
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Router, Schema
from ninja.pagination import PageNumberPagination, paginate

from egov.api.auth import actor_account, principal, require_scope
from egov.api.schemas import LIST_ERRORS
from egov.core.models import AuditEntry
from egov.core.selectors import audit_history
from egov.directory import policy
from egov.directory.models import Account

router = Router(tags=["audit"])

AUDIT_READ_ACTION = "audit.history.read"  # registered in egov.directory.policy
AUDIT_READ_SCOPE = "audit:read"


class AuditEntryOut(Schema):
    id: int
    created_at: datetime
    actor_id: int | None
    actor_label: str
    action: str
    object_type: str
    object_id: str
    summary: dict[str, Any]
    request_id: str
    ip: str
    prev_hash: str
    hash: str


@router.get(
    "/{object_type}/{object_id}",
    summary="Audit history of an object",
    response={200: list[AuditEntryOut], **LIST_ERRORS},
)
@paginate(PageNumberPagination, page_size=50, max_page_size=200)
def audit_object_history(
    request: HttpRequest, object_type: str, object_id: str
) -> QuerySet[AuditEntry]:
    """Every recorded change of one object, oldest first.

    `object_type` is `app_label.model_name` (e.g. `directory.organization`). Allowed to IT
    administrators and to API keys issued with the scope `audit:read`. An object without
    history answers an empty list (the log cannot tell "never changed" from "never existed").
    """
    if isinstance(principal(request), Account):
        policy.require(actor_account(request), AUDIT_READ_ACTION)
    else:
        require_scope(request, AUDIT_READ_SCOPE)
    return audit_history(object_type=object_type, object_id=object_id)

"""The dossier API: online intake and the public status look-up (mounted by egov.api).

- `POST /dossiers`: an integrating system (API key with the scope "dossiers.submit") or a
  signed-in applicant submits an online dossier. The `Idempotency-Key` header is required: the
  same key never creates a second dossier, the first one is answered again.
- `GET /dossiers/{code}/status?phone=…` (or `national_id=…`): public, no account; answers the
  state, the appointment and the timeline only when the second factor matches the applicant's
  and 404 otherwise — the same answer, after the same work, as for an unknown code.
"""

# No `from __future__ import annotations`: ninja reads the handlers' annotations at import.
import base64
import binascii
import hmac
import re
from datetime import datetime
from typing import Any, Literal

from django.http import HttpRequest
from django.utils.timezone import localtime
from django.utils.translation import gettext
from ninja import Field, Header, Router, Schema, Status

from egov.core.errors import NotFound, PermissionDenied, ValidationFailed
from egov.directory.models import Account, ApiKey, Applicant, Organization
from egov.dossiers import national, selectors, services
from egov.dossiers.models import Dossier, State

router = Router(tags=["dossiers"])

ChannelValue = Literal["online"]
FileKindValue = Literal["original", "copy"]
_DIGITS = re.compile(r"\D")


class DossierFileIn(Schema):
    name: str = Field(max_length=255)
    document_code: str = Field("", max_length=30)
    kind: FileKindValue = "original"
    content_base64: str


class DossierIn(Schema):
    """An online submission. With an API key, name the applicant by national ID or tax code
    (the applicant must exist in the directory); a signed-in applicant submits for themselves."""

    procedure_code: str = Field(max_length=30)
    receiving_organization: str = Field(max_length=35, description="electronic identifier code")
    applicant_national_id: str = Field("", max_length=12)
    applicant_tax_code: str = Field("", max_length=14)
    case: str = Field("", max_length=30)
    form: dict[str, Any]
    files: list[DossierFileIn] = []


class FeeOut(Schema):
    name: str
    amount: int
    paid: bool


class DossierCreatedOut(Schema):
    code: str
    lookup_code: str
    state: str
    portal_status: int
    received_at: datetime
    appointment_at: datetime
    fees: list[FeeOut]


class TimelineOut(Schema):
    at: datetime
    action: str
    state: str


class DossierStatusOut(Schema):
    code: str
    state: str
    state_label: str
    portal_status: int
    received_at: datetime
    appointment_at: datetime
    timeline: list[TimelineOut]


def _applicant(
    request: HttpRequest, body: DossierIn
) -> tuple[Account | None, ApiKey | None, Applicant]:
    auth: Any = getattr(request, "auth", None)
    if isinstance(auth, Account):
        applicant = Applicant.objects.filter(account=auth).first()
        if applicant is None:
            raise PermissionDenied(
                code="permission_denied", details={"action": "dossiers.submit_online"}
            )
        return auth, None, applicant
    if not isinstance(auth, ApiKey):
        raise PermissionDenied(code="permission_denied")
    query = None
    if body.applicant_national_id:
        query = Applicant.objects.filter(kind="person", national_id=body.applicant_national_id)
    elif body.applicant_tax_code:
        query = Applicant.objects.filter(kind="business", tax_code=body.applicant_tax_code)
    applicant = query.first() if query is not None else None
    if applicant is None:
        raise ValidationFailed(
            gettext("No applicant with this national ID or tax code is known."),
            code="dossier.applicant_unknown",
            field="applicant_national_id",
        )
    return None, auth, applicant


def _files(body: DossierIn) -> list[services.IncomingFile]:
    out = []
    for index, item in enumerate(body.files):
        try:
            content = base64.b64decode(item.content_base64, validate=True)
        except (binascii.Error, ValueError):
            raise ValidationFailed(
                gettext("The file content is not valid base64."),
                code="dossier.bad_file_content",
                field=f"files.{index}.content_base64",
            ) from None
        out.append(
            services.IncomingFile(
                upload=content, name=item.name, document_code=item.document_code, kind=item.kind
            )
        )
    return out


def _created(dossier: Dossier) -> dict[str, Any]:
    return {
        "code": dossier.code,
        "lookup_code": dossier.lookup_code,
        "state": dossier.state,
        "portal_status": int(national.dossier_portal_status(dossier)),
        "received_at": localtime(dossier.received_at),
        "appointment_at": localtime(dossier.appointment_at),
        "fees": [
            {"name": f.name, "amount": f.amount, "paid": f.paid}
            for f in dossier.fees.order_by("order")
        ],
    }


@router.post("/dossiers", summary="Submit an online dossier", response={201: DossierCreatedOut})
def dossier_submit(
    request: HttpRequest,
    body: DossierIn,
    idempotency_key: str | None = Header(None, alias="Idempotency-Key"),
) -> Status:
    """Submit an online dossier; repeat with the same Idempotency-Key to get the same answer."""
    key = (idempotency_key or "").strip()
    if not key:
        raise ValidationFailed(
            gettext("The Idempotency-Key header is required."),
            code="dossier.idempotency_key_required",
            field="Idempotency-Key",
        )
    actor, api_key, applicant = _applicant(request, body)
    organization = Organization.objects.filter(code=body.receiving_organization).first()
    if organization is None:
        raise NotFound(
            gettext("No organisation has the code %(code)s.")
            % {"code": body.receiving_organization},
            code="dossier.organization_not_found",
            field="receiving_organization",
        )
    dossier = services.dossier_receive(
        actor=actor,
        procedure_code=body.procedure_code,
        receiving_organization=organization,
        applicant=applicant,
        channel="online",
        form_data=body.form,
        files=_files(body),
        case=body.case,
        idempotency_key=key,
        api_key=api_key,
    )
    return Status(201, _created(dossier))


def _same(given: str, expected: str) -> bool:
    return bool(expected) and hmac.compare_digest(given.encode(), expected.encode())


@router.get(
    "/dossiers/{code}/status", auth=None, summary="Status of a dossier", response=DossierStatusOut
)
def dossier_status(
    request: HttpRequest, code: str, phone: str = "", national_id: str = ""
) -> dict[str, Any]:
    """The state, appointment and timeline of a dossier, for whoever knows its applicant's phone
    number or national ID."""
    dossier = selectors.dossier_by_code(code[:64])
    expected_phone = _DIGITS.sub("", dossier.applicant_phone) if dossier else ""
    expected_id = dossier.applicant_national_id if dossier else ""
    phone_ok = _same(_DIGITS.sub("", phone), expected_phone or "\x00")
    id_ok = _same(national_id.strip(), expected_id or "\x00")
    if dossier is None or not ((phone and phone_ok) or (national_id and id_ok)):
        raise NotFound(
            gettext("No dossier matches this code and detail."), code="dossier.not_found"
        )
    return {
        "code": dossier.code,
        "state": dossier.state,
        "state_label": str(State(dossier.state).label),
        "portal_status": int(national.dossier_portal_status(dossier)),
        "received_at": localtime(dossier.received_at),
        "appointment_at": localtime(dossier.appointment_at),
        "timeline": [
            {"at": localtime(e.at), "action": e.action, "state": e.state_after}
            for e in dossier.events.order_by("at", "pk")
        ],
    }

"""The dossier API (mounted by egov.api at /api/v1/): online intake, the public status look-up,
and the officers' endpoints.

- `POST /dossiers`: an integrating system (API key with the scope "dossiers.submit") or a
  signed-in applicant submits an online dossier. The `Idempotency-Key` header is required: the
  same key never creates a second dossier, the first one is answered again.
- `GET /dossiers/{code}/status?phone=…` (or `national_id=…`): public, no account; answers the
  state, the appointment and the timeline only when the second factor matches the applicant's
  and 404 otherwise. An unknown code and a wrong second factor do the same work (one query by
  code, two fixed-length constant-time comparisons against the real values or a placeholder)
  and answer the same problem document, so neither the body nor the timing tells whether a
  code exists.
- `GET /dossiers`, `GET /dossiers/{code}`: the dossiers the caller may see
  (`selectors.dossiers_visible_to`), or, for an API key issued with the scope "dossiers.read",
  those received or decided inside the key's organisation subtree. A dossier the caller may
  not see answers 404, never 403, so that codes cannot be probed.
- `POST /dossiers/{code}/<action>`: one endpoint per service (accept, request-supplement, …).
  Each body carries `expected_version` (optimistic locking: a stale version answers 409
  `dossier.conflict` and changes nothing); the service checks the permission (403
  `permission_denied`). An API key may read but never act: every change needs a person who
  answers for it in the audit log, so the services refuse a key with 403.
"""

# No `from __future__ import annotations`: ninja reads the handlers' annotations at import.
import base64
import binascii
import hashlib
import hmac
import json
import re
from datetime import UTC, datetime, tzinfo
from typing import Any, Literal

from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.db.models import Model, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import TruncDate
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.timezone import localtime
from django.utils.translation import gettext
from ninja import Field, Header, Query, Router, Schema, Status
from ninja.pagination import PageNumberPagination, paginate
from ninja.renderers import JSONRenderer
from ninja.responses import NinjaJSONEncoder
from pydantic import AwareDatetime

from egov.core.errors import NotFound, PermissionDenied, ValidationFailed
from egov.directory.models import Account, ApiKey, Applicant, Organization
from egov.dossiers import deadlines, national, selectors, services
from egov.dossiers.models import (
    OPEN_STATES,
    ClockStop,
    Dossier,
    DossierEvent,
    DossierFile,
    DossierStep,
    State,
)

router = Router(tags=["dossiers"])

READ_SCOPE = "dossiers.read"  # the scope an integrating system's key needs to read dossiers
PAGE_SIZE = 20
MAX_PAGE_SIZE = 100

ChannelValue = Literal["online"]
FileKindValue = Literal["original", "copy"]
# Spelled out (not the model's enums) so the OpenAPI document shows the values inline;
# tests/dossiers/test_dossiers_api_officers.py checks they match the model's choices.
StateValue = Literal[
    "submitted",
    "supplement_requested",
    "refused",
    "accepted",
    "in_process",
    "approved",
    "denied",
    "returned",
    "withdrawn",
    "cancelled",
]
DeliveryValue = Literal["counter", "post", "online"]
TimelinessValue = Literal["early", "on_time", "late", "overdue"]
_DIGITS = re.compile(r"\D")

# --- schemas: intake and status ----------------------------------------------------------------


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


# --- schemas: officers' endpoints --------------------------------------------------------------


class OrganizationRefOut(Schema):
    code: str
    name_vi: str


class DossierSummaryOut(Schema):
    """One line of a queue: enough to pick the dossier and see how urgent it is."""

    code: str
    state: StateValue
    state_label: str
    procedure_code: str
    procedure_name: str
    channel: str
    applicant_name: str
    receiving_organization: OrganizationRefOut
    competent_organization: OrganizationRefOut
    received_at: datetime
    due_at: datetime
    appointment_at: datetime
    timeliness: TimelinessValue
    version: int


class ApplicantOut(Schema):
    name: str
    national_id: str
    tax_code: str
    phone: str
    email: str
    address: str


class StepOut(Schema):
    id: int
    order: int
    name: str
    responsible_unit: OrganizationRefOut
    responsible_role: str
    assignee: str | None
    due_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    result: str
    timeliness: TimelinessValue
    current: bool
    note: str


class EventOut(Schema):
    at: datetime
    action: str
    state_before: str
    state_after: str
    step_order: int | None
    from_officer: str | None
    from_unit: str | None
    to_officer: str | None
    to_unit: str | None
    note: str


class FeeLineOut(Schema):
    order: int
    kind: str
    name: str
    amount: int
    paid: bool
    paid_at: datetime | None
    method: str
    receipt_number: str


class FileOut(Schema):
    """What is known about a paper of the dossier; the content is fetched elsewhere."""

    id: str
    name: str
    content_type: str
    size: int
    sha256: str
    document_code: str
    kind: str
    added_at: datetime


class ClockStopOut(Schema):
    reason: str
    items: list[dict[str, str]]
    note: str
    stopped_at: datetime
    resumed_at: datetime | None


class ApologyOut(Schema):
    issued_at: datetime
    reason: str
    previous_appointment_at: datetime
    new_appointment_at: datetime


class DossierOut(DossierSummaryOut):
    """The officer's view of one dossier; `version` goes back as `expected_version`."""

    lookup_code: str
    portal_status: int
    case: str
    form: dict[str, Any]
    applicant: ApplicantOut
    clock_started_at: datetime
    accepted_at: datetime | None
    decided_at: datetime | None
    returned_at: datetime | None
    closed_at: datetime | None
    supplement_requested: bool
    reasons: list[str]
    legal_basis: str
    result_number: str
    delivery: str
    on_time: bool | None
    fee_due: bool
    steps: list[StepOut]
    events: list[EventOut]
    fees: list[FeeLineOut]
    files: list[FileOut]
    clock_stops: list[ClockStopOut]
    apologies: list[ApologyOut]


class DossierFilter(Schema):
    state: StateValue | None = None
    procedure: str | None = Field(None, max_length=30, description="procedure code")
    overdue: bool | None = Field(
        None, description="true: open dossiers past their due day; false: all the others"
    )


class VersionIn(Schema):
    expected_version: int = Field(ge=1, description="the `version` the caller last read")


class SupplementItemIn(Schema):
    document_code: str = Field("", max_length=30)
    name: str = Field(max_length=500)
    reason: str = Field(max_length=1000)


class SupplementIn(VersionIn):
    items: list[SupplementItemIn]
    note: str = Field("", max_length=1000)


class ResubmitIn(VersionIn):
    files: list[DossierFileIn] = []
    note: str = Field("", max_length=1000)


class RefuseIn(VersionIn):
    reasons: list[str]
    legal_basis: str = Field(max_length=500)


class NoteIn(VersionIn):
    note: str = Field("", max_length=1000)


class ApproveIn(VersionIn):
    result_number: str = Field("", max_length=100)


class DenyIn(VersionIn):
    reasons: list[str]


class ReturnIn(VersionIn):
    delivery: DeliveryValue
    note: str = Field("", max_length=1000)


class ReasonIn(VersionIn):
    reason: str = Field("", max_length=1000)


class ApologyIn(VersionIn):
    reason: str = Field(max_length=1000)
    new_appointment_at: AwareDatetime


class CashPaymentIn(VersionIn):
    receipt_number: str = Field("", max_length=100)


# --- who is calling ----------------------------------------------------------------------------


def _auth(request: HttpRequest) -> Any:
    return getattr(request, "auth", None)


def _actor(request: HttpRequest) -> Any:
    """The person for the services' permission checks: the signed-in account, or anonymous for
    an API key (the services then refuse every change)."""
    auth = _auth(request)
    return auth if isinstance(auth, Account) else AnonymousUser()


def _visible(request: HttpRequest) -> QuerySet[Dossier]:
    auth = _auth(request)
    if isinstance(auth, ApiKey):
        if READ_SCOPE not in (auth.scopes or []):
            raise PermissionDenied(
                gettext("This API key was not issued with the scope %(scope)s.")
                % {"scope": READ_SCOPE},
                code="api_key.scope_missing",
                details={"scope": READ_SCOPE},
            )
        path = auth.organization.path
        return Dossier.objects.select_related(
            "procedure_version__procedure", "receiving_organization", "competent_organization"
        ).filter(
            Q(receiving_organization__path__startswith=path)
            | Q(competent_organization__path__startswith=path)
        )
    return selectors.dossiers_visible_to(auth)


def _dossier(request: HttpRequest, code: str) -> Dossier:
    found = _visible(request).filter(code=code[:64]).first()
    if found is None:
        raise NotFound(
            gettext("No dossier with the code %(code)s is visible to you.") % {"code": code[:64]},
            code="dossier.not_found",
        )
    return found


# --- intake ------------------------------------------------------------------------------------


def _applicant(
    request: HttpRequest, body: DossierIn
) -> tuple[Account | None, ApiKey | None, Applicant]:
    auth = _auth(request)
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


def _files(files: list[DossierFileIn]) -> list[services.IncomingFile]:
    out = []
    for index, item in enumerate(files):
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
            {"name": name, "amount": amount, "paid": paid}
            for name, amount, paid in dossier.fees.order_by("order").values_list(
                "name", "amount", "paid"
            )
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
        files=_files(body.files),
        case=body.case,
        idempotency_key=key,
        api_key=api_key,
    )
    return Status(201, _created(dossier))


# --- the public status look-up -----------------------------------------------------------------

# Compared against when there is no real value (unknown code, no phone on file): it cannot be
# the digest of anything a caller sends, because callers' values are hashed first.
_NO_VALUE = b"\x00" * 32


_STATUS_FIELDS = (
    "code",
    "state",
    "channel",
    "applicant_phone",
    "applicant_national_id",
    "received_at",
    "appointment_at",
)


_status_sql: dict[str, str] = {}
_JSON_TYPE = f"{JSONRenderer.media_type}; charset={JSONRenderer.charset}"


def _aware(value: Any) -> Any:
    """A datetime column as the ORM would give it (SQLite hands back naive UTC text)."""
    if isinstance(value, str):
        value = parse_datetime(value)
    if isinstance(value, datetime) and timezone.is_naive(value):
        value = timezone.make_aware(value, UTC)
    return value


def _columns(model: type[Model]) -> dict[str, str]:
    """Field name → column name of a model's concrete fields."""
    return {field.name: str(field.column) for field in model._meta.concrete_fields}


def _status_statement(vendor: str) -> str:
    """The status statement for the vendor, built once per process.

    PostgreSQL: one row, the timeline folded into a JSON array by a correlated subquery (the
    planner and the wire carry one row instead of a join, sort and one row per event; measured
    about a sixth faster than the join). Other databases: the ORM's join, one row per event.
    """
    sql = _status_sql.get(vendor)
    if sql is not None:
        return sql
    if vendor == "postgresql":
        d, e = _columns(Dossier), _columns(DossierEvent)
        columns = ", ".join(f'd."{d[f]}"' for f in _STATUS_FIELDS)
        # Identifiers from the models' metadata; the code is the one bound parameter.
        sql = (
            f"SELECT {columns}, (SELECT json_agg(json_build_array("  # noqa: S608
            f'e."{e["at"]}", e."{e["action"]}", e."{e["state_after"]}") '
            f'ORDER BY e."{e["at"]}", e."{e["id"]}")::text '
            f'FROM "{DossierEvent._meta.db_table}" e WHERE e."{e["dossier"]}" = d."{d["id"]}") '
            f'FROM "{Dossier._meta.db_table}" d WHERE d."{d["code"]}" = %s'
        )
    else:
        query = (
            Dossier.objects.filter(code="")
            .order_by("events__at", "events__pk")
            .values_list(*_STATUS_FIELDS, "events__at", "events__action", "events__state_after")
        )
        sql, params = query.query.sql_with_params()
        if list(params) != [""]:  # pragma: no cover - guards the statement's one parameter
            raise RuntimeError("unexpected parameters in the status statement")
    _status_sql[vendor] = sql
    return sql


def _status_rows(code: str) -> tuple[dict[str, Any] | None, list[tuple[datetime, str, str]]]:
    """The dossier's status columns (None when no dossier has this code) and its timeline in
    order, in one round trip (this is the busiest public read, ARCHITECTURE.md §7)."""
    vendor = connection.vendor
    with connection.cursor() as cursor:
        cursor.execute(_status_statement(vendor), [code])
        fetched = cursor.fetchall()
    if not fetched:
        return None, []
    width = len(_STATUS_FIELDS)
    row = dict(zip(_STATUS_FIELDS, fetched[0][:width], strict=True))
    row["received_at"] = _aware(row["received_at"])
    row["appointment_at"] = _aware(row["appointment_at"])
    if vendor == "postgresql":
        folded = fetched[0][width]
        events = json.loads(folded) if folded else []
        return row, [(datetime.fromisoformat(at), action, after) for at, action, after in events]
    timeline = [(_aware(r[width]), r[width + 1], r[width + 2]) for r in fetched]
    return row, [event for event in timeline if event[0] is not None]


def _digest(value: str) -> bytes:
    return hashlib.sha256(value.encode()).digest() if value else _NO_VALUE


def _matches(given: str, expected: str) -> bool:
    """Constant-time and length-independent: both sides are 32-byte digests."""
    return hmac.compare_digest(_digest(given), _digest(expected) if expected else b"\xff" * 32)


def _status_answer(code: str, phone: str, national_id: str) -> HttpResponse:
    """The status document, serialised here rather than by ninja's response model.

    Same JSON as `DossierStatusOut` validated and rendered by ninja (key order, types, the
    encoder's date format; tests/dossiers/test_dossiers_perf_rules.py compares them) without
    the pydantic round trip, which cost as much as the query on this busiest public read.
    """
    # The same work whichever way it fails: one narrow query by code (the dossier with its
    # timeline, one row per event), then both comparisons, always.
    row, timeline = _status_rows(code[:64])
    expected_phone = _DIGITS.sub("", row["applicant_phone"]) if row is not None else ""
    expected_id = row["applicant_national_id"].strip() if row is not None else ""
    phone_ok = _matches(_DIGITS.sub("", phone), expected_phone)
    id_ok = _matches(national_id.strip(), expected_id)
    if row is None or not (phone_ok or id_ok):
        raise NotFound(
            gettext("No dossier matches this code and detail."), code="dossier.not_found"
        )
    state = row["state"]
    document = {
        "code": row["code"],
        "state": state,
        "state_label": str(State(state).label),
        "portal_status": int(national.portal_status(state, row["channel"])),
        "received_at": localtime(row["received_at"]),
        "appointment_at": localtime(row["appointment_at"]),
        "timeline": [
            {"at": localtime(at), "action": action, "state": after}
            for at, action, after in timeline
        ],
    }
    return HttpResponse(json.dumps(document, cls=NinjaJSONEncoder), content_type=_JSON_TYPE)


def dossier_status_view(request: HttpRequest, code: str) -> HttpResponse:
    """`dossier_status` for GET without django-ninja's per-request machinery.

    egov.api serves the documented GET operation through this plain view (the operation stays
    in the OpenAPI document and answers every other method); ninja's dispatch, parameter
    models and response validation were about half of the look-up's time. The query parameters
    are read exactly as ninja reads them (the last value of a repeated name, "" when absent)
    and errors go through the API's exception handlers, so the answers are identical.
    """
    query = request.GET
    return _status_answer(code, query.get("phone", ""), query.get("national_id", ""))


@router.get(
    "/dossiers/{code}/status", auth=None, summary="Status of a dossier", response=DossierStatusOut
)
def dossier_status(
    request: HttpRequest, code: str, phone: str = "", national_id: str = ""
) -> HttpResponse:
    """The state, appointment and timeline of a dossier, for whoever knows its applicant's phone
    number or national ID. Anything else answers the same 404 document after the same work."""
    return _status_answer(code, phone, national_id)


# --- officers: reading -------------------------------------------------------------------------


def _org(node: Organization) -> dict[str, str]:
    return {"code": node.code, "name_vi": node.name_vi}


def _timeliness(dossier: Dossier, stopped_at: datetime | None, now: datetime, tz: tzinfo) -> str:
    """selectors.dossier_timeliness, with the open clock stop already known (no query)."""
    if dossier.decided_at is not None:
        return deadlines.timeliness(dossier.due_at, dossier.decided_at, at=now, tz=tz)
    at = dossier.closed_at or now
    if stopped_at is not None:
        at = stopped_at
    return deadlines.timeliness(dossier.due_at, None, at=at, tz=tz)


def _summary(
    dossier: Dossier, stopped_at: datetime | None, now: datetime, tz: tzinfo
) -> dict[str, Any]:
    procedure = dossier.procedure_version
    return {
        "code": dossier.code,
        "state": dossier.state,
        "state_label": str(State(dossier.state).label),
        "procedure_code": procedure.procedure.code,
        "procedure_name": procedure.name,
        "channel": dossier.channel,
        "applicant_name": dossier.applicant_name,
        "receiving_organization": _org(dossier.receiving_organization),
        "competent_organization": _org(dossier.competent_organization),
        "received_at": localtime(dossier.received_at),
        "due_at": localtime(dossier.due_at),
        "appointment_at": localtime(dossier.appointment_at),
        "timeliness": _timeliness(dossier, stopped_at, now, tz),
        "version": dossier.version,
    }


def _open_stop_at() -> Subquery:
    return Subquery(
        ClockStop.objects.filter(dossier=OuterRef("pk"), resumed_at__isnull=True).values(
            "stopped_at"
        )[:1]
    )


def _overdue_q(now: datetime) -> Q:
    """Open dossiers whose due day has passed, judged at the stop while the clock stands.

    The stopped ones come from an uncorrelated subquery over the open clock stops (few rows,
    evaluated once): a correlated EXISTS made PostgreSQL probe it for every open dossier.
    """
    today = deadlines.local_date(now)
    midnight = deadlines.end_of_day(today).replace(hour=0, minute=0, second=0, microsecond=0)
    stopped_late = ClockStop.objects.filter(
        resumed_at__isnull=True, stopped_at__date__gt=TruncDate("dossier__due_at")
    ).values("dossier_id")
    running = Q(state__in=OPEN_STATES - {State.SUPPLEMENT_REQUESTED}, due_at__lt=midnight)
    return running | Q(state=State.SUPPLEMENT_REQUESTED, pk__in=stopped_late)


class _Page:
    """The page of dossiers as ninja's pagination sees it: sliced rows rendered as summaries."""

    def __init__(self, queryset: QuerySet[Dossier], now: datetime) -> None:
        self.queryset = queryset
        self.now = now

    def __len__(self) -> int:
        return self.queryset.count()

    def __getitem__(self, window: slice) -> list[dict[str, Any]]:
        rows = list(self.queryset.annotate(open_stop_at=_open_stop_at())[window])
        tz = deadlines.get_calendar().tz
        return [_summary(d, getattr(d, "open_stop_at", None), self.now, tz) for d in rows]


@router.get(
    "/dossiers",
    summary="Dossiers visible to the caller",
    response=list[DossierSummaryOut],
)
@paginate(PageNumberPagination, page_size=PAGE_SIZE, max_page_size=MAX_PAGE_SIZE)
def dossier_list(request: HttpRequest, filters: Query[DossierFilter]) -> Any:
    """The caller's queue, newest first: every dossier received by, decided by or passing
    through an organisation or unit the caller's roles reach. Filter by `state`, `procedure`
    code and `overdue`. An API key needs the scope "dossiers.read" and sees its subtree."""
    qs = _visible(request)
    now = deadlines.now()
    if filters.state:
        qs = qs.filter(state=filters.state)
    if filters.procedure:
        qs = qs.filter(procedure_version__procedure__code=filters.procedure)
    if filters.overdue is not None:
        overdue = _overdue_q(now)
        qs = qs.filter(overdue) if filters.overdue else qs.exclude(overdue)
    # Newest first by intake order: the primary key grows with every intake (received_at is
    # the moment of the intake), and its index lets the database stop after one page instead
    # of sorting every visible dossier (100,000 in a province's queue: tests/perf).
    return _Page(qs.order_by("-pk"), now)


def _detail(dossier: Dossier) -> dict[str, Any]:
    now = deadlines.now()
    tz = deadlines.get_calendar().tz
    steps = selectors.dossier_steps(dossier)
    stops = list(dossier.clock_stops.order_by("stopped_at", "pk"))
    open_stop = next((s for s in stops if s.resumed_at is None), None)
    stopped_at = open_stop.stopped_at if open_stop is not None else None
    current = next((s.pk for s in steps if s.finished_at is None), None)
    events = (
        DossierEvent.objects.filter(dossier=dossier)
        .select_related("step", "from_officer", "from_unit", "to_officer", "to_unit")
        .order_by("at", "pk")
    )
    files = DossierFile.objects.filter(dossier=dossier).select_related("stored_file").order_by("pk")
    return {
        **_summary(dossier, stopped_at, now, tz),
        "lookup_code": dossier.lookup_code,
        "portal_status": int(national.dossier_portal_status(dossier)),
        "case": dossier.case,
        "form": dossier.form_data or {},
        "applicant": {
            "name": dossier.applicant_name,
            "national_id": dossier.applicant_national_id,
            "tax_code": dossier.applicant_tax_code,
            "phone": dossier.applicant_phone,
            "email": dossier.applicant_email,
            "address": dossier.applicant_address,
        },
        "clock_started_at": localtime(dossier.clock_started_at),
        "accepted_at": _local(dossier.accepted_at),
        "decided_at": _local(dossier.decided_at),
        "returned_at": _local(dossier.returned_at),
        "closed_at": _local(dossier.closed_at),
        "supplement_requested": dossier.supplement_requested,
        "reasons": [str(r) for r in dossier.reasons or []],
        "legal_basis": dossier.legal_basis,
        "result_number": dossier.result_number,
        "delivery": dossier.delivery,
        "on_time": dossier.on_time,
        "fee_due": dossier.fee_due,
        "steps": [_step(s, s.pk == current, stopped_at, now, tz) for s in steps],
        "events": [_event(e) for e in events],
        "fees": [
            {
                "order": f.order,
                "kind": f.kind,
                "name": f.name,
                "amount": f.amount,
                "paid": f.paid,
                "paid_at": _local(f.paid_at),
                "method": f.method,
                "receipt_number": f.receipt_number,
            }
            for f in dossier.fees.order_by("order")
        ],
        "files": [
            {
                "id": str(f.stored_file.pk),
                "name": f.stored_file.original_name,
                "content_type": f.stored_file.content_type,
                "size": f.stored_file.size,
                "sha256": f.stored_file.sha256,
                "document_code": f.document_code,
                "kind": f.kind,
                "added_at": localtime(f.added_at),
            }
            for f in files
        ],
        "clock_stops": [
            {
                "reason": s.reason,
                "items": [{str(k): str(v) for k, v in item.items()} for item in s.items or []],
                "note": s.note,
                "stopped_at": localtime(s.stopped_at),
                "resumed_at": _local(s.resumed_at),
            }
            for s in stops
        ],
        "apologies": [
            {
                "issued_at": localtime(a.issued_at),
                "reason": a.reason,
                "previous_appointment_at": localtime(a.previous_appointment_at),
                "new_appointment_at": localtime(a.new_appointment_at),
            }
            for a in dossier.apologies.order_by("issued_at", "pk")
        ],
    }


def _local(moment: datetime | None) -> datetime | None:
    return localtime(moment) if moment is not None else None


def _step(
    step: DossierStep, current: bool, stopped_at: datetime | None, now: datetime, tz: tzinfo
) -> dict[str, Any]:
    at = stopped_at if stopped_at is not None and step.finished_at is None else now
    return {
        "id": step.pk,
        "order": step.order,
        "name": step.name,
        "responsible_unit": _org(step.responsible_unit),
        "responsible_role": step.responsible_role,
        "assignee": step.assignee.full_name if step.assignee is not None else None,
        "due_at": localtime(step.due_at),
        "started_at": _local(step.started_at),
        "finished_at": _local(step.finished_at),
        "result": step.result,
        "timeliness": deadlines.timeliness(step.due_at, step.finished_at, at=at, tz=tz),
        "current": current,
        "note": step.note,
    }


def _event(event: DossierEvent) -> dict[str, Any]:
    return {
        "at": localtime(event.at),
        "action": event.action,
        "state_before": event.state_before,
        "state_after": event.state_after,
        "step_order": event.step.order if event.step is not None else None,
        "from_officer": event.from_officer.full_name if event.from_officer else None,
        "from_unit": event.from_unit.code if event.from_unit else None,
        "to_officer": event.to_officer.full_name if event.to_officer else None,
        "to_unit": event.to_unit.code if event.to_unit else None,
        "note": event.note,
    }


@router.get("/dossiers/{code}", summary="One dossier (officer's view)", response=DossierOut)
def dossier_detail(request: HttpRequest, code: str) -> dict[str, Any]:
    """Everything about a dossier the caller may see: steps with their deadlines, the hand-over
    log, fees, files (metadata), clock stops, apologies and the `version` to send back with an
    action."""
    return _detail(_dossier(request, code))


# --- officers: acting --------------------------------------------------------------------------


def _after(request: HttpRequest, dossier: Dossier) -> dict[str, Any]:
    """The dossier as it is after the action (fresh row: the service bumped its version)."""
    fresh = _visible(request).filter(pk=dossier.pk).first()
    return _detail(fresh if fresh is not None else dossier)


def _step_in(dossier: Dossier, step_id: int) -> DossierStep:
    step = dossier.steps.filter(pk=step_id).first()
    if step is None:
        raise NotFound(
            gettext("Dossier %(code)s has no step %(step)s.")
            % {"code": dossier.code, "step": step_id},
            code="dossier.step_not_found",
        )
    return step


def _action(path: str, summary: str) -> Any:
    return router.post(path, summary=summary, response=DossierOut)


@_action("/dossiers/{code}/accept", "Accept after the completeness check")
def dossier_accept(request: HttpRequest, code: str, body: VersionIn) -> dict[str, Any]:
    """The counter finds the dossier complete; its steps are planned."""
    dossier = _dossier(request, code)
    services.dossier_accept(
        actor=_actor(request), dossier=dossier, expected_version=body.expected_version
    )
    return _after(request, dossier)


@_action("/dossiers/{code}/request-supplement", "Ask for the missing documents")
def dossier_request_supplement(
    request: HttpRequest, code: str, body: SupplementIn
) -> dict[str, Any]:
    """List everything missing at once; the legal clock stops until the resubmission."""
    dossier = _dossier(request, code)
    services.dossier_request_supplement(
        actor=_actor(request),
        dossier=dossier,
        items=[item.dict() for item in body.items],
        note=body.note,
        expected_version=body.expected_version,
    )
    return _after(request, dossier)


@_action("/dossiers/{code}/resubmit", "Resubmit with the supplements")
def dossier_resubmit(request: HttpRequest, code: str, body: ResubmitIn) -> dict[str, Any]:
    """The applicant brought what was missing: the clock restarts (or resumes, by setting)."""
    dossier = _dossier(request, code)
    services.dossier_resubmit(
        actor=_actor(request),
        dossier=dossier,
        files=_files(body.files),
        note=body.note,
        expected_version=body.expected_version,
    )
    return _after(request, dossier)


@_action("/dossiers/{code}/refuse", "Refuse the dossier")
def dossier_refuse(request: HttpRequest, code: str, body: RefuseIn) -> dict[str, Any]:
    """Not eligible: refused with the reasons and their legal basis (Mẫu 03)."""
    dossier = _dossier(request, code)
    services.dossier_refuse(
        actor=_actor(request),
        dossier=dossier,
        reasons=body.reasons,
        legal_basis=body.legal_basis,
        expected_version=body.expected_version,
    )
    return _after(request, dossier)


@_action("/dossiers/{code}/steps/{step_id}/start", "Start the current step")
def dossier_start_step(
    request: HttpRequest, code: str, step_id: int, body: VersionIn
) -> dict[str, Any]:
    """An officer of the step's unit takes the dossier's current step."""
    dossier = _dossier(request, code)
    services.dossier_start_step(
        actor=_actor(request),
        dossier=dossier,
        step=_step_in(dossier, step_id),
        expected_version=body.expected_version,
    )
    return _after(request, dossier)


@_action("/dossiers/{code}/steps/{step_id}/complete", "Finish the current step")
def dossier_complete_step(
    request: HttpRequest, code: str, step_id: int, body: NoteIn
) -> dict[str, Any]:
    """Finish the step and hand the dossier over to the next step's unit."""
    dossier = _dossier(request, code)
    services.dossier_complete_step(
        actor=_actor(request),
        dossier=dossier,
        step=_step_in(dossier, step_id),
        note=body.note,
        expected_version=body.expected_version,
    )
    return _after(request, dossier)


@_action("/dossiers/{code}/approve", "Approve the result")
def dossier_approve(request: HttpRequest, code: str, body: ApproveIn) -> dict[str, Any]:
    """A head of the competent organisation approves the result."""
    dossier = _dossier(request, code)
    services.dossier_approve_result(
        actor=_actor(request),
        dossier=dossier,
        result_number=body.result_number,
        expected_version=body.expected_version,
    )
    return _after(request, dossier)


@_action("/dossiers/{code}/deny", "Deny the request")
def dossier_deny(request: HttpRequest, code: str, body: DenyIn) -> dict[str, Any]:
    """A head decides against the request, with the reasons."""
    dossier = _dossier(request, code)
    services.dossier_deny_result(
        actor=_actor(request),
        dossier=dossier,
        reasons=body.reasons,
        expected_version=body.expected_version,
    )
    return _after(request, dossier)


@_action("/dossiers/{code}/return", "Return the result to the applicant")
def dossier_return(request: HttpRequest, code: str, body: ReturnIn) -> dict[str, Any]:
    """The counter hands the result over (at the counter, by post or online)."""
    dossier = _dossier(request, code)
    services.dossier_return_result(
        actor=_actor(request),
        dossier=dossier,
        delivery=body.delivery,
        note=body.note,
        expected_version=body.expected_version,
    )
    return _after(request, dossier)


@_action("/dossiers/{code}/withdraw", "Withdraw the dossier")
def dossier_withdraw(request: HttpRequest, code: str, body: ReasonIn) -> dict[str, Any]:
    """The applicant withdraws it (themselves, or in writing at the counter)."""
    dossier = _dossier(request, code)
    services.dossier_withdraw(
        actor=_actor(request),
        dossier=dossier,
        reason=body.reason,
        expected_version=body.expected_version,
    )
    return _after(request, dossier)


@_action("/dossiers/{code}/cancel", "Cancel the dossier")
def dossier_cancel(request: HttpRequest, code: str, body: ReasonIn) -> dict[str, Any]:
    """A head stops the handling, with the reason."""
    dossier = _dossier(request, code)
    services.dossier_cancel(
        actor=_actor(request),
        dossier=dossier,
        reason=body.reason,
        expected_version=body.expected_version,
    )
    return _after(request, dossier)


@_action("/dossiers/{code}/apologize", "Apologise and give a new appointment")
def dossier_apologize(request: HttpRequest, code: str, body: ApologyIn) -> dict[str, Any]:
    """The result will be late: apologise before the appointment with a new one (Mẫu 04)."""
    dossier = _dossier(request, code)
    services.dossier_apologize(
        actor=_actor(request),
        dossier=dossier,
        reason=body.reason,
        new_appointment_at=body.new_appointment_at,
        expected_version=body.expected_version,
    )
    return _after(request, dossier)


@_action("/dossiers/{code}/payments/cash", "Record a cash payment")
def dossier_pay_cash(request: HttpRequest, code: str, body: CashPaymentIn) -> dict[str, Any]:
    """The counter records that every unpaid fee line was paid in cash."""
    dossier = _dossier(request, code)
    services.dossier_record_cash_payment(
        actor=_actor(request),
        dossier=dossier,
        receipt_number=body.receipt_number,
        expected_version=body.expected_version,
    )
    return _after(request, dossier)

"""The public catalogue API (mounted by egov.api at /api/v1/procedures).

Anyone may read the published catalogue, like the national procedure database: portals,
mobile apps and other systems search it (`q` without diacritics works) and fetch one
procedure with everything an applicant needs to prepare a dossier. Unpublished procedures
and versions waiting for publication are never shown. Errors are egov.core.errors, which the
API root renders as application/problem+json.
"""

# No `from __future__ import annotations`: ninja reads the handlers' annotations at import.
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from django.http import HttpRequest
from django.utils.translation import gettext
from ninja import Field, Query, Router, Schema
from ninja.pagination import PageNumberPagination, paginate

from egov.core.errors import NotFound
from egov.directory.models import Organization
from egov.procedures import selectors
from egov.procedures.models import Procedure, ProcedureVersion

router = Router(tags=["procedures"])

# Spelled out (not the models' enums) so the OpenAPI document lists the values inline and
# stays stable; tests/procedures/test_procedures_api.py checks they match the model choices.
LevelValue = Literal["central", "province", "commune"]
ServiceLevelValue = Literal["full_online", "partial_online", "none"]
CodeStatusValue = Literal["confirmed", "reported", "unverified"]
ChannelValue = Literal["counter", "online", "post"]
TimeUnitValue = Literal["working_days", "days", "hours", "within_day"]
FeeKindValue = Literal["fee", "charge"]

PAGE_SIZE = 20


class ProcedureFieldOut(Schema):
    code: str
    name: str


class ProcedureOrganizationOut(Schema):
    """The organisation as the catalogue names it; `code` is null outside the platform's tree."""

    code: str | None
    name: str


class ProcedureSummaryOut(Schema):
    """One search result: enough to choose a procedure and fetch it."""

    code: str
    code_status: CodeStatusValue
    name: str
    field: ProcedureFieldOut
    level: LevelValue
    service_level: ServiceLevelValue
    competent_organization: ProcedureOrganizationOut
    executing_organization: ProcedureOrganizationOut
    version: int
    effective_from: date
    published_at: datetime


class ProcedureChannelOut(Schema):
    channel: ChannelValue
    time: float = Field(..., description="Processing time, in `unit`")
    unit: TimeUnitValue
    fee_note: str
    description: str


class ProcedureCaseOut(Schema):
    code: str
    name: str


class ProcedureDocumentOut(Schema):
    code: str
    name: str
    originals: int
    copies: int
    template: str = Field(..., description="Name of the template form (mẫu đơn, tờ khai)")
    template_file: str | None = Field(..., description="Id of the stored template form")
    mandatory: bool
    case: str = Field(..., description="Code of the case it belongs to; empty for every case")


class ProcedureFeeOut(Schema):
    kind: FeeKindValue
    name: str
    channel: ChannelValue | Literal[""] = Field(..., description="Empty: every channel")
    amount: int | None = Field(..., description="Fixed amount in VND, or null with a `rule`")
    rule: dict[str, Any] | None = Field(
        ..., description="Fee rule (docs/procedures-format.md), or null with an `amount`"
    )
    legal_basis: str
    note: str


class ProcedureStepOut(Schema):
    """One step of the internal process (quy trình nội bộ) and the working days it may take."""

    order: int
    name: str
    unit: ProcedureOrganizationOut | None
    role: str = Field(..., description="Role in the executing organisation; empty with a unit")
    responsible: str
    working_days: float
    crosses_organization: bool


class ProcedureOut(ProcedureSummaryOut):
    """The published version of a procedure with everything the catalogue holds."""

    code_note: str
    legacy_level: int | None = Field(..., description="Old online level 1-4, when known")
    channels: list[ProcedureChannelOut]
    cases: list[ProcedureCaseOut]
    sequence: list[str] = Field(..., description="Steps of the sequence, as published")
    documents: list[ProcedureDocumentOut]
    fees: list[ProcedureFeeOut]
    result: str
    legal_bases: list[str]
    conditions: str
    subjects: list[str]
    processing_steps: list[ProcedureStepOut]
    eform_schema: dict[str, Any] = Field(
        ..., description="JSON Schema of the e-form (docs/procedures-format.md); {} when none"
    )
    publishing_decision: str


class ProcedureFilter(Schema):
    q: str = Field("", max_length=200, description="Words to find; diacritics are optional")
    field: str | None = Field(None, max_length=30, description="Code of a field (lĩnh vực)")
    organization: str | None = Field(
        None, max_length=100, description="Code of the competent or executing organisation"
    )
    service_level: ServiceLevelValue | None = None


def _organization(node: Organization | None, text: str) -> dict[str, Any]:
    return {"code": node.code if node is not None else None, "name": text}


def _number(value: Decimal) -> float:
    return float(value)


def _summary(procedure: Procedure, version: ProcedureVersion) -> dict[str, Any]:
    return {
        "code": procedure.code,
        "code_status": procedure.code_status,
        "name": version.name,
        "field": {"code": version.field.code, "name": version.field.name},
        "level": version.level,
        "service_level": version.service_level,
        "competent_organization": _organization(
            version.competent_organization, version.competent_text
        ),
        "executing_organization": _organization(
            version.executing_organization, version.executing_text
        ),
        "version": version.number,
        "effective_from": version.effective_from,
        "published_at": procedure.published_at,
    }


class _SearchResults:
    """The search as a sliceable sequence, so ninja's PageNumberPagination pages it.

    Slicing runs one `procedure_search` for exactly that page (ranked ids, filter, page:
    three queries) and remembers the total, which `len` then returns without a query.
    """

    def __init__(self, filters: ProcedureFilter) -> None:
        self.filters = filters
        self.total: int | None = None

    def _search(self, *, limit: int, offset: int) -> selectors.ProcedurePage:
        page = selectors.procedure_search(
            self.filters.q,
            field=self.filters.field or None,
            organization=self.filters.organization or None,
            service_level=self.filters.service_level,
            limit=limit,
            offset=offset,
        )
        self.total = page.total
        return page

    def __getitem__(self, window: slice) -> list[dict[str, Any]]:
        offset = window.start or 0
        limit = (window.stop if window.stop is not None else offset + PAGE_SIZE) - offset
        page = self._search(limit=limit, offset=offset)
        return [_summary(p, p.published_version) for p in page.items if p.published_version]

    def __len__(self) -> int:
        if self.total is None:
            self._search(limit=0, offset=0)
        assert self.total is not None
        return self.total


@router.get(
    "", auth=None, summary="Search the catalogue of procedures", response=list[ProcedureSummaryOut]
)
@paginate(PageNumberPagination, page_size=PAGE_SIZE, max_page_size=selectors.MAX_PAGE)
def procedure_list(request: HttpRequest, filters: Query[ProcedureFilter]) -> _SearchResults:
    """Published procedures. With `q`, every word must match (the last one also as a prefix)
    and the best matches come first; without it, in code order. Filter by `field` code,
    `organization` code (competent or executing) and online `service_level`."""
    return _SearchResults(filters)


@router.get("/{code}", auth=None, summary="One published procedure", response=ProcedureOut)
def procedure_detail(request: HttpRequest, code: str) -> dict[str, Any]:
    """The version of the procedure that is published now: channels with processing times,
    required documents, fees and charges, the steps of the sequence and of the internal
    process, legal bases, online service level and e-form schema. 404 when no published
    procedure has this code."""
    version = selectors.procedure_published(code) if len(code) <= 30 else None
    if version is None:
        raise NotFound(
            gettext("No published procedure has the code %(code)s.") % {"code": code},
            code="procedures.not_found",
        )
    return {
        **_summary(version.procedure, version),
        "code_note": version.procedure.code_note,
        "legacy_level": version.legacy_level,
        "channels": [
            {
                "channel": c.channel,
                "time": _number(c.time_value),
                "unit": c.time_unit,
                "fee_note": c.fee_note,
                "description": c.description,
            }
            for c in version.channels.all()
        ],
        "cases": version.cases,
        "sequence": version.sequence,
        "documents": [
            {
                "code": d.code,
                "name": d.name,
                "originals": d.originals,
                "copies": d.copies,
                "template": d.template_name,
                "template_file": str(d.template_id) if d.template_id else None,
                "mandatory": d.mandatory,
                "case": d.case,
            }
            for d in version.documents.all()
        ],
        "fees": [
            {
                "kind": f.kind,
                "name": f.name,
                "channel": f.channel,
                "amount": f.amount,
                "rule": f.rule,
                "legal_basis": f.legal_basis,
                "note": f.note,
            }
            for f in version.fees.all()
        ],
        "result": version.result,
        "legal_bases": version.legal_bases,
        "conditions": version.conditions,
        "subjects": version.subjects,
        "processing_steps": [
            {
                "order": s.order,
                "name": s.name,
                "unit": _organization(s.responsible_unit, s.responsible_unit.name_vi)
                if s.responsible_unit is not None
                else None,
                "role": s.responsible_role,
                "responsible": s.responsible_text,
                "working_days": _number(s.working_days),
                "crosses_organization": s.crosses_organization,
            }
            for s in version.steps.all()
        ],
        "eform_schema": version.eform_schema,
        "publishing_decision": version.publishing_decision,
    }

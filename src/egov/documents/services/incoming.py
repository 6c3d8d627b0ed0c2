"""The incoming flow of Decree 30/2020 (STANDARDS-VN.md §2 "Incoming flow").

Receive → register (arrival number, gap-free per register and year) → present to the head →
the head's direction (bút phê: lead, co-operating and informed receivers, due date) → units
pass their part on to officers → the lead reports completion. Each function is one state
change in one transaction: permission first, the row lock with the version the caller saw,
the change, the document's event, `delivery_follow` for documents delivered inside the
platform, and the audit entry last.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from egov.core.errors import PermissionDenied, ValidationFailed
from egov.core.files import Upload, file_store
from egov.core.models import StoredFile
from egov.directory import policy
from egov.directory import selectors as directory
from egov.directory.models import Officer, Organization
from egov.documents.models import (
    Delivery,
    Direction,
    Document,
    DocumentFile,
    DocumentType,
    Register,
    Route,
    Secrecy,
    State,
    Urgency,
)
from egov.documents.rules_incoming import DIRECTION_POWER
from egov.documents.search import search_index
from egov.documents.selectors.incoming import OPEN_ROUTE_STATES, document_duplicates
from egov.documents.services._common import (
    TransitionNotAllowed,
    audit,
    check_transition,
    delivery_follow,
    event,
    locked,
    now,
    require_officer,
    save,
)
from egov.documents.services.registers import register_for, register_next_number
from egov.documents.services.text import document_text_extract_enqueue

__all__ = [
    "INCOMING_FILE_KINDS",
    "IncomingFile",
    "document_correct_metadata",
    "document_direct",
    "document_present",
    "document_register_arrived",
    "document_register_incoming",
    "document_reopen",
    "document_return_to_sender",
    "route_complete",
    "route_mark_read",
    "route_pass_on",
]

# Scans of paper documents and e-mailed copies: PDF or images.
INCOMING_FILE_KINDS = frozenset({"pdf", "png", "jpeg", "tiff"})
REGISTER_CHANNELS = (Document.Channel.PAPER, Document.Channel.EMAIL)


@dataclass(frozen=True)
class IncomingFile:
    """One file of an incoming document as uploaded: the main text first, appendices after."""

    name: str
    upload: Upload


# --- checks --------------------------------------------------------------------------------------

_LIMITS = {
    "subject": 500,
    "issuer_name": 200,
    "code_number": 11,
    "code_notation": 30,
    "signer_name": 50,
    "signer_position": 100,
    "description": 500,
}


def _invalid(message: str, field: str, code: str = "document.invalid") -> ValidationFailed:
    return ValidationFailed(message, code=code, field=field)


def _clean_text(values: dict[str, Any]) -> dict[str, Any]:
    """Strip the text fields and refuse what does not fit the decree's field lengths."""
    out = dict(values)
    for name, limit in _LIMITS.items():
        if name not in out:
            continue
        text = " ".join(str(out[name] or "").split())
        if len(text) > limit:
            raise _invalid(
                gettext("%(field)s is longer than %(max)s characters.")
                % {"field": _label(name), "max": limit},
                name,
                "document.too_long",
            )
        out[name] = text
    return out


def _label(name: str) -> str:
    return str(getattr(Document._meta.get_field(name), "verbose_name", name))


def _check_metadata(values: dict[str, Any], *, today: date) -> None:
    if "subject" in values and not values["subject"]:
        raise _invalid(
            gettext("Enter the subject of the document."), "subject", "document.required"
        )
    if "issuer_name" in values and not values["issuer_name"]:
        raise _invalid(
            gettext("Pick the issuer from the directory or type its name."),
            "issuer_name",
            "document.required",
        )
    issued_on = values.get("issued_on")
    if issued_on is not None and issued_on > today:
        raise _invalid(
            gettext("The issue date cannot be in the future."), "issued_on", "document.bad_date"
        )
    if "urgency" in values and values["urgency"] not in Urgency.values:
        raise _invalid(gettext("Unknown urgency."), "urgency")
    if "secrecy" in values and values["secrecy"] not in Secrecy.values:
        raise _invalid(gettext("Unknown secrecy level."), "secrecy")
    pages = values.get("page_count")
    if pages is not None and (not isinstance(pages, int) or pages < 1 or pages > 100_000):
        raise _invalid(gettext("The number of pages must be a positive number."), "page_count")
    if "document_type" in values and not isinstance(values["document_type"], DocumentType):
        raise _invalid(gettext("Choose the document type."), "document_type", "document.required")


def _issuer_fields(issuer: Organization | None, issuer_name: str) -> dict[str, Any]:
    """The issuer as the directory knows it, or as typed by the clerk."""
    if issuer is not None:
        return {
            "issuer": issuer,
            "issuer_name": issuer.name_vi[:200],
            "issuer_code": (issuer.qcvn_code or issuer.code)[:13],
        }
    return {"issuer": None, "issuer_name": issuer_name, "issuer_code": ""}


def _choose_register(
    organization: Organization,
    register: Register | None,
    *,
    secrecy: str,
    document_type: DocumentType,
) -> Register:
    confidential = secrecy != Secrecy.NONE
    if register is None:
        return register_for(
            organization, Direction.INCOMING, confidential=confidential, document_type=document_type
        )
    fits = (
        register.organization_id == organization.pk
        and register.direction == Direction.INCOMING
        and register.is_active
        and register.is_confidential == confidential
    )
    if not fits:
        raise _invalid(
            gettext(
                "This register cannot take this document (organisation, direction or secrecy)."
            ),
            "register",
            "document.bad_register",
        )
    return register


def _require_keeper(actor: Any, register: Register) -> None:
    """Only the clerks keeping a confidential register enter documents into it."""
    if not register.is_confidential or getattr(actor, "is_superuser", False):
        return
    officer = policy.officer_of(actor)
    if officer is None or not register.keepers.filter(pk=officer.pk).exists():
        raise PermissionDenied(
            gettext("Only the clerks keeping the confidential register may handle this document."),
            code="document.not_keeper",
        )


def _duplicate_error(duplicates: list[Document], actor: Any) -> ValidationFailed:
    """The refusal listing the duplicates; a confidential one shows only its number and id to a
    clerk who does not keep its register."""
    officer = policy.officer_of(actor)
    kept = set(officer.kept_registers.values_list("pk", flat=True)) if officer else set()
    listed = []
    for d in duplicates:
        row: dict[str, Any] = {
            "id": d.pk,
            "arrival_number": d.register_number,
            "register_year": d.register_year,
            "confidential": d.is_confidential,
        }
        if not d.is_confidential or d.register_id in kept:
            row.update(
                number_notation=d.number_notation,
                issuer_name=d.issuer_name,
                subject=d.subject[:200],
                state=d.state,
            )
        listed.append(row)
    numbers = ", ".join(str(d.register_number or "—") for d in duplicates)
    return ValidationFailed(
        gettext(
            "This document looks already registered (arrival numbers: %(numbers)s). Check it, "
            "or register it anyway."
        )
        % {"numbers": numbers},
        code="document.duplicate",
        details={"duplicates": listed},
    )


def _require_state(document: Document, *states: str) -> None:
    if document.state not in states:
        raise TransitionNotAllowed(
            gettext("The document is %(state)s: this action is not allowed now.")
            % {"state": State(document.state).label},
            details={"state": document.state},
        )


def _discard(names: list[str]) -> None:
    for name in names:
        default_storage.delete(name)


def _local_year(moment: Any) -> int:
    return int(timezone.localtime(moment).year)


# --- registration --------------------------------------------------------------------------------


def document_register_incoming(
    *,
    actor: Any,
    organization: Organization,
    document_type: DocumentType,
    subject: str,
    issuer: Organization | None = None,
    issuer_name: str = "",
    code_number: str,
    code_notation: str,
    issued_on: date | None,
    signer_name: str = "",
    signer_position: str = "",
    page_count: int | None = None,
    urgency: str = Urgency.NORMAL,
    secrecy: str = Secrecy.NONE,
    due_on: date | None = None,
    channel: str = Document.Channel.PAPER,
    files: Sequence[IncomingFile] = (),
    register: Register | None = None,
    confirm_duplicate: bool = False,
    description: str = "",
) -> Document:
    """Register a document received on paper (scanned) or by e-mail: arrival number, REGISTERED.

    A refusal writes nothing: no document, no file (the stored bytes are removed again), no
    number (the counter row is rolled back with the transaction, so numbers stay gap-free).
    A probable duplicate is refused with `document.duplicate` unless `confirm_duplicate`.
    """
    officer = require_officer(actor)
    policy.require(actor, "document.register_incoming", organization)
    at = now()
    values = _clean_text(
        {
            "subject": subject,
            "code_number": code_number,
            "code_notation": code_notation,
            "signer_name": signer_name,
            "signer_position": signer_position,
            "description": description,
            **_issuer_fields(issuer, " ".join((issuer_name or "").split())),
        }
    )
    values.update(
        document_type=document_type,
        issued_on=issued_on,
        page_count=page_count,
        urgency=urgency,
        secrecy=secrecy,
        due_on=due_on,
    )
    _check_metadata(values, today=timezone.localdate(at))
    if channel not in REGISTER_CHANNELS:
        raise _invalid(gettext("Choose how the document was received."), "channel")
    if not files:
        raise _invalid(
            gettext("Attach the scanned document (PDF or image)."),
            "files",
            "document.file_required",
        )
    chosen = _choose_register(organization, register, secrecy=secrecy, document_type=document_type)
    _require_keeper(actor, chosen)

    stored: list[str] = []
    try:
        with transaction.atomic():
            # Files first: checked, hashed and stored before the number's row is locked.
            kept = []
            for incoming in files:
                stored_file = file_store(
                    upload=incoming.upload,
                    name=incoming.name,
                    actor=actor,
                    allowed=INCOMING_FILE_KINDS,
                )
                stored.append(str(stored_file.file.name))
                kept.append(stored_file)
            if not confirm_duplicate:
                duplicates = document_duplicates(
                    organization=organization,
                    issuer_name=values["issuer_name"],
                    issuer=values["issuer"],
                    code_number=values["code_number"],
                    code_notation=values["code_notation"],
                    issued_on=issued_on,
                    sha256s=[f.sha256 for f in kept],
                )
                if duplicates:
                    raise _duplicate_error(duplicates, actor)
            document = _register_write(
                actor=actor,
                officer=officer,
                organization=organization,
                register=chosen,
                channel=channel,
                values=values,
                kept=kept,
                at=at,
                confirmed=confirm_duplicate,
            )
    except BaseException:
        _discard(stored)
        raise
    return document


def _register_write(
    *,
    actor: Any,
    officer: Officer,
    organization: Organization,
    register: Register,
    channel: str,
    values: dict[str, Any],
    kept: list[StoredFile],
    at: Any,
    confirmed: bool,
) -> Document:
    year = _local_year(at)
    number = register_next_number(register, year)
    document = Document.objects.create(
        organization=organization,
        direction=Direction.INCOMING,
        state=State.REGISTERED,
        channel=channel,
        register=register,
        register_year=year,
        register_number=number,
        arrived_at=at,
        main_sha256=kept[0].sha256 if kept else "",
        text_state=Document.TextState.PENDING if kept else Document.TextState.NONE,
        created_by=actor,
        **values,
    )
    DocumentFile.objects.bulk_create(
        [
            DocumentFile(
                document=document,
                role=DocumentFile.Role.MAIN if index == 0 else DocumentFile.Role.APPENDIX,
                file=stored_file,
                added_by=actor,
            )
            for index, stored_file in enumerate(kept)
        ]
    )
    event(
        document,
        action="register",
        actor=actor,
        at=at,
        note=gettext("Arrival number %(number)s/%(year)s in %(register)s")
        % {"number": number, "year": year, "register": register.name},
    )
    search_index(document)
    document_text_extract_enqueue(document.pk)
    audit(
        actor,
        "document.register_incoming",
        document,
        "",
        register=register.pk,
        register_year=year,
        register_number=number,
        confirmed_duplicate=confirmed,
        files=[[f.pk, f.sha256] for f in kept],
    )
    return document


_OVERRIDABLE = frozenset(
    {
        "document_type",
        "subject",
        "issuer",
        "issuer_name",
        "code_number",
        "code_notation",
        "issued_on",
        "signer_name",
        "signer_position",
        "page_count",
        "urgency",
        "secrecy",
        "due_on",
        "description",
    }
)


def _overrides(metadata: dict[str, Any], at: Any) -> dict[str, Any]:
    unknown = set(metadata) - _OVERRIDABLE
    if unknown:
        raise _invalid(
            gettext("Unknown document fields: %(fields)s.")
            % {"fields": ", ".join(sorted(unknown))},
            sorted(unknown)[0],
        )
    values = dict(metadata)
    if "issuer" in values:
        values.update(_issuer_fields(values["issuer"], values.get("issuer_name", "")))
    values = _clean_text(values)
    _check_metadata(values, today=timezone.localdate(at))
    return values


@transaction.atomic
def document_register_arrived(
    *,
    actor: Any,
    document: Document,
    expected_version: int,
    register: Register | None = None,
    **metadata: Any,
) -> Document:
    """Register a document that arrived inside the platform (or from the exchange).

    The clerk may correct the metadata (`metadata`: document fields) while registering; the
    sender sees its delivery become "registered".
    """
    require_officer(actor)
    document = locked(document, expected_version)
    policy.require(actor, "document.register_incoming", document)
    check_transition(document, State.REGISTERED)
    at = now()
    values = _overrides(metadata, at)
    for name, value in values.items():
        setattr(document, name, value)
    chosen = _choose_register(
        document.organization,
        register,
        secrecy=document.secrecy,
        document_type=document.document_type,
    )
    _require_keeper(actor, chosen)
    if document.arrived_at is None:
        document.arrived_at = at
    year = _local_year(at)
    before = document.state
    document.register = chosen
    document.register_year = year
    document.register_number = register_next_number(chosen, year)
    document.state = State.REGISTERED
    save(document, [*values, "register", "register_year", "register_number", "state", "arrived_at"])
    event(
        document,
        action="register",
        actor=actor,
        at=at,
        note=gettext("Arrival number %(number)s/%(year)s in %(register)s")
        % {"number": document.register_number, "year": year, "register": chosen.name},
    )
    delivery_follow(document, at=at)
    search_index(document)
    audit(
        actor,
        "document.register_arrived",
        document,
        before,
        register=chosen.pk,
        register_year=year,
        register_number=document.register_number,
        changed=sorted(values),
    )
    return document


@transaction.atomic
def document_correct_metadata(
    *, actor: Any, document: Document, expected_version: int, **metadata: Any
) -> Document:
    """Correct a registered document's metadata (e.g. confirming what OCR read on page one)."""
    require_officer(actor)
    document = locked(document, expected_version)
    policy.require(actor, "document.correct_metadata", document)
    _require_state(
        document,
        State.REGISTERED,
        State.PRESENTED,
        State.IN_PROCESS,
        State.FOR_INFORMATION,
        State.COMPLETED,
    )
    at = now()
    values = _overrides(metadata, at)
    if "secrecy" in values and (values["secrecy"] != Secrecy.NONE) != document.is_confidential:
        raise _invalid(
            gettext("The secrecy level cannot move a document between registers."),
            "secrecy",
            "document.bad_register",
        )
    changed = [name for name, value in values.items() if getattr(document, name) != value]
    if not changed:
        return document
    before = {name: getattr(document, name) for name in changed}
    for name in changed:
        setattr(document, name, values[name])
    save(document, changed)
    if "urgency" in changed:
        document.routes.update(urgency=document.urgency)
    event(
        document,
        action="correct_metadata",
        actor=actor,
        at=at,
        note=", ".join(_label(name) for name in changed if name != "issuer"),
    )
    search_index(document)
    audit(
        actor,
        "document.correct_metadata",
        document,
        document.state,
        changed={name: [before[name], getattr(document, name)] for name in changed},
    )
    return document


@transaction.atomic
def document_return_to_sender(
    *, actor: Any, document: Document, reason: str, expected_version: int
) -> Document:
    """Send back a document addressed to the wrong recipient (or invalid); the sender sees
    its delivery refused with the reason."""
    require_officer(actor)
    document = locked(document, expected_version)
    policy.require(actor, "document.return_to_sender", document)
    check_transition(document, State.RETURNED_TO_SENDER)
    reason = " ".join((reason or "").split())
    if not reason:
        raise _invalid(
            gettext("Give the reason for returning the document."), "reason", "document.required"
        )
    at = now()
    before = document.state
    document.state = State.RETURNED_TO_SENDER
    save(document, ["state"])
    event(document, action="return_to_sender", actor=actor, at=at, note=reason)
    delivery_follow(document, at=at)
    Delivery.objects.filter(incoming=document).update(note=reason[:500])
    audit(actor, "document.return_to_sender", document, before, reason=reason)
    return document


# --- routing -------------------------------------------------------------------------------------


@transaction.atomic
def document_present(
    *, actor: Any, document: Document, head: Officer, expected_version: int
) -> Document:
    """The clerk sends the registered document to a head for direction (PRESENTED)."""
    require_officer(actor)
    document = locked(document, expected_version)
    policy.require(actor, "document.present", document)
    check_transition(document, State.PRESENTED)
    if not policy.may_exercise(head, DIRECTION_POWER, document.organization):
        raise _invalid(
            gettext("%(name)s cannot direct documents of this organisation.")
            % {"name": head.full_name},
            "head",
            "document.not_a_head",
        )
    at = now()
    before = document.state
    Route.objects.create(
        document=document,
        role=Route.Role.HEAD,
        urgency=document.urgency,
        officer=head,
        sent_by=actor,
        sent_at=at,
    )
    document.state = State.PRESENTED
    save(document, ["state"])
    event(
        document,
        action="present",
        actor=actor,
        at=at,
        note=gettext("To %(name)s") % {"name": head.full_name},
    )
    delivery_follow(document, at=at)
    audit(actor, "document.present", document, before, head=head.pk)
    return document


def _organization_units(organization: Organization) -> set[int]:
    return set(directory.organization_members(organization))


def _check_receivers(
    organization: Organization,
    units: Sequence[Organization],
    officers: Sequence[Officer],
    field: str,
) -> None:
    members = _organization_units(organization)
    for unit in units:
        if unit.pk not in members or unit.kind != Organization.Kind.UNIT:
            raise _invalid(
                gettext("%(name)s is not a unit of this organisation.") % {"name": unit.name_vi},
                field,
                "document.bad_receiver",
            )
    for officer in officers:
        if not officer.is_active or officer.unit_id not in members:
            raise _invalid(
                gettext("%(name)s does not work in this organisation.")
                % {"name": officer.full_name},
                field,
                "document.bad_receiver",
            )


def _route(
    document: Document,
    *,
    role: str,
    unit: Organization | None = None,
    officer: Officer | None = None,
    direction_text: str,
    due_on: date | None,
    actor: Any,
    at: Any,
    parent: Route | None = None,
) -> Route:
    return Route(
        document=document,
        parent=parent,
        role=role,
        urgency=document.urgency,
        unit=unit,
        officer=officer,
        direction_text=direction_text,
        due_on=due_on,
        sent_by=actor,
        sent_at=at,
    )


@transaction.atomic
def document_direct(
    *,
    actor: Any,
    document: Document,
    direction_text: str,
    lead_unit: Organization | None = None,
    lead_officer: Officer | None = None,
    co_units: Sequence[Organization] = (),
    co_officers: Sequence[Officer] = (),
    info_units: Sequence[Organization] = (),
    info_officers: Sequence[Officer] = (),
    due_on: date | None = None,
    expected_version: int,
) -> Document:
    """The head's direction (bút phê): one lead (unit or person), co-operating receivers and
    receivers for information, with the due date; only informed receivers: FOR_INFORMATION.

    A deputy may direct under the head's delegation; the event names whose power was used.
    """
    officer = require_officer(actor)
    document = locked(document, expected_version)
    policy.require(actor, "document.direct", document)
    at = now()
    text = (direction_text or "").strip()
    leads = [x for x in (lead_unit, lead_officer) if x is not None]
    if len(leads) > 1:
        raise _invalid(
            gettext("Name one lead: a unit or a person, not both."),
            "lead_unit",
            "document.one_lead",
        )
    if not leads and (co_units or co_officers):
        raise _invalid(
            gettext("Co-operating units need a lead unit or person."),
            "lead_unit",
            "document.lead_required",
        )
    if not leads and not (info_units or info_officers):
        raise _invalid(
            gettext("Name the lead unit or person, or at least one receiver for information."),
            "lead_unit",
            "document.lead_required",
        )
    if leads and not text:
        raise _invalid(
            gettext("Write the direction for the receivers."), "direction_text", "document.required"
        )
    if due_on is not None and due_on < timezone.localdate(at):
        raise _invalid(gettext("The due date is already past."), "due_on", "document.bad_date")
    organization = document.organization
    _check_receivers(organization, [lead_unit] if lead_unit else [], [], "lead_unit")
    _check_receivers(organization, [], [lead_officer] if lead_officer else [], "lead_officer")
    _check_receivers(organization, co_units, co_officers, "co_units")
    _check_receivers(organization, info_units, info_officers, "info_units")
    target = State.IN_PROCESS if leads else State.FOR_INFORMATION
    if document.state == State.IN_PROCESS:
        target = State.IN_PROCESS
        if leads and _open_lead(document):
            raise _invalid(
                gettext("The document already has a lead: add co-operating or informed receivers."),
                "lead_unit",
                "document.lead_exists",
            )
    check_transition(document, target)

    on_behalf = policy.exercising_for(officer, DIRECTION_POWER, organization, at=at)
    common = {"direction_text": text, "actor": actor, "at": at}
    routes: list[Route] = []
    if lead_unit is not None:
        routes.append(
            _route(document, role=Route.Role.LEAD, unit=lead_unit, due_on=due_on, **common)
        )
    if lead_officer is not None:
        routes.append(
            _route(document, role=Route.Role.LEAD, officer=lead_officer, due_on=due_on, **common)
        )
    routes += [
        _route(document, role=Route.Role.CO, unit=u, due_on=due_on, **common) for u in co_units
    ]
    routes += [
        _route(document, role=Route.Role.CO, officer=o, due_on=due_on, **common)
        for o in co_officers
    ]
    routes += [
        _route(document, role=Route.Role.INFO, unit=u, due_on=None, **common) for u in info_units
    ]
    routes += [
        _route(document, role=Route.Role.INFO, officer=o, due_on=None, **common)
        for o in info_officers
    ]
    Route.objects.bulk_create(routes)
    Route.objects.filter(
        document=document, role=Route.Role.HEAD, state__in=OPEN_ROUTE_STATES
    ).update(state=Route.State.COMPLETED, completed_at=at, result_note=text[:2000])

    before = document.state
    document.state = target
    fields = ["state"]
    if due_on is not None:
        document.due_on = due_on
        fields.append("due_on")
    save(document, fields)
    note = text
    if on_behalf is not None and on_behalf.pk != officer.pk:
        note = gettext("On behalf of %(name)s") % {"name": on_behalf.full_name} + (
            f": {text}" if text else ""
        )
    event(document, action="direct", actor=actor, at=at, note=note)
    delivery_follow(document, at=at, assigned=True)
    audit(
        actor,
        "document.direct",
        document,
        before,
        on_behalf_of=on_behalf.pk if on_behalf else None,
        routes=[[r.role, r.unit_id, r.officer_id] for r in routes],
        due_on=due_on,
    )
    return document


def _open_lead(document: Document) -> bool:
    return Route.objects.filter(
        document=document,
        parent__isnull=True,
        role=Route.Role.LEAD,
        state__in=[*OPEN_ROUTE_STATES, Route.State.PASSED_ON],
    ).exists()


def _locked_route(route: Route) -> Route:
    fresh = (
        Route.objects.select_for_update(of=("self",))
        .select_related("unit", "officer", "parent", "document")
        .filter(pk=route.pk)
        .first()
    )
    if fresh is None:
        raise ValidationFailed(gettext("This route no longer exists."), code="document.not_found")
    return fresh


def _lock_document_of(route: Route) -> Document:
    """Lock the route's document first (the same lock order as every document service)."""
    return locked(route.document, None)


@transaction.atomic
def route_pass_on(
    *, actor: Any, route: Route, officer: Officer, due_on: date | None = None, note: str = ""
) -> Route:
    """A unit head passes the unit's part on to one of the unit's officers."""
    require_officer(actor)
    document = _lock_document_of(route)
    route = _locked_route(route)
    policy.require(actor, "route.pass_on", route)
    if route.state not in OPEN_ROUTE_STATES or route.role == Route.Role.HEAD:
        raise _invalid(
            gettext("This part was already passed on or completed."),
            "officer",
            "document.route_closed",
        )
    if route.unit_id is None or officer.unit_id != route.unit_id or not officer.is_active:
        raise _invalid(
            gettext("%(name)s is not an officer of this unit.") % {"name": officer.full_name},
            "officer",
            "document.bad_receiver",
        )
    at = now()
    if due_on is not None and route.due_on is not None and due_on > route.due_on:
        raise _invalid(
            gettext("The officer's due date cannot be later than the unit's."),
            "due_on",
            "document.bad_date",
        )
    child = _route(
        document,
        role=route.role,
        unit=route.unit,
        officer=officer,
        direction_text=(note or "").strip(),
        due_on=due_on or route.due_on,
        actor=actor,
        at=at,
        parent=route,
    )
    child.save()
    route.state = Route.State.PASSED_ON
    route.read_at = route.read_at or at
    route.save(update_fields=["state", "read_at"])
    event(
        document,
        action="pass_on",
        actor=actor,
        at=at,
        note=gettext("%(unit)s → %(name)s")
        % {"unit": route.unit.name_vi if route.unit else "", "name": officer.full_name},
    )
    audit(actor, "document.route_pass_on", document, document.state, route=route.pk, child=child.pk)
    return child


@transaction.atomic
def route_mark_read(*, actor: Any, route: Route) -> Route:
    """The read receipt: recorded once, when the receiver opens the document.

    A route "for information" is done once read.
    """
    route = _locked_route(route)
    policy.require(actor, "route.read", route)
    if route.read_at is not None:
        return route
    at = now()
    route.read_at = at
    fields = ["read_at"]
    if route.state == Route.State.PENDING:
        route.state = Route.State.READ
        fields.append("state")
    if route.role == Route.Role.INFO and route.state == Route.State.READ:
        route.state = Route.State.COMPLETED
        route.completed_at = at
        fields += ["completed_at"]
    route.save(update_fields=sorted(set(fields)))
    event(route.document, action="read", actor=actor, at=at)
    audit(actor, "document.route_read", route.document, route.document.state, route=route.pk)
    return route


@transaction.atomic
def route_complete(
    *, actor: Any, route: Route, result_note: str, reply_document: Document | None = None
) -> Route:
    """A lead or co-operating receiver reports its part done; the lead's completion completes
    the document. The units it was passed on from are done with it."""
    require_officer(actor)
    document = _lock_document_of(route)
    route = _locked_route(route)
    policy.require(actor, "route.complete", route)
    if route.role not in (Route.Role.LEAD, Route.Role.CO):
        raise _invalid(
            gettext("Only the lead and co-operating receivers report completion."),
            "result_note",
            "document.route_not_completable",
        )
    if route.state not in OPEN_ROUTE_STATES:
        raise _invalid(
            gettext("This part was already passed on or completed."),
            "result_note",
            "document.route_closed",
        )
    note = (result_note or "").strip()
    if not note:
        raise _invalid(
            gettext("Write the result of the handling."), "result_note", "document.required"
        )
    if reply_document is not None and reply_document.organization_id != document.organization_id:
        raise _invalid(
            gettext("The reply must be a document of the same organisation."),
            "reply_document",
            "document.bad_reply",
        )
    at = now()
    route.state = Route.State.COMPLETED
    route.completed_at = at
    route.read_at = route.read_at or at
    route.result_note = note
    route.reply_document = reply_document
    route.save(update_fields=["state", "completed_at", "read_at", "result_note", "reply_document"])
    parent_ids = []
    walker = route
    while walker.parent_id is not None:
        parent_ids.append(walker.parent_id)
        walker = Route.objects.get(pk=walker.parent_id)
    if parent_ids:
        Route.objects.filter(pk__in=parent_ids, state=Route.State.PASSED_ON).update(
            state=Route.State.COMPLETED, completed_at=at, result_note=note
        )
    completes = walker.role == Route.Role.LEAD and document.state == State.IN_PROCESS
    before = document.state
    if completes:
        check_transition(document, State.COMPLETED)
        document.state = State.COMPLETED
        document.completed_at = at
        save(document, ["state", "completed_at"])
    event(
        document,
        action="complete" if completes else "route_complete",
        actor=actor,
        at=at,
        note=note,
    )
    if completes:
        delivery_follow(document, at=at)
    audit(
        actor,
        "document.route_complete",
        document,
        before,
        route=route.pk,
        role=route.role,
        reply_document=reply_document.pk if reply_document else None,
    )
    return route


@transaction.atomic
def document_reopen(
    *, actor: Any, document: Document, reason: str, expected_version: int
) -> Document:
    """The head reopens a completed document: its lead's part is open again."""
    require_officer(actor)
    document = locked(document, expected_version)
    policy.require(actor, "document.reopen", document)
    _require_state(document, State.COMPLETED)
    reason = " ".join((reason or "").split())
    if not reason:
        raise _invalid(
            gettext("Give the reason for reopening the document."), "reason", "document.required"
        )
    at = now()
    leads = list(
        Route.objects.filter(document=document, role=Route.Role.LEAD, state=Route.State.COMPLETED)
    )
    with_children = set(Route.objects.filter(parent__in=leads).values_list("parent_id", flat=True))
    for route in leads:
        route.state = Route.State.PASSED_ON if route.pk in with_children else Route.State.READ
        route.completed_at = None
        route.save(update_fields=["state", "completed_at"])
    before = document.state
    document.state = State.IN_PROCESS
    document.completed_at = None
    save(document, ["state", "completed_at"])
    event(document, action="reopen", actor=actor, at=at, note=reason)
    delivery_follow(document, at=at)
    audit(actor, "document.reopen", document, before, reason=reason)
    return document

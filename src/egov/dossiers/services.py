"""Every change of a dossier: one service per transition (docs/adr/0006-dossier-states.md).

Each service: keyword-only arguments, one transaction, the permission check through
`egov.directory.policy`, the allowed-transition check against `models.TRANSITIONS`, the
optimistic lock (the caller's `expected_version`, by default the version of the instance it
holds; a mismatch raises Conflict "dossier.conflict"), an event in the hand-over log, a
notification to the applicant where the law expects one, and the audit entry LAST.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from egov.core.audit import audit_record
from egov.core.calendar import WorkingCalendar
from egov.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from egov.core.files import Upload, file_store
from egov.core.models import OutboundMessage, StoredFile
from egov.core.search import search_index
from egov.core.sequences import sequence_next
from egov.directory import policy
from egov.directory.models import Account, ApiKey, Applicant, Officer, Organization, Role
from egov.directory.selectors import organization_is_within
from egov.dossiers import conf, deadlines
from egov.dossiers.models import (
    TRANSITIONS,
    Apology,
    ClockStop,
    Delivery,
    Dossier,
    DossierEvent,
    DossierFee,
    DossierFile,
    DossierStep,
    State,
)
from egov.dossiers.selectors import open_clock_stop
from egov.dossiers.slip_services import slip_render_on_commit
from egov.procedures.eforms import eform_validate
from egov.procedures.feerules import fee_rule_amount
from egov.procedures.models import Channel, ProcedureStep, ProcedureVersion
from egov.procedures.selectors import procedure_published_cached

IDEMPOTENCY_KEY_MAX = 100
API_KEY_SCOPE = "dossiers.submit"  # the scope an integrating system's key needs to submit
LOOKUP_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud at the counter
LOOKUP_LENGTH = 8


class DossierConflict(Conflict):
    code = "dossier.conflict"
    default_message = _(
        "Someone else changed this dossier in the meantime. Reload it and try again."
    )


class TransitionNotAllowed(Conflict):
    code = "dossier.transition_not_allowed"
    default_message = _("This action is not allowed in the dossier's current state.")


@dataclass(frozen=True)
class IncomingFile:
    """One paper of the dossier as uploaded or scanned."""

    upload: Upload
    name: str
    document_code: str = ""
    kind: str = DossierFile.Kind.ORIGINAL


# --- helpers -------------------------------------------------------------------------------------


def _officer(actor: Any) -> Officer | None:
    return policy.officer_of(actor)


def _locked(dossier: Dossier, expected_version: int | None) -> Dossier:
    """The dossier's row, locked until the transaction ends, at the version the caller saw."""
    expected = dossier.version if expected_version is None else expected_version
    fresh = (
        Dossier.objects.select_for_update()
        .select_related("receiving_organization", "competent_organization", "applicant")
        .filter(pk=dossier.pk)
        .first()
    )
    if fresh is None:
        raise NotFound(gettext("The dossier does not exist."), code="dossier.not_found")
    if fresh.version != expected:
        raise DossierConflict(details={"expected": expected, "current": fresh.version})
    return fresh


def _check_transition(dossier: Dossier, target: str) -> None:
    if target not in TRANSITIONS[dossier.state]:
        raise TransitionNotAllowed(
            gettext("Dossier %(code)s is %(state)s: this action is not allowed now.")
            % {"code": dossier.code, "state": State(dossier.state).label},
            details={"state": dossier.state, "target": target},
        )


def _save(dossier: Dossier, fields: Sequence[str]) -> None:
    dossier.version += 1
    dossier.save(update_fields=[*fields, "version", "updated_at"])


def _event(
    dossier: Dossier,
    *,
    action: str,
    at: datetime,
    before: str,
    officer: Officer | None = None,
    step: DossierStep | None = None,
    from_unit: Organization | None = None,
    to_unit: Organization | None = None,
    to_officer: Officer | None = None,
    note: str = "",
) -> DossierEvent:
    return DossierEvent.objects.create(
        dossier=dossier,
        at=at,
        action=action,
        state_before=before,
        state_after=dossier.state,
        step=step,
        from_officer=officer,
        from_unit=from_unit,
        to_officer=to_officer,
        to_unit=to_unit,
        note=note[:1000],
    )


def _notify(
    dossier: Dossier,
    template: str,
    *,
    calendar: WorkingCalendar | None = None,
    **extra: Any,
) -> OutboundMessage | None:
    """Tell the applicant on every channel they left (e-mail; SMS or Zalo), each message with
    the public status page's link; nothing when they left neither. Delivery is after commit."""
    from egov.dossiers.citizen_services import applicant_notify  # it reads the dossier services

    sent = applicant_notify(dossier=dossier, template=template, **extra)
    return sent[0] if sent else None


def _audit(actor: Any, action: str, dossier: Dossier, before: str, **after: Any) -> None:
    audit_record(
        actor=actor,
        action=action,
        obj=dossier,
        before={"state": before},
        after={"state": dossier.state, "version": dossier.version, **after},
    )


def _require_text(value: str, field: str, message: str) -> str:
    value = (value or "").strip()
    if not value:
        raise ValidationFailed(message, code="dossier.required", field=field)
    return value


# --- intake --------------------------------------------------------------------------------------


def _channel_time(version: ProcedureVersion, channel: str) -> tuple[Decimal, str]:
    for offered in version.channels.all():
        if offered.channel == channel:
            return offered.time_value, offered.time_unit
    raise ValidationFailed(
        gettext("This procedure cannot be submitted through the channel %(channel)s.")
        % {"channel": Channel(channel).label},
        code="dossier.channel_unavailable",
        field="channel",
    )


def _fee_lines(version: ProcedureVersion, channel: str, form: dict[str, Any]) -> list[DossierFee]:
    lines = []
    for fee in version.fees.all():
        if fee.channel and fee.channel != channel:
            continue
        amount = fee.amount if fee.amount is not None else fee_rule_amount(fee.rule or {}, form)
        lines.append(DossierFee(order=fee.order, kind=fee.kind, name=fee.name, amount=amount))
    return lines


def _check_form(version: ProcedureVersion, form: Any) -> None:
    if not isinstance(form, dict):
        raise ValidationFailed(
            gettext("The form data must be an object."), code="dossier.form_invalid", field="form"
        )
    errors = eform_validate(version.eform_schema or {}, form)
    if errors:
        raise ValidationFailed(
            errors[0].message,
            code="dossier.form_invalid",
            field=errors[0].path,
            details={
                "errors": [{"path": e.path, "code": e.code, "message": e.message} for e in errors]
            },
        )


def _check_files(version: ProcedureVersion, files: Sequence[IncomingFile]) -> None:
    known = {d.code for d in version.documents.all()}
    for index, incoming in enumerate(files):
        if incoming.document_code and incoming.document_code not in known:
            raise ValidationFailed(
                gettext("%(code)s is not a document of this procedure.")
                % {"code": incoming.document_code},
                code="dossier.unknown_document",
                field=f"files.{index}.document_code",
            )
        if incoming.kind not in DossierFile.Kind.values:
            raise ValidationFailed(
                gettext("A file is either an original or a copy."),
                code="dossier.bad_file_kind",
                field=f"files.{index}.kind",
            )


def _store_files(
    dossier: Dossier, files: Sequence[IncomingFile], actor: Any, at: datetime, stored: list[str]
) -> list[StoredFile]:
    """Store the files inside the caller's transaction; `stored` collects storage names so the
    caller can remove them from storage when the transaction fails."""
    kept = _keep_files(files, actor, stored)
    _attach_files(dossier, files, kept, at)
    return kept


def _keep_files(files: Sequence[IncomingFile], actor: Any, stored: list[str]) -> list[StoredFile]:
    """Check, hash and store the files (inside the caller's transaction); `stored` collects
    storage names so the caller can remove them from storage when the transaction fails."""
    out = []
    for incoming in files:
        kept = file_store(upload=incoming.upload, name=incoming.name, actor=actor)
        stored.append(str(kept.file.name))
        out.append(kept)
    return out


def _attach_files(
    dossier: Dossier, files: Sequence[IncomingFile], kept: Sequence[StoredFile], at: datetime
) -> None:
    for incoming, stored_file in zip(files, kept, strict=True):
        DossierFile.objects.create(
            dossier=dossier,
            stored_file=stored_file,
            document_code=incoming.document_code,
            kind=incoming.kind,
            added_at=at,
        )


def _discard(names: list[str]) -> None:
    for name in names:
        default_storage.delete(name)


ResultFile = IncomingFile | StoredFile


def _keep_result(
    result_file: ResultFile | None, actor: Any, stored: list[str]
) -> StoredFile | None:
    """The result document as a stored file: an upload is checked, hashed and stored now
    (inside the caller's transaction, its storage name added to `stored` so the caller removes
    it when the transaction fails); an already stored file (older callers) is taken as is."""
    if result_file is None or isinstance(result_file, StoredFile):
        return result_file
    kept = file_store(
        upload=result_file.upload, name=result_file.name or "ket-qua.pdf", actor=actor
    )
    stored.append(str(kept.file.name))
    return kept


def _lookup_code() -> str:
    return "".join(secrets.choice(LOOKUP_ALPHABET) for _ in range(LOOKUP_LENGTH))


def _new_code(
    organization: Organization, at: datetime, calendar: WorkingCalendar | None = None
) -> str:
    day = deadlines.local_date(at, calendar=calendar)
    org = organization.qcvn_code or organization.code
    seq = sequence_next(scope=org, register=f"dossier-{day:%y%m%d}", year=day.year)
    return conf.code_format().format(org=org, yymmdd=f"{day:%y%m%d}", seq=seq, year=day.year)


def _existing(channel: str, key: str) -> tuple[int, int | None, int | None] | None:
    """(id, api_key_id, submitted_by_id) of the dossier already sent with this key, if any:
    only what the replay check needs (the whole row is loaded only when it is replayed)."""
    if not key:
        return None
    return (
        Dossier.objects.filter(channel=channel, idempotency_key=key)
        .values_list("pk", "api_key_id", "submitted_by_id")
        .first()
    )


def _replay(
    found: tuple[int, int | None, int | None], actor: Any, api_key: ApiKey | None
) -> Dossier:
    """The first dossier of a repeated key, only for the caller who submitted it: another
    caller reusing the key must not learn someone else's dossier (and its look-up code)."""
    pk, api_key_id, submitted_by_id = found
    same = (
        api_key_id == api_key.pk
        if api_key is not None
        else api_key_id is None and submitted_by_id == getattr(actor, "pk", None)
    )
    if not same:
        raise DossierConflict(
            gettext("This idempotency key was already used by another submitter."),
            code="dossier.idempotency_key_reused",
            field="idempotency_key",
        )
    return Dossier.objects.get(pk=pk)


def _authorise_intake(
    actor: Any,
    channel: str,
    organization: Organization,
    applicant: Applicant,
    api_key: ApiKey | None,
    anonymous_version: ProcedureVersion | None = None,
) -> None:
    if channel != Channel.ONLINE:
        policy.require(actor, "dossiers.receive", organization)
        return
    if api_key is not None:
        reach = api_key.organization
        if (
            api_key.revoked_at is not None
            or API_KEY_SCOPE not in (api_key.scopes or [])
            or not organization_is_within(organization, reach)
        ):
            raise PermissionDenied(
                gettext("This API key may not submit dossiers to this organisation."),
                code="permission_denied",
                details={"action": "dossiers.submit_online"},
            )
        return
    if (
        actor is None
        and anonymous_version is not None
        and anonymous_version.anonymous_allowed
        and applicant.account_id is None
    ):
        return  # the procedure takes online dossiers without an account (tracked by code + ID)
    policy.require(actor, "dossiers.submit_online", applicant)


def dossier_receive(
    *,
    actor: Account | None,
    procedure_code: str,
    receiving_organization: Organization,
    applicant: Applicant,
    channel: str,
    form_data: dict[str, Any],
    files: Sequence[IncomingFile] = (),
    case: str = "",
    idempotency_key: str = "",
    api_key: ApiKey | None = None,
) -> Dossier:
    """Receive a dossier under the procedure's published version; give it its code, the
    received moment and the appointment.

    Counter and post: an officer with the counter role of the receiving organisation. Online:
    the applicant's own account, nobody (`actor=None`) for a procedure version that allows
    submission without an account and an applicant who has none, or an integrating system's
    API key (`api_key`, issued with the
    scope "dossiers.submit" to an organisation whose subtree holds the receiving one). The same
    `idempotency_key` on the same channel never creates a second dossier: the first one is
    returned (also when two requests race: the database's unique constraint decides). A refused
    intake writes nothing: no dossier, no file, no number.
    """
    if channel not in Channel.values:
        raise ValidationFailed(
            gettext("Unknown channel."), code="dossier.channel_unavailable", field="channel"
        )
    key = (idempotency_key or "").strip()
    if len(key) > IDEMPOTENCY_KEY_MAX:
        raise ValidationFailed(
            gettext("The idempotency key is longer than %(max)s characters.")
            % {"max": IDEMPOTENCY_KEY_MAX},
            code="dossier.bad_idempotency_key",
            field="idempotency_key",
        )
    anonymous = channel == Channel.ONLINE and actor is None and api_key is None
    _authorise_intake(
        actor,
        channel,
        receiving_organization,
        applicant,
        api_key,
        procedure_published_cached(procedure_code) if anonymous else None,
    )
    found = _existing(channel, key)
    if found is not None:
        return _replay(found, actor, api_key)

    version = procedure_published_cached(procedure_code)
    if version is None:
        raise NotFound(
            gettext("There is no published procedure with the code %(code)s.")
            % {"code": procedure_code},
            code="dossier.procedure_not_found",
            field="procedure",
        )
    competent = version.competent_organization or version.executing_organization
    if competent is None:
        raise ValidationFailed(
            gettext("The procedure names no competent organisation of the province."),
            code="dossier.no_competent_organization",
            field="procedure",
        )
    time_value, time_unit = _channel_time(version, channel)
    _check_form(version, form_data)
    fees = _fee_lines(version, channel, form_data)
    _check_files(version, files)

    stored: list[str] = []
    try:
        with transaction.atomic():
            dossier = _receive_write(
                actor=actor,
                version=version,
                organization=receiving_organization,
                competent=competent,
                applicant=applicant,
                channel=channel,
                form_data=form_data,
                case=case,
                key=key,
                api_key=api_key,
                time=(time_value, time_unit),
                fees=fees,
                files=files,
                stored=stored,
            )
    except IntegrityError:
        _discard(stored)
        found = _existing(channel, key)
        if found is not None:
            return _replay(found, actor, api_key)
        raise
    except BaseException:
        _discard(stored)
        raise
    return dossier


def _receive_write(
    *,
    actor: Any,
    version: ProcedureVersion,
    organization: Organization,
    competent: Organization,
    applicant: Applicant,
    channel: str,
    form_data: dict[str, Any],
    case: str,
    key: str,
    api_key: ApiKey | None,
    time: tuple[Decimal, str],
    fees: list[DossierFee],
    files: Sequence[IncomingFile],
    stored: list[str],
) -> Dossier:
    calendar = deadlines.get_calendar()  # one calendar (one version query) for the intake
    at = deadlines.now()
    due = deadlines.due_moment(at, time[0], time[1], calendar=calendar)
    officer = _officer(actor) if channel != Channel.ONLINE else None
    # The files are checked, hashed and stored BEFORE the number is drawn: the number's row
    # stays locked until commit and serialises every intake of the organisation's day, so
    # nothing slow may come after it. A failure still leaves nothing behind (the caller
    # deletes the stored files, the transaction takes back rows and number).
    kept = _keep_files(files, actor, stored)
    dossier = Dossier.objects.create(
        code=_new_code(organization, at, calendar),
        lookup_code=_lookup_code(),
        procedure_version=version,
        receiving_organization=organization,
        competent_organization=competent,
        applicant=applicant,
        applicant_name=applicant.full_name,
        applicant_national_id=applicant.national_id,
        applicant_tax_code=applicant.tax_code,
        applicant_phone=applicant.phone,
        applicant_email=applicant.email,
        applicant_address=applicant.address,
        channel=channel,
        case=case,
        form_data=form_data,
        idempotency_key=key,
        received_by=officer,
        submitted_by=actor if isinstance(actor, Account) else None,
        api_key=api_key,
        state=State.SUBMITTED,
        received_at=at,
        clock_started_at=at,
        due_at=due,
        appointment_at=due,
        fee_due=any(fee.amount > 0 for fee in fees),
        digitised=bool(kept) and channel != Channel.ONLINE,  # scanned at the counter
    )
    for fee in fees:
        fee.dossier = dossier
    DossierFee.objects.bulk_create(fees)
    _attach_files(dossier, files, kept, at)
    event = _event(
        dossier,
        action="receive",
        at=at,
        before="",
        officer=officer,
        to_unit=organization,
    )
    slip_render_on_commit(dossier.pk, "01", source_id=event.pk)
    search_index(dossier)  # code, applicant and procedure are written once, here
    _notify(dossier, "dossier_received", calendar=calendar)
    audit_record(
        actor=actor,
        action="dossiers.dossier.receive",
        obj=dossier,
        after={
            "code": dossier.code,
            "procedure_version": version.pk,
            "channel": channel,
            "receiving_organization": organization.code,
            "competent_organization": competent.code,
            "due_at": due,
            "fees": [[f.name, f.amount] for f in fees],
            "files": [[f.pk, f.sha256] for f in kept],
            "api_key": api_key.prefix if api_key else None,
        },
    )
    return dossier


# --- completeness check --------------------------------------------------------------------------


def _responsible_unit(step: Any, dossier: Dossier) -> Organization:
    if step.responsible_unit is not None:
        return step.responsible_unit
    if step.responsible_role == Role.COUNTER:
        return dossier.receiving_organization
    return dossier.competent_organization


def _plan_steps(dossier: Dossier) -> None:
    """One DossierStep per process step, due moments counted from the clock's start."""
    steps = list(
        ProcedureStep.objects.filter(version_id=dossier.procedure_version_id)
        .select_related("responsible_unit")
        .order_by("order")
    )
    moments = deadlines.step_due_moments(dossier.clock_started_at, [s.working_days for s in steps])
    DossierStep.objects.bulk_create(
        DossierStep(
            dossier=dossier,
            procedure_step=step,
            order=step.order,
            name=step.name,
            responsible_unit=_responsible_unit(step, dossier),
            responsible_role=step.responsible_role,
            due_at=moment,
        )
        for step, moment in zip(steps, moments, strict=True)
    )


@transaction.atomic
def dossier_accept(
    *, actor: Account, dossier: Dossier, expected_version: int | None = None
) -> Dossier:
    """The counter finds the dossier complete: it is accepted for handling and its steps are
    planned. A first step owned by the counter (reception) is finished by the acceptance."""
    dossier = _locked(dossier, expected_version)
    policy.require(actor, "dossiers.counter", dossier)
    _check_transition(dossier, State.ACCEPTED)
    at = deadlines.now()
    before = dossier.state
    officer = _officer(actor)
    dossier.state = State.ACCEPTED
    dossier.accepted_at = at
    _save(dossier, ["state", "accepted_at"])
    _plan_steps(dossier)
    first = dossier.steps.order_by("order").first()
    if first is not None and first.responsible_role == Role.COUNTER:
        first.assignee = officer
        first.started_at = dossier.received_at
        first.finished_at = at
        first.result = deadlines.settled_timeliness(first.due_at, at)
        first.save(update_fields=["assignee", "started_at", "finished_at", "result"])
    nxt = dossier.steps.filter(finished_at__isnull=True).order_by("order").first()
    _event(
        dossier,
        action="accept",
        at=at,
        before=before,
        officer=officer,
        step=first,
        from_unit=dossier.receiving_organization,
        to_unit=nxt.responsible_unit if nxt else None,
    )
    _audit(actor, "dossiers.dossier.accept", dossier, before)
    return dossier


def _supplement_items(items: Sequence[dict[str, Any]], dossier: Dossier) -> list[dict[str, str]]:
    if not items:
        raise ValidationFailed(
            gettext("List every missing document with the reason."),
            code="dossier.supplement_empty",
            field="items",
        )
    out = []
    for index, item in enumerate(items):
        name = str(item.get("name") or "").strip()
        reason = str(item.get("reason") or "").strip()
        if not name or not reason:
            raise ValidationFailed(
                gettext("Each missing document needs its name and the reason."),
                code="dossier.supplement_item",
                field=f"items.{index}",
            )
        out.append(
            {"document_code": str(item.get("document_code") or ""), "name": name, "reason": reason}
        )
    return out


@transaction.atomic
def dossier_request_supplement(
    *,
    actor: Account,
    dossier: Dossier,
    items: Sequence[dict[str, Any]],
    note: str = "",
    expected_version: int | None = None,
) -> Dossier:
    """Ask the applicant, through the one-stop counter, for everything missing at once (only
    once when EGOV_DOSSIER_SUPPLEMENT_ONCE); the legal clock stops until resubmission."""
    dossier = _locked(dossier, expected_version)
    policy.require(actor, "dossiers.counter", dossier)
    _check_transition(dossier, State.SUPPLEMENT_REQUESTED)
    if dossier.supplement_requested and conf.supplement_once():
        raise ValidationFailed(
            gettext(
                "A supplement was already requested for this dossier; it can be asked only once."
            ),
            code="dossier.supplement_once",
        )
    listed = _supplement_items(items, dossier)
    at = deadlines.now()
    before = dossier.state
    officer = _officer(actor)
    ClockStop.objects.create(
        dossier=dossier,
        reason=ClockStop.Reason.SUPPLEMENT,
        items=listed,
        note=note[:1000],
        stopped_at=at,
        requested_by=officer,
    )
    dossier.resume_state = State.SUBMITTED if before == State.SUBMITTED else State.IN_PROCESS
    dossier.state = State.SUPPLEMENT_REQUESTED
    dossier.supplement_requested = True
    _save(dossier, ["state", "resume_state", "supplement_requested"])
    _event(dossier, action="request_supplement", at=at, before=before, officer=officer, note=note)
    slip_render_on_commit(dossier.pk, "02")
    from egov.dossiers.online_services import supplement_link  # it builds on these services

    _notify(
        dossier,
        "dossier_supplement_requested",
        items=listed,
        supplement_url=supplement_link(dossier),
    )
    _audit(actor, "dossiers.dossier.request_supplement", dossier, before, items=listed)
    return dossier


def _replan(dossier: Dossier, stop: ClockStop, at: datetime) -> None:
    """Move the due moments after the clock stood still (EGOV_DOSSIER_CLOCK_ON_RESUBMIT)."""
    version = dossier.procedure_version
    time_value, time_unit = _channel_time(version, dossier.channel)
    open_steps = list(dossier.steps.filter(finished_at__isnull=True).order_by("order"))
    if conf.clock_on_resubmit() == "restart":
        dossier.clock_started_at = at
        dossier.due_at = deadlines.due_moment(at, time_value, time_unit)
        all_steps = list(dossier.steps.order_by("order").select_related("procedure_step"))
        moments = deadlines.step_due_moments(at, [s.procedure_step.working_days for s in all_steps])
        by_pk = {s.pk: m for s, m in zip(all_steps, moments, strict=True)}
        for step in open_steps:
            step.due_at = by_pk[step.pk]
    else:
        stopped = deadlines.working_days_stopped(stop.stopped_at, at)
        dossier.due_at = deadlines.shift_by_working_days(dossier.due_at, stopped)
        for step in open_steps:
            step.due_at = deadlines.shift_by_working_days(step.due_at, stopped)
    DossierStep.objects.bulk_update(open_steps, ["due_at"])
    dossier.appointment_at = max(dossier.appointment_at, dossier.due_at)


def dossier_resubmit(
    *,
    actor: Account | None,
    dossier: Dossier,
    files: Sequence[IncomingFile] = (),
    note: str = "",
    expected_version: int | None = None,
    applicant_link: bool = False,
) -> Dossier:
    """The applicant brings what was missing: the clock restarts (or resumes, by setting) and
    the appointment is recomputed; the dossier goes back where it was. Files stored for a
    resubmission that then fails are removed from storage again.

    `applicant_link`: the caller verified the signed link of the supplement request; it stands
    for the applicant only when the applicant has no account (an account holder signs in)."""
    stored: list[str] = []
    try:
        return _resubmit(
            actor=actor,
            dossier=dossier,
            files=files,
            note=note,
            expected_version=expected_version,
            stored=stored,
            applicant_link=applicant_link,
        )
    except BaseException:
        _discard(stored)
        raise


@transaction.atomic
def _resubmit(
    *,
    actor: Account | None,
    dossier: Dossier,
    files: Sequence[IncomingFile],
    note: str,
    expected_version: int | None,
    stored: list[str],
    applicant_link: bool = False,
) -> Dossier:
    dossier = _locked(dossier, expected_version)
    by_link = applicant_link and dossier.applicant.account_id is None
    if not (
        by_link
        or policy.can(actor, "dossiers.counter", dossier)
        or policy.can(actor, "dossiers.submit_online", dossier.applicant)
    ):
        policy.require(actor, "dossiers.counter", dossier)
    if dossier.state != State.SUPPLEMENT_REQUESTED:
        raise TransitionNotAllowed(
            gettext("No supplement was requested for this dossier."),
            details={"state": dossier.state},
        )
    target = dossier.resume_state or State.SUBMITTED
    _check_transition(dossier, target)
    _check_files(dossier.procedure_version, files)
    stop = open_clock_stop(dossier)
    assert stop is not None, "a dossier waiting for supplements has an open clock stop"
    at = deadlines.now()
    before = dossier.state
    kept = _store_files(dossier, files, actor, at, stored)
    stop.resumed_at = at
    stop.save(update_fields=["resumed_at"])
    _replan(dossier, stop, at)
    dossier.state = target
    dossier.resume_state = ""
    _save(dossier, ["state", "resume_state", "clock_started_at", "due_at", "appointment_at"])
    _event(dossier, action="resubmit", at=at, before=before, officer=_officer(actor), note=note)
    slip_render_on_commit(dossier.pk, "01")
    _notify(dossier, "dossier_resubmitted")
    _audit(
        actor,
        "dossiers.dossier.resubmit",
        dossier,
        before,
        due_at=dossier.due_at,
        files=[[f.pk, f.sha256] for f in kept],
    )
    return dossier


@transaction.atomic
def dossier_refuse(
    *,
    actor: Account,
    dossier: Dossier,
    reasons: Sequence[str],
    legal_basis: str,
    expected_version: int | None = None,
) -> Dossier:
    """The dossier is not eligible: refuse it with the reasons and their legal basis (Mẫu 03)."""
    dossier = _locked(dossier, expected_version)
    policy.require(actor, "dossiers.counter", dossier)
    _check_transition(dossier, State.REFUSED)
    listed = [str(r).strip() for r in reasons if str(r).strip()]
    if not listed:
        raise ValidationFailed(
            gettext("Give the reasons for the refusal."), code="dossier.required", field="reasons"
        )
    basis = _require_text(legal_basis, "legal_basis", gettext("Give the legal basis."))
    at = deadlines.now()
    before = dossier.state
    dossier.state = State.REFUSED
    dossier.reasons = listed
    dossier.legal_basis = basis
    dossier.closed_at = at
    _save(dossier, ["state", "reasons", "legal_basis", "closed_at"])
    _event(dossier, action="refuse", at=at, before=before, officer=_officer(actor))
    slip_render_on_commit(dossier.pk, "03")
    _notify(dossier, "dossier_refused", reasons=listed, legal_basis=basis)
    _audit(actor, "dossiers.dossier.refuse", dossier, before, reasons=listed, legal_basis=basis)
    return dossier


# --- the steps -----------------------------------------------------------------------------------


def _current_step(dossier: Dossier) -> DossierStep | None:
    return (
        dossier.steps.select_related("responsible_unit")
        .filter(finished_at__isnull=True)
        .order_by("order")
        .first()
    )


def _step_of(dossier: Dossier, step: DossierStep) -> DossierStep:
    current = _current_step(dossier)
    if current is None or current.pk != step.pk:
        raise TransitionNotAllowed(
            gettext("This is not the step the dossier is at."), code="dossier.not_current_step"
        )
    return current


@transaction.atomic
def dossier_start_step(
    *,
    actor: Account,
    dossier: Dossier,
    step: DossierStep,
    expected_version: int | None = None,
) -> DossierStep:
    """An officer of the step's unit takes the dossier's current step."""
    dossier = _locked(dossier, expected_version)
    step = _step_of(dossier, step)
    policy.require(actor, "dossiers.step.work", step)
    if step.started_at is not None:
        raise TransitionNotAllowed(
            gettext("This step has already been started."), code="dossier.step_started"
        )
    _check_transition(dossier, State.IN_PROCESS)
    at = deadlines.now()
    before = dossier.state
    officer = _officer(actor)
    step.started_at = at
    step.assignee = officer
    step.save(update_fields=["started_at", "assignee"])
    dossier.state = State.IN_PROCESS
    _save(dossier, ["state"])
    _event(
        dossier,
        action="start_step",
        at=at,
        before=before,
        officer=officer,
        step=step,
        to_unit=step.responsible_unit,
        to_officer=officer,
    )
    _audit(actor, "dossiers.dossier.start_step", dossier, before, step=step.order)
    return step


@transaction.atomic
def dossier_complete_step(
    *,
    actor: Account,
    dossier: Dossier,
    step: DossierStep,
    note: str = "",
    expected_version: int | None = None,
) -> DossierStep:
    """Finish the current step and hand the dossier over to the next step's unit (possibly
    another organisation); the hand-over goes into the control slip's log (Mẫu 05)."""
    dossier = _locked(dossier, expected_version)
    step = _step_of(dossier, step)
    policy.require(actor, "dossiers.step.work", step)
    if step.started_at is None:
        raise TransitionNotAllowed(
            gettext("Start the step before finishing it."), code="dossier.step_not_started"
        )
    _check_transition(dossier, State.IN_PROCESS)
    at = deadlines.now()
    officer = _officer(actor)
    step.finished_at = at
    step.result = deadlines.settled_timeliness(step.due_at, at)
    step.note = note[:1000]
    step.save(update_fields=["finished_at", "result", "note"])
    nxt = _current_step(dossier)
    _save(dossier, ["state"])
    _event(
        dossier,
        action="complete_step",
        at=at,
        before=dossier.state,
        officer=officer,
        step=step,
        from_unit=step.responsible_unit,
        to_unit=nxt.responsible_unit if nxt else None,
        note=note,
    )
    _audit(
        actor,
        "dossiers.dossier.complete_step",
        dossier,
        dossier.state,
        step=step.order,
        result=step.result,
    )
    return step


def _pending_before_return(dossier: Dossier) -> list[DossierStep]:
    """Unfinished steps, leaving out the trailing counter steps (the return of the result)."""
    steps = list(dossier.steps.filter(finished_at__isnull=True).order_by("order"))
    while steps and steps[-1].responsible_role == Role.COUNTER:
        steps.pop()
    return steps


def _decide(
    *,
    actor: Account,
    dossier: Dossier,
    target: str,
    expected_version: int | None,
    result_file: ResultFile | None,
    result_number: str,
    reasons: Sequence[str],
    action: str,
) -> Dossier:
    """Approve or deny; the uploaded result document is stored only once the checks passed and
    removed from storage again when the decision fails."""
    stored: list[str] = []
    try:
        with transaction.atomic():
            return _decide_write(
                actor=actor,
                dossier=dossier,
                target=target,
                expected_version=expected_version,
                result_file=result_file,
                result_number=result_number,
                reasons=reasons,
                action=action,
                stored=stored,
            )
    except BaseException:
        _discard(stored)
        raise


def _decide_write(
    *,
    actor: Account,
    dossier: Dossier,
    target: str,
    expected_version: int | None,
    result_file: ResultFile | None,
    result_number: str,
    reasons: Sequence[str],
    action: str,
    stored: list[str],
) -> Dossier:
    dossier = _locked(dossier, expected_version)
    policy.require(actor, "dossiers.decide", dossier)
    _check_transition(dossier, target)
    pending = _pending_before_return(dossier)
    at = deadlines.now()
    officer = _officer(actor)
    if len(pending) > 1 or (pending and pending[0].responsible_role != Role.HEAD):
        raise TransitionNotAllowed(
            gettext("The steps before the decision are not finished."),
            code="dossier.steps_pending",
        )
    for step in pending:  # the head's own approval step is finished by the decision
        step.started_at = step.started_at or at
        step.assignee = step.assignee or officer
        step.finished_at = at
        step.result = deadlines.settled_timeliness(step.due_at, at)
        step.save(update_fields=["started_at", "assignee", "finished_at", "result"])
    kept = _keep_result(result_file, actor, stored)
    before = dossier.state
    dossier.state = target
    dossier.decided_at = at
    dossier.on_time = deadlines.settled_timeliness(dossier.due_at, at) != deadlines.LATE
    dossier.reasons = list(reasons)
    fields = ["state", "decided_at", "on_time", "reasons"]
    if kept is not None:
        dossier.result_file = kept
        dossier.e_result = True
        fields += ["result_file", "e_result"]
    if result_number:
        dossier.result_number = result_number[:100]
        fields.append("result_number")
    _save(dossier, fields)
    nxt = _current_step(dossier)
    _event(
        dossier,
        action=action,
        at=at,
        before=before,
        officer=officer,
        to_unit=nxt.responsible_unit if nxt else dossier.receiving_organization,
    )
    _notify(dossier, "dossier_result_ready", approved=target == State.APPROVED, reasons=reasons)
    _audit(
        actor,
        f"dossiers.dossier.{action}",
        dossier,
        before,
        on_time=dossier.on_time,
        result_file=[kept.pk, kept.sha256] if kept else None,
        reasons=list(reasons),
    )
    return dossier


def dossier_approve_result(
    *,
    actor: Account,
    dossier: Dossier,
    result_file: ResultFile | None = None,
    result_number: str = "",
    expected_version: int | None = None,
) -> Dossier:
    """A head of the competent organisation approves the result (ready to sign and return).
    `result_file`: the result document as uploaded (`IncomingFile`, stored here) or, for older
    callers, already stored."""
    return _decide(
        actor=actor,
        dossier=dossier,
        target=State.APPROVED,
        expected_version=expected_version,
        result_file=result_file,
        result_number=result_number,
        reasons=(),
        action="approve_result",
    )


def dossier_deny_result(
    *,
    actor: Account,
    dossier: Dossier,
    reasons: Sequence[str],
    result_file: ResultFile | None = None,
    expected_version: int | None = None,
) -> Dossier:
    """A head decides against the request, with the reasons (a written answer is the result)."""
    listed = [str(r).strip() for r in reasons if str(r).strip()]
    if not listed:
        raise ValidationFailed(
            gettext("Give the reasons for the denial."), code="dossier.required", field="reasons"
        )
    return _decide(
        actor=actor,
        dossier=dossier,
        target=State.DENIED,
        expected_version=expected_version,
        result_file=result_file,
        result_number="",
        reasons=listed,
        action="deny_result",
    )


def dossier_return_result(
    *,
    actor: Account,
    dossier: Dossier,
    delivery: str,
    result_file: ResultFile | None = None,
    note: str = "",
    expected_version: int | None = None,
) -> Dossier:
    """The counter hands the result to the applicant (counter, public post or online).
    `result_file` as for `dossier_approve_result`: an upload is stored here and removed from
    storage again when the return fails."""
    stored: list[str] = []
    try:
        with transaction.atomic():
            return _return_write(
                actor=actor,
                dossier=dossier,
                delivery=delivery,
                result_file=result_file,
                note=note,
                expected_version=expected_version,
                stored=stored,
            )
    except BaseException:
        _discard(stored)
        raise


def _return_write(
    *,
    actor: Account,
    dossier: Dossier,
    delivery: str,
    result_file: ResultFile | None,
    note: str,
    expected_version: int | None,
    stored: list[str],
) -> Dossier:
    dossier = _locked(dossier, expected_version)
    policy.require(actor, "dossiers.counter", dossier)
    _check_transition(dossier, State.RETURNED)
    if delivery not in Delivery.values:
        raise ValidationFailed(
            gettext("Choose how the result is delivered."),
            code="dossier.bad_delivery",
            field="delivery",
        )
    if delivery == Delivery.ONLINE and result_file is None and dossier.result_file is None:
        raise ValidationFailed(
            gettext("An online delivery needs the result document."),
            code="dossier.result_file_missing",
            field="result_file",
        )
    at = deadlines.now()
    before = dossier.state
    officer = _officer(actor)
    for step in dossier.steps.filter(finished_at__isnull=True).order_by("order"):
        step.started_at = step.started_at or at
        step.assignee = step.assignee or officer
        step.finished_at = at
        step.result = deadlines.settled_timeliness(step.due_at, at)
        step.save(update_fields=["started_at", "assignee", "finished_at", "result"])
    kept = _keep_result(result_file, actor, stored)
    dossier.state = State.RETURNED
    dossier.delivery = delivery
    dossier.returned_at = at
    dossier.closed_at = at
    fields = ["state", "delivery", "returned_at", "closed_at"]
    if kept is not None:
        dossier.result_file = kept
        dossier.e_result = True
        fields += ["result_file", "e_result"]
    _save(dossier, fields)
    _event(dossier, action="return_result", at=at, before=before, officer=officer, note=note)
    slip_render_on_commit(dossier.pk, "05")
    _notify(dossier, "dossier_returned", delivery=Delivery(delivery).label)
    _audit(
        actor,
        "dossiers.dossier.return_result",
        dossier,
        before,
        delivery=delivery,
        result_file=[kept.pk, kept.sha256] if kept else None,
    )
    return dossier


# --- ending early --------------------------------------------------------------------------------


def _close_stop(dossier: Dossier, at: datetime) -> None:
    dossier.clock_stops.filter(resumed_at__isnull=True).update(resumed_at=at)


@transaction.atomic
def dossier_withdraw(
    *, actor: Account, dossier: Dossier, reason: str = "", expected_version: int | None = None
) -> Dossier:
    """The applicant withdraws the dossier (online, or in writing at the counter)."""
    dossier = _locked(dossier, expected_version)
    policy.require(actor, "dossiers.withdraw", dossier)
    _check_transition(dossier, State.WITHDRAWN)
    at = deadlines.now()
    before = dossier.state
    _close_stop(dossier, at)
    dossier.state = State.WITHDRAWN
    dossier.closed_at = at
    dossier.reasons = [reason] if reason.strip() else []
    _save(dossier, ["state", "closed_at", "reasons"])
    _event(dossier, action="withdraw", at=at, before=before, officer=_officer(actor), note=reason)
    _audit(actor, "dossiers.dossier.withdraw", dossier, before, reason=reason)
    return dossier


@transaction.atomic
def dossier_cancel(
    *, actor: Account, dossier: Dossier, reason: str, expected_version: int | None = None
) -> Dossier:
    """A head stops the handling (entered by mistake, duplicate, applicant deceased …)."""
    dossier = _locked(dossier, expected_version)
    policy.require(actor, "dossiers.cancel", dossier)
    _check_transition(dossier, State.CANCELLED)
    text = _require_text(reason, "reason", gettext("Give the reason for the cancellation."))
    at = deadlines.now()
    before = dossier.state
    _close_stop(dossier, at)
    dossier.state = State.CANCELLED
    dossier.closed_at = at
    dossier.reasons = [text]
    _save(dossier, ["state", "closed_at", "reasons"])
    _event(dossier, action="cancel", at=at, before=before, officer=_officer(actor), note=text)
    _notify(dossier, "dossier_cancelled", reason=text)
    _audit(actor, "dossiers.dossier.cancel", dossier, before, reason=text)
    return dossier


# --- apology and payment -------------------------------------------------------------------------


@transaction.atomic
def dossier_apologize(
    *,
    actor: Account,
    dossier: Dossier,
    reason: str,
    new_appointment_at: datetime,
    expected_version: int | None = None,
) -> Apology:
    """Apologise for a result that will be late and give a new appointment (Mẫu 04).

    The law wants the apology before the due moment, at least one day before the due day
    (EGOV_DOSSIER_APOLOGY_MIN_WORKING_DAYS working days; to check against Decree 118/2025).
    Issued later it is refused with code "dossier.apology_too_late".
    """
    dossier = _locked(dossier, expected_version)
    policy.require(actor, "dossiers.apologize", dossier)
    if dossier.state not in (State.ACCEPTED, State.IN_PROCESS):
        raise TransitionNotAllowed(
            gettext("Only a dossier being handled can be given a new appointment."),
            details={"state": dossier.state},
        )
    text = _require_text(reason, "reason", gettext("Give the reason for the delay."))
    at = deadlines.now()
    minimum = conf.apology_min_working_days()
    due_day = deadlines.local_date(dossier.appointment_at)
    last_day = deadlines.get_calendar().add_working_days(due_day, -minimum) if minimum else due_day
    if at >= dossier.appointment_at or deadlines.local_date(at) > last_day:
        raise ValidationFailed(
            gettext(
                "The apology must be issued at least %(days)s working day(s) before the "
                "appointment of %(due)s; the last day was %(last)s."
            )
            % {"days": minimum, "due": f"{due_day:%d/%m/%Y}", "last": f"{last_day:%d/%m/%Y}"},
            code="dossier.apology_too_late",
        )
    if new_appointment_at <= dossier.appointment_at:
        raise ValidationFailed(
            gettext("The new appointment must be later than the current one."),
            code="dossier.apology_not_later",
            field="new_appointment_at",
        )
    officer = _officer(actor)
    if officer is None:
        raise PermissionDenied(code="permission_denied", details={"action": "dossiers.apologize"})
    before = dossier.state
    apology = Apology.objects.create(
        dossier=dossier,
        issued_at=at,
        issued_by=officer,
        reason=text[:1000],
        previous_appointment_at=dossier.appointment_at,
        new_appointment_at=new_appointment_at,
    )
    dossier.appointment_at = new_appointment_at
    _save(dossier, ["appointment_at"])
    _event(dossier, action="apologize", at=at, before=before, officer=officer, note=text)
    slip_render_on_commit(dossier.pk, "04")
    _notify(dossier, "dossier_apology", reason=text)
    _audit(
        actor,
        "dossiers.dossier.apologize",
        dossier,
        before,
        previous_appointment_at=apology.previous_appointment_at,
        new_appointment_at=new_appointment_at,
    )
    return apology


@transaction.atomic
def dossier_record_cash_payment(
    *,
    actor: Account,
    dossier: Dossier,
    receipt_number: str = "",
    expected_version: int | None = None,
) -> list[DossierFee]:
    """The counter records that the applicant paid every unpaid fee line in cash."""
    dossier = _locked(dossier, expected_version)
    policy.require(actor, "dossiers.counter", dossier)
    if dossier.state in (State.REFUSED, State.WITHDRAWN, State.CANCELLED):
        raise TransitionNotAllowed(details={"state": dossier.state})
    unpaid = list(dossier.fees.filter(paid=False).order_by("order"))
    if not unpaid:
        raise ValidationFailed(
            gettext("There is nothing left to pay on this dossier."), code="dossier.nothing_due"
        )
    at = deadlines.now()
    for fee in unpaid:
        fee.paid = True
        fee.paid_at = at
        fee.method = DossierFee.Method.COUNTER_CASH
        fee.receipt_number = receipt_number[:100]
    DossierFee.objects.bulk_update(unpaid, ["paid", "paid_at", "method", "receipt_number"])
    _save(dossier, [])
    _event(
        dossier,
        action="record_cash_payment",
        at=at,
        before=dossier.state,
        officer=_officer(actor),
        note=receipt_number,
    )
    _audit(
        actor,
        "dossiers.dossier.record_cash_payment",
        dossier,
        dossier.state,
        paid=[[f.name, f.amount] for f in unpaid],
    )
    return unpaid

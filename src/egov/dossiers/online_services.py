"""The citizen's online application: drafts, resumable uploads, submission and supplements.

Everything that becomes a dossier still goes through `services.dossier_receive` (form check
against the procedure's e-form schema, files checked by content, code, appointment, Mẫu 01
and the intake notification) and `services.dossier_resubmit`; this module only keeps what the
citizen prepares before that moment and makes the submission safe to repeat:

- a draft is submitted under the idempotency key `OnlineDraft.idempotency_key`, with the
  draft's row locked, so a double click, two tabs or a retry after a timeout return the one
  dossier the first submission made;
- an upload is either one multipart post (`draft_file_add`) or a resumable session
  (`upload_begin` → `upload_chunk` with the offset → `upload_status` after a drop →
  `upload_finish`, which checks the total size, the SHA-256 the browser declared and the
  type by content through `egov.core.files.file_store`).
"""

from __future__ import annotations

import hashlib
import secrets
import tempfile
import uuid
from collections.abc import Iterable, Sequence
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import QuerySet
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from egov.core.errors import (
    Conflict,
    NotAuthenticated,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from egov.core.files import FileEmpty, FileTooLarge, file_open, file_store, safe_original_name
from egov.core.models import StoredFile
from egov.directory import identifiers
from egov.directory.models import Account, Applicant, Organization
from egov.directory.services import applicant_record_online
from egov.dossiers.models import Dossier, DossierFile, State
from egov.dossiers.models_online import DraftFile, OnlineDraft, UploadChunk, UploadSession
from egov.dossiers.services import IncomingFile, dossier_receive, dossier_resubmit
from egov.procedures.eforms import EformError, eform_validate
from egov.procedures.models import Channel, ProcedureVersion, RequiredDocument
from egov.procedures.selectors import procedure_published_cached

__all__ = [
    "CHUNK_MAX",
    "DraftNotFound",
    "SignInRequired",
    "UploadOffsetMismatch",
    "applicant_of",
    "draft_documents",
    "draft_file_add",
    "draft_file_remove",
    "draft_for",
    "draft_problems",
    "draft_resume",
    "draft_save",
    "draft_start",
    "draft_submit",
    "drafts_of",
    "online_receiving_organization",
    "online_version",
    "supplement_file_add",
    "supplement_files",
    "supplement_link",
    "supplement_submit",
    "supplement_token",
    "supplement_token_valid",
    "upload_begin",
    "upload_chunk",
    "upload_finish",
    "upload_for",
    "uploads_purge",
]

CHUNK_MAX = 1024 * 1024  # one chunk per request; well under DATA_UPLOAD_MAX_MEMORY_SIZE
MAX_FILES_PER_DOCUMENT = 10
_SUPPLEMENT_SALT = "egov.dossiers.online.supplement"
_SHA256_HEX = frozenset("0123456789abcdef")
APPLICANT_FIELDS = ("full_name", "identifier", "phone", "email", "address")


class DraftNotFound(NotFound):
    code = "online.draft_not_found"
    default_message = _("This application does not exist or is not yours.")


class ProcedureNotOnline(NotFound):
    code = "online.procedure_not_online"
    default_message = _("This procedure cannot be submitted online.")


class SignInRequired(NotAuthenticated):
    code = "online.sign_in_required"
    default_message = _("Sign in to submit this procedure online.")


class DraftSubmitted(Conflict):
    code = "online.draft_submitted"
    default_message = _("This application was already submitted.")


class UploadOffsetMismatch(Conflict):
    code = "upload.offset_mismatch"
    default_message = _("The server holds a different part of the file: continue from there.")


class UploadIncomplete(ValidationFailed):
    code = "upload.incomplete"
    default_message = _("The file has not been received completely.")


class UploadChecksumMismatch(ValidationFailed):
    code = "upload.checksum_mismatch"
    default_message = _("The file was damaged on the way: send it again.")


# --- the procedure and the applicant -------------------------------------------------------------


def online_version(procedure_code: str) -> ProcedureVersion:
    """The published version of a procedure that offers the online channel, or NotFound."""
    version = procedure_published_cached(str(procedure_code)[:30])
    if version is None or not any(c.channel == Channel.ONLINE for c in version.channels.all()):
        raise ProcedureNotOnline(
            gettext("The procedure %(code)s cannot be submitted online.")
            % {"code": procedure_code},
        )
    return version


def online_receiving_organization(version: ProcedureVersion) -> Organization:
    """Who receives online dossiers: the organisation named by the setting
    EGOV_ONLINE_RECEIVING_ORGANIZATION (e.g. the provincial service centre) when set, else the
    procedure's competent (or executing) organisation, whose one-stop counter checks it."""
    code = str(getattr(settings, "EGOV_ONLINE_RECEIVING_ORGANIZATION", "") or "")
    if code:
        found = Organization.objects.filter(code=code).first()
        if found is not None:
            return found
    organization_id = version.competent_organization_id or version.executing_organization_id
    organization = (
        Organization.objects.filter(pk=organization_id).first() if organization_id else None
    )
    if organization is None:
        raise ValidationFailed(
            gettext("The procedure names no competent organisation of the province."),
            code="dossier.no_competent_organization",
        )
    return organization


def _signed_in(actor: Any) -> Account | None:
    if isinstance(actor, Account) and actor.is_authenticated and actor.is_active:
        return actor
    return None


def applicant_of(actor: Any) -> Applicant | None:
    """The Applicant record of a signed-in citizen or business (None for anyone else)."""
    account = _signed_in(actor)
    if account is None or account.kind != Account.Kind.APPLICANT:
        return None
    return Applicant.objects.filter(account=account).first()


def _applicant_snapshot(applicant: Applicant) -> dict[str, str]:
    return {
        "kind": applicant.kind,
        "full_name": applicant.full_name,
        "identifier": applicant.national_id or applicant.tax_code,
        "phone": applicant.phone,
        "email": applicant.email,
        "address": applicant.address,
        "commune": applicant.ward_code,
    }


def _cases(version: ProcedureVersion) -> dict[str, str]:
    return {
        str(c.get("code")): str(c.get("name") or c.get("code"))
        for c in (version.cases or [])
        if isinstance(c, dict) and c.get("code")
    }


def _check_case(version: ProcedureVersion, case: str) -> str:
    cases = _cases(version)
    if not cases:
        return ""
    if case not in cases:
        raise ValidationFailed(
            gettext("Choose the case that fits your request."),
            code="online.case_required",
            field="case",
        )
    return case


# --- drafts --------------------------------------------------------------------------------------


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def draft_start(
    *,
    actor: Any,
    procedure_code: str,
    case: str = "",
    form_data: dict[str, Any] | None = None,
) -> tuple[OnlineDraft, str]:
    """Open a draft for an online procedure. A signed-in citizen applies as their Applicant;
    without an account only when the procedure version allows it, and then the draft is
    reached again through the returned secret resume token (empty for account holders)."""
    version = online_version(procedure_code)
    account = _signed_in(actor)
    token = ""
    if account is not None:
        applicant = applicant_of(account)
        if applicant is None:
            raise PermissionDenied(
                gettext("Only citizens and businesses submit dossiers online."),
                code="online.not_an_applicant",
            )
        applicant_data = _applicant_snapshot(applicant)
    else:
        if not version.anonymous_allowed:
            raise SignInRequired()
        token = secrets.token_urlsafe(24)
        applicant_data = {}
    draft = OnlineDraft.objects.create(
        procedure_version=version,
        procedure_code=version.procedure.code,
        case=_check_case(version, case),
        account=account,
        resume_hash=_token_hash(token) if token else "",
        applicant_data=applicant_data,
        form_data=dict(form_data or {}),
    )
    return draft, token


def draft_for(*, actor: Any, public_id: Any, resumable: Iterable[str] = ()) -> OnlineDraft:
    """The draft if `actor` may open it: the account that owns it, or (without an account)
    a browser session that proved the resume token (`resumable`: public ids it holds).
    Anyone else gets DraftNotFound, never a hint that the draft exists."""
    try:
        key = uuid.UUID(str(public_id))
    except ValueError:
        raise DraftNotFound() from None
    draft = (
        OnlineDraft.objects.select_related("procedure_version", "dossier")
        .filter(public_id=key)
        .first()
    )
    if draft is None:
        raise DraftNotFound()
    account = _signed_in(actor)
    if draft.account_id is not None:
        if account is None or account.pk != draft.account_id:
            raise DraftNotFound()
    elif str(draft.public_id) not in {str(v) for v in resumable}:
        raise DraftNotFound()
    return draft


def draft_resume(*, token: str) -> OnlineDraft:
    """The account-less draft whose secret resume token this is."""
    token = (token or "").strip()
    if not token or len(token) > 100:
        raise DraftNotFound()
    draft = OnlineDraft.objects.filter(resume_hash=_token_hash(token), account__isnull=True).first()
    if draft is None:
        raise DraftNotFound()
    return draft


def drafts_of(account: Account) -> QuerySet[OnlineDraft]:
    """A signed-in citizen's unsubmitted drafts, newest first (for their account page)."""
    return OnlineDraft.objects.filter(account=account, state=OnlineDraft.State.DRAFT).order_by(
        "-updated_at", "-pk"
    )


def _require_open(draft: OnlineDraft) -> None:
    if draft.state != OnlineDraft.State.DRAFT:
        raise DraftSubmitted()


def _clean_applicant(data: dict[str, Any]) -> dict[str, str]:
    out = {}
    for name in (*APPLICANT_FIELDS, "province", "commune"):
        value = data.get(name)
        out[name] = " ".join(str(value).split())[:500] if value not in (None, "") else ""
    return out


@transaction.atomic
def draft_save(
    *,
    draft: OnlineDraft,
    form_data: dict[str, Any],
    applicant_data: dict[str, Any] | None = None,
    case: str | None = None,
) -> OnlineDraft:
    """Keep what the citizen typed, valid or not yet: the checks run on review and submit."""
    locked = OnlineDraft.objects.select_for_update().get(pk=draft.pk)
    _require_open(locked)
    locked.form_data = dict(form_data)
    fields = ["form_data", "updated_at"]
    if applicant_data is not None and locked.account_id is None:
        locked.applicant_data = _clean_applicant(applicant_data)
        fields.append("applicant_data")
    if case is not None:
        locked.case = _check_case(locked.procedure_version, case)
        fields.append("case")
    locked.save(update_fields=fields)
    return locked


def draft_documents(draft: OnlineDraft) -> list[RequiredDocument]:
    """The required documents of the draft's case (documents of every case included)."""
    return [
        d for d in draft.procedure_version.documents.all() if not d.case or d.case == draft.case
    ]


def _applicant_problems(data: dict[str, Any]) -> list[EformError]:
    """The account-less applicant's own fields, checked with the directory's rules."""
    out: list[EformError] = []
    labels = {
        "full_name": gettext("Full name or business name"),
        "identifier": gettext("National ID number or tax code"),
        "phone": gettext("Mobile phone"),
        "email": gettext("E-mail"),
    }
    name = str(data.get("full_name") or "").strip()
    if not name:
        out.append(
            EformError(
                "applicant.full_name",
                "eform.required",
                gettext("%(field)s: this field is required.") % {"field": labels["full_name"]},
            )
        )
    identifier = identifiers.normalize_digits(str(data.get("identifier") or ""))
    if not identifier:
        out.append(
            EformError(
                "applicant.identifier",
                "eform.required",
                gettext("%(field)s: this field is required.") % {"field": labels["identifier"]},
            )
        )
    elif len(identifier) == 12:
        if not identifiers.national_id_is_valid(identifier):
            out.append(
                EformError(
                    "applicant.identifier",
                    "eform.national_id",
                    gettext("%(field)s: a national ID number has 12 digits (check the number).")
                    % {"field": labels["identifier"]},
                )
            )
    elif identifiers.normalize_tax_code(str(data.get("identifier") or "")) is None:
        out.append(
            EformError(
                "applicant.identifier",
                "eform.tax_code",
                gettext(
                    "%(field)s: a tax code has 10 digits, or 10 digits, a dash and 3 "
                    "(check the number)."
                )
                % {"field": labels["identifier"]},
            )
        )
    if identifiers.normalize_mobile(str(data.get("phone") or "")) is None:
        out.append(
            EformError(
                "applicant.phone",
                "eform.phone",
                gettext("%(field)s: enter a Vietnamese phone number, e.g. 0912345678.")
                % {"field": labels["phone"]},
            )
        )
    email = str(data.get("email") or "").strip()
    if email and not identifiers.email_is_valid(email):
        out.append(
            EformError(
                "applicant.email",
                "eform.email",
                gettext("%(field)s: enter an e-mail address.") % {"field": labels["email"]},
            )
        )
    return out


def draft_problems(draft: OnlineDraft) -> list[EformError]:
    """Everything that still stops the submission, each naming its field: the e-form checked
    by the same `eform_validate` the intake service runs, the account-less applicant's fields,
    the case, and the mandatory documents without a file."""
    version = draft.procedure_version
    out: list[EformError] = []
    if draft.account_id is None:
        out.extend(_applicant_problems(draft.applicant_data or {}))
    if _cases(version) and draft.case not in _cases(version):
        out.append(
            EformError("case", "online.case_required", gettext("Choose the case that fits."))
        )
    out.extend(eform_validate(version.eform_schema or {}, draft.form_data or {}))
    present = set(DraftFile.objects.filter(draft=draft).values_list("document_code", flat=True))
    out.extend(
        EformError(
            f"documents.{document.code}",
            "online.document_missing",
            gettext("%(document)s: attach this paper.") % {"document": document.name},
        )
        for document in draft_documents(draft)
        if document.mandatory and document.code not in present
    )
    return out


# --- files ---------------------------------------------------------------------------------------


def _check_document(version: ProcedureVersion, code: str) -> str:
    if code and code not in {d.code for d in version.documents.all()}:
        raise ValidationFailed(
            gettext("%(code)s is not a document of this procedure.") % {"code": code},
            code="dossier.unknown_document",
            field="document_code",
        )
    return code


def _check_count(draft: OnlineDraft | None, dossier: Dossier | None, code: str) -> None:
    count = DraftFile.objects.filter(draft=draft, dossier=dossier, document_code=code).count()
    if count >= MAX_FILES_PER_DOCUMENT:
        raise ValidationFailed(
            gettext("At most %(n)s files per paper.") % {"n": MAX_FILES_PER_DOCUMENT},
            code="online.too_many_files",
            field="file",
        )


def _store_kept(
    *,
    actor: Any,
    upload: Any,
    name: str,
    draft: OnlineDraft | None,
    dossier: Dossier | None,
    document_code: str,
) -> DraftFile:
    """Check and store the file, then link it; the stored bytes are removed again if the
    surrounding transaction fails."""
    stored = file_store(upload=upload, name=name, actor=_signed_in(actor))
    storage_name = str(stored.file.name)
    try:
        return DraftFile.objects.create(
            draft=draft, dossier=dossier, document_code=document_code, stored_file=stored
        )
    except BaseException:
        default_storage.delete(storage_name)
        raise


def draft_file_add(
    *, actor: Any, draft: OnlineDraft, document_code: str, upload: Any, name: str
) -> DraftFile:
    """Attach one paper to the draft in one request (the form's plain multipart fallback)."""
    with transaction.atomic():
        locked = OnlineDraft.objects.select_for_update().get(pk=draft.pk)
        _require_open(locked)
        code = _check_document(locked.procedure_version, document_code)
        _check_count(locked, None, code)
        return _store_kept(
            actor=actor, upload=upload, name=name, draft=locked, dossier=None, document_code=code
        )


def _discard_kept(kept: Sequence[DraftFile]) -> None:
    """Remove draft files and their stored bytes (after submission they were copied)."""
    stored_ids = [k.stored_file_id for k in kept]
    names = list(StoredFile.objects.filter(pk__in=stored_ids).values_list("file", flat=True))
    DraftFile.objects.filter(pk__in=[k.pk for k in kept]).delete()
    StoredFile.objects.filter(pk__in=stored_ids).delete()
    for name in names:
        if name:
            default_storage.delete(name)


@transaction.atomic
def draft_file_remove(*, draft: OnlineDraft, file_id: int) -> None:
    """Take a paper off the draft (before submission)."""
    locked = OnlineDraft.objects.select_for_update().get(pk=draft.pk)
    _require_open(locked)
    kept = list(DraftFile.objects.filter(draft=locked, pk=file_id))
    if not kept:
        raise NotFound(gettext("No such file."), code="online.file_not_found")
    _discard_kept(kept)


# --- resumable uploads ---------------------------------------------------------------------------


def _limit() -> int:
    return int(settings.EGOV_UPLOAD_MAX_BYTES)


def upload_begin(
    *,
    document_code: str,
    name: str,
    size: int,
    sha256: str = "",
    draft: OnlineDraft | None = None,
    dossier: Dossier | None = None,
) -> UploadSession:
    """Open a resumable upload for a draft (or a dossier waiting for supplements). The declared
    size is checked against the limit now, so an oversize file is refused before any byte."""
    if (draft is None) == (dossier is None):
        raise ValueError("an upload belongs to exactly one draft or dossier")
    shown = safe_original_name(name) or "?"
    if size <= 0:
        raise FileEmpty(gettext("The file %(name)s is empty.") % {"name": shown}, field="file")
    if size > _limit():
        raise FileTooLarge(
            gettext("The file %(name)s is larger than the limit of %(limit)s.")
            % {"name": shown, "limit": filesizeformat(_limit())},
            field="file",
            details={"name": shown, "limit": _limit()},
        )
    digest = (sha256 or "").strip().lower()
    if digest and (len(digest) != 64 or not set(digest) <= _SHA256_HEX):
        raise ValidationFailed(
            gettext("The SHA-256 must be 64 hexadecimal digits."),
            code="upload.bad_sha256",
            field="sha256",
        )
    with transaction.atomic():
        if draft is not None:
            locked = OnlineDraft.objects.select_for_update().get(pk=draft.pk)
            _require_open(locked)
            version = locked.procedure_version
        else:
            assert dossier is not None
            _require_supplement(dossier)
            version = dossier.procedure_version
        code = _check_document(version, document_code)
        _check_count(draft, dossier, code)
        return UploadSession.objects.create(
            draft=draft,
            dossier=dossier,
            document_code=code,
            file_name=shown,
            size=size,
            sha256=digest,
        )


def upload_for(
    *, public_id: Any, draft: OnlineDraft | None = None, dossier: Dossier | None = None
) -> UploadSession:
    """The upload session of this draft (or dossier): another one's is not found (404)."""
    try:
        key = uuid.UUID(str(public_id))
    except ValueError:
        raise NotFound(code="upload.not_found") from None
    found = UploadSession.objects.filter(public_id=key, draft=draft, dossier=dossier).first()
    if found is None or (draft is None and dossier is None):
        raise NotFound(gettext("No such upload."), code="upload.not_found")
    return found


def upload_chunk(*, session: UploadSession, offset: int, data: bytes) -> UploadSession:
    """Take the chunk that starts at `offset`. The offset must be what the server holds; a
    chunk the server already has (a retry after a lost answer) is accepted without change;
    any other offset is refused with the offset to continue from."""
    if len(data) > CHUNK_MAX:
        raise ValidationFailed(
            gettext("A chunk may hold at most %(size)s.") % {"size": filesizeformat(CHUNK_MAX)},
            code="upload.chunk_too_large",
            field="chunk",
        )
    with transaction.atomic():
        locked = UploadSession.objects.select_for_update().get(pk=session.pk)
        if locked.state != UploadSession.State.OPEN:
            raise Conflict(gettext("This upload is already finished."), code="upload.finished")
        if offset < locked.received and offset + len(data) <= locked.received:
            return locked  # a repeated chunk: the server has these bytes already
        if offset != locked.received or not data:
            raise UploadOffsetMismatch(details={"received": locked.received})
        if locked.received + len(data) > locked.size:
            raise FileTooLarge(
                gettext("The file %(name)s is larger than announced.") % {"name": locked.file_name},
                field="file",
                details={"received": locked.received, "size": locked.size},
            )
        UploadChunk.objects.create(session=locked, offset=offset, data=bytes(data))
        locked.received += len(data)
        locked.save(update_fields=["received", "updated_at"])
        return locked


def _assemble(session: UploadSession) -> Any:
    spool = tempfile.SpooledTemporaryFile(max_size=settings.FILE_UPLOAD_MAX_MEMORY_SIZE)  # noqa: SIM115
    digest = hashlib.sha256()
    expected = 0
    for offset, data in (
        UploadChunk.objects.filter(session=session).order_by("offset").values_list("offset", "data")
    ):
        chunk = bytes(data)
        if offset != expected:  # pragma: no cover - chunks are only ever appended in order
            spool.close()
            raise UploadIncomplete(details={"received": expected})
        digest.update(chunk)
        spool.write(chunk)
        expected += len(chunk)
    spool.seek(0)
    return spool, digest.hexdigest(), expected


def _restart(session: UploadSession) -> None:
    """Forget the bytes of a damaged upload so the browser starts it again from zero."""
    with transaction.atomic():
        UploadChunk.objects.filter(session=session).delete()
        UploadSession.objects.filter(pk=session.pk).update(received=0)


def upload_finish(*, actor: Any, session: UploadSession) -> DraftFile:
    """Complete the upload: all the declared bytes, the declared SHA-256, the type by content
    and the size limit (`file_store`); then the paper is attached like a one-request upload.
    Finishing twice returns the same file. A damaged file is forgotten (start again); a file
    of a refused type is dropped with its session."""
    with transaction.atomic():
        locked = UploadSession.objects.select_for_update().get(pk=session.pk)
        if locked.state == UploadSession.State.FINISHED and locked.result_id is not None:
            return DraftFile.objects.get(pk=locked.result_id)
        if locked.received != locked.size:
            raise UploadIncomplete(
                gettext("The file is not complete: %(received)s of %(size)s bytes received.")
                % {"received": locked.received, "size": locked.size},
                details={"received": locked.received, "size": locked.size},
            )
        spool, digest, total = _assemble(locked)
    try:
        if total != locked.size:
            raise UploadIncomplete(details={"received": total, "size": locked.size})
        if locked.sha256 and digest != locked.sha256:
            _restart(locked)
            raise UploadChecksumMismatch(details={"expected": locked.sha256, "actual": digest})
        try:
            with transaction.atomic():
                again = UploadSession.objects.select_for_update().get(pk=locked.pk)
                if again.state == UploadSession.State.FINISHED and again.result_id:
                    return DraftFile.objects.get(pk=again.result_id)
                if again.draft_id is not None:
                    owner = OnlineDraft.objects.select_for_update().get(pk=again.draft_id)
                    _require_open(owner)
                    draft, dossier = owner, None
                else:
                    dossier = Dossier.objects.get(pk=again.dossier_id or 0)
                    _require_supplement(dossier)
                    draft = None
                kept = _store_kept(
                    actor=actor,
                    upload=File(spool, name=again.file_name),
                    name=again.file_name,
                    draft=draft,
                    dossier=dossier,
                    document_code=again.document_code,
                )
                UploadChunk.objects.filter(session=again).delete()
                again.state = UploadSession.State.FINISHED
                again.result = kept
                again.save(update_fields=["state", "result", "updated_at"])
                return kept
        except ValidationFailed:
            UploadSession.objects.filter(pk=locked.pk).delete()  # chunks go with it
            raise
    finally:
        spool.close()


def uploads_purge(*, older_than_hours: int = 24) -> int:
    """Forget unfinished uploads nobody continued for `older_than_hours` (their chunks go with
    them); a daily task calls this. Returns how many were removed."""
    cutoff = timezone.now() - timedelta(hours=older_than_hours)
    stale = list(
        UploadSession.objects.filter(
            state=UploadSession.State.OPEN, updated_at__lt=cutoff
        ).values_list("pk", flat=True)
    )
    with transaction.atomic():
        UploadChunk.objects.filter(session_id__in=stale).delete()
        UploadSession.objects.filter(pk__in=stale).delete()
    return len(stale)


# --- submission ----------------------------------------------------------------------------------


def _open_files(kept: Sequence[DraftFile]) -> tuple[list[IncomingFile], list[Any]]:
    handles: list[Any] = []
    incoming = []
    for item in kept:
        handle = file_open(item.stored_file)
        handles.append(handle)
        incoming.append(
            IncomingFile(
                upload=File(handle, name=item.stored_file.original_name),
                name=item.stored_file.original_name,
                document_code=item.document_code,
                kind=DossierFile.Kind.ORIGINAL,
            )
        )
    return incoming, handles


def _close(handles: Sequence[Any]) -> None:
    for handle in handles:
        handle.close()


def _raise_problems(problems: Sequence[EformError]) -> None:
    if not problems:
        return
    first = problems[0]
    raise ValidationFailed(
        first.message,
        code="online.incomplete",
        field=first.path,
        details={
            "errors": [{"path": e.path, "code": e.code, "message": e.message} for e in problems]
        },
    )


def draft_submit(*, actor: Any, draft: OnlineDraft) -> Dossier:
    """Submit the draft as an online dossier, exactly once.

    The draft's row is locked for the whole submission and the intake runs with the draft's
    idempotency key: a second click, a second tab or a retry after a timeout waits for the
    first and gets its dossier. A refused submission (form, files, permission) writes
    nothing: no dossier, no stored file, no number; the draft stays as it was.
    """
    handles: list[Any] = []
    try:
        with transaction.atomic():
            locked = (
                OnlineDraft.objects.select_for_update()
                .select_related("procedure_version")
                .get(pk=draft.pk)
            )
            if locked.state == OnlineDraft.State.SUBMITTED and locked.dossier_id is not None:
                return Dossier.objects.get(pk=locked.dossier_id)
            account = _signed_in(actor)
            if locked.account_id is not None and (
                account is None or account.pk != locked.account_id
            ):
                raise DraftNotFound()
            _raise_problems(draft_problems(locked))
            version = online_version(locked.procedure_code)
            applicant = applicant_of(account) if account is not None else None
            if applicant is None and (account is not None or not version.anonymous_allowed):
                raise SignInRequired(gettext("Sign in to submit a dossier for this procedure."))
            if applicant is None:
                data = dict(locked.applicant_data or {})
                applicant = applicant_record_online(
                    identifier=str(data.get("identifier") or ""),
                    full_name=str(data.get("full_name") or ""),
                    phone=str(data.get("phone") or ""),
                    email=str(data.get("email") or ""),
                    address=str(data.get("address") or ""),
                    ward_code=str(data.get("commune") or ""),
                )
            kept = list(
                DraftFile.objects.filter(draft=locked)
                .select_related("stored_file")
                .order_by("document_code", "added_at", "pk")
            )
            files, handles = _open_files(kept)
            dossier = dossier_receive(
                actor=account,
                procedure_code=version.procedure.code,
                receiving_organization=online_receiving_organization(version),
                applicant=applicant,
                channel=Channel.ONLINE,
                form_data=dict(locked.form_data or {}),
                files=files,
                case=locked.case,
                idempotency_key=locked.idempotency_key,
            )
            locked.state = OnlineDraft.State.SUBMITTED
            locked.dossier = dossier
            locked.submitted_at = timezone.now()
            locked.save(update_fields=["state", "dossier", "submitted_at", "updated_at"])
            transaction.on_commit(lambda: _discard_kept(kept))
            return dossier
    finally:
        _close(handles)


# --- supplements ---------------------------------------------------------------------------------


def _require_supplement(dossier: Dossier) -> None:
    if dossier.state != State.SUPPLEMENT_REQUESTED:
        raise Conflict(
            gettext("No supplement is requested for this dossier now."),
            code="online.no_supplement",
        )


def supplement_token(dossier: Dossier) -> str:
    """A signed token for the link in the supplement request: it opens the supplement page of
    this dossier (and only while a supplement is requested) without signing in."""
    return signing.dumps({"c": dossier.code, "l": dossier.lookup_code}, salt=_SUPPLEMENT_SALT)


def supplement_token_valid(dossier: Dossier, token: str, max_age_days: int = 90) -> bool:
    try:
        payload = signing.loads(token, salt=_SUPPLEMENT_SALT, max_age=max_age_days * 86400)
    except (signing.BadSignature, TypeError, ValueError):
        return False
    return (
        isinstance(payload, dict)
        and payload.get("c") == dossier.code
        and payload.get("l") == dossier.lookup_code
    )


def supplement_link(dossier: Dossier) -> str:
    """The absolute link a supplement notification should carry."""
    path = reverse(
        "portal:apply_supplement_token",
        kwargs={"code": dossier.code, "token": supplement_token(dossier)},
    )
    return f"{str(settings.EGOV_PUBLIC_URL).rstrip('/')}{path}"


def supplement_files(dossier: Dossier) -> QuerySet[DraftFile]:
    return DraftFile.objects.filter(dossier=dossier).select_related("stored_file")


def supplement_file_add(
    *, actor: Any, dossier: Dossier, document_code: str, upload: Any, name: str
) -> DraftFile:
    """Attach one missing paper to a dossier waiting for supplements (sent on resubmission)."""
    with transaction.atomic():
        locked = Dossier.objects.select_for_update().get(pk=dossier.pk)
        _require_supplement(locked)
        code = _check_document(locked.procedure_version, document_code)
        _check_count(None, locked, code)
        return _store_kept(
            actor=actor, upload=upload, name=name, draft=None, dossier=locked, document_code=code
        )


def supplement_submit(
    *, actor: Any, dossier: Dossier, note: str = "", link_verified: bool = False
) -> Dossier:
    """Send the uploaded papers into the SAME dossier through `dossier_resubmit` (the clock
    resumes, the receipt is issued again, the applicant is told). `link_verified`: this
    browser opened the signed link of the supplement request (enough for an applicant who has
    no account; an account holder must be signed in)."""
    handles: list[Any] = []
    try:
        with transaction.atomic():
            locked = Dossier.objects.select_for_update().get(pk=dossier.pk)
            _require_supplement(locked)
            kept = list(supplement_files(locked).order_by("document_code", "added_at", "pk"))
            if not kept:
                raise ValidationFailed(
                    gettext("Attach at least one of the missing papers."),
                    code="online.supplement_empty",
                    field="file",
                )
            files, handles = _open_files(kept)
            result = dossier_resubmit(
                actor=_signed_in(actor),
                dossier=locked,
                files=files,
                note=note[:1000],
                applicant_link=link_verified,
            )
            transaction.on_commit(lambda: _discard_kept(kept))
            return result
    finally:
        _close(handles)

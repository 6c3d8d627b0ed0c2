"""Outgoing documents (Decree 30/2020): draft → approval chain → signature → issue → recall.

Recipients ("Nơi nhận") are kept in `Document.recipients_text`, one recipient per line: a
plain name is a paper recipient; "Name [CODE]" names an agency by its electronic identifier
code — one on the platform is delivered inside it at issue time, one elsewhere waits in the
exchange queue. At issue the lines become `Delivery` rows, which from then on are the record.

Signatures are made outside the row lock where they can be (the person's signature); the seal
is applied inside the issuing transaction because it carries the number, which must be drawn
in the same transaction as the document row to stay gap-free.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.files import File
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext

from egov.core.errors import ValidationFailed
from egov.core.files import file_open, file_store
from egov.core.models import StoredFile
from egov.directory import policy
from egov.directory import selectors as directory
from egov.directory.models import Officer, Organization, Role
from egov.documents import drafting
from egov.documents.models import (
    ApprovalStep,
    Comment,
    Delivery,
    Direction,
    Document,
    DocumentFile,
    DocumentType,
    Secrecy,
    State,
    Urgency,
    signer_position_join,
    signer_position_split,
)
from egov.documents.rules_outgoing import may_sign
from egov.documents.search import search_index
from egov.documents.selectors.outgoing import (
    approval_chain_for,
    approval_step_current,
    approver_candidates,
    draft_file_current,
)
from egov.documents.services._common import (
    DocumentConflict,
    TransitionNotAllowed,
    audit,
    check_transition,
    event,
    locked,
    now,
    require_officer,
    save,
)
from egov.documents.services.registers import register_for, register_next_number
from egov.documents.services.text import document_text_extract_enqueue
from egov.documents.signals import document_issued
from egov.signing import services as signing
from egov.signing.pdf import page_count, read_pdf
from egov.signing.selectors import signing_key_get

__all__ = [
    "Recipient",
    "approval_decide",
    "document_issue",
    "document_recall",
    "document_return_unsigned",
    "document_sign",
    "draft_comment",
    "draft_create",
    "draft_notation",
    "draft_submit",
    "draft_update",
    "recipients_format",
    "recipients_parse",
]

DRAFT_KINDS = frozenset({"pdf", "docx"})
_CODED = re.compile(r"^(?P<name>.*?)\s*\[(?P<code>[^\[\]]+)\]\s*$")


# --- recipients ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Recipient:
    """One line of "Nơi nhận": an agency by code (on the platform or not) or a plain name."""

    name: str
    code: str = ""

    @property
    def line(self) -> str:
        return f"{self.name} [{self.code}]" if self.code else self.name


def _organization_by_code(code: str) -> Organization | None:
    return (
        Organization.objects.filter(valid_to__isnull=True)
        .exclude(kind=Organization.Kind.UNIT)
        .filter(code=code)
        .first()
        or Organization.objects.filter(valid_to__isnull=True, qcvn_code=code)
        .exclude(kind=Organization.Kind.UNIT)
        .first()
    )


def _recipient(value: Organization | str) -> Recipient:
    if isinstance(value, Organization):
        if value.kind == Organization.Kind.UNIT:
            raise ValidationFailed(
                gettext("%(name)s is a unit: send the document to its organisation.")
                % {"name": value.name_vi},
                code="document.recipient_unit",
                field="recipients",
            )
        return Recipient(value.name_vi, value.code)
    raw = " ".join(str(value).split())
    match = _CODED.match(raw)
    code = match.group("code").strip() if match else raw
    unit = Organization.objects.filter(code=code, kind=Organization.Kind.UNIT).first()
    if unit is not None:
        return _recipient(unit)
    if match:
        known = _organization_by_code(code)
        name = match.group("name").strip() or (known.name_vi if known else code)
        return Recipient(name, code)
    known = _organization_by_code(raw)
    if known is not None:
        return Recipient(known.name_vi, known.code)
    return Recipient(raw)


def recipients_format(recipients: Sequence[Recipient]) -> str:
    return "\n".join(r.line for r in recipients)


def recipients_parse(text: str) -> list[Recipient]:
    out = []
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        match = _CODED.match(line)
        if match:
            out.append(Recipient(match.group("name").strip(), match.group("code").strip()))
        else:
            out.append(Recipient(line))
    return out


def _recipients(values: Sequence[Organization | str]) -> list[Recipient]:
    seen: set[str] = set()
    out = []
    for value in values:
        if isinstance(value, str) and not value.strip():
            continue
        recipient = _recipient(value)
        key = recipient.code or recipient.name.casefold()
        if key in seen:
            continue
        seen.add(key)
        out.append(recipient)
    text = recipients_format(out)
    if len(text) > Document._meta.get_field("recipients_text").max_length:  # type: ignore[operator]
        raise ValidationFailed(
            gettext("The list of recipients is too long."),
            code="document.recipients_too_long",
            field="recipients",
        )
    return out


# --- notation and the page -----------------------------------------------------------------------


def draft_notation(document: Document) -> str:
    """`QĐ-UBND`, or for a công văn `UBND-KT` (issuer, then the drafting unit)."""
    issuer = (document.issuer or document.organization).abbreviation
    type_abbr = document.document_type.abbreviation
    if type_abbr:
        return "-".join(p for p in (type_abbr, issuer) if p)
    unit = document.drafting_unit.abbreviation if document.drafting_unit else ""
    return "-".join(p for p in (issuer, unit) if p)


def _head_title(organization: Organization) -> str:
    heads = [
        o
        for o in Officer.objects.select_related("position")
        .filter(unit=organization, is_active=True, roles__role=Role.HEAD)
        .order_by("position__rank", "pk")
    ]
    return heads[0].position.name_vi if heads else "Thủ trưởng"


def _authority_line(organization: Organization, signing_authority: str) -> str:
    """ "KT. CHỦ TỊCH", "TM. ỦY BAN NHÂN DÂN" …; a bare prefix is completed."""
    value = " ".join(signing_authority.split())
    if not value:
        return ""
    prefix = value.split(" ", 1)[0].upper()
    if prefix not in drafting.AUTHORITY_PREFIXES:
        raise ValidationFailed(
            gettext("The signing authority must start with TM., KT., Q., TL. or TUQ."),
            code="document.bad_authority",
            field="signing_authority",
        )
    if " " in value:
        return value.upper()
    if prefix == "TM.":
        return f"TM. {organization.name_vi}".upper()
    return f"{prefix} {_head_title(organization)}".upper()


def _page(document: Document, recipients: Sequence[Recipient]) -> drafting.DraftPage:
    organization = document.organization
    authority, position = signer_position_split(document.signer_position)
    addressees = [r.name for r in recipients if r.code]
    return drafting.DraftPage(
        issuer_name=organization.name_vi,
        parent_name=organization.parent.name_vi if organization.parent else "",
        type_code=document.document_type.code,
        type_name=document.document_type.name_vi,
        notation=draft_notation(document),
        subject=document.subject,
        body=document.body,
        on=timezone.localdate(),
        recipients=[r.name for r in recipients],
        addressees=addressees,
        drafting_unit_abbr=document.drafting_unit.abbreviation if document.drafting_unit else "",
        authority_line=authority,
        signer_position=position,
        signer_name=document.signer_name,
        urgency=document.urgency,
        secrecy=document.secrecy,
        place=drafting.place_name(),
    )


def _render_file(document: Document, actor: Any, version: int) -> StoredFile:
    data = drafting.render_draft(_page(document, recipients_parse(document.recipients_text)))
    name = f"du-thao-{document.document_type.code}-v{version}.pdf"
    return file_store(upload=data, name=name, actor=actor, allowed=frozenset({"pdf"}))


def _store_upload(upload: File, actor: Any) -> StoredFile:
    return file_store(
        upload=upload, name=upload.name or "du-thao", actor=actor, allowed=DRAFT_KINDS
    )


def _precheck(document: Document, expected_version: int) -> Document:
    """The document as stored now (no lock), refused when the caller's version is stale:
    checked before slow work (rendering, signing) that happens outside the transaction."""
    fresh = (
        Document.objects.select_related("organization", "document_type", "drafting_unit")
        .filter(pk=document.pk)
        .first()
    )
    if fresh is None or fresh.version != expected_version:
        raise DocumentConflict(
            details={"expected": expected_version, "current": fresh.version if fresh else None}
        )
    return fresh


def _required(value: str, field: str) -> str:
    value = (value or "").strip()
    if not value:
        raise ValidationFailed(
            gettext("This field is required."), code="document.required", field=field
        )
    return value


def _check_choice(value: str, choices: Sequence[str], field: str) -> None:
    if value not in choices:
        raise ValidationFailed(
            gettext("Unknown value %(value)s.") % {"value": value},
            code="document.bad_choice",
            field=field,
        )


# --- drafting ------------------------------------------------------------------------------------


def draft_create(
    *,
    actor: Any,
    document_type: DocumentType,
    subject: str,
    body: str = "",
    recipients: Sequence[Organization | str],
    drafting_unit: Organization | None = None,
    urgency: str = Urgency.NORMAL,
    secrecy: str = Secrecy.NONE,
    reply_to: Document | None = None,
    upload: File | None = None,
    signer: Officer | None = None,
    signing_authority: str = "",
) -> Document:
    """An officer starts an outgoing document for their organisation; version 1 is the
    uploaded DOCX/PDF or, without one, the type's template rendered as PDF."""
    officer = require_officer(actor)
    organization = directory.officer_organization(officer)
    policy.require(actor, "document.draft", organization)
    subject = _required(subject, "subject")
    _check_choice(urgency, Urgency.values, "urgency")
    _check_choice(secrecy, Secrecy.values, "secrecy")
    if drafting_unit is None and officer.unit.kind == Organization.Kind.UNIT:
        drafting_unit = officer.unit
    if drafting_unit is not None and (
        directory.organization_of(drafting_unit).pk != organization.pk
    ):
        raise ValidationFailed(
            gettext("The drafting unit must be a unit of your organisation."),
            code="document.bad_drafting_unit",
            field="drafting_unit",
        )
    if reply_to is not None and (
        reply_to.organization_id != organization.pk or reply_to.direction != Direction.INCOMING
    ):
        raise ValidationFailed(
            gettext("A reply answers an incoming document of your organisation."),
            code="document.bad_reply_to",
            field="reply_to",
        )
    authority = _authority_line(organization, signing_authority)
    listed = _recipients(recipients)
    document = Document(
        organization=organization,
        direction=Direction.OUTGOING,
        state=State.DRAFT,
        channel=Document.Channel.DRAFTED,
        document_type=document_type,
        issuer=organization,
        issuer_name=organization.name_vi[:200],
        issuer_code=(organization.qcvn_code or organization.code)[:13],
        subject=subject[:500],
        body=body,
        urgency=urgency,
        secrecy=secrecy,
        drafting_unit=drafting_unit,
        recipients_text=recipients_format(listed),
        reply_to=reply_to,
        signer=signer,
        signer_name=signer.full_name[:50] if signer else "",
        signer_position=signer_position_join(authority, signer.position.name_vi if signer else "")[
            :100
        ],
        created_by=actor,
    )
    stored = _store_upload(upload, actor) if upload is not None else None
    if stored is None:
        stored = _render_file(document, actor, 1)
    at = now()
    with transaction.atomic():
        document.save()
        DocumentFile.objects.create(
            document=document,
            role=DocumentFile.Role.DRAFT,
            file=stored,
            draft_version=1,
            change_note=gettext("First draft"),
            added_by=actor,
        )
        event(document, action="draft_create", actor=actor, at=at, note=subject)
        search_index(document)
        audit(
            actor,
            "document.draft_create",
            document,
            "",
            file=str(stored.pk),
            sha256=stored.sha256,
            reply_to=reply_to.pk if reply_to else None,
        )
    return document


def _next_draft_version(document: Document) -> int:
    last = DocumentFile.objects.filter(document=document).aggregate(n=Max("draft_version"))["n"]
    return int(last or 0) + 1


def draft_update(
    *,
    actor: Any,
    document: Document,
    expected_version: int,
    upload: File | None = None,
    body: str | None = None,
    subject: str | None = None,
    change_note: str,
) -> DocumentFile:
    """A new draft version (uploaded, or re-rendered from the changed text), with who
    changed what."""
    require_officer(actor)
    stored_now = _precheck(document, expected_version)
    policy.require(actor, "document.draft_edit", stored_now)
    change_note = _required(change_note, "change_note")
    if upload is None and body is None and subject is None:
        raise ValidationFailed(
            gettext("Upload a new file or change the text."),
            code="document.nothing_changed",
            field="upload",
        )
    if subject is not None:
        stored_now.subject = _required(subject, "subject")[:500]
    if body is not None:
        stored_now.body = body
    stored = (
        _store_upload(upload, actor)
        if upload is not None
        else _render_file(stored_now, actor, _next_draft_version(stored_now))
    )
    at = now()
    with transaction.atomic():
        fresh = locked(document, expected_version)
        if fresh.state not in (State.DRAFT, State.RETURNED):
            raise TransitionNotAllowed(details={"state": fresh.state})
        before = fresh.state
        fresh.subject, fresh.body = stored_now.subject, stored_now.body
        number = _next_draft_version(fresh)
        row = DocumentFile.objects.create(
            document=fresh,
            role=DocumentFile.Role.DRAFT,
            file=stored,
            draft_version=number,
            change_note=change_note[:500],
            added_by=actor,
        )
        save(fresh, ["subject", "body"])
        event(
            fresh,
            action="draft_update",
            actor=actor,
            at=at,
            note=gettext("Version %(n)s: %(note)s") % {"n": number, "note": change_note},
        )
        search_index(fresh)
        audit(
            actor,
            "document.draft_update",
            fresh,
            before,
            draft_version=number,
            file=str(stored.pk),
            sha256=stored.sha256,
        )
    document.version, document.subject, document.body = fresh.version, fresh.subject, fresh.body
    return row


def draft_comment(*, actor: Any, document: Document, text: str) -> Comment:
    """A comment (góp ý) of a co-unit or reviewer, tied to the draft version it is about."""
    officer = require_officer(actor)
    policy.require(actor, "document.comment", document)
    text = _required(text, "text")
    current = draft_file_current(document)
    with transaction.atomic():
        comment = Comment.objects.create(
            document=document,
            author=officer,
            draft_version=current.draft_version if current else None,
            text=text,
        )
        event(document, action="comment", actor=actor, at=now(), note=text[:500])
        audit(actor, "document.comment", document, document.state, comment=comment.pk)
    return comment


# --- approval ------------------------------------------------------------------------------------


def _eligible(document: Document, kind: str, officer: Officer) -> bool:
    return any(o.pk == officer.pk for o in approver_candidates(document, kind))


def draft_submit(
    *,
    actor: Any,
    document: Document,
    expected_version: int,
    approvers: Mapping[str, Officer | None],
) -> list[ApprovalStep]:
    """Send the draft up the organisation's chain for its type: a new round of steps."""
    require_officer(actor)
    with transaction.atomic():
        fresh = locked(document, expected_version)
        check_transition(fresh, State.IN_REVIEW)
        if fresh.state == State.IN_REVIEW:
            raise TransitionNotAllowed(details={"state": fresh.state})
        policy.require(actor, "document.submit", fresh)
        chain = approval_chain_for(fresh.organization, fresh.document_type)
        chosen: list[tuple[str, Officer]] = []
        for kind in chain:
            approver = approvers.get(kind)
            if approver is None:
                candidates = approver_candidates(fresh, kind)
                approver = candidates[0] if candidates else None
            if approver is None or not _eligible(fresh, kind, approver):
                raise ValidationFailed(
                    gettext("Choose who approves the step %(step)s.")
                    % {"step": ApprovalStep.Kind(kind).label},
                    code="document.bad_approver",
                    field=kind,
                )
            chosen.append((kind, approver))
        last = ApprovalStep.objects.filter(document=fresh).aggregate(n=Max("round"))["n"]
        number = int(last or 0) + 1
        steps = [
            ApprovalStep.objects.create(
                document=fresh, round=number, order=i, kind=kind, approver=approver
            )
            for i, (kind, approver) in enumerate(chosen, start=1)
        ]
        before = fresh.state
        fresh.state = State.IN_REVIEW
        save(fresh, ["state"])
        event(
            fresh,
            action="submit",
            actor=actor,
            at=now(),
            note=", ".join(f"{ApprovalStep.Kind(k).label}: {o.full_name}" for k, o in chosen),
        )
        audit(
            actor,
            "document.submit",
            fresh,
            before,
            round=number,
            approvers={k: o.pk for k, o in chosen},
        )
    document.version, document.state = fresh.version, fresh.state
    return steps


def approval_decide(
    *,
    actor: Any,
    step: ApprovalStep,
    approve: bool,
    comment: str = "",
    expected_version: int,
) -> ApprovalStep:
    """Approve (on to the next step; the last one leaves the document APPROVED for signing)
    or return it to the drafter with the comment (RETURNED)."""
    officer = require_officer(actor)
    if not approve:
        comment = _required(comment, "comment")
    with transaction.atomic():
        fresh = locked(step.document, expected_version)
        current = approval_step_current(fresh)
        if fresh.state != State.IN_REVIEW or current is None or current.pk != step.pk:
            raise TransitionNotAllowed(
                gettext("This step is not waiting for a decision."),
                details={"state": fresh.state},
            )
        row = ApprovalStep.objects.select_for_update().get(pk=step.pk)
        policy.require(actor, "approval.decide", row)
        at = now()
        row.acted_by = officer
        row.acted_at = at
        row.comment = comment
        before = fresh.state
        later = ApprovalStep.objects.filter(
            document=fresh, round=row.round, order__gt=row.order
        ).order_by("order")
        if approve:
            row.outcome = ApprovalStep.Outcome.APPROVED
            row.save(update_fields=["outcome", "acted_by", "acted_at", "comment"])
            if not later.exists():
                check_transition(fresh, State.APPROVED)
                fresh.state = State.APPROVED
                if row.kind == ApprovalStep.Kind.SIGN and fresh.signer_id != row.approver_id:
                    authority, _position = signer_position_split(fresh.signer_position)
                    fresh.signer = row.approver
                    fresh.signer_name = row.approver.full_name[:50]
                    fresh.signer_position = signer_position_join(
                        authority, row.approver.position.name_vi
                    )[:100]
            save(fresh, ["state", "signer", "signer_name", "signer_position"])
            action = "approve"
        else:
            check_transition(fresh, State.RETURNED)
            row.outcome = ApprovalStep.Outcome.RETURNED
            row.save(update_fields=["outcome", "acted_by", "acted_at", "comment"])
            later.update(outcome=ApprovalStep.Outcome.SKIPPED)
            fresh.state = State.RETURNED
            save(fresh, ["state"])
            action = "return"
        note = f"{ApprovalStep.Kind(row.kind).label}: {comment}" if comment else ""
        if row.approver_id != officer.pk:
            note = gettext("%(deputy)s for %(approver)s") % {
                "deputy": officer.full_name,
                "approver": row.approver.full_name,
            } + (f" — {note}" if note else "")
        event(fresh, action=action, actor=actor, at=at, note=note)
        audit(
            actor,
            f"document.{action}",
            fresh,
            before,
            step=row.pk,
            kind=row.kind,
            acted_for=row.approver_id,
        )
    step.refresh_from_db()
    return step


# --- signing -------------------------------------------------------------------------------------


def _read(stored: StoredFile) -> bytes:
    with file_open(stored) as handle:
        return handle.read()


def document_sign(
    *, actor: Any, document: Document, key_id: int, secret: str, expected_version: int
) -> DocumentFile:
    """The signer (or their deputy) signs the last draft version, which must be a PDF."""
    officer = require_officer(actor)
    stored_now = _precheck(document, expected_version)
    check_transition(stored_now, State.SIGNED)
    policy.require(actor, "document.sign", stored_now)
    current = draft_file_current(document)
    if current is None or current.file.content_type != "application/pdf":
        raise ValidationFailed(
            gettext("The last version is not a PDF: upload the final text as PDF before signing."),
            code="document.pdf_required",
            field="file",
        )
    result = signing.signature_sign_as_person(
        actor=actor,
        pdf=_read(current.file),
        key_id=key_id,
        secret=secret,
        reason=gettext("Signed %(subject)s") % {"subject": document.subject[:200]},
        document_type=document.document_type.code,
    )
    stored = signing.signed_file_store(
        actor=actor,
        record=result.record,
        pdf=result.pdf,
        name=f"{document.document_type.code}-da-ky.pdf",
    )
    with transaction.atomic():
        fresh = locked(document, expected_version)
        check_transition(fresh, State.SIGNED)
        head = may_sign(officer, fresh)
        if head is None:
            policy.require(actor, "document.sign", fresh)
        before = fresh.state
        row = DocumentFile.objects.create(
            document=fresh,
            role=DocumentFile.Role.SIGNED,
            file=stored,
            change_note=gettext("Signed by %(name)s") % {"name": officer.full_name},
            added_by=actor,
        )
        authority, _position = signer_position_split(fresh.signer_position)
        fresh.state = State.SIGNED
        fresh.signer = officer
        fresh.signer_name = officer.full_name[:50]
        fresh.signer_position = signer_position_join(authority, officer.position.name_vi)[:100]
        save(fresh, ["state", "signer", "signer_name", "signer_position"])
        note = ""
        if head is not None and head.pk != officer.pk:
            note = gettext("for %(head)s") % {"head": head.full_name}
        event(fresh, action="sign", actor=actor, at=now(), note=note)
        audit(
            actor,
            "document.sign",
            fresh,
            before,
            signature=result.record.pk,
            sha256=stored.sha256,
            on_behalf_of=head.pk if head is not None and head.pk != officer.pk else None,
        )
    document.version, document.state = fresh.version, fresh.state
    return row


def document_return_unsigned(
    *, actor: Any, document: Document, comment: str, expected_version: int
) -> Document:
    """The signer declines to sign an approved document: back to the drafter (RETURNED) with
    the reason; the drafter revises and submits a new round."""
    require_officer(actor)
    comment = _required(comment, "comment")
    with transaction.atomic():
        fresh = locked(document, expected_version)
        check_transition(fresh, State.RETURNED)
        policy.require(actor, "document.sign", fresh)
        before = fresh.state
        fresh.state = State.RETURNED
        save(fresh, ["state"])
        event(fresh, action="return", actor=actor, at=now(), note=comment)
        audit(actor, "document.return_unsigned", fresh, before, comment=comment[:500])
    document.version, document.state = fresh.version, fresh.state
    return fresh


# --- issuing -------------------------------------------------------------------------------------


def _signed_file(document: Document) -> DocumentFile:
    row = (
        DocumentFile.objects.select_related("file")
        .filter(document=document, role=DocumentFile.Role.SIGNED)
        .order_by("-added_at", "-pk")
        .first()
    )
    if row is None:
        raise ValidationFailed(
            gettext("The document has no signed file."), code="document.not_signed"
        )
    return row


def _deliver(document: Document, stored: StoredFile, actor: Any, at: Any) -> list[Delivery]:
    """Turn "Nơi nhận" into deliveries: inside the platform at once, else queued or paper."""
    made = []
    for recipient in recipients_parse(document.recipients_text):
        organization = _organization_by_code(recipient.code) if recipient.code else None
        if organization is not None and organization.pk != document.organization_id:
            incoming = Document.objects.create(
                organization=organization,
                direction=Direction.INCOMING,
                state=State.ARRIVED,
                channel=Document.Channel.INTERNAL,
                document_type=document.document_type,
                code_number=document.code_number,
                code_notation=document.code_notation,
                issued_on=document.issued_on,
                issued_at=document.issued_at,
                issuer=document.organization,
                issuer_name=document.issuer_name,
                issuer_code=document.issuer_code,
                subject=document.subject,
                language=document.language,
                page_count=document.page_count,
                description=document.description,
                signer_name=document.signer_name,
                signer_position=document.signer_position,
                urgency=document.urgency,
                secrecy=document.secrecy,
                due_on=document.due_on,
                arrived_at=at,
                recipients_text=document.recipients_text,
                source=document,
                main_sha256=stored.sha256,
                text_state=Document.TextState.PENDING,
                created_by=actor,
            )
            document_text_extract_enqueue(incoming.pk)
            search_index(incoming)
            DocumentFile.objects.create(
                document=incoming, role=DocumentFile.Role.MAIN, file=stored, added_by=actor
            )
            event(incoming, action="arrive", actor=actor, at=at, note=document.issuer_name)
            made.append(
                Delivery(
                    document=document,
                    recipient=organization,
                    recipient_name=organization.name_vi[:200],
                    recipient_code=(organization.qcvn_code or organization.code)[:13],
                    channel=Delivery.Channel.INTERNAL,
                    state=Delivery.State.ARRIVED,
                    incoming=incoming,
                    state_changed_at=at,
                )
            )
        elif recipient.code and organization is None:
            made.append(
                Delivery(
                    document=document,
                    recipient_name=recipient.name[:200],
                    recipient_code=recipient.code[:13],
                    channel=Delivery.Channel.EXCHANGE,
                    state=Delivery.State.QUEUED,
                    state_changed_at=at,
                )
            )
        elif organization is None:
            made.append(
                Delivery(
                    document=document,
                    recipient_name=recipient.name[:200],
                    channel=Delivery.Channel.PAPER,
                    state=Delivery.State.SENT,
                    state_changed_at=at,
                )
            )
    return Delivery.objects.bulk_create(made)


def _page_count(data: bytes) -> int | None:
    try:
        return page_count(read_pdf(data))
    except Exception:  # noqa: BLE001 - the count is informative only
        return None


def document_issue(
    *,
    actor: Any,
    document: Document,
    expected_version: int,
    seal_key_id: int,
    seal_secret: str,
) -> Document:
    """The clerk issues the signed document: number and notation from the outgoing register,
    issue time, the organisation's seal signature, and the deliveries — one transaction, so
    that numbers have no gaps and no duplicates."""
    require_officer(actor)
    stored_now = _precheck(document, expected_version)
    check_transition(stored_now, State.ISSUED)
    policy.require(actor, "document.issue", stored_now)
    signed_row = _signed_file(document)
    signed_pdf = _read(signed_row.file)
    key = signing_key_get(seal_key_id)
    if key is not None and key.organization_id not in (None, document.organization_id):
        raise ValidationFailed(
            gettext("This seal belongs to another organisation."),
            code="document.wrong_seal",
            field="seal_key",
        )
    with transaction.atomic():
        fresh = locked(document, expected_version)
        check_transition(fresh, State.ISSUED)
        policy.require(actor, "document.issue", fresh)
        at = now()
        year = timezone.localdate(at).year
        register = register_for(
            fresh.organization,
            Direction.OUTGOING,
            confidential=fresh.is_confidential,
            document_type=fresh.document_type,
        )
        number = register_next_number(register, year)
        fresh.register = register
        fresh.register_year = year
        fresh.register_number = number
        fresh.code_number = f"{number:02d}"
        fresh.code_notation = draft_notation(fresh)[:30]
        fresh.issued_at = at
        fresh.issued_on = timezone.localdate(at)
        sealed = signing.signature_sign_as_organization(
            actor=actor,
            pdf=signed_pdf,
            key_id=seal_key_id,
            secret=seal_secret,
            reference=fresh.number_notation,
            document_type=fresh.document_type.code,
            now=at,
        )
        stored = signing.signed_file_store(
            actor=actor,
            record=sealed.record,
            pdf=sealed.pdf,
            name=f"{fresh.code_number}-{fresh.code_notation}.pdf",
        )
        DocumentFile.objects.create(
            document=fresh, role=DocumentFile.Role.MAIN, file=stored, added_by=actor
        )
        before = fresh.state
        fresh.state = State.ISSUED
        fresh.main_sha256 = stored.sha256
        fresh.page_count = _page_count(sealed.pdf)
        fresh.text_state = Document.TextState.PENDING
        save(
            fresh,
            [
                "state",
                "register",
                "register_year",
                "register_number",
                "code_number",
                "code_notation",
                "issued_at",
                "issued_on",
                "main_sha256",
                "page_count",
                "text_state",
            ],
        )
        document_text_extract_enqueue(fresh.pk)
        deliveries = _deliver(fresh, stored, actor, at)
        document_issued.send(sender=Document, document=fresh, deliveries=deliveries)
        event(fresh, action="issue", actor=actor, at=at, note=fresh.number_notation)
        search_index(fresh)
        audit(
            actor,
            "document.issue",
            fresh,
            before,
            number=fresh.number_notation,
            register=register.pk,
            year=year,
            sha256=stored.sha256,
            signature=sealed.record.pk,
            deliveries=len(deliveries),
        )
    return fresh


def document_recall(
    *, actor: Any, document: Document, reason: str, expected_version: int
) -> Document:
    """Recall an issued document: the recipients' copies become RECALLED (their clerks see
    it), the deliveries too, and the exchange is told through the queued rows."""
    require_officer(actor)
    reason = _required(reason, "reason")
    with transaction.atomic():
        fresh = locked(document, expected_version)
        check_transition(fresh, State.RECALLED)
        policy.require(actor, "document.recall", fresh)
        at = now()
        before = fresh.state
        fresh.state = State.RECALLED
        save(fresh, ["state"])
        recalled: list[tuple[Document, str]] = []
        for delivery in Delivery.objects.select_related("incoming").filter(document=fresh):
            incoming = delivery.incoming
            if incoming is not None and incoming.state not in (
                State.RECALLED,
                State.RETURNED_TO_SENDER,
            ):
                # The sender's recall overrides the recipient's processing (Decree 30/2020:
                # recipients cancel a recalled e-document).
                incoming_before = incoming.state
                incoming.state = State.RECALLED
                save(incoming, ["state"])
                event(incoming, action="recalled_by_sender", actor=actor, at=at, note=reason)
                recalled.append((incoming, incoming_before))
            delivery.state = Delivery.State.RECALLED
            delivery.state_changed_at = at
            delivery.note = reason[:500]
            delivery.save(update_fields=["state", "state_changed_at", "note"])
        event(fresh, action="recall", actor=actor, at=at, note=reason)
        # Audit entries last: the chain lock is taken after every row lock.
        for incoming, incoming_before in recalled:
            audit(actor, "document.recalled_by_sender", incoming, incoming_before)
        audit(actor, "document.recall", fresh, before, reason=reason[:500])
    document.version, document.state = fresh.version, fresh.state
    return fresh

"""The exchange's writes: outbox (issue → package, progress → status), sending with retries,
and the inbox (received packages become incoming documents, received statuses move the
sender's deliveries).

Guarantees (docs/adr/0009-exchange-transport.md):
- the outbox row and the signed package are written in the transaction that issues the
  document (signal `documents.signals.document_issued`), so a crash after the commit loses
  nothing: `egov exchange deliver` or the background task sends it later;
- sending is at least once; the receiver keys messages by `message_id` (and packages by
  DocumentId and recipient), so a package delivered twice becomes one incoming document;
- statuses are applied in the order of their timestamps (then of the standard's progress):
  an older status arriving after a newer one, or a duplicate, changes nothing.
"""

from __future__ import annotations

import logging
import random
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext
from django_tasks_db.backend import DatabaseBackend

from egov.core.audit import audit_record
from egov.core.errors import EgovError
from egov.core.files import file_store
from egov.directory.models import Account, Organization
from egov.documents.models import (
    Delivery,
    Direction,
    Document,
    DocumentEvent,
    DocumentFile,
    DocumentType,
    State,
    Urgency,
    signer_position_join,
)
from egov.documents.search import search_index
from egov.documents.services._common import event
from egov.documents.services.text import document_text_extract_enqueue
from egov.exchange import auth
from egov.exchange import status as codes
from egov.exchange.connectors import Link, TransportError, Verdict, connector_for
from egov.exchange.edxml import (
    MAX_ATTACHMENT_BYTES,
    MAX_PACKAGE_BYTES,
    EdxmlInvalid,
    Organ,
    Package,
    _organ_of,
    document_id_for,
    edxml_build,
    edxml_parse,
)
from egov.exchange.models import InboxMessage, Kind, LocalKey, OutboxMessage, Peer, RequestNonce
from egov.exchange.selectors import (
    local_key_active,
    outbox_due,
    peer_for_code,
    peer_for_key,
    public_keys_for_code,
)
from egov.exchange.status import StatusMessage, status_parse, status_serialize

__all__ = [
    "Answer",
    "DrainResult",
    "inbox_receive_package",
    "inbox_receive_status",
    "local_key_ensure",
    "outbox_deliver_due",
    "outbox_enqueue_issue",
    "outbox_enqueue_progress",
    "outbox_send",
    "peer_save",
    "retry_delay",
    "setting",
]

logger = logging.getLogger("egov.exchange")

DELIVER_TASK = "egov.exchange.tasks.deliver_outbox_message"
SYSTEM_USERNAME = "exchange-system"

DEFAULTS: dict[str, int] = {
    "EGOV_EXCHANGE_MAX_PACKAGE_BYTES": MAX_PACKAGE_BYTES,
    "EGOV_EXCHANGE_MAX_ATTACHMENT_BYTES": MAX_ATTACHMENT_BYTES,
    "EGOV_EXCHANGE_MAX_ATTEMPTS": 10,
    "EGOV_EXCHANGE_RETRY_BASE_SECONDS": 30,
    "EGOV_EXCHANGE_RETRY_MAX_SECONDS": 3600,
    "EGOV_EXCHANGE_CLOCK_SKEW_SECONDS": 300,
    "EGOV_EXCHANGE_TIMEOUT_SECONDS": 30,
    "EGOV_EXCHANGE_CLAIM_SECONDS": 300,
}

# What the sender's delivery becomes on each status code.
DELIVERY_BY_CODE = {
    codes.ARRIVED: Delivery.State.ARRIVED,
    codes.REFUSED: Delivery.State.REFUSED,
    codes.REGISTERED: Delivery.State.REGISTERED,
    codes.ASSIGNED: Delivery.State.ASSIGNED,
    codes.IN_PROCESS: Delivery.State.IN_PROCESS,
    codes.COMPLETED: Delivery.State.COMPLETED,
    codes.RECALLED: Delivery.State.RECALLED,
}
# The status code a recipient sends for its incoming document's state.
CODE_BY_STATE = {
    State.REGISTERED: codes.REGISTERED,
    State.PRESENTED: codes.REGISTERED,
    State.FOR_INFORMATION: codes.ASSIGNED,
    State.IN_PROCESS: codes.IN_PROCESS,
    State.COMPLETED: codes.COMPLETED,
    State.RETURNED_TO_SENDER: codes.REFUSED,
}
_URGENCY_BY_PRIORITY = {
    0: Urgency.NORMAL,
    1: Urgency.URGENT,
    2: Urgency.VERY_URGENT,
    3: Urgency.FLASH,
}


def setting(name: str) -> int:
    return int(getattr(settings, name, DEFAULTS[name]))


class ExchangeAuthFailed(EgovError):
    code = "exchange.unauthenticated"
    status = 401


@dataclass(frozen=True)
class Answer:
    """What the receiving endpoint answers: HTTP status and the JSON body."""

    http_status: int
    body: dict[str, Any]


# --- keys and peers ------------------------------------------------------------------------------
def local_key_ensure() -> LocalKey:
    """This installation's signing key, made on first use (`egov exchange key` prints it)."""
    key = local_key_active()
    if key is not None:
        return key
    private, public = auth.keypair_new()
    key_id = f"egov-{timezone.now():%Y%m%d%H%M%S}-{public[:8]}".replace("/", "_").replace("+", "-")
    return LocalKey.objects.create(key_id=key_id, private_key=private, public_key=public)


@transaction.atomic
def peer_save(
    *,
    name: str,
    endpoint_url: str,
    org_codes: list[str],
    key_id: str,
    secret: str,
    public_key: str = "",
    connector: str = Peer.Connector.DIRECT,
    enabled: bool = True,
) -> Peer:
    """Create or update (by name) a peer; IT admins run it through `egov exchange peer`."""
    if connector not in Peer.Connector.values:
        raise EgovError(
            gettext("Unknown connector %(name)s.") % {"name": connector},
            code="exchange.bad_peer",
            field="connector",
        )
    if len(secret) < 16:
        raise EgovError(
            gettext("The shared secret must have at least 16 characters."),
            code="exchange.bad_peer",
            field="secret",
        )
    codes_clean = [c.strip() for c in org_codes if c.strip()]
    peer, _created = Peer.objects.update_or_create(
        name=name,
        defaults={
            "endpoint_url": endpoint_url.rstrip("/"),
            "org_codes": codes_clean,
            "key_id": key_id,
            "secret": secret,
            "public_key": public_key,
            "connector": connector,
            "enabled": enabled,
        },
    )
    audit_record(
        actor=None,
        action="exchange.peer_save",
        obj=peer,
        after={"endpoint": peer.endpoint_url, "codes": codes_clean, "enabled": enabled},
    )
    return peer


def _system_account() -> Account:
    account = Account.objects.filter(username=SYSTEM_USERNAME).first()
    if account is None:
        account = Account(
            username=SYSTEM_USERNAME, kind=Account.Kind.SYSTEM, last_name="Liên thông"
        )
        account.set_unusable_password()
        account.save()
    return account


def _organ_code(organization: Organization) -> str:
    return organization.qcvn_code or organization.code


# --- outbox --------------------------------------------------------------------------------------
def _enqueue_on_commit(pk: int) -> None:
    """Hand the message to the task queue. With the database queue the task row is written in
    this transaction, beside the outbox row (both or neither); another backend gets it after
    the commit. Either way `egov exchange deliver` would find the message."""
    try:
        task: Any = import_string(DELIVER_TASK)
        if isinstance(task.get_backend(), DatabaseBackend):
            with transaction.atomic():  # a savepoint: a failure here leaves the caller intact
                task.enqueue(pk)
            return
    except Exception:  # the drain command picks it up anyway
        logger.exception("could not enqueue exchange message %s", pk)
        return

    def enqueue() -> None:
        try:
            task.enqueue(pk)
        except Exception:
            logger.exception("could not enqueue exchange message %s", pk)

    transaction.on_commit(enqueue)


def _signed(data: bytes) -> bytes:
    key = local_key_ensure()
    return auth.message_sign(data, key_id=key.key_id, private_key=key.private_key)


def outbox_enqueue_issue(*, document: Document, deliveries: list[Delivery]) -> list[OutboxMessage]:
    """One signed package per queued exchange delivery of an issued document, in the issuing
    transaction (the receiver of `document_issued`)."""
    queued = [
        d
        for d in deliveries
        if d.channel == Delivery.Channel.EXCHANGE
        and d.state == Delivery.State.QUEUED
        and d.recipient_code
    ]
    if not queued:
        return []
    data = _signed(edxml_build(document))
    from_code = _organ_code(document.organization)
    assert document.issued_on is not None
    key = document_id_for(
        from_code, document.issued_on, document.code_number, document.code_notation
    )
    now = timezone.now()
    made = OutboxMessage.objects.bulk_create(
        [
            OutboxMessage(
                kind=Kind.PACKAGE,
                to_code=d.recipient_code,
                from_code=from_code,
                document=document,
                delivery=d,
                document_key=key[:120],
                payload=data,
                next_attempt_at=now,
            )
            for d in queued
        ]
    )
    for message in made:
        if message.pk is None:  # backends without RETURNING: read the ids back
            message.pk = OutboxMessage.objects.get(message_id=message.message_id).pk
        _enqueue_on_commit(message.pk)
    return made


def _status_message(
    inbox: InboxMessage, *, code: str, at: datetime, description: str = "", staff: str = ""
) -> OutboxMessage:
    """Queue a status message about a received package back to its sender."""
    organization = (
        Organization.objects.filter(qcvn_code=inbox.recipient_code).first()
        or Organization.objects.filter(code=inbox.recipient_code).first()
    )
    from_ = (
        _organ_of(organization)
        if organization is not None
        else Organ(inbox.recipient_code or "?", inbox.recipient_code or "?")
    )
    document = inbox.document
    message = StatusMessage(
        from_=from_,
        status_code=code,
        timestamp=at,
        document_id=inbox.document_key,
        response_organ_id=inbox.sender_code,
        response_code=document.number_notation if document else "",
        response_date=document.issued_on if document else None,
        description=description[:2000],
        staff_department=from_.organ_name,
        staff_name=staff,
    )
    outbox = OutboxMessage.objects.create(
        kind=Kind.STATUS,
        to_code=inbox.sender_code,
        from_code=from_.organ_id,
        document=document,
        document_key=inbox.document_key[:120],
        status_code=code,
        payload=_signed(status_serialize(message)),
        next_attempt_at=timezone.now(),
    )
    _enqueue_on_commit(outbox.pk)
    return outbox


def outbox_enqueue_progress(
    *, document: Document, assigned: bool, at: datetime
) -> OutboxMessage | None:
    """The status message for an incoming document that came by exchange, when its state
    changed (the receiver of `incoming_progress`, inside the changing transaction). The same
    code twice in a row is sent once (registered → presented is still "03")."""
    if document.direction != Direction.INCOMING or document.channel != Document.Channel.EXCHANGE:
        return None
    inbox = (
        InboxMessage.objects.select_for_update()
        .filter(kind=Kind.PACKAGE, document=document)
        .order_by("pk")
        .first()
    )
    if inbox is None or not inbox.sender_code:
        return None
    code = CODE_BY_STATE.get(State(document.state))
    if assigned and document.state == State.IN_PROCESS:
        code = codes.ASSIGNED
    if code is None or code == inbox.last_status_sent:
        return None
    description = ""
    if code == codes.REFUSED:
        last = (
            DocumentEvent.objects.filter(document=document, action="return_to_sender")
            .order_by("-at", "-pk")
            .first()
        )
        description = last.note if last else ""
    outbox = _status_message(inbox, code=code, at=at, description=description)
    inbox.last_status_sent = code
    fields = ["last_status_sent"]
    if inbox.state == InboxMessage.State.RECEIVED and code != codes.REFUSED:
        inbox.state = InboxMessage.State.REGISTERED
        fields.append("state")
    inbox.save(update_fields=fields)
    return outbox


# --- sending -------------------------------------------------------------------------------------
def retry_delay(attempt: int, *, rng: random.Random | None = None) -> timedelta:
    """Exponential back-off with jitter after failed attempt `attempt` (1, 2, …): a random
    delay between half and all of base × 2^(attempt-1), capped, so that many senders that
    failed together do not retry together."""
    base = setting("EGOV_EXCHANGE_RETRY_BASE_SECONDS")
    cap = setting("EGOV_EXCHANGE_RETRY_MAX_SECONDS")
    full = min(base * 2 ** max(attempt - 1, 0), cap)
    share = (rng or random).uniform(0.5, 1.0)  # noqa: S311 - jitter, not a secret
    return timedelta(seconds=full * share)


def _apply_verdict(message: OutboxMessage, verdict: Verdict, now: datetime) -> None:
    if message.kind != Kind.PACKAGE or message.delivery_id is None:
        return
    if verdict.refused:
        Delivery.objects.filter(
            pk=message.delivery_id, state__in=[Delivery.State.QUEUED, Delivery.State.SENT]
        ).update(state=Delivery.State.REFUSED, state_changed_at=now, note=verdict.reason[:500])
    else:
        Delivery.objects.filter(pk=message.delivery_id, state=Delivery.State.QUEUED).update(
            state=Delivery.State.SENT, state_changed_at=now
        )


def outbox_send(*, pk: int) -> str:
    """One attempt at one outbox message: claim it, send it outside any transaction, record the
    outcome. Returns sent / retry / dead / busy / not_due / missing / the final state."""
    now = timezone.now()
    message = OutboxMessage.objects.filter(pk=pk).first()
    if message is None:
        return "missing"
    if message.state in (OutboxMessage.State.SENT, OutboxMessage.State.DEAD):
        return str(message.state)
    lease = timedelta(seconds=setting("EGOV_EXCHANGE_CLAIM_SECONDS"))
    if message.state == OutboxMessage.State.SENDING:
        if message.claimed_at is not None and message.claimed_at > now - lease:
            return "busy"
    elif message.next_attempt_at > now:
        return "not_due"
    claimed = OutboxMessage.objects.filter(
        pk=pk, state=message.state, attempts=message.attempts
    ).update(state=OutboxMessage.State.SENDING, attempts=F("attempts") + 1, claimed_at=now)
    if not claimed:
        return "busy"
    attempt = message.attempts + 1
    try:
        peer = peer_for_code(message.to_code)
        if peer is None:
            raise TransportError(f"no enabled peer hosts organisation code {message.to_code}")
        link = Link(
            endpoint_url=peer.endpoint_url,
            key_id=peer.key_id,
            secret=peer.secret,
            timeout=float(setting("EGOV_EXCHANGE_TIMEOUT_SECONDS")),
        )
        connector = connector_for(peer.connector)
        send = connector.send_package if message.kind == Kind.PACKAGE else connector.send_status
        verdict = send(
            link,
            data=bytes(message.payload),
            message_id=str(message.message_id),
            to_code=message.to_code,
            from_code=message.from_code,
        )
    except TransportError as exc:
        error = str(exc)[:2000]
        if exc.permanent or attempt >= setting("EGOV_EXCHANGE_MAX_ATTEMPTS"):
            OutboxMessage.objects.filter(pk=pk).update(
                state=OutboxMessage.State.DEAD, last_error=error, claimed_at=None
            )
            if message.delivery_id is not None:
                Delivery.objects.filter(pk=message.delivery_id).update(
                    note=(gettext("Exchange gave up: %(error)s") % {"error": error})[:500]
                )
            logger.error("exchange message %s dead after %s attempts: %s", pk, attempt, error)
            return "dead"
        OutboxMessage.objects.filter(pk=pk).update(
            state=OutboxMessage.State.FAILED,
            last_error=error,
            claimed_at=None,
            next_attempt_at=timezone.now() + retry_delay(attempt),
        )
        logger.warning("exchange message %s attempt %s failed: %s", pk, attempt, error)
        return "retry"
    done = timezone.now()
    with transaction.atomic():
        OutboxMessage.objects.filter(pk=pk).update(
            state=OutboxMessage.State.SENT,
            sent_at=done,
            last_error=verdict.reason[:2000] if verdict.refused else "",
            verdict=verdict.state[:20],
            claimed_at=None,
        )
        _apply_verdict(message, verdict, done)
    return "sent"


@dataclass
class DrainResult:
    counts: dict[str, int] = field(default_factory=dict)

    def add(self, outcome: str) -> None:
        self.counts[outcome] = self.counts.get(outcome, 0) + 1

    @property
    def attempted(self) -> int:
        return sum(self.counts.values())


def outbox_deliver_due(*, limit: int = 100, result: DrainResult | None = None) -> DrainResult:
    """Attempt every message due now (at most `limit`), oldest first."""
    result = result or DrainResult()
    lease = timedelta(seconds=setting("EGOV_EXCHANGE_CLAIM_SECONDS"))
    for pk in outbox_due(now=timezone.now(), lease=lease, limit=limit):
        result.add(outbox_send(pk=pk))
    return result


# --- receiving -----------------------------------------------------------------------------------
def _authenticate(headers: Any, path: str, body: bytes) -> tuple[Peer, auth.SignedRequest]:
    try:
        first = auth.request_parse(headers)
        peer = peer_for_key(first.key_id)
        if peer is None:
            raise auth.RequestAuthError("unknown key id")
        signed = auth.request_check(
            headers=headers,
            secret=peer.secret,
            method="POST",
            path=path,
            body=body,
            now=int(time.time()),
            skew_seconds=setting("EGOV_EXCHANGE_CLOCK_SKEW_SECONDS"),
        )
    except auth.RequestAuthError as exc:
        raise ExchangeAuthFailed(str(exc)) from exc
    return peer, signed


def _nonce_record(signed: auth.SignedRequest) -> None:
    window = timedelta(seconds=2 * setting("EGOV_EXCHANGE_CLOCK_SKEW_SECONDS"))
    now = timezone.now()
    try:
        with transaction.atomic():
            RequestNonce.objects.create(key_id=signed.key_id, nonce=signed.nonce, seen_at=now)
    except IntegrityError as exc:
        raise ExchangeAuthFailed("replayed request (nonce already seen)") from exc
    if random.random() < 0.01:  # noqa: S311 - housekeeping now and then
        RequestNonce.objects.filter(seen_at__lt=now - window).delete()


def _duplicate(existing: InboxMessage) -> Answer:
    state = existing.state
    if state in (InboxMessage.State.REFUSED, InboxMessage.State.QUARANTINED):
        return Answer(
            422, {"state": state, "status_code": codes.REFUSED, "reason": existing.reason}
        )
    return Answer(200, {"state": "duplicate", "status_code": existing.status_code})


def _receive(headers: Any, path: str, body: bytes, work: Any) -> Answer:
    peer, signed = _authenticate(headers, path, body)
    existing = InboxMessage.objects.filter(message_id=signed.message_id).first()
    if existing is not None:
        _nonce_record(signed)
        return _duplicate(existing)
    try:
        with transaction.atomic():
            _nonce_record(signed)
            answer: Answer = work(peer, signed)
    except IntegrityError:
        existing = InboxMessage.objects.filter(message_id=signed.message_id).first()
        if existing is None:
            raise
        return _duplicate(existing)
    return answer


def _document_type(package: Package) -> DocumentType:
    kind = package.header.document_type
    return (
        DocumentType.objects.filter(code=kind.type_detail).first()
        or DocumentType.objects.filter(name_vi=kind.type_name).first()
        or DocumentType.objects.get(code="cong-van")
    )


def _organization_hosted(code: str) -> Organization | None:
    found = (
        Organization.objects.filter(valid_to__isnull=True, qcvn_code=code)
        .exclude(kind=Organization.Kind.UNIT)
        .first()
        or Organization.objects.filter(valid_to__isnull=True, code=code)
        .exclude(kind=Organization.Kind.UNIT)
        .first()
    )
    return found


def _incoming_document(
    package: Package, organization: Organization, at: datetime, actor: Account
) -> Document:
    header = package.header
    signer = header.signer_info
    issuer = _organization_hosted(header.from_.organ_id)
    files = [
        file_store(
            upload=ContentFile(a.content),
            name=a.name,
            actor=actor,
            max_bytes=setting("EGOV_EXCHANGE_MAX_ATTACHMENT_BYTES"),
        )
        for a in package.attachments
    ]
    document = Document.objects.create(
        organization=organization,
        direction=Direction.INCOMING,
        state=State.ARRIVED,
        channel=Document.Channel.EXCHANGE,
        document_type=_document_type(package),
        code_number=header.code.code_number[:11],
        code_notation=header.code.code_notation[:30],
        issued_on=header.promulgation_info.promulgation_date,
        issuer=issuer,
        issuer_name=header.from_.organ_name[:200],
        issuer_code=header.from_.organ_id[:13],
        subject=header.subject[:500],
        page_count=header.other_info.page_amount,
        description=header.content[:500],
        signer_name=(signer.full_name if signer else "")[:50],
        signer_position=(
            signer_position_join(signer.competence, signer.position) if signer else ""
        )[:100],
        urgency=_URGENCY_BY_PRIORITY.get(header.other_info.priority, Urgency.NORMAL),
        due_on=header.due_date,
        arrived_at=at,
        recipients_text="\n".join(header.to_places)[:1000],
        main_sha256=files[0].sha256 if files else "",
        text_state=Document.TextState.PENDING if files else Document.TextState.NONE,
        created_by=actor,
    )
    DocumentFile.objects.bulk_create(
        [
            DocumentFile(
                document=document,
                role=DocumentFile.Role.MAIN if number == 0 else DocumentFile.Role.APPENDIX,
                file=stored,
                added_by=actor,
            )
            for number, stored in enumerate(files)
        ]
    )
    event(document, action="arrive", actor=None, at=at, note=header.from_.organ_name)
    if files:
        document_text_extract_enqueue(document.pk)
    search_index(document)
    return document


def _refuse_package(
    *,
    peer: Peer,
    signed: auth.SignedRequest,
    body: bytes,
    state: str,
    reason: str,
    sender_code: str = "",
    recipient_code: str = "",
    document_key: str = "",
) -> Answer:
    inbox = InboxMessage.objects.create(
        message_id=signed.message_id,
        kind=Kind.PACKAGE,
        sender_code=sender_code[:35],
        recipient_code=recipient_code[:35],
        peer=peer,
        document_key=document_key[:120],
        status_code=codes.REFUSED,
        state=state,
        reason=reason[:4000],
        payload=body,
    )
    if sender_code and document_key and peer_for_code(sender_code) is not None:
        _status_message(inbox, code=codes.REFUSED, at=timezone.now(), description=reason)
        inbox.last_status_sent = codes.REFUSED
        inbox.save(update_fields=["last_status_sent"])
    audit_record(
        actor=None,
        action=f"exchange.package_{state}",
        obj=inbox,
        after={"sender": sender_code, "reason": reason[:500]},
    )
    logger.warning("exchange package %s %s: %s", signed.message_id, state, reason)
    return Answer(422, {"state": state, "status_code": codes.REFUSED, "reason": reason})


def inbox_receive_package(*, headers: Any, path: str, body: bytes) -> Answer:
    """Take one package POSTed by a peer: authenticate the request, then in one transaction
    record the message, validate and verify the package, and make the incoming document
    (ARRIVED, for the clerk to register) with the status "01 arrived" queued back. A package
    that fails validation is refused, one whose signature fails is quarantined: both with
    the reason and a "02 refused" status back; the answer is never a server error."""

    def work(peer: Peer, signed: auth.SignedRequest) -> Answer:
        to_header = (headers.get(auth.HEADER_TO) or "").strip()
        try:
            package = edxml_parse(
                body,
                max_bytes=setting("EGOV_EXCHANGE_MAX_PACKAGE_BYTES"),
                max_attachment_bytes=setting("EGOV_EXCHANGE_MAX_ATTACHMENT_BYTES"),
            )
        except EdxmlInvalid as exc:
            return _refuse_package(
                peer=peer,
                signed=signed,
                body=body,
                state=InboxMessage.State.REFUSED,
                reason=f"{exc.code}: {exc.message}",
                recipient_code=to_header,
            )
        header = package.header
        sender = header.from_.organ_id
        to_codes = [o.organ_id for o in header.to]
        to_code = to_header or next(
            (c for c in to_codes if _organization_hosted(c) is not None), ""
        )
        common: dict[str, Any] = {
            "peer": peer,
            "signed": signed,
            "body": body,
            "sender_code": sender,
            "recipient_code": to_code,
            "document_key": header.document_id,
        }
        try:
            auth.message_verify(body, public_keys=public_keys_for_code(sender))
        except auth.MessageSignatureError as exc:
            return _refuse_package(
                state=InboxMessage.State.QUARANTINED,
                reason=gettext("The package's signature is not valid: %(reason)s")
                % {"reason": str(exc)},
                **common,
            )
        organization = _organization_hosted(to_code) if to_code in to_codes else None
        if organization is None:
            return _refuse_package(
                state=InboxMessage.State.REFUSED,
                reason=gettext("The package is not addressed to an organisation hosted here."),
                **common,
            )
        earlier = (
            InboxMessage.objects.filter(
                kind=Kind.PACKAGE,
                document_key=header.document_id[:120],
                recipient_code=to_code,
                state__in=[InboxMessage.State.RECEIVED, InboxMessage.State.REGISTERED],
            )
            .order_by("pk")
            .first()
        )
        if earlier is not None:
            InboxMessage.objects.create(
                message_id=signed.message_id,
                kind=Kind.PACKAGE,
                sender_code=sender,
                recipient_code=to_code,
                peer=peer,
                document_key=header.document_id[:120],
                document=earlier.document,
                state=InboxMessage.State.IGNORED,
                reason=gettext("Already received as message %(id)s.") % {"id": earlier.message_id},
            )
            return Answer(200, {"state": "duplicate", "status_code": codes.ARRIVED})
        at = timezone.now()
        actor = _system_account()
        try:
            with transaction.atomic():
                document = _incoming_document(package, organization, at, actor)
        except EgovError as exc:  # an attachment of a kind or size we do not store
            return _refuse_package(
                state=InboxMessage.State.REFUSED, reason=f"{exc.code}: {exc.message}", **common
            )
        inbox = InboxMessage.objects.create(
            message_id=signed.message_id,
            kind=Kind.PACKAGE,
            sender_code=sender,
            recipient_code=to_code,
            peer=peer,
            document_key=header.document_id[:120],
            document=document,
            status_code=codes.ARRIVED,
            state=InboxMessage.State.RECEIVED,
            payload=body,
            last_status_sent=codes.ARRIVED,
        )
        _status_message(inbox, code=codes.ARRIVED, at=at)
        audit_record(
            actor=None,
            action="exchange.package_received",
            obj=inbox,
            after={"document": document.pk, "sender": sender, "document_id": header.document_id},
        )
        return Answer(202, {"state": "received", "status_code": codes.ARRIVED})

    return _receive(headers, path, body, work)


def _status_key(at: datetime | None, code: str) -> tuple[datetime, int]:
    return (at or datetime.min.replace(tzinfo=UTC), codes.RANK.get(code, 0))


def inbox_receive_status(*, headers: Any, path: str, body: bytes) -> Answer:
    """Take one status message about a package we sent and move the delivery, in order: a
    status older than the one already applied (or a duplicate) is recorded and ignored."""

    def work(peer: Peer, signed: auth.SignedRequest) -> Answer:
        def refuse(state: str, reason: str, **values: Any) -> Answer:
            inbox = InboxMessage.objects.create(
                message_id=signed.message_id,
                kind=Kind.STATUS,
                peer=peer,
                state=state,
                reason=reason[:4000],
                payload=body,
                **values,
            )
            audit_record(
                actor=None,
                action=f"exchange.status_{state}",
                obj=inbox,
                after={"reason": reason[:500]},
            )
            return Answer(422, {"state": state, "reason": reason})

        try:
            status = status_parse(body)
        except EdxmlInvalid as exc:
            return refuse(InboxMessage.State.REFUSED, f"{exc.code}: {exc.message}")
        sender = status.from_.organ_id
        values = {
            "sender_code": sender[:35],
            "document_key": status.document_id[:120],
            "status_code": status.status_code,
            "status_at": status.timestamp,
        }
        try:
            auth.message_verify(body, public_keys=public_keys_for_code(sender))
        except auth.MessageSignatureError as exc:
            return refuse(
                InboxMessage.State.QUARANTINED,
                gettext("The status message's signature is not valid: %(reason)s")
                % {"reason": str(exc)},
                **values,
            )
        sent = (
            OutboxMessage.objects.filter(
                kind=Kind.PACKAGE, document_key=status.document_id[:120], to_code=sender
            )
            .exclude(delivery=None)
            .order_by("pk")
            .first()
        )
        if sent is None:
            return refuse(
                InboxMessage.State.REFUSED,
                gettext("No document %(id)s was sent to %(code)s.")
                % {"id": status.document_id, "code": sender},
                **values,
            )
        assert sent.delivery_id is not None
        delivery = Delivery.objects.select_for_update().get(pk=sent.delivery_id)
        latest = (
            InboxMessage.objects.filter(
                kind=Kind.STATUS, delivery=delivery, state=InboxMessage.State.APPLIED
            )
            .order_by("-status_at", "-pk")
            .values_list("status_at", "status_code")
        )
        newest = max(
            (_status_key(at, code) for at, code in latest),
            default=None,
        )
        key = _status_key(status.timestamp, status.status_code)
        applies = newest is None or key > newest
        inbox = InboxMessage.objects.create(
            message_id=signed.message_id,
            kind=Kind.STATUS,
            peer=peer,
            recipient_code=sent.from_code,
            delivery=delivery,
            document=sent.document,
            state=InboxMessage.State.APPLIED if applies else InboxMessage.State.IGNORED,
            reason="" if applies else gettext("Older than the status already applied."),
            payload=body,
            **values,
        )
        if applies:
            target = DELIVERY_BY_CODE.get(status.status_code)
            fields = ["state_changed_at"]
            delivery.state_changed_at = status.timestamp
            if target is not None:
                delivery.state = target
                fields.append("state")
            if status.status_code == codes.REFUSED or status.description:
                delivery.note = status.description[:500]
                fields.append("note")
            delivery.save(update_fields=fields)
        audit_record(
            actor=None,
            action="exchange.status_applied" if applies else "exchange.status_ignored",
            obj=inbox,
            after={"delivery": delivery.pk, "code": status.status_code},
        )
        return Answer(200, {"state": inbox.state, "status_code": status.status_code})

    return _receive(headers, path, body, work)

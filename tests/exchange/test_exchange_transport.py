"""The exchange transport in one process: outbox written with the issue, signed requests and
packages, the receiving endpoints (idempotent, strict, never a 500), ordered status messages,
retries with back-off, and the whole loop over real HTTP to a live server."""

from __future__ import annotations

import importlib.util
import json
import sys
import uuid
from dataclasses import dataclass
from datetime import timedelta
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone


def _load(name: str, path: Path) -> None:
    if name in sys.modules:
        return
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)


_load("exchange_support", Path(__file__).with_name("exchange_support.py"))
_load("exchange_test_urls", Path(__file__).with_name("exchange_test_urls.py"))

from directory_factories import OfficerFactory, OrganizationFactory  # noqa: E402
from exchange_support import (  # noqa: E402
    as_client_kwargs,
    issue,
    make_keys,
    signed_document,
    signed_post_headers,
)

from egov.directory.models import Officer, Organization, Role, Scope  # noqa: E402
from egov.documents.models import Delivery, Document, DocumentFile, Route, State  # noqa: E402
from egov.documents.services import incoming  # noqa: E402
from egov.documents.services.registers import registers_ensure_default  # noqa: E402
from egov.exchange import auth, services  # noqa: E402
from egov.exchange.connectors import TransportError, Verdict  # noqa: E402
from egov.exchange.edxml import edxml_parse  # noqa: E402
from egov.exchange.models import InboxMessage, LocalKey, OutboxMessage, Peer  # noqa: E402
from egov.exchange.status import StatusMessage, status_serialize  # noqa: E402

SENDER = "000.00.01.H51"
REMOTE = "000.00.09.H51"
SECRET = "bi-mat-chung-cua-lien-ket-0123456789"
PACKAGES = "/exchange/v1/packages"
STATUS = "/exchange/v1/status"


@pytest.fixture(autouse=True)
def _urls(settings: Any) -> None:
    settings.ROOT_URLCONF = "exchange_test_urls"
    settings.EGOV_EXCHANGE_RETRY_BASE_SECONDS = 10
    settings.EGOV_EXCHANGE_RETRY_MAX_SECONDS = 60
    settings.EGOV_EXCHANGE_MAX_ATTEMPTS = 3


@dataclass
class Remote:
    """The recipient organisation "hosted elsewhere", with its clerk, head and officer."""

    organization: Organization
    clerk: Officer
    head: Officer
    officer: Officer


def make_remote() -> Remote:
    """Created AFTER issuing: at issue time the code is unknown here, so the delivery goes to
    the exchange; then this database also plays the receiving installation."""
    parent = Organization.objects.get(code="H51")
    organization = OrganizationFactory(
        code="H51.09", qcvn_code=REMOTE, parent=parent, name_vi="Sở Tài chính", abbreviation="STC"
    )
    unit = OrganizationFactory(code="H51.09.01", parent=organization, unit=True, name_vi="Phòng NS")
    registers_ensure_default(organization)
    return Remote(
        organization=organization,
        clerk=OfficerFactory(unit=organization, roles=[(Role.CLERK, Scope.ORGANIZATION)]),
        head=OfficerFactory(unit=organization, roles=[(Role.HEAD, Scope.ORGANIZATION)]),
        officer=OfficerFactory(unit=unit, roles=[(Role.OFFICER, Scope.UNIT)]),
    )


def remote_recipients() -> str:
    return f"Sở Tài chính [{REMOTE}]\nLưu: VT, VP."


def peer_here(endpoint: str = "http://127.0.0.1:9", codes_: list[str] | None = None) -> Peer:
    """One peer row for both directions (this database is both installations)."""
    key = services.local_key_ensure()
    return services.peer_save(
        name="loop",
        endpoint_url=endpoint,
        org_codes=codes_ or [REMOTE, SENDER],
        key_id="loop",
        secret=SECRET,
        public_key=key.public_key,
    )


def issued_to_remote(exworld: Any, **kwargs: Any) -> Document:
    registers_ensure_default(exworld.committee)
    key = make_keys(exworld.committee, exworld.signer)
    document = signed_document(
        exworld.committee, exworld.clerk, key, recipients_text=remote_recipients(), **kwargs
    )
    return issue(document, exworld.clerk, key)


def post(client: Client, path: str, body: bytes, **kwargs: Any) -> Any:
    headers = signed_post_headers(key_id="loop", secret=SECRET, path=path, body=body, **kwargs)
    return client.post(path, data=body, **as_client_kwargs(headers))


# --- the outbox is written with the issue --------------------------------------------------------


def test_issue_writes_the_signed_package_and_the_outbox_row(exworld: Any) -> None:
    document = issued_to_remote(exworld)

    message = OutboxMessage.objects.get()
    delivery = Delivery.objects.get(document=document, channel=Delivery.Channel.EXCHANGE)
    assert (message.kind, message.to_code, message.from_code, message.state) == (
        "package",
        REMOTE,
        SENDER,
        OutboxMessage.State.QUEUED,
    )
    assert (message.delivery, message.document, message.attempts) == (delivery, document, 0)
    assert delivery.state == Delivery.State.QUEUED
    key = LocalKey.objects.get()
    data = bytes(message.payload)
    assert auth.message_verify(data, public_keys=[key.public_key]) == key.key_id
    package = edxml_parse(data)
    assert package.header.document_id == message.document_key
    assert package.header.code.code_number == document.code_number
    assert [o.organ_id for o in package.header.to] == [REMOTE]
    sealed = DocumentFile.objects.get(document=document, role=DocumentFile.Role.MAIN)
    assert package.attachments[0].sha256 == sealed.file.sha256


def test_a_failed_issue_leaves_no_outbox_row(exworld: Any, monkeypatch: Any) -> None:
    registers_ensure_default(exworld.committee)
    key = make_keys(exworld.committee, exworld.signer)
    document = signed_document(
        exworld.committee, exworld.clerk, key, recipients_text=remote_recipients()
    )

    def boom(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr("egov.documents.services.outgoing.search_index", boom)
    with pytest.raises(RuntimeError):
        issue(document, exworld.clerk, key)

    assert OutboxMessage.objects.count() == 0
    assert Delivery.objects.count() == 0
    assert Document.objects.get(pk=document.pk).state == State.SIGNED


def test_issue_to_internal_and_paper_recipients_queues_nothing(exworld: Any) -> None:
    registers_ensure_default(exworld.committee)
    key = make_keys(exworld.committee, exworld.signer)
    document = signed_document(
        exworld.committee,
        exworld.clerk,
        key,
        recipients_text="Sở Xây dựng [H51.04]\nBáo Quảng Ngãi",
    )
    issue(document, exworld.clerk, key)

    assert OutboxMessage.objects.count() == 0


# --- sending: retries, back-off with jitter, dead ------------------------------------------------


def test_transport_failure_retries_with_backoff_then_dies(exworld: Any, monkeypatch: Any) -> None:
    issued_to_remote(exworld)
    peer_here()
    message = OutboxMessage.objects.get()
    calls: list[str] = []

    def down(self: Any, link: Any, **kwargs: Any) -> Verdict:
        calls.append(kwargs["message_id"])
        raise TransportError("ConnectionRefusedError: [Errno 111]")

    monkeypatch.setattr("egov.exchange.connectors.DirectConnector.send_package", down)
    before = timezone.now()
    assert services.outbox_send(pk=message.pk) == "retry"
    message.refresh_from_db()
    assert (message.state, message.attempts) == (OutboxMessage.State.FAILED, 1)
    assert "Errno 111" in message.last_error
    assert before + timedelta(seconds=5) <= message.next_attempt_at
    assert message.next_attempt_at <= timezone.now() + timedelta(seconds=10)
    assert services.outbox_send(pk=message.pk) == "not_due"  # back-off respected

    OutboxMessage.objects.filter(pk=message.pk).update(next_attempt_at=timezone.now())
    assert services.outbox_send(pk=message.pk) == "retry"
    OutboxMessage.objects.filter(pk=message.pk).update(next_attempt_at=timezone.now())
    assert services.outbox_send(pk=message.pk) == "dead"
    message.refresh_from_db()
    assert (message.state, message.attempts) == (OutboxMessage.State.DEAD, 3)
    assert services.outbox_send(pk=message.pk) == "dead"
    assert len(calls) == 3
    assert len(set(calls)) == 1  # the same message id every time: the receiver dedupes
    delivery = Delivery.objects.get(pk=message.delivery_id)
    assert delivery.state == Delivery.State.QUEUED
    assert "Errno 111" in delivery.note


def test_retry_delay_grows_exponentially_with_jitter_and_a_cap(settings: Any) -> None:
    import random

    settings.EGOV_EXCHANGE_RETRY_BASE_SECONDS = 10
    settings.EGOV_EXCHANGE_RETRY_MAX_SECONDS = 60
    rng = random.Random(7)
    for attempt, full in [(1, 10), (2, 20), (3, 40), (4, 60), (9, 60)]:
        delays = {services.retry_delay(attempt, rng=rng).total_seconds() for _ in range(50)}
        assert min(delays) >= full / 2
        assert max(delays) <= full
        assert len(delays) > 1


def test_a_permanent_refusal_kills_at_once(exworld: Any, monkeypatch: Any) -> None:
    issued_to_remote(exworld)
    peer_here()
    message = OutboxMessage.objects.get()

    def too_large(self: Any, link: Any, **kwargs: Any) -> Verdict:
        raise TransportError("HTTP 413: too large", permanent=True)

    monkeypatch.setattr("egov.exchange.connectors.DirectConnector.send_package", too_large)
    assert services.outbox_send(pk=message.pk) == "dead"
    assert OutboxMessage.objects.get().attempts == 1


def test_no_peer_for_the_code_is_a_retry(exworld: Any) -> None:
    issued_to_remote(exworld)
    message = OutboxMessage.objects.get()

    assert services.outbox_send(pk=message.pk) == "retry"
    message.refresh_from_db()
    assert "no enabled peer" in message.last_error


def test_a_stuck_sending_claim_is_taken_over_after_the_lease(exworld: Any, settings: Any) -> None:
    issued_to_remote(exworld)
    message = OutboxMessage.objects.get()
    OutboxMessage.objects.filter(pk=message.pk).update(
        state=OutboxMessage.State.SENDING, claimed_at=timezone.now()
    )
    assert services.outbox_send(pk=message.pk) == "busy"
    settings.EGOV_EXCHANGE_CLAIM_SECONDS = 60
    OutboxMessage.objects.filter(pk=message.pk).update(
        claimed_at=timezone.now() - timedelta(seconds=61)
    )
    result = services.outbox_deliver_due()
    assert result.counts == {"retry": 1}  # taken over (and failed: no peer here)


# --- receiving packages --------------------------------------------------------------------------


@pytest.fixture
def receiving(exworld: Any) -> tuple[Document, bytes, Remote]:
    """A package of an issued document as the remote installation receives it."""
    document = issued_to_remote(exworld)
    peer_here()
    remote = make_remote()
    return document, bytes(OutboxMessage.objects.get().payload), remote


def test_a_package_becomes_an_arrived_document_and_arrived_goes_back(
    receiving: tuple[Document, bytes, Remote], client: Client
) -> None:
    sent, data, remote = receiving
    message_id = str(uuid.uuid4())

    answer = post(client, PACKAGES, data, to_code=REMOTE, message_id=message_id)

    assert (answer.status_code, answer.json()) == (202, {"state": "received", "status_code": "01"})
    inbox = InboxMessage.objects.get(message_id=message_id)
    assert (inbox.state, inbox.sender_code, inbox.recipient_code) == ("received", SENDER, REMOTE)
    arrived = inbox.document
    assert arrived is not None
    assert (arrived.organization, arrived.state, arrived.channel) == (
        remote.organization,
        State.ARRIVED,
        Document.Channel.EXCHANGE,
    )
    assert (arrived.number_notation, arrived.issued_on, arrived.subject) == (
        sent.number_notation,
        sent.issued_on,
        sent.subject,
    )
    assert (arrived.issuer_code, arrived.signer_name) == (SENDER, "Trần Phước Hiền")
    assert arrived.main_sha256 == sent.main_sha256
    back = OutboxMessage.objects.get(kind="status")
    assert (back.to_code, back.from_code, back.status_code) == (SENDER, REMOTE, "01")


def test_a_package_delivered_twice_is_registered_once(
    receiving: tuple[Document, bytes, Remote], client: Client
) -> None:
    _sent, data, remote = receiving
    message_id = str(uuid.uuid4())

    first = post(client, PACKAGES, data, to_code=REMOTE, message_id=message_id)
    again = post(client, PACKAGES, data, to_code=REMOTE, message_id=message_id)
    other_id = post(client, PACKAGES, data, to_code=REMOTE)  # same document, new message id

    assert first.status_code == 202
    assert (again.status_code, again.json()["state"]) == (200, "duplicate")
    assert (other_id.status_code, other_id.json()["state"]) == (200, "duplicate")
    assert Document.objects.filter(organization=remote.organization).count() == 1
    assert OutboxMessage.objects.filter(kind="status").count() == 1
    assert sorted(InboxMessage.objects.values_list("state", flat=True)) == ["ignored", "received"]


def test_a_tampered_package_is_quarantined_and_refused(
    receiving: tuple[Document, bytes, Remote], client: Client
) -> None:
    sent, data, remote = receiving
    tampered = data.replace(sent.subject.encode(), "Phê duyệt kế hoạch khác".encode(), 1)
    assert tampered != data

    answer = post(client, PACKAGES, tampered, to_code=REMOTE)

    assert answer.status_code == 422
    body = answer.json()
    assert (body["state"], body["status_code"]) == ("quarantined", "02")
    assert "signature" in body["reason"]
    inbox = InboxMessage.objects.get()
    assert (inbox.state, inbox.document, bytes(inbox.payload)) == ("quarantined", None, tampered)
    assert Document.objects.filter(organization=remote.organization).count() == 0
    refusal = OutboxMessage.objects.get(kind="status")
    assert (refusal.status_code, refusal.to_code) == ("02", SENDER)


def test_a_package_signed_by_an_unknown_key_is_quarantined(
    receiving: tuple[Document, bytes, Remote], client: Client
) -> None:
    _sent, data, remote = receiving
    unsigned, _key_id, _sig = auth.message_unsigned(data)
    private, _public = auth.keypair_new()
    forged = auth.message_sign(unsigned, key_id="forger", private_key=private)

    answer = post(client, PACKAGES, forged, to_code=REMOTE)

    assert (answer.status_code, answer.json()["state"]) == (422, "quarantined")
    assert Document.objects.filter(organization=remote.organization).count() == 0


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"not xml at all", "exchange.invalid"),
        (b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><x>&a;</x>', "DOCTYPE"),
        (b"<edXMLEnvelope/>", "edXML:edXMLEnvelope"),
    ],
)
def test_a_malformed_package_gets_a_clear_refusal_never_a_500(
    exworld: Any, client: Client, body: bytes, reason: str
) -> None:
    peer_here()

    answer = post(client, PACKAGES, body, to_code=REMOTE)

    assert answer.status_code == 422
    assert answer.json()["state"] == "refused"
    assert answer.json()["status_code"] == "02"
    assert reason in answer.json()["reason"]
    assert InboxMessage.objects.get().state == "refused"
    assert Document.objects.filter(direction="incoming").count() == 0


def test_a_package_for_an_organisation_not_hosted_here_is_refused(
    exworld: Any, client: Client
) -> None:
    issued_to_remote(exworld)  # REMOTE is not in this directory
    peer_here()
    data = bytes(OutboxMessage.objects.get().payload)

    answer = post(client, PACKAGES, data, to_code=REMOTE)

    assert (answer.status_code, answer.json()["state"]) == (422, "refused")
    assert "not addressed" in answer.json()["reason"]


def test_request_authentication_refusals_write_nothing(
    receiving: tuple[Document, bytes, Remote], client: Client
) -> None:
    _sent, data, _remote = receiving
    good = signed_post_headers(key_id="loop", secret=SECRET, path=PACKAGES, body=data)
    wrong_secret = signed_post_headers(key_id="loop", secret="x" * 32, path=PACKAGES, body=data)
    unknown_key = signed_post_headers(key_id="nobody", secret=SECRET, path=PACKAGES, body=data)
    stale = signed_post_headers(
        key_id="loop", secret=SECRET, path=PACKAGES, body=data, now=1_000_000_000
    )
    other_body = signed_post_headers(key_id="loop", secret=SECRET, path=PACKAGES, body=b"x")

    for headers in (wrong_secret, unknown_key, stale, other_body, {}):
        answer = client.post(PACKAGES, data=data, **as_client_kwargs(headers))
        assert answer.status_code == 401
    assert InboxMessage.objects.count() == 0

    assert client.post(PACKAGES, data=data, **as_client_kwargs(good)).status_code == 202
    replay = client.post(PACKAGES, data=data, **as_client_kwargs(good))
    assert (replay.status_code, replay.json()["reason"]) == (
        401,
        "replayed request (nonce already seen)",
    )
    assert InboxMessage.objects.count() == 1


def test_a_package_over_the_size_limit_is_refused_413(
    receiving: tuple[Document, bytes, Remote], client: Client, settings: Any
) -> None:
    _sent, data, _remote = receiving
    settings.EGOV_EXCHANGE_MAX_PACKAGE_BYTES = len(data) - 1

    answer = post(client, PACKAGES, data, to_code=REMOTE)

    assert answer.status_code == 413
    assert InboxMessage.objects.count() == 0


def test_an_attachment_over_its_limit_is_refused(
    receiving: tuple[Document, bytes, Remote], client: Client, settings: Any
) -> None:
    _sent, data, _remote = receiving
    settings.EGOV_EXCHANGE_MAX_ATTACHMENT_BYTES = 100

    answer = post(client, PACKAGES, data, to_code=REMOTE)

    assert (answer.status_code, answer.json()["state"]) == (422, "refused")
    assert "exchange.too_large" in answer.json()["reason"]


def test_get_is_not_allowed(client: Client, exworld: Any) -> None:
    assert client.get(PACKAGES).status_code == 405


# --- status messages -----------------------------------------------------------------------------


def status_body(document_key: str, code: str, at: Any, description: str = "") -> bytes:
    key = services.local_key_ensure()
    data = status_serialize(
        StatusMessage(
            from_=_organ(),
            status_code=code,
            timestamp=at,
            document_id=document_key,
            description=description,
        )
    )
    return auth.message_sign(data, key_id=key.key_id, private_key=key.private_key)


def _organ() -> Any:
    from egov.exchange.edxml import Organ

    return Organ(REMOTE, "Sở Tài chính")


@pytest.fixture
def sent_delivery(exworld: Any) -> tuple[OutboxMessage, Delivery]:
    issued_to_remote(exworld)
    peer_here()
    message = OutboxMessage.objects.get()
    OutboxMessage.objects.filter(pk=message.pk).update(state=OutboxMessage.State.SENT)
    Delivery.objects.filter(pk=message.delivery_id).update(state=Delivery.State.SENT)
    return message, Delivery.objects.get(pk=message.delivery_id)


def test_statuses_move_the_delivery_in_order(
    sent_delivery: tuple[OutboxMessage, Delivery], client: Client
) -> None:
    message, delivery = sent_delivery
    t0 = timezone.now()
    for offset, code, expected in [
        (1, "01", Delivery.State.ARRIVED),
        (2, "03", Delivery.State.REGISTERED),
        (3, "04", Delivery.State.ASSIGNED),
        (4, "06", Delivery.State.COMPLETED),
    ]:
        at = t0 + timedelta(seconds=offset)
        answer = post(client, STATUS, status_body(message.document_key, code, at))
        assert (answer.status_code, answer.json()) == (
            200,
            {"state": "applied", "status_code": code},
        )
        delivery.refresh_from_db()
        assert (delivery.state, delivery.state_changed_at) == (expected, at)


def test_a_duplicated_status_changes_nothing(
    sent_delivery: tuple[OutboxMessage, Delivery], client: Client
) -> None:
    message, delivery = sent_delivery
    at = timezone.now()
    body = status_body(message.document_key, "03", at)
    message_id = str(uuid.uuid4())

    first = post(client, STATUS, body, message_id=message_id)
    again = post(client, STATUS, body, message_id=message_id)
    resent = post(client, STATUS, body)  # the same status under a new message id

    assert first.json()["state"] == "applied"
    assert (again.status_code, again.json()["state"]) == (200, "duplicate")
    assert (resent.status_code, resent.json()["state"]) == (200, "ignored")
    delivery.refresh_from_db()
    assert (delivery.state, delivery.state_changed_at) == (Delivery.State.REGISTERED, at)
    assert InboxMessage.objects.filter(kind="status").count() == 2


def test_an_older_status_arriving_late_is_ignored(
    sent_delivery: tuple[OutboxMessage, Delivery], client: Client
) -> None:
    message, delivery = sent_delivery
    t0 = timezone.now()
    completed = post(client, STATUS, status_body(message.document_key, "06", t0 + timedelta(5)))
    late_registered = post(client, STATUS, status_body(message.document_key, "03", t0))
    late_arrived = post(client, STATUS, status_body(message.document_key, "01", t0))

    assert completed.json()["state"] == "applied"
    assert late_registered.json()["state"] == "ignored"
    assert late_arrived.json()["state"] == "ignored"
    delivery.refresh_from_db()
    assert delivery.state == Delivery.State.COMPLETED
    ignored = InboxMessage.objects.filter(kind="status", state="ignored")
    assert ignored.count() == 2
    assert {m.reason for m in ignored} == {"Older than the status already applied."}


def test_same_timestamp_statuses_apply_in_the_standards_order(
    sent_delivery: tuple[OutboxMessage, Delivery], client: Client
) -> None:
    message, delivery = sent_delivery
    at = timezone.now()
    post(client, STATUS, status_body(message.document_key, "03", at))
    post(client, STATUS, status_body(message.document_key, "01", at))

    delivery.refresh_from_db()
    assert delivery.state == Delivery.State.REGISTERED


def test_a_refusal_status_carries_the_reason(
    sent_delivery: tuple[OutboxMessage, Delivery], client: Client
) -> None:
    message, delivery = sent_delivery
    body = status_body(message.document_key, "02", timezone.now(), "Gửi nhầm cơ quan")

    post(client, STATUS, body)

    delivery.refresh_from_db()
    assert (delivery.state, delivery.note) == (Delivery.State.REFUSED, "Gửi nhầm cơ quan")


def test_a_tampered_or_unknown_status_is_not_applied(
    sent_delivery: tuple[OutboxMessage, Delivery], client: Client
) -> None:
    message, delivery = sent_delivery
    body = status_body(message.document_key, "03", timezone.now())
    tampered = body.replace(b">03<", b">06<")
    unknown = status_body("000.00.01.H51,2020/01/01,99/QĐ-UBND", "03", timezone.now())

    bad = post(client, STATUS, tampered)
    stranger = post(client, STATUS, unknown)
    garbage = post(client, STATUS, b"<oops")

    assert (bad.status_code, bad.json()["state"]) == (422, "quarantined")
    assert (stranger.status_code, stranger.json()["state"]) == (422, "refused")
    assert (garbage.status_code, garbage.json()["state"]) == (422, "refused")
    delivery.refresh_from_db()
    assert delivery.state == Delivery.State.SENT


# --- the whole loop over HTTP --------------------------------------------------------------------


def _drain() -> dict[str, int]:
    return services.outbox_deliver_due().counts


@pytest.mark.django_db(transaction=True)
def test_round_trip_over_http_each_status_comes_back(
    exworld: Any, live_server: Any, settings: Any
) -> None:
    settings.ROOT_URLCONF = "exchange_test_urls"
    document = issued_to_remote(exworld)
    peer_here(endpoint=live_server.url)
    remote = make_remote()
    delivery = Delivery.objects.get(document=document, channel=Delivery.Channel.EXCHANGE)

    def sender_sees() -> str:
        delivery.refresh_from_db()
        return str(delivery.state)

    assert _drain() == {"sent": 1}  # the package
    assert sender_sees() == Delivery.State.SENT
    arrived = Document.objects.get(organization=remote.organization)
    assert arrived.state == State.ARRIVED
    assert _drain() == {"sent": 1}  # "01 arrived" back
    assert sender_sees() == Delivery.State.ARRIVED

    arrived = incoming.document_register_arrived(
        actor=remote.clerk.account, document=arrived, expected_version=arrived.version
    )
    assert _drain() == {"sent": 1}
    assert sender_sees() == Delivery.State.REGISTERED
    assert InboxMessage.objects.get(kind="package").state == "registered"

    arrived = incoming.document_direct(
        actor=remote.head.account,
        document=arrived,
        direction_text="Giao chuyên viên xử lý",
        lead_officer=remote.officer,
        expected_version=arrived.version,
    )
    assert _drain() == {"sent": 1}
    assert sender_sees() == Delivery.State.ASSIGNED

    route = Route.objects.get(document=arrived, role=Route.Role.LEAD)
    incoming.route_complete(actor=remote.officer.account, route=route, result_note="Đã xong")
    assert _drain() == {"sent": 1}
    assert sender_sees() == Delivery.State.COMPLETED
    assert _drain() == {}
    assert sorted(
        InboxMessage.objects.filter(kind="status").values_list("status_code", "state")
    ) == [("01", "applied"), ("03", "applied"), ("04", "applied"), ("06", "applied")]


def test_status_command_lists_outbox_and_inbox(exworld: Any) -> None:
    issued_to_remote(exworld)
    out = StringIO()
    call_command("exchange", "status", "--json", stdout=out)
    listed = json.loads(out.getvalue())
    assert [(m["kind"], m["to"], m["state"]) for m in listed["outbox"]] == [
        ("package", REMOTE, "queued")
    ]
    assert listed["inbox"] == []
    table = StringIO()
    call_command("exchange", "status", stdout=table)
    assert "package" in table.getvalue()
    assert REMOTE in table.getvalue()


def test_deliver_command_reports_what_it_did(exworld: Any) -> None:
    issued_to_remote(exworld)
    out = StringIO()
    call_command("exchange", "deliver", stdout=out)
    assert json.loads(out.getvalue()) == {"retry": 1}


@pytest.mark.django_db(transaction=True)
def test_packages_and_statuses_route_through_the_hub_simulator(
    exworld: Any, live_server: Any, settings: Any
) -> None:
    import socket
    import threading
    from wsgiref.simple_server import make_server

    from egov.exchange.hub import Hub, _Quiet, _ThreadingServer

    settings.ROOT_URLCONF = "exchange_test_urls"
    document = issued_to_remote(exworld)
    make_remote()
    route = {"endpoint": live_server.url, "key_id": "hub-to-us", "secret": SECRET}
    hub = Hub({"clients": {"us-to-hub": SECRET}, "routes": {REMOTE: route, SENDER: route}})
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = make_server(
        "127.0.0.1", port, hub, server_class=_ThreadingServer, handler_class=_Quiet
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        key = services.local_key_ensure()
        services.peer_save(
            name="hub",
            endpoint_url=f"http://127.0.0.1:{port}",
            org_codes=[REMOTE, SENDER],
            key_id="us-to-hub",
            secret=SECRET,
            public_key=key.public_key,
            connector=Peer.Connector.HUB,
        )
        services.peer_save(  # the hub's requests to us
            name="hub inbound",
            endpoint_url=f"http://127.0.0.1:{port}",
            org_codes=[],
            key_id="hub-to-us",
            secret=SECRET,
        )
        assert _drain() == {"sent": 1}
        assert _drain() == {"sent": 1}
    finally:
        server.shutdown()
        server.server_close()
    delivery = Delivery.objects.get(document=document, channel=Delivery.Channel.EXCHANGE)
    assert delivery.state == Delivery.State.ARRIVED
    assert hub.forwarded == 2
    assert InboxMessage.objects.get(kind="package").peer == Peer.objects.get(name="hub inbound")


def test_the_hub_refuses_unknown_senders_and_unknown_codes() -> None:
    import io

    from egov.exchange.hub import Hub

    hub = Hub({"clients": {"k": SECRET}, "routes": {}})

    def call(headers: dict[str, str], body: bytes = b"<x/>") -> tuple[str, bytes]:
        seen: list[str] = []
        environ = {
            "REQUEST_METHOD": "POST",
            "PATH_INFO": PACKAGES,
            "CONTENT_LENGTH": str(len(body)),
            "wsgi.input": io.BytesIO(body),
            **{"HTTP_" + k.upper().replace("-", "_"): v for k, v in headers.items()},
        }
        out = b"".join(hub(environ, lambda status, h: seen.append(status)))
        return seen[0], out

    signed = auth.request_headers(
        key_id="k",
        secret=SECRET,
        method="POST",
        path=PACKAGES,
        body=b"<x/>",
        message_id="m1",
        now=int(__import__("time").time()),
    )
    assert call({})[0].startswith("401")
    status, body = call({**signed, "X-Egov-To": "000.00.99.H51"})
    assert status.startswith("422")
    assert json.loads(body)["reason"] == "no route to 000.00.99.H51"
    assert call({**signed, "X-Egov-To": "000.00.99.H51"})[0].startswith("401")  # replay


def test_issue_enqueues_the_delivery_task_in_the_same_transaction(exworld: Any) -> None:
    from django_tasks_db.models import DBTaskResult

    issued_to_remote(exworld)

    message = OutboxMessage.objects.get()
    tasks = list(DBTaskResult.objects.filter(task_path__endswith="deliver_outbox_message"))
    assert [t.args_kwargs["args"] for t in tasks] == [[message.pk]]


def test_the_task_reschedules_itself_at_the_backoff_time(
    exworld: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from django_tasks_db.models import DBTaskResult

    from egov.exchange.tasks import deliver_outbox_message

    issued_to_remote(exworld)  # no peer: the attempt fails
    message = OutboxMessage.objects.get()
    DBTaskResult.objects.all().delete()

    with django_capture_on_commit_callbacks(execute=True):
        assert deliver_outbox_message.call(message.pk) == "retry"

    message.refresh_from_db()
    retry = DBTaskResult.objects.get()
    assert retry.args_kwargs["args"] == [message.pk]
    assert retry.run_after == message.next_attempt_at


def test_key_and_peer_commands_configure_the_exchange(db: None) -> None:
    out = StringIO()
    call_command("exchange", "key", stdout=out)
    key = json.loads(out.getvalue())
    assert key == {
        "key_id": LocalKey.objects.get().key_id,
        "public_key": LocalKey.objects.get().public_key,
    }
    call_command(
        "exchange",
        "peer",
        "Sở Tài chính",
        "--endpoint",
        "https://stc.example.gov.vn/",
        "--codes",
        f"{REMOTE}, 000.00.10.H51",
        "--key-id",
        "ubnd-stc",
        "--secret",
        SECRET,
        "--public-key",
        key["public_key"],
        stdout=StringIO(),
    )
    peer = Peer.objects.get()
    assert (peer.endpoint_url, peer.org_codes, peer.connector, peer.enabled) == (
        "https://stc.example.gov.vn",
        [REMOTE, "000.00.10.H51"],
        "direct",
        True,
    )
    with pytest.raises(Exception, match="at least 16 characters"):
        call_command(
            "exchange",
            "peer",
            "X",
            "--endpoint",
            "http://x",
            "--codes",
            "A",
            "--key-id",
            "k",
            "--secret",
            "short",
            stdout=StringIO(),
        )
    assert Peer.objects.count() == 1

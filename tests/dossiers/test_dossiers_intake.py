"""Intake: idempotency (also under a race on PostgreSQL), nothing half-written, online seams."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
from directory_factories import ApiKeyFactory, OfficerFactory
from django.db import connection, connections
from django.utils import timezone
from dossiers_support import FORM, PROCEDURE_CODE, Clock, World, vn

from egov.core.errors import NotFound, PermissionDenied, ValidationFailed
from egov.core.models import AuditEntry, OutboundMessage, StoredFile
from egov.core.sequences import sequence_peek
from egov.directory.models import Role, Scope
from egov.dossiers import services
from egov.dossiers.models import Dossier, DossierFee, DossierFile
from egov.dossiers.services import IncomingFile, dossier_receive

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
SERIES = {"scope": "000.00.20.H51", "register": "dossier-260212", "year": 2026}


def _files(tmp_path: Path) -> list[Path]:
    root = tmp_path / "files"
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def test_the_same_key_twice_returns_the_first_dossier(clock: Clock, receive: Any) -> None:
    first = receive(idempotency_key="abc-123")
    second = receive(idempotency_key="abc-123")
    assert second.pk == first.pk
    assert Dossier.objects.count() == 1
    assert sequence_peek(**SERIES) == 1
    assert AuditEntry.objects.filter(action="dossiers.dossier.receive").count() == 1
    assert OutboundMessage.objects.count() == 2  # one SMS and one e-mail, sent once


def test_another_submitter_reusing_a_key_gets_a_conflict_not_the_dossier(
    world: World, clock: Clock, receive: Any
) -> None:
    colleague = OfficerFactory(unit=world.centre, roles=[(Role.COUNTER, Scope.ORGANIZATION)])
    receive(idempotency_key="shared")
    with pytest.raises(services.DossierConflict) as reused:
        receive(idempotency_key="shared", actor=colleague.account)
    assert reused.value.code == "dossier.idempotency_key_reused"
    assert Dossier.objects.count() == 1


def test_the_same_key_on_another_channel_is_another_dossier(
    world: World, clock: Clock, receive: Any
) -> None:
    first = receive(idempotency_key="k1")
    second = receive(idempotency_key="k1", channel="online", actor=world.applicant.account)
    assert first.pk != second.pk
    assert second.received_by is None
    assert second.submitted_by == world.applicant.account


def test_files_are_stored_with_their_document_code(
    clock: Clock, receive: Any, tmp_path: Path
) -> None:
    dossier = receive(files=[IncomingFile(upload=PDF, name="don.pdf", document_code="TP1")])
    attached = DossierFile.objects.get(dossier=dossier)
    assert attached.document_code == "TP1"
    assert attached.kind == "original"
    assert attached.stored_file.original_name == "don.pdf"
    assert dossier.digitised is True
    assert len(_files(tmp_path)) == 1


def _nothing_written(tmp_path: Path) -> None:
    assert Dossier.objects.count() == 0
    assert DossierFee.objects.count() == 0
    assert StoredFile.objects.count() == 0
    assert AuditEntry.objects.filter(action="dossiers.dossier.receive").count() == 0
    assert OutboundMessage.objects.count() == 0
    assert sequence_peek(**SERIES) == 0
    assert _files(tmp_path) == []


def test_an_invalid_form_is_refused_naming_the_field_and_nothing_is_written(
    clock: Clock, receive: Any, tmp_path: Path
) -> None:
    with pytest.raises(ValidationFailed) as refused:
        receive(
            form_data={**FORM, "so_dinh_danh": "12"},
            files=[IncomingFile(upload=PDF, name="don.pdf", document_code="TP1")],
        )
    assert refused.value.code == "dossier.form_invalid"
    assert refused.value.field == "so_dinh_danh"
    _nothing_written(tmp_path)


def test_a_fee_rule_input_missing_is_refused(clock: Clock, receive: Any, tmp_path: Path) -> None:
    form = {k: v for k, v in FORM.items() if k != "gia_tri"}
    with pytest.raises(ValidationFailed):
        receive(form_data=form)
    _nothing_written(tmp_path)


def test_a_failure_after_the_files_were_stored_leaves_nothing(
    clock: Clock, receive: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(**kwargs: Any) -> None:
        raise RuntimeError("audit log unavailable")

    monkeypatch.setattr(services, "audit_record", broken)
    with pytest.raises(RuntimeError):
        receive(files=[IncomingFile(upload=PDF, name="don.pdf", document_code="TP1")])
    _nothing_written(tmp_path)


def test_unknown_document_code_and_unknown_procedure_are_refused(
    clock: Clock, receive: Any, tmp_path: Path
) -> None:
    with pytest.raises(ValidationFailed) as unknown:
        receive(files=[IncomingFile(upload=PDF, name="x.pdf", document_code="TP9")])
    assert unknown.value.code == "dossier.unknown_document"
    assert unknown.value.field == "files.0.document_code"
    with pytest.raises(NotFound) as missing:
        receive(procedure_code="1.999999")
    assert missing.value.code == "dossier.procedure_not_found"
    _nothing_written(tmp_path)


def test_a_channel_the_procedure_does_not_offer_is_refused(
    clock: Clock, receive: Any, tmp_path: Path
) -> None:
    with pytest.raises(ValidationFailed) as refused:
        receive(channel="post")
    assert refused.value.code == "dossier.channel_unavailable"
    _nothing_written(tmp_path)


def test_an_api_key_submits_online_within_its_organisation_only(
    world: World, clock: Clock, receive: Any, tmp_path: Path
) -> None:
    scopes = ["dossiers.submit"]
    key = ApiKeyFactory(organization=world.root, scopes=scopes)
    dossier = receive(actor=None, channel="online", api_key=key, idempotency_key="x")
    assert dossier.api_key == key
    assert dossier.received_by is None
    narrow = ApiKeyFactory(organization=world.environment, scopes=scopes)
    revoked = ApiKeyFactory(organization=world.root, scopes=scopes, revoked_at=timezone.now())
    unscoped = ApiKeyFactory(organization=world.root, scopes=["calendar.read"])
    for refused in (narrow, revoked, unscoped):
        with pytest.raises(PermissionDenied):
            receive(actor=None, channel="online", api_key=refused, idempotency_key="y")
    assert Dossier.objects.count() == 1


def test_stale_instance_gets_a_conflict_and_nothing_changes(
    world: World, clock: Clock, receive: Any
) -> None:
    dossier = receive()
    first_view = Dossier.objects.get(pk=dossier.pk)
    second_view = Dossier.objects.get(pk=dossier.pk)
    services.dossier_accept(actor=world.counter.account, dossier=first_view)
    with pytest.raises(services.DossierConflict) as conflict:
        services.dossier_refuse(
            actor=world.counter.account,
            dossier=second_view,
            reasons=["Thiếu"],
            legal_basis="Điều 1",
        )
    assert conflict.value.code == "dossier.conflict"
    assert conflict.value.status == 409
    assert conflict.value.details == {"expected": 1, "current": 2}
    fresh = Dossier.objects.get(pk=dossier.pk)
    assert (fresh.state, fresh.version, fresh.reasons) == ("accepted", 2, [])
    assert AuditEntry.objects.filter(action="dossiers.dossier.refuse").count() == 0


def test_an_explicit_expected_version_is_checked(world: World, clock: Clock, receive: Any) -> None:
    dossier = receive()
    with pytest.raises(services.DossierConflict):
        services.dossier_accept(actor=world.counter.account, dossier=dossier, expected_version=7)
    accepted = services.dossier_accept(
        actor=world.counter.account, dossier=dossier, expected_version=1
    )
    assert accepted.version == 2


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_intakes_with_the_same_key_make_one_dossier(
    world: World, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock.set(vn(2026, 2, 12, 9, 0))
    # Both requests pass the early look-up before either commits: the unique constraint decides.
    real_existing = services._existing
    seen = threading.local()

    def existing_after_first_look(channel: str, key: str) -> Dossier | None:
        if not getattr(seen, "looked", False):
            seen.looked = True
            return None
        return real_existing(channel, key)

    monkeypatch.setattr(services, "_existing", existing_after_first_look)
    barrier = threading.Barrier(2)
    results: list[int] = []
    errors: list[BaseException] = []

    def submit() -> None:
        try:
            barrier.wait(timeout=10)
            dossier = dossier_receive(
                actor=world.applicant.account,
                procedure_code=PROCEDURE_CODE,
                receiving_organization=world.centre,
                applicant=world.applicant,
                channel="online",
                form_data=dict(FORM),
                idempotency_key="race-1",
            )
            results.append(dossier.pk)
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=submit) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    assert len(results) == 2
    assert results[0] == results[1]
    assert Dossier.objects.count() == 1
    assert sequence_peek(**SERIES) == 1
    assert Dossier.objects.get().code == "000.00.20.H51-260212-0001"
    assert connection.vendor == "postgresql"

"""The services take the uploaded result document and store it themselves: a decision or a
return that fails leaves no file in storage."""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from dossiers_support import Clock, World, vn

from egov.core.errors import Conflict
from egov.core.files import file_store
from egov.core.models import AuditEntry, StoredFile
from egov.dossiers import services
from egov.dossiers.models import Dossier, DossierStep, State

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _stored_paths(tmp_path: Path) -> list[Path]:
    return [p for p in (tmp_path / "files").rglob("*") if p.is_file()]


def _ready_to_decide(world: World, clock: Clock, receive: Any) -> Dossier:
    """A dossier whose steps before the head's approval are all finished."""
    dossier = receive()
    clock.set(vn(2026, 2, 12, 10, 0))
    dossier = services.dossier_accept(actor=world.counter.account, dossier=dossier)
    steps = list(DossierStep.objects.filter(dossier=dossier).order_by("order"))
    for step, officer in ((steps[1], world.reviewer), (steps[2], world.env_officer)):
        services.dossier_start_step(actor=officer.account, dossier=dossier, step=step)
        dossier.refresh_from_db()
        services.dossier_complete_step(actor=officer.account, dossier=dossier, step=step)
        dossier.refresh_from_db()
    return dossier


def test_approval_stores_the_uploaded_result_document(
    world: World, clock: Clock, receive: Any, tmp_path: Path
) -> None:
    dossier = _ready_to_decide(world, clock, receive)
    decided = services.dossier_approve_result(
        actor=world.head.account,
        dossier=dossier,
        result_number="15/GPXD",
        result_file=services.IncomingFile(upload=PDF, name="giay-phep.pdf"),
    )
    assert decided.state == State.APPROVED
    assert decided.e_result is True
    kept = StoredFile.objects.get(pk=decided.result_file_id)
    assert (kept.original_name, kept.size) == ("giay-phep.pdf", len(PDF))
    assert len(_stored_paths(tmp_path)) == 1
    entry = AuditEntry.objects.filter(action="dossiers.dossier.approve_result").get()
    assert entry.summary["after"]["result_file"] == [str(kept.pk), kept.sha256]


def test_a_stale_version_stores_no_result_document(
    world: World, clock: Clock, receive: Any, tmp_path: Path
) -> None:
    dossier = _ready_to_decide(world, clock, receive)
    files_before = StoredFile.objects.count()
    with pytest.raises(Conflict) as caught:
        services.dossier_approve_result(
            actor=world.head.account,
            dossier=dossier,
            result_file=services.IncomingFile(upload=PDF, name="giay-phep.pdf"),
            expected_version=dossier.version - 1,
        )
    assert caught.value.code == "dossier.conflict"
    assert StoredFile.objects.count() == files_before
    assert _stored_paths(tmp_path) == []
    fresh = Dossier.objects.get(pk=dossier.pk)
    assert (fresh.state, fresh.version, fresh.result_file_id) == (
        State.IN_PROCESS,
        dossier.version,
        None,
    )


@pytest.mark.parametrize("service", ["deny", "return"])
def test_a_failure_after_storing_removes_the_result_document_again(
    world: World,
    clock: Clock,
    receive: Any,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    service: str,
) -> None:
    dossier = _ready_to_decide(world, clock, receive)
    if service == "return":
        dossier = services.dossier_approve_result(actor=world.head.account, dossier=dossier)
    version = dossier.version

    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("audit log unavailable")

    upload = services.IncomingFile(upload=PDF, name="ket-qua.pdf")
    if service == "deny":
        call = partial(
            services.dossier_deny_result,
            actor=world.head.account,
            dossier=dossier,
            reasons=["Sai"],
            result_file=upload,
        )
    else:
        call = partial(
            services.dossier_return_result,
            actor=world.counter.account,
            dossier=dossier,
            delivery="online",
            result_file=upload,
        )
    with monkeypatch.context() as patch:
        patch.setattr(services, "_audit", broken)
        with pytest.raises(RuntimeError):
            call()
    assert _stored_paths(tmp_path) == []
    assert not StoredFile.objects.exists()
    fresh = Dossier.objects.get(pk=dossier.pk)
    assert (fresh.version, fresh.result_file_id) == (version, None)


def test_the_return_takes_an_upload_and_older_callers_a_stored_file(
    world: World, clock: Clock, receive: Any, tmp_path: Path
) -> None:
    dossier = _ready_to_decide(world, clock, receive)
    already = file_store(upload=PDF, name="quyet-dinh.pdf", actor=world.head.account)
    dossier = services.dossier_approve_result(
        actor=world.head.account, dossier=dossier, result_file=already
    )
    assert dossier.result_file_id == already.pk
    returned = services.dossier_return_result(
        actor=world.counter.account,
        dossier=dossier,
        delivery="online",
        result_file=services.IncomingFile(upload=PDF, name="ban-sao.pdf"),
    )
    assert returned.state == State.RETURNED
    assert returned.result_file is not None
    assert returned.result_file.original_name == "ban-sao.pdf"
    assert StoredFile.objects.count() == 2


def test_the_approve_form_hands_the_upload_to_the_service(
    world: World, clock: Clock, receive: Any, tmp_path: Path
) -> None:
    dossier = _ready_to_decide(world, clock, receive)
    client = Client()
    client.force_login(world.head.account)
    url = f"/lam-viec/ho-so/{dossier.code}/thao-tac/phe-duyet/"
    stale = client.post(
        url,
        {
            "phe-duyet-version": dossier.version - 1,
            "phe-duyet-result_number": "15/GPXD",
            "phe-duyet-result_file": SimpleUploadedFile("gp.pdf", PDF, "application/pdf"),
        },
    )
    assert stale.status_code == 409
    assert _stored_paths(tmp_path) == []
    done = client.post(
        url,
        {
            "phe-duyet-version": dossier.version,
            "phe-duyet-result_number": "15/GPXD",
            "phe-duyet-result_file": SimpleUploadedFile("gp.pdf", PDF, "application/pdf"),
        },
    )
    assert done.status_code == 302
    fresh = Dossier.objects.select_related("result_file").get(pk=dossier.pk)
    assert fresh.result_file is not None
    assert fresh.result_file.original_name == "gp.pdf"
    assert len(_stored_paths(tmp_path)) == 1

"""The competent head signs the approved result PDF: the applicant's verifiable e-result."""

from __future__ import annotations

import io
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from dossiers_support import Clock, World, vn
from reportlab.pdfgen import canvas

from egov.core.errors import ValidationFailed
from egov.core.files import file_open
from egov.core.models import AuditEntry
from egov.directory.policy import PermissionDenied
from egov.dossiers import services
from egov.dossiers.models import Dossier, DossierEvent, DossierStep, State
from egov.dossiers.result_services import dossier_sign_result
from egov.dossiers.services import DossierConflict, TransitionNotAllowed
from egov.signing import devca, keys, verify
from egov.signing import services as signing
from egov.signing.models import SignatureRecord, SigningKey

PASSWORD = "mat-khau-thu-nghiem"


def _pdf(text: str = "GIAY PHEP XAY DUNG so 15/GPXD") -> bytes:
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer)
    page.drawString(72, 720, text)
    page.save()
    return buffer.getvalue()


@pytest.fixture
def ca() -> devca.DevCa:
    return devca.build_dev_ca(
        seal_org_code="H51.04",
        seal_org_name="Sở Xây dựng",
        officers=[devca.OfficerCert("head", "Trần Văn Hùng", "Sở Xây dựng", "Ban Giám đốc")],
        password=PASSWORD,
    )


@pytest.fixture
def head_key(world: World, ca: devca.DevCa) -> SigningKey:
    keys.signer_cache.forget()
    signing.trusted_root_add(
        actor=None, certificate=ca.root.certificate.public_bytes(serialization.Encoding.PEM)
    )
    return signing.signing_key_import_pkcs12(
        actor=None,
        data=ca.officers["head"].pkcs12(PASSWORD, "head"),
        password=PASSWORD,
        officer=world.head,
    )


def _approved(world: World, clock: Clock, receive: Any, result: bytes | None = None) -> Dossier:
    dossier = receive()
    clock.set(vn(2026, 2, 12, 10, 0))
    dossier = services.dossier_accept(actor=world.counter.account, dossier=dossier)
    steps = list(DossierStep.objects.filter(dossier=dossier).order_by("order"))
    for step, officer in ((steps[1], world.reviewer), (steps[2], world.env_officer)):
        services.dossier_start_step(actor=officer.account, dossier=dossier, step=step)
        dossier.refresh_from_db()
        services.dossier_complete_step(actor=officer.account, dossier=dossier, step=step)
        dossier.refresh_from_db()
    return services.dossier_approve_result(
        actor=world.head.account,
        dossier=dossier,
        result_number="15/GPXD",
        result_file=services.IncomingFile(upload=result or _pdf(), name="giay-phep.pdf"),
    )


def _bytes(dossier: Dossier) -> bytes:
    with file_open(dossier.result_file) as handle:
        return bytes(handle.read())


def test_head_signs_the_approved_result_and_the_signature_validates(
    world: World, clock: Clock, receive: Any, head_key: SigningKey, ca: devca.DevCa
) -> None:
    dossier = _approved(world, clock, receive)
    unsigned_id = dossier.result_file_id
    signed = dossier_sign_result(
        actor=world.head.account, dossier=dossier, key_id=head_key.pk, secret=PASSWORD
    )
    fresh = Dossier.objects.get(pk=dossier.pk)
    assert fresh.state == State.APPROVED
    assert fresh.result_signed_at is not None
    assert fresh.e_result is True
    assert fresh.result_file_id != unsigned_id
    assert fresh.version == signed.version == dossier.version
    reports = verify.verify_pdf(
        _bytes(fresh), [ca.root.certificate.public_bytes(serialization.Encoding.DER)]
    )
    assert [r.signer_name for r in reports] == ["Trần Văn Hùng"]
    assert all(r.ok for r in reports)
    assert DossierEvent.objects.filter(dossier=fresh, action="sign_result").count() == 1
    entry = AuditEntry.objects.get(action="dossiers.dossier.sign_result")
    assert entry.summary["after"]["signed"][1] == fresh.result_file.sha256
    assert entry.summary["after"]["unsigned"][0] == str(unsigned_id)


def test_a_result_is_signed_once_and_only_when_approved(
    world: World, clock: Clock, receive: Any, head_key: SigningKey
) -> None:
    dossier = _approved(world, clock, receive)
    dossier_sign_result(
        actor=world.head.account, dossier=dossier, key_id=head_key.pk, secret=PASSWORD
    )
    with pytest.raises(TransitionNotAllowed) as again:
        dossier_sign_result(
            actor=world.head.account, dossier=dossier, key_id=head_key.pk, secret=PASSWORD
        )
    assert again.value.code == "dossier.result_already_signed"
    open_one = receive()
    with pytest.raises(TransitionNotAllowed) as early:
        dossier_sign_result(
            actor=world.head.account, dossier=open_one, key_id=head_key.pk, secret=PASSWORD
        )
    assert early.value.code in {"dossier.result_not_approved", "permission_denied"}


def test_refusals_change_nothing(
    world: World, clock: Clock, receive: Any, head_key: SigningKey
) -> None:
    dossier = _approved(world, clock, receive)
    before = (dossier.version, dossier.result_file_id)
    with pytest.raises(PermissionDenied):
        dossier_sign_result(
            actor=world.reviewer.account, dossier=dossier, key_id=head_key.pk, secret=PASSWORD
        )
    with pytest.raises(Exception) as wrong:  # noqa: PT011 - the signing app's own error
        dossier_sign_result(
            actor=world.head.account, dossier=dossier, key_id=head_key.pk, secret="sai-mat-khau"
        )
    assert "password" in wrong.value.code or "secret" in wrong.value.code
    stale = Dossier.objects.get(pk=dossier.pk)
    with pytest.raises(DossierConflict):
        dossier_sign_result(
            actor=world.head.account,
            dossier=stale,
            key_id=head_key.pk,
            secret=PASSWORD,
            expected_version=stale.version - 1,
        )
    fresh = Dossier.objects.get(pk=dossier.pk)
    assert (fresh.version, fresh.result_file_id) == before
    assert fresh.result_signed_at is None
    assert not AuditEntry.objects.filter(action="dossiers.dossier.sign_result").exists()
    assert not SignatureRecord.objects.exists()


def test_a_result_that_is_not_a_pdf_cannot_be_signed(
    world: World, clock: Clock, receive: Any, head_key: SigningKey
) -> None:
    dossier = _approved(world, clock, receive)
    Dossier.objects.filter(pk=dossier.pk).update(result_file=None)
    dossier.refresh_from_db()
    with pytest.raises(ValidationFailed) as refused:
        dossier_sign_result(
            actor=world.head.account, dossier=dossier, key_id=head_key.pk, secret=PASSWORD
        )
    assert refused.value.code == "dossier.result_pdf_required"


def test_the_head_signs_from_the_dossier_page(
    world: World, clock: Clock, receive: Any, head_key: SigningKey, ca: devca.DevCa
) -> None:
    from django.test import Client

    dossier = _approved(world, clock, receive)
    page_url = f"/lam-viec/ho-so/{dossier.code}/"
    action_url = f"/lam-viec/ho-so/{dossier.code}/thao-tac/ky-ket-qua/"
    reviewer = Client()
    reviewer.force_login(world.reviewer.account)
    assert "ky-ket-qua" not in reviewer.get(page_url).content.decode()
    head = Client()
    head.force_login(world.head.account)
    assert action_url in head.get(page_url).content.decode()
    wrong = head.post(
        action_url,
        {
            "ky-ket-qua-version": dossier.version,
            "ky-ket-qua-key": head_key.pk,
            "ky-ket-qua-secret": "sai",
        },
    )
    assert wrong.status_code in (400, 403, 409, 422)
    assert Dossier.objects.get(pk=dossier.pk).result_signed_at is None
    answer = head.post(
        action_url,
        {
            "ky-ket-qua-version": dossier.version,
            "ky-ket-qua-key": head_key.pk,
            "ky-ket-qua-secret": PASSWORD,
        },
    )
    assert answer.status_code == 302
    fresh = Dossier.objects.get(pk=dossier.pk)
    assert fresh.result_signed_at is not None
    assert action_url not in head.get(page_url).content.decode()

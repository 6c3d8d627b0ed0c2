"""The e-result: the competent head signs the approved result PDF.

Decree 42/2022 makes the electronic result the applicant's own copy: it must carry the competent
person's digital signature so that anyone can verify it without asking the agency. Signing is a
separate act after the approval (the head approves the content, then signs with their own key or
token); the signed file replaces the unsigned upload as `Dossier.result_file`.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext

from egov.core.errors import ValidationFailed
from egov.core.files import file_open
from egov.directory import policy
from egov.dossiers import deadlines
from egov.dossiers.models import Dossier, State
from egov.dossiers.services import (
    DossierConflict,
    TransitionNotAllowed,
    _audit,
    _event,
    _locked,
    _officer,
    _save,
)
from egov.signing import services as signing


def _unsigned_result(dossier: Dossier) -> bytes:
    if dossier.state != State.APPROVED:
        raise TransitionNotAllowed(
            gettext("Only an approved result can be signed."), code="dossier.result_not_approved"
        )
    if dossier.result_signed_at is not None:
        raise TransitionNotAllowed(
            gettext("The result is already signed."), code="dossier.result_already_signed"
        )
    stored = dossier.result_file
    if stored is None or stored.content_type != "application/pdf":
        raise ValidationFailed(
            gettext("Attach the result document as PDF before signing it."),
            code="dossier.result_pdf_required",
            field="result_file",
        )
    with file_open(stored) as handle:
        return bytes(handle.read())


def dossier_sign_result(
    *,
    actor: Any,
    dossier: Dossier,
    key_id: int,
    secret: str,
    expected_version: int | None = None,
) -> Dossier:
    """The head who may decide the dossier signs its approved result PDF (PAdES, visible stamp).

    Nothing changes when the key, its secret or the PDF is refused; the unsigned upload stays in
    storage (it is what the head approved) and the audit entry names both files.
    """
    policy.require(actor, "dossiers.decide", dossier)
    current = Dossier.objects.filter(pk=dossier.pk).values_list("version", flat=True).first()
    expected = dossier.version if expected_version is None else expected_version
    if current != expected:  # before signing: a stale page must not leave a signed orphan
        raise DossierConflict(details={"expected": expected, "current": current})
    pdf = _unsigned_result(dossier)
    result = signing.signature_sign_as_person(
        actor=actor,
        pdf=pdf,
        key_id=key_id,
        secret=secret,
        reason=gettext("Result of dossier %(code)s") % {"code": dossier.code},
    )
    stored = signing.signed_file_store(
        actor=actor, record=result.record, pdf=result.pdf, name=f"ket-qua-{dossier.code}.pdf"
    )
    with transaction.atomic():
        fresh = _locked(dossier, expected_version)
        policy.require(actor, "dossiers.decide", fresh)
        unsigned = fresh.result_file
        if fresh.result_file_id != dossier.result_file_id:
            # Someone replaced the result between reading and locking: sign that one instead.
            raise TransitionNotAllowed(
                gettext("The result document changed meanwhile; open the dossier again."),
                code="dossier.result_changed",
            )
        _unsigned_result(fresh)  # state and "not yet signed" again, under the lock
        at = deadlines.now()
        fresh.result_file = stored
        fresh.result_signed_at = at
        fresh.e_result = True
        _save(fresh, ["result_file", "result_signed_at", "e_result"])
        _event(fresh, action="sign_result", at=at, before=fresh.state, officer=_officer(actor))
        _audit(
            actor,
            "dossiers.dossier.sign_result",
            fresh,
            fresh.state,
            signature=result.record.pk,
            unsigned=[unsigned.pk, unsigned.sha256] if unsigned else None,
            signed=[stored.pk, stored.sha256],
        )
    dossier.version, dossier.result_file, dossier.result_signed_at = (
        fresh.version,
        fresh.result_file,
        fresh.result_signed_at,
    )
    return fresh

"""Online application services: drafts, resumable uploads, submission once, supplements."""

from __future__ import annotations

import hashlib
import threading
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from directory_factories import ApplicantFactory, OfficerFactory
from django.db import connections
from django.utils import timezone
from dossiers_support import FORM, PROCEDURE, PROCEDURE_CODE, Clock, World, vn

from egov.core.errors import ValidationFailed
from egov.core.files import FileTooLarge, FileTypeMismatch
from egov.core.models import OutboundMessage, StoredFile
from egov.core.sequences import sequence_peek
from egov.directory.models import Role, Scope
from egov.dossiers import online_services as online
from egov.dossiers import services
from egov.dossiers.models import Dossier, DossierFile, State
from egov.dossiers.models_online import DraftFile, OnlineDraft, UploadChunk, UploadSession
from egov.procedures.services import procedure_create

PDF = b"%PDF-1.4\n" + b"1 0 obj<<>>endobj\n" * 200 + b"trailer<<>>\n%%EOF\n"
SERIES = {"scope": "H51.04", "register": "dossier-260212", "year": 2026}


def _files(tmp_path: Path) -> list[Path]:
    root = tmp_path / "files"
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def _draft(world: World, **form: object) -> OnlineDraft:
    draft, token = online.draft_start(actor=world.applicant.account, procedure_code=PROCEDURE_CODE)
    assert token == ""
    return online.draft_save(draft=draft, form_data={**FORM, **form})


def _attach_all(world: World, draft: OnlineDraft) -> None:
    for code in ("TP1", "TP2"):
        online.draft_file_add(
            actor=world.applicant.account,
            draft=draft,
            document_code=code,
            upload=PDF,
            name=f"{code}.pdf",
        )


def test_a_signed_in_citizen_starts_a_draft_with_their_applicant_details(
    world: World,
) -> None:
    draft, token = online.draft_start(actor=world.applicant.account, procedure_code=PROCEDURE_CODE)
    assert token == ""
    assert draft.account_id == world.applicant.account_id
    assert draft.applicant_data["identifier"] == "051185000123"
    assert draft.applicant_data["phone"] == "0900000001"
    assert draft.state == OnlineDraft.State.DRAFT
    assert list(online.drafts_of(world.applicant.account)) == [draft]


def test_without_an_account_a_draft_is_refused_unless_the_procedure_allows_it(
    world: World,
) -> None:
    with pytest.raises(online.SignInRequired) as refused:
        online.draft_start(actor=None, procedure_code=PROCEDURE_CODE)
    assert refused.value.code == "online.sign_in_required"
    assert OnlineDraft.objects.count() == 0
    procedure_create(
        actor=None,
        data={**PROCEDURE, "code": "DEMO-XD-10", "anonymous_allowed": True},
        as_system=True,
    )
    draft, token = online.draft_start(actor=None, procedure_code="DEMO-XD-10")
    assert draft.account_id is None
    assert len(token) >= 30
    assert online.draft_resume(token=token).pk == draft.pk
    with pytest.raises(online.DraftNotFound):
        online.draft_resume(token=token + "x")


def test_an_officer_cannot_apply_online(world: World) -> None:
    with pytest.raises(services.PermissionDenied):
        online.draft_start(actor=world.counter.account, procedure_code=PROCEDURE_CODE)
    assert OnlineDraft.objects.count() == 0


def test_a_procedure_without_the_online_channel_is_not_offered(world: World) -> None:
    with pytest.raises(online.ProcedureNotOnline):
        online.draft_start(actor=world.applicant.account, procedure_code="NO-SUCH-1")


def test_a_citizen_cannot_open_another_citizens_draft_or_upload(world: World) -> None:
    draft = _draft(world)
    other = ApplicantFactory(national_id="079190000456")
    with pytest.raises(online.DraftNotFound):
        online.draft_for(actor=other.account, public_id=draft.public_id)
    with pytest.raises(online.DraftNotFound):
        online.draft_for(actor=None, public_id=draft.public_id, resumable=[str(draft.public_id)])
    assert online.draft_for(actor=world.applicant.account, public_id=draft.public_id) == draft
    session = online.upload_begin(draft=draft, document_code="TP1", name="a.pdf", size=len(PDF))
    other_draft = _draft_of(other)
    with pytest.raises(services.NotFound):
        online.upload_for(public_id=session.public_id, draft=other_draft)


def _draft_of(applicant: object) -> OnlineDraft:
    draft, _token = online.draft_start(actor=applicant.account, procedure_code=PROCEDURE_CODE)  # type: ignore[attr-defined]
    return draft


def test_draft_problems_use_the_intake_rules_and_name_the_field(world: World) -> None:
    draft = _draft(world, so_dinh_danh="051185000124x", ho_ten="")
    problems = {p.path: (p.code, p.message) for p in online.draft_problems(draft)}
    assert problems["so_dinh_danh"] == (
        "eform.national_id",
        "Số định danh: a national ID number has 12 digits (check the number).",
    )
    assert problems["ho_ten"][0] == "eform.required"
    assert problems["documents.TP1"][0] == "online.document_missing"
    # The intake service refuses the same form with the same first message.
    with pytest.raises(ValidationFailed) as refused:
        services.dossier_receive(
            actor=world.applicant.account,
            procedure_code=PROCEDURE_CODE,
            receiving_organization=world.construction,
            applicant=world.applicant,
            channel="online",
            form_data=dict(draft.form_data),
        )
    service_errors = {e["path"]: e["message"] for e in refused.value.details["errors"]}
    assert service_errors["so_dinh_danh"] == problems["so_dinh_danh"][1]


def test_chunked_upload_resumes_after_a_dropped_chunk(world: World) -> None:
    draft = _draft(world)
    content = PDF * 3
    digest = hashlib.sha256(content).hexdigest()
    session = online.upload_begin(
        draft=draft, document_code="TP1", name="don.pdf", size=len(content), sha256=digest
    )
    online.upload_chunk(session=session, offset=0, data=content[:1000])
    # The second chunk is lost on the way: the client sends the third one.
    with pytest.raises(online.UploadOffsetMismatch) as mismatch:
        online.upload_chunk(session=session, offset=2000, data=content[2000:3000])
    assert mismatch.value.details == {"received": 1000}
    # Asking the server, it continues from 1000; a repeated first chunk changes nothing.
    assert online.upload_for(public_id=session.public_id, draft=draft).received == 1000
    online.upload_chunk(session=session, offset=0, data=content[:1000])
    online.upload_chunk(session=session, offset=1000, data=content[1000:])
    kept = online.upload_finish(actor=world.applicant.account, session=session)
    assert kept.stored_file.sha256 == digest
    assert kept.stored_file.size == len(content)
    assert kept.document_code == "TP1"
    assert UploadChunk.objects.count() == 0
    # Finishing twice returns the same file.
    assert online.upload_finish(actor=world.applicant.account, session=session).pk == kept.pk
    assert DraftFile.objects.count() == 1


def test_an_unfinished_upload_cannot_be_finished(world: World) -> None:
    draft = _draft(world)
    session = online.upload_begin(draft=draft, document_code="TP1", name="a.pdf", size=len(PDF))
    online.upload_chunk(session=session, offset=0, data=PDF[:10])
    with pytest.raises(online.UploadIncomplete):
        online.upload_finish(actor=world.applicant.account, session=session)
    assert DraftFile.objects.count() == 0


def test_a_damaged_upload_is_refused_and_restarts_from_zero(world: World, tmp_path: Path) -> None:
    draft = _draft(world)
    session = online.upload_begin(
        draft=draft, document_code="TP1", name="a.pdf", size=len(PDF), sha256="0" * 64
    )
    online.upload_chunk(session=session, offset=0, data=PDF)
    with pytest.raises(online.UploadChecksumMismatch):
        online.upload_finish(actor=world.applicant.account, session=session)
    session.refresh_from_db()
    assert session.received == 0
    assert DraftFile.objects.count() == 0
    assert StoredFile.objects.count() == 0
    assert _files(tmp_path) == []


def test_a_file_whose_content_is_not_its_type_is_refused(world: World, tmp_path: Path) -> None:
    draft = _draft(world)
    fake = b"MZ\x90\x00 this is a program, not a PDF" * 10
    session = online.upload_begin(draft=draft, document_code="TP1", name="don.pdf", size=len(fake))
    online.upload_chunk(session=session, offset=0, data=fake)
    with pytest.raises(FileTypeMismatch):
        online.upload_finish(actor=world.applicant.account, session=session)
    assert UploadSession.objects.count() == 0
    assert UploadChunk.objects.count() == 0
    assert DraftFile.objects.count() == 0
    assert StoredFile.objects.count() == 0
    assert _files(tmp_path) == []
    with pytest.raises(FileTypeMismatch):
        online.draft_file_add(
            actor=world.applicant.account,
            draft=draft,
            document_code="TP1",
            upload=fake,
            name="x.pdf",
        )
    assert StoredFile.objects.count() == 0


def test_an_oversize_file_is_refused_before_any_byte(world: World, settings: object) -> None:
    settings.EGOV_UPLOAD_MAX_BYTES = 1000  # type: ignore[attr-defined]
    draft = _draft(world)
    with pytest.raises(FileTooLarge):
        online.upload_begin(draft=draft, document_code="TP1", name="big.pdf", size=1001)
    assert UploadSession.objects.count() == 0
    session = online.upload_begin(draft=draft, document_code="TP1", name="a.pdf", size=500)
    with pytest.raises(FileTooLarge):  # more bytes than announced
        online.upload_chunk(session=session, offset=0, data=b"%PDF-" + b"x" * 600)
    with pytest.raises(FileTooLarge):
        online.draft_file_add(
            actor=world.applicant.account,
            draft=draft,
            document_code="TP1",
            upload=b"%PDF-" + b"x" * 2000,
            name="big.pdf",
        )
    assert StoredFile.objects.count() == 0


def test_submit_makes_one_dossier_with_the_files_and_the_receipt(
    world: World, clock: Clock, tmp_path: Path, django_capture_on_commit_callbacks: Any
) -> None:
    draft = _draft(world)
    _attach_all(world, draft)
    with django_capture_on_commit_callbacks(execute=True):
        dossier = online.draft_submit(actor=world.applicant.account, draft=draft)
    assert dossier.channel == "online"
    assert dossier.state == State.SUBMITTED
    assert dossier.receiving_organization == world.construction
    assert dossier.idempotency_key == draft.idempotency_key
    assert dossier.submitted_by == world.applicant.account
    assert sorted(
        DossierFile.objects.filter(dossier=dossier).values_list("document_code", flat=True)
    ) == ["TP1", "TP2"]
    draft.refresh_from_db()
    assert draft.state == OnlineDraft.State.SUBMITTED
    assert draft.dossier == dossier
    # The draft's own copies are gone after the commit; the dossier's remain.
    assert DraftFile.objects.count() == 0
    assert StoredFile.objects.count() == 2 + dossier.slips.count()
    assert OutboundMessage.objects.filter(template="dossier_received").count() == 2  # SMS, e-mail
    # A second click returns the same dossier, nothing new is written.
    again = online.draft_submit(actor=world.applicant.account, draft=draft)
    assert again.pk == dossier.pk
    assert Dossier.objects.count() == 1
    assert sequence_peek(**SERIES) == 1
    assert OutboundMessage.objects.filter(template="dossier_received").count() == 2  # SMS, e-mail


def test_a_refused_submission_leaves_no_dossier_file_or_number(
    world: World, clock: Clock, tmp_path: Path
) -> None:
    draft = _draft(world)
    _attach_all(world, draft)
    before = sorted(p.name for p in _files(tmp_path))
    # The form becomes invalid behind the draft's back (e.g. the schema changed): refused.
    OnlineDraft.objects.filter(pk=draft.pk).update(form_data={**FORM, "gia_tri": -1, "x": 1})
    with pytest.raises(ValidationFailed):
        online.draft_submit(actor=world.applicant.account, draft=draft)
    assert Dossier.objects.count() == 0
    assert sequence_peek(**SERIES) == 0
    assert sorted(p.name for p in _files(tmp_path)) == before
    assert DraftFile.objects.count() == 2
    draft.refresh_from_db()
    assert draft.state == OnlineDraft.State.DRAFT


def test_a_failure_inside_the_intake_rolls_everything_back(
    world: World, clock: Clock, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    draft = _draft(world)
    _attach_all(world, draft)
    before = sorted(p.name for p in _files(tmp_path))

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("search index down")

    monkeypatch.setattr(services, "search_index", broken)
    with pytest.raises(RuntimeError):
        online.draft_submit(actor=world.applicant.account, draft=draft)
    assert Dossier.objects.count() == 0
    assert sequence_peek(**SERIES) == 0
    assert sorted(p.name for p in _files(tmp_path)) == before
    draft.refresh_from_db()
    assert draft.state == OnlineDraft.State.DRAFT


def test_another_citizen_cannot_submit_someone_elses_draft(world: World, clock: Clock) -> None:
    draft = _draft(world)
    _attach_all(world, draft)
    other = ApplicantFactory(national_id="079190000456")
    with pytest.raises(online.DraftNotFound):
        online.draft_submit(actor=other.account, draft=draft)
    assert Dossier.objects.count() == 0


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_submissions_of_a_draft_make_one_dossier(world: World, clock: Clock) -> None:
    clock.set(vn(2026, 2, 12, 9, 0))
    draft = _draft(world)
    _attach_all(world, draft)
    barrier = threading.Barrier(2)
    results: list[int] = []
    errors: list[BaseException] = []

    def submit() -> None:
        try:
            barrier.wait(timeout=10)
            results.append(online.draft_submit(actor=world.applicant.account, draft=draft).pk)
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
    assert DossierFile.objects.count() == 2


def test_a_supplement_goes_into_the_same_dossier(
    world: World, clock: Clock, django_capture_on_commit_callbacks: Any
) -> None:
    draft = _draft(world)
    _attach_all(world, draft)
    with django_capture_on_commit_callbacks(execute=True):
        dossier = online.draft_submit(actor=world.applicant.account, draft=draft)
    counter = OfficerFactory(unit=world.construction, roles=[(Role.COUNTER, Scope.ORGANIZATION)])
    clock.set(vn(2026, 2, 13, 9, 0))
    dossier = services.dossier_request_supplement(
        actor=counter.account,
        dossier=dossier,
        items=[{"document_code": "TP2", "name": "Bản vẽ", "reason": "Thiếu chữ ký"}],
    )
    token = online.supplement_token(dossier)
    assert online.supplement_token_valid(dossier, token)
    assert not online.supplement_token_valid(dossier, token + "x")
    assert online.supplement_link(dossier).endswith(
        f"/nop-ho-so/bo-sung/{dossier.code}/lien-ket/{token}/"
    )
    session = online.upload_begin(
        dossier=dossier, document_code="TP2", name="ban-ve.pdf", size=len(PDF)
    )
    online.upload_chunk(session=session, offset=0, data=PDF)
    online.upload_finish(actor=world.applicant.account, session=session)
    clock.set(vn(2026, 2, 16, 9, 0))
    with django_capture_on_commit_callbacks(execute=True):
        result = online.supplement_submit(
            actor=world.applicant.account, dossier=dossier, note="Đã ký"
        )
    assert result.pk == dossier.pk
    assert result.state == State.SUBMITTED
    assert Dossier.objects.count() == 1
    assert DossierFile.objects.filter(dossier=dossier).count() == 3
    assert DraftFile.objects.count() == 0
    with pytest.raises(services.Conflict):  # no supplement is requested any more
        online.supplement_file_add(
            actor=world.applicant.account,
            dossier=dossier,
            document_code="TP2",
            upload=PDF,
            name="x.pdf",
        )


def test_abandoned_uploads_are_purged_with_their_chunks(world: World) -> None:
    draft = _draft(world)
    old = online.upload_begin(draft=draft, document_code="TP1", name="a.pdf", size=len(PDF))
    online.upload_chunk(session=old, offset=0, data=PDF[:100])
    fresh = online.upload_begin(draft=draft, document_code="TP1", name="b.pdf", size=len(PDF))
    online.upload_chunk(session=fresh, offset=0, data=PDF[:100])
    UploadSession.objects.filter(pk=old.pk).update(updated_at=timezone.now() - timedelta(hours=25))
    assert online.uploads_purge(older_than_hours=24) == 1
    assert list(UploadSession.objects.values_list("pk", flat=True)) == [fresh.pk]
    assert list(UploadChunk.objects.values_list("session_id", flat=True)) == [fresh.pk]


def _anonymous_draft(identifier: str = "051190000777") -> OnlineDraft:
    procedure_create(
        actor=None,
        data={**PROCEDURE, "code": "DEMO-XD-10", "anonymous_allowed": True},
        as_system=True,
    )
    draft, _token = online.draft_start(actor=None, procedure_code="DEMO-XD-10")
    draft = online.draft_save(
        draft=draft,
        form_data=dict(FORM),
        applicant_data={
            "full_name": "Phạm Văn Khách",
            "identifier": identifier,
            "phone": "0912345678",
            "email": "",
            "address": "Thôn 1",
        },
    )
    for code in ("TP1", "TP2"):
        online.draft_file_add(
            actor=None, draft=draft, document_code=code, upload=PDF, name=f"{code}.pdf"
        )
    return draft


def test_without_an_account_a_dossier_is_submitted_where_the_procedure_allows_it(
    world: World, clock: Clock
) -> None:
    draft = _anonymous_draft()
    dossier = online.draft_submit(actor=None, draft=draft)
    assert dossier.channel == "online"
    assert dossier.submitted_by is None
    assert dossier.applicant.account_id is None
    assert (dossier.applicant_name, dossier.applicant_national_id, dossier.applicant_phone) == (
        "Phạm Văn Khách",
        "051190000777",
        "0912345678",
    )
    assert online.draft_submit(actor=None, draft=draft).pk == dossier.pk
    assert Dossier.objects.count() == 1


def test_without_an_account_nobody_submits_in_the_name_of_an_account_holder(
    world: World, clock: Clock
) -> None:
    # world.applicant has an account: their ID number cannot be used without signing in.
    draft = _anonymous_draft(identifier=world.applicant.national_id)
    with pytest.raises(ValidationFailed) as refused:
        online.draft_submit(actor=None, draft=draft)
    assert refused.value.code == "applicant.has_account"
    assert Dossier.objects.count() == 0


def test_intake_without_an_actor_is_refused_when_the_procedure_needs_an_account(
    world: World, clock: Clock
) -> None:
    walk_in = ApplicantFactory(national_id="051190000888", phone="0912000111")
    with pytest.raises(services.PermissionDenied):
        services.dossier_receive(
            actor=None,
            procedure_code=PROCEDURE_CODE,
            receiving_organization=world.construction,
            applicant=walk_in,
            channel="online",
            form_data=dict(FORM),
        )
    assert Dossier.objects.count() == 0


def _supplement_requested(world: World, clock: Clock, dossier: Dossier) -> Dossier:
    counter = OfficerFactory(unit=world.construction, roles=[(Role.COUNTER, Scope.ORGANIZATION)])
    clock.set(vn(2026, 2, 13, 9, 0))
    dossier = services.dossier_request_supplement(
        actor=counter.account,
        dossier=dossier,
        items=[{"document_code": "TP2", "name": "Bản vẽ", "reason": "Thiếu chữ ký"}],
    )
    online.supplement_file_add(
        actor=None, dossier=dossier, document_code="TP2", upload=PDF, name="ban-ve.pdf"
    )
    clock.set(vn(2026, 2, 16, 9, 0))
    return dossier


def test_without_an_account_the_signed_link_sends_the_supplement(
    world: World, clock: Clock
) -> None:
    dossier = online.draft_submit(actor=None, draft=_anonymous_draft())
    dossier = _supplement_requested(world, clock, dossier)
    with pytest.raises(services.PermissionDenied):
        online.supplement_submit(actor=None, dossier=dossier)
    assert Dossier.objects.get(pk=dossier.pk).state == State.SUPPLEMENT_REQUESTED
    result = online.supplement_submit(actor=None, dossier=dossier, link_verified=True)
    assert result.state == State.SUBMITTED
    assert DossierFile.objects.filter(dossier=dossier, document_code="TP2").count() == 2


def test_an_account_holder_must_sign_in_even_with_the_link(world: World, clock: Clock) -> None:
    draft = _draft(world)
    _attach_all(world, draft)
    dossier = online.draft_submit(actor=world.applicant.account, draft=draft)
    dossier = _supplement_requested(world, clock, dossier)
    with pytest.raises(services.PermissionDenied):
        online.supplement_submit(actor=None, dossier=dossier, link_verified=True)
    assert Dossier.objects.get(pk=dossier.pk).state == State.SUPPLEMENT_REQUESTED


def test_the_purge_command_forgets_abandoned_uploads(world: World) -> None:
    from io import StringIO

    from django.core.management import call_command

    draft = _draft(world)
    old = online.upload_begin(draft=draft, document_code="TP1", name="a.pdf", size=len(PDF))
    online.upload_chunk(session=old, offset=0, data=PDF[:100])
    UploadSession.objects.filter(pk=old.pk).update(updated_at=timezone.now() - timedelta(hours=30))
    out = StringIO()
    call_command("dossiers", "purge-uploads", "--hours", "24", stdout=out)
    assert out.getvalue().strip() == "purged 1 upload(s)"
    assert not UploadSession.objects.filter(pk=old.pk).exists()
    assert not UploadChunk.objects.exists()

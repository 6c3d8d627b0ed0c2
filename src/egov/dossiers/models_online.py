"""Online applications before they become dossiers: drafts, their files and resumable uploads.

A citizen fills the e-form over several visits (`OnlineDraft`), attaches papers per required
document (`DraftFile`, already checked and stored through `egov.core.files.file_store`) and
submits once; the submission goes through `egov.dossiers.services.dossier_receive` with an
idempotency key derived from the draft, so a double click never makes two dossiers.

Large papers arrive in chunks (`UploadSession` + `UploadChunk`): the browser asks the server
how much it holds and continues from there after a dropped connection. Chunks live in the
database (not on a local disk) so that any application process can take the next chunk.
A supplement upload has the same shape with the dossier instead of a draft.
The services in `egov.dossiers.online_services` are the only writers.
"""

from __future__ import annotations

import uuid

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from egov.core.models import StoredFile
from egov.directory.models import Account
from egov.dossiers.models import Dossier
from egov.procedures.models import ProcedureVersion

__all__ = ["DraftFile", "OnlineDraft", "UploadChunk", "UploadSession"]


class OnlineDraft(models.Model):
    """An online application being prepared; submitted at most once."""

    class State(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", _("Submitted")

    public_id = models.UUIDField(_("public id"), default=uuid.uuid4, unique=True, editable=False)
    procedure_version = models.ForeignKey(
        ProcedureVersion,
        verbose_name=_("procedure version"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    procedure_code = models.CharField(_("procedure code"), max_length=30)
    case = models.CharField(_("case"), max_length=30, blank=True)
    account = models.ForeignKey(
        Account,
        verbose_name=_("account"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="online_drafts",
    )
    # Without an account: SHA-256 of the secret resume token (the token itself is only shown
    # to the applicant and e-mailed).
    resume_hash = models.CharField(_("resume token hash"), max_length=64, blank=True)
    applicant_data = models.JSONField(_("applicant"), default=dict, blank=True)
    form_data = models.JSONField(_("form data"), default=dict, blank=True)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.DRAFT)
    dossier = models.ForeignKey(
        Dossier,
        verbose_name=_("dossier"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)

    class Meta:
        ordering = ["-updated_at", "-pk"]
        verbose_name = _("online draft")
        verbose_name_plural = _("online drafts")
        constraints = [
            models.CheckConstraint(
                condition=Q(state__in=["draft", "submitted"]), name="dossiers_draft_state_known"
            ),
            models.CheckConstraint(
                condition=Q(account__isnull=False) | ~Q(resume_hash=""),
                name="dossiers_draft_has_owner",
            ),
        ]
        indexes = [models.Index(fields=["resume_hash"], name="dossiers_draft_resume")]

    def __str__(self) -> str:
        return f"{self.procedure_code} {self.public_id}"

    @property
    def idempotency_key(self) -> str:
        """The key every submission of this draft carries: one draft, one dossier."""
        return f"portal-draft-{self.public_id.hex}"


class DraftFile(models.Model):
    """A paper uploaded for a draft (or, for a supplement, for a dossier), stored and checked."""

    draft = models.ForeignKey(
        OnlineDraft,
        verbose_name=_("draft"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="files",
    )
    dossier = models.ForeignKey(
        Dossier,
        verbose_name=_("dossier (supplement)"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    document_code = models.CharField(_("document code"), max_length=30, blank=True)
    stored_file = models.ForeignKey(
        StoredFile, verbose_name=_("file"), on_delete=models.PROTECT, related_name="+"
    )
    added_at = models.DateTimeField(_("added at"), auto_now_add=True)

    class Meta:
        ordering = ["added_at", "pk"]
        verbose_name = _("draft file")
        verbose_name_plural = _("draft files")
        constraints = [
            models.CheckConstraint(
                condition=Q(draft__isnull=False, dossier__isnull=True)
                | Q(draft__isnull=True, dossier__isnull=False),
                name="dossiers_draftfile_one_owner",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.document_code} {self.stored_file_id}"


class UploadSession(models.Model):
    """One resumable upload: declared size (and SHA-256), bytes received so far."""

    class State(models.TextChoices):
        OPEN = "open", _("Receiving")
        FINISHED = "finished", _("Finished")

    public_id = models.UUIDField(_("public id"), default=uuid.uuid4, unique=True, editable=False)
    draft = models.ForeignKey(
        OnlineDraft,
        verbose_name=_("draft"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="uploads",
    )
    dossier = models.ForeignKey(
        Dossier,
        verbose_name=_("dossier (supplement)"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    document_code = models.CharField(_("document code"), max_length=30, blank=True)
    file_name = models.CharField(_("file name"), max_length=255)
    size = models.PositiveBigIntegerField(_("declared size"))
    sha256 = models.CharField(_("declared SHA-256"), max_length=64, blank=True)
    received = models.PositiveBigIntegerField(_("bytes received"), default=0)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.OPEN)
    result = models.ForeignKey(
        DraftFile,
        verbose_name=_("stored as"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("upload session")
        verbose_name_plural = _("upload sessions")
        constraints = [
            models.CheckConstraint(
                condition=Q(draft__isnull=False, dossier__isnull=True)
                | Q(draft__isnull=True, dossier__isnull=False),
                name="dossiers_upload_one_owner",
            ),
            models.CheckConstraint(
                condition=Q(received__lte=models.F("size")), name="dossiers_upload_within_size"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.file_name} {self.received}/{self.size}"


class UploadChunk(models.Model):
    """The bytes of one chunk, kept until the upload is finished."""

    session = models.ForeignKey(
        UploadSession, verbose_name=_("upload"), on_delete=models.CASCADE, related_name="chunks"
    )
    offset = models.PositiveBigIntegerField(_("offset"))
    data = models.BinaryField(_("data"))

    class Meta:
        ordering = ["session_id", "offset"]
        verbose_name = _("upload chunk")
        verbose_name_plural = _("upload chunks")
        constraints = [
            models.UniqueConstraint(
                fields=["session", "offset"], name="dossiers_upload_chunk_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.session_id}@{self.offset}"

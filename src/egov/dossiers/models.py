"""The dossier (hồ sơ) of the one-stop-shop: its state, deadlines, fees, files, steps and log.

A dossier keeps a foreign key to the procedure version in force when it was received, and a
snapshot of the applicant as they were at intake, so what the receipt said stays provable.
The allowed state changes are the table `TRANSITIONS` (docs/adr/0006-dossier-states.md); the
services in `egov.dossiers.services` are the only writers.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from egov.core.models import OutboundMessage, StoredFile
from egov.directory.models import Account, ApiKey, Applicant, Officer, Organization
from egov.procedures.models import Channel, ProcedureStep, ProcedureVersion


class State(models.TextChoices):
    SUBMITTED = "submitted", _("Awaiting completeness check")
    SUPPLEMENT_REQUESTED = "supplement_requested", _("Supplement requested")
    REFUSED = "refused", _("Refused")
    ACCEPTED = "accepted", _("Accepted")
    IN_PROCESS = "in_process", _("In process")
    APPROVED = "approved", _("Result approved")
    DENIED = "denied", _("Result denied")
    RETURNED = "returned", _("Result returned")
    WITHDRAWN = "withdrawn", _("Withdrawn by the applicant")
    CANCELLED = "cancelled", _("Cancelled")


# The explicit state machine: for each state, the states a service may move the dossier to.
TRANSITIONS: dict[str, frozenset[str]] = {
    State.SUBMITTED: frozenset(
        {
            State.ACCEPTED,
            State.SUPPLEMENT_REQUESTED,
            State.REFUSED,
            State.WITHDRAWN,
            State.CANCELLED,
        }
    ),
    State.SUPPLEMENT_REQUESTED: frozenset(
        {State.SUBMITTED, State.IN_PROCESS, State.WITHDRAWN, State.CANCELLED}
    ),
    State.ACCEPTED: frozenset(
        {State.IN_PROCESS, State.SUPPLEMENT_REQUESTED, State.WITHDRAWN, State.CANCELLED}
    ),
    State.IN_PROCESS: frozenset(
        {
            State.IN_PROCESS,
            State.SUPPLEMENT_REQUESTED,
            State.APPROVED,
            State.DENIED,
            State.WITHDRAWN,
            State.CANCELLED,
        }
    ),
    State.APPROVED: frozenset({State.RETURNED}),
    State.DENIED: frozenset({State.RETURNED}),
    State.REFUSED: frozenset(),
    State.RETURNED: frozenset(),
    State.WITHDRAWN: frozenset(),
    State.CANCELLED: frozenset(),
}

OPEN_STATES = frozenset(
    {
        State.SUBMITTED,
        State.SUPPLEMENT_REQUESTED,
        State.ACCEPTED,
        State.IN_PROCESS,
    }
)
DECIDED_STATES = frozenset({State.APPROVED, State.DENIED, State.RETURNED})


class PortalStatus(models.IntegerChoices):
    """The status codes of the national public service portal (STANDARDS-VN.md §4)."""

    SUBMITTED_ONLINE = 1, _("Submitted online, awaiting receipt")
    RECEIVED = 2, _("Received")
    NOT_RECEIVED = 3, _("Not received")
    IN_PROCESS = 4, _("In process")
    SUPPLEMENT_REQUESTED = 5, _("Supplement requested")
    FINANCIAL_OBLIGATION = 6, _("Financial obligation requested")
    WITHDRAWAL_REQUESTED = 7, _("Withdrawal requested by the applicant")
    STOPPED = 8, _("Stopped")
    PROCESSED = 9, _("Processed")
    RESULT_RETURNED = 10, _("Result returned")


class Delivery(models.TextChoices):
    COUNTER = "counter", _("At the counter")
    POST = "post", _("By public post")
    ONLINE = "online", _("Online")


class Dossier(models.Model):
    code = models.CharField(_("dossier code"), max_length=64, unique=True)
    lookup_code = models.CharField(_("look-up code"), max_length=16)
    procedure_version = models.ForeignKey(
        ProcedureVersion,
        verbose_name=_("procedure version"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    receiving_organization = models.ForeignKey(
        Organization,
        verbose_name=_("receiving organisation"),
        on_delete=models.PROTECT,
        related_name="dossiers_received",
    )
    competent_organization = models.ForeignKey(
        Organization,
        verbose_name=_("competent organisation"),
        on_delete=models.PROTECT,
        related_name="dossiers_competent",
    )
    applicant = models.ForeignKey(
        Applicant, verbose_name=_("applicant"), on_delete=models.PROTECT, related_name="dossiers"
    )
    # Snapshot of the applicant at intake (the receipt prints these).
    applicant_name = models.CharField(_("applicant name"), max_length=255)
    applicant_national_id = models.CharField(_("national ID number"), max_length=12, blank=True)
    applicant_tax_code = models.CharField(_("tax code"), max_length=14, blank=True)
    applicant_phone = models.CharField(_("phone"), max_length=15, blank=True)
    applicant_email = models.EmailField(_("e-mail"), blank=True)
    applicant_address = models.CharField(_("address"), max_length=500, blank=True)

    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    case = models.CharField(_("case"), max_length=30, blank=True)
    form_data = models.JSONField(_("form data"), default=dict, blank=True)
    idempotency_key = models.CharField(_("idempotency key"), max_length=100, blank=True)
    received_by = models.ForeignKey(
        Officer,
        verbose_name=_("received by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    submitted_by = models.ForeignKey(
        Account,
        verbose_name=_("submitted by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    api_key = models.ForeignKey(
        ApiKey,
        verbose_name=_("API key"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    state = models.CharField(
        _("state"), max_length=24, choices=State.choices, default=State.SUBMITTED
    )
    version = models.PositiveIntegerField(_("version"), default=1)

    received_at = models.DateTimeField(_("received at"))
    clock_started_at = models.DateTimeField(
        _("clock started at"), help_text=_("Intake, or the last resubmission when it restarts")
    )
    due_at = models.DateTimeField(_("legal due moment"))
    appointment_at = models.DateTimeField(_("appointment"))
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    decided_at = models.DateTimeField(_("result decided at"), null=True, blank=True)
    returned_at = models.DateTimeField(_("result returned at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    supplement_requested = models.BooleanField(_("supplement already requested"), default=False)
    resume_state = models.CharField(_("state to resume"), max_length=24, blank=True)
    reasons = models.JSONField(_("reasons"), default=list, blank=True)
    legal_basis = models.CharField(_("legal basis"), max_length=500, blank=True)

    result_file = models.ForeignKey(
        StoredFile,
        verbose_name=_("result document"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    result_number = models.CharField(_("result number"), max_length=100, blank=True)
    # Set when the competent head signed the result PDF (PAdES): the applicant's e-result.
    result_signed_at = models.DateTimeField(_("result signed at"), null=True, blank=True)
    delivery = models.CharField(
        _("result delivery"), max_length=10, choices=Delivery.choices, blank=True
    )

    # What the service index (Decision 766) needs; `on_time` is set when the result is decided.
    on_time = models.BooleanField(_("settled on time"), null=True, blank=True)
    e_result = models.BooleanField(_("electronic result"), default=False)
    digitised = models.BooleanField(_("digitised"), default=False)
    fee_due = models.BooleanField(_("fees due"), default=False)
    paid_online = models.BooleanField(_("paid online"), default=False)

    class Meta:
        ordering = ["-received_at", "-pk"]
        verbose_name = _("dossier")
        verbose_name_plural = _("dossiers")
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "idempotency_key"],
                condition=~Q(idempotency_key=""),
                name="dossiers_dossier_idempotency",
            ),
            models.CheckConstraint(
                condition=Q(state__in=State.values), name="dossiers_dossier_state_known"
            ),
            models.CheckConstraint(
                condition=Q(channel__in=Channel.values), name="dossiers_dossier_channel_known"
            ),
            models.CheckConstraint(
                condition=Q(appointment_at__gte=models.F("received_at")),
                name="dossiers_dossier_appointment_after_intake",
            ),
        ]
        indexes = [
            models.Index(fields=["receiving_organization", "state"], name="dossiers_recv_state"),
            models.Index(fields=["competent_organization", "state"], name="dossiers_comp_state"),
        ]

    def __str__(self) -> str:
        return self.code

    @property
    def organization(self) -> Organization:
        """The competent organisation: what `policy.target_organization` scopes against."""
        return self.competent_organization


class ClockStop(models.Model):
    """A period during which the legal clock stands still (waiting for the applicant)."""

    class Reason(models.TextChoices):
        SUPPLEMENT = "supplement", _("Waiting for supplements")

    dossier = models.ForeignKey(
        Dossier, verbose_name=_("dossier"), on_delete=models.CASCADE, related_name="clock_stops"
    )
    reason = models.CharField(_("reason"), max_length=20, choices=Reason.choices)
    items = models.JSONField(_("missing documents"), default=list, blank=True)
    note = models.CharField(_("note"), max_length=1000, blank=True)
    stopped_at = models.DateTimeField(_("stopped at"))
    resumed_at = models.DateTimeField(_("resumed at"), null=True, blank=True)
    requested_by = models.ForeignKey(
        Officer,
        verbose_name=_("requested by"),
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        ordering = ["dossier_id", "stopped_at"]
        verbose_name = _("clock stop")
        verbose_name_plural = _("clock stops")
        constraints = [
            models.CheckConstraint(
                condition=Q(resumed_at__isnull=True) | Q(resumed_at__gte=models.F("stopped_at")),
                name="dossiers_clockstop_ordered",
            ),
            models.UniqueConstraint(
                fields=["dossier"],
                condition=Q(resumed_at__isnull=True),
                name="dossiers_clockstop_one_open",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.dossier_id} {self.reason} {self.stopped_at:%Y-%m-%d}"


class DossierFee(models.Model):
    """One fee line, its amount computed from the procedure's fee at intake."""

    class Method(models.TextChoices):
        COUNTER_CASH = "counter_cash", _("Cash at the counter")
        ONLINE = "online", _("Online payment")

    dossier = models.ForeignKey(
        Dossier, verbose_name=_("dossier"), on_delete=models.CASCADE, related_name="fees"
    )
    order = models.PositiveSmallIntegerField(_("order"))
    kind = models.CharField(_("kind"), max_length=10)
    name = models.CharField(_("name"), max_length=500)
    amount = models.BigIntegerField(_("amount (VND)"))
    paid = models.BooleanField(_("paid"), default=False)
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)
    method = models.CharField(_("method"), max_length=15, choices=Method.choices, blank=True)
    receipt_number = models.CharField(_("receipt number"), max_length=100, blank=True)

    class Meta:
        ordering = ["dossier_id", "order"]
        verbose_name = _("fee line")
        verbose_name_plural = _("fee lines")
        constraints = [
            models.UniqueConstraint(fields=["dossier", "order"], name="dossiers_fee_unique_order"),
            models.CheckConstraint(condition=Q(amount__gte=0), name="dossiers_fee_amount_positive"),
            models.CheckConstraint(
                condition=Q(paid=False, paid_at__isnull=True, method="")
                | Q(paid=True, paid_at__isnull=False, method__in=["counter_cash", "online"]),
                name="dossiers_fee_payment_consistent",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name}: {self.amount}"


class DossierFile(models.Model):
    class Kind(models.TextChoices):
        ORIGINAL = "original", _("Original")
        COPY = "copy", _("Copy")

    dossier = models.ForeignKey(
        Dossier, verbose_name=_("dossier"), on_delete=models.CASCADE, related_name="files"
    )
    stored_file = models.ForeignKey(
        StoredFile, verbose_name=_("file"), on_delete=models.PROTECT, related_name="+"
    )
    document_code = models.CharField(_("required document code"), max_length=30, blank=True)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    added_at = models.DateTimeField(_("added at"))

    class Meta:
        ordering = ["dossier_id", "pk"]
        verbose_name = _("dossier file")
        verbose_name_plural = _("dossier files")

    def __str__(self) -> str:
        return f"{self.document_code or '-'} {self.kind}"


class DossierStep(models.Model):
    """One step of the internal process as this dossier lives it (Mẫu 05 rows)."""

    class Result(models.TextChoices):
        EARLY = "early", _("Early")
        ON_TIME = "on_time", _("On time")
        LATE = "late", _("Late")

    dossier = models.ForeignKey(
        Dossier, verbose_name=_("dossier"), on_delete=models.CASCADE, related_name="steps"
    )
    procedure_step = models.ForeignKey(
        ProcedureStep, verbose_name=_("process step"), on_delete=models.PROTECT, related_name="+"
    )
    order = models.PositiveSmallIntegerField(_("order"))
    name = models.CharField(_("name"), max_length=500)
    responsible_unit = models.ForeignKey(
        Organization, verbose_name=_("responsible unit"), on_delete=models.PROTECT, related_name="+"
    )
    responsible_role = models.CharField(_("responsible role"), max_length=20, blank=True)
    assignee = models.ForeignKey(
        Officer,
        verbose_name=_("assignee"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    due_at = models.DateTimeField(_("due at"))
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    result = models.CharField(_("result"), max_length=10, choices=Result.choices, blank=True)
    note = models.CharField(_("note"), max_length=1000, blank=True)

    class Meta:
        ordering = ["dossier_id", "order"]
        verbose_name = _("dossier step")
        verbose_name_plural = _("dossier steps")
        constraints = [
            models.UniqueConstraint(fields=["dossier", "order"], name="dossiers_step_unique_order"),
            models.CheckConstraint(
                condition=Q(finished_at__isnull=True) | Q(started_at__isnull=False),
                name="dossiers_step_started_before_finished",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.order}. {self.name}"

    @property
    def organization(self) -> Organization:
        return self.responsible_unit


class DossierEvent(models.Model):
    """The hand-over log: every transition and hand-over, who to whom, when (Mẫu 05)."""

    dossier = models.ForeignKey(
        Dossier, verbose_name=_("dossier"), on_delete=models.CASCADE, related_name="events"
    )
    at = models.DateTimeField(_("time"))
    action = models.CharField(_("action"), max_length=40)
    state_before = models.CharField(_("state before"), max_length=24, blank=True)
    state_after = models.CharField(_("state after"), max_length=24)
    step = models.ForeignKey(
        DossierStep,
        verbose_name=_("step"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    from_officer = models.ForeignKey(
        Officer,
        verbose_name=_("from officer"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    from_unit = models.ForeignKey(
        Organization,
        verbose_name=_("from unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    to_officer = models.ForeignKey(
        Officer,
        verbose_name=_("to officer"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    to_unit = models.ForeignKey(
        Organization,
        verbose_name=_("to unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    note = models.CharField(_("note"), max_length=1000, blank=True)

    class Meta:
        ordering = ["dossier_id", "at", "pk"]
        verbose_name = _("dossier event")
        verbose_name_plural = _("dossier events")

    def __str__(self) -> str:
        return f"{self.action} {self.at:%Y-%m-%d %H:%M}"


class Apology(models.Model):
    """An apology with a new appointment (Mẫu 04)."""

    dossier = models.ForeignKey(
        Dossier, verbose_name=_("dossier"), on_delete=models.CASCADE, related_name="apologies"
    )
    issued_at = models.DateTimeField(_("issued at"))
    issued_by = models.ForeignKey(
        Officer, verbose_name=_("issued by"), on_delete=models.PROTECT, related_name="+"
    )
    reason = models.CharField(_("reason for the delay"), max_length=1000)
    previous_appointment_at = models.DateTimeField(_("previous appointment"))
    new_appointment_at = models.DateTimeField(_("new appointment"))

    class Meta:
        ordering = ["dossier_id", "issued_at"]
        verbose_name = _("apology")
        verbose_name_plural = _("apologies")
        constraints = [
            models.CheckConstraint(
                condition=Q(new_appointment_at__gt=models.F("previous_appointment_at")),
                name="dossiers_apology_later",
            )
        ]

    def __str__(self) -> str:
        return f"{self.dossier_id} {self.new_appointment_at:%Y-%m-%d}"


class SlipForm(models.TextChoices):
    """The one-stop slips stored per dossier; the numbers are those of Circular 01/2018 (the
    form set in force is dated configuration: egov.dossiers.slips.formsets). The dossier log
    (form 06) covers a period, not one dossier, and is exported on request."""

    RECEIPT = "01", _("Receipt and appointment")
    SUPPLEMENT = "02", _("Request for supplements")
    REFUSAL = "03", _("Refusal to receive")
    APOLOGY = "04", _("Apology and new appointment")
    CONTROL = "05", _("Control slip of the handling")


class DossierSlip(models.Model):
    """An official slip rendered once as PDF and stored; later requests serve the stored file.

    `source` is the event of the hand-over log the slip was issued for (the intake or the
    resubmission for a receipt, the supplement request, the refusal, the apology, the last
    hand-over a control slip shows), so a second apology gets its own slip.
    """

    dossier = models.ForeignKey(
        Dossier, verbose_name=_("dossier"), on_delete=models.CASCADE, related_name="slips"
    )
    form = models.CharField(_("form"), max_length=2, choices=SlipForm.choices)
    form_set = models.CharField(
        _("form set"), max_length=30, help_text=_("The set of official forms the slip follows")
    )
    source = models.ForeignKey(
        DossierEvent,
        verbose_name=_("issued for"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    stored_file = models.ForeignKey(
        StoredFile, verbose_name=_("file"), on_delete=models.PROTECT, related_name="+"
    )
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["dossier_id", "form", "created_at", "pk"]
        verbose_name = _("dossier slip")
        verbose_name_plural = _("dossier slips")
        constraints = [
            models.UniqueConstraint(
                fields=["dossier", "form", "source"], name="dossiers_slip_once_per_source"
            ),
            models.CheckConstraint(
                condition=Q(form__in=SlipForm.values), name="dossiers_slip_form_known"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.dossier_id} {self.form}"


class DossierNote(models.Model):
    """A note between officers on a dossier: staff only, never shown to the applicant or on the
    public status page. Written by `egov.dossiers.notes.dossier_note_add`; never edited."""

    dossier = models.ForeignKey(
        Dossier, verbose_name=_("dossier"), on_delete=models.CASCADE, related_name="notes"
    )
    author = models.ForeignKey(
        Account, verbose_name=_("author"), on_delete=models.PROTECT, related_name="+"
    )
    # The name as it was when the note was written (the account may be renamed later).
    author_name = models.CharField(_("author name"), max_length=255)
    text = models.CharField(_("text"), max_length=2000)
    created_at = models.DateTimeField(_("written at"))

    class Meta:
        ordering = ["dossier_id", "created_at", "pk"]
        verbose_name = _("dossier note")
        verbose_name_plural = _("dossier notes")
        constraints = [
            models.CheckConstraint(condition=~Q(text=""), name="dossiers_note_not_empty"),
        ]

    def __str__(self) -> str:
        return f"{self.dossier_id} {self.author_name} {self.created_at:%Y-%m-%d %H:%M}"


class ReminderLog(models.Model):
    """One daily reminder sent to one officer: the unique key makes a second run on the same day
    send nothing new (egov.dossiers.reminders)."""

    class Kind(models.TextChoices):
        OFFICER = "officer", _("Responsible officer")
        HEAD = "head", _("Head's digest")

    day = models.DateField(_("day"))
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    officer = models.ForeignKey(
        Officer, verbose_name=_("officer"), on_delete=models.CASCADE, related_name="+"
    )
    message = models.ForeignKey(
        OutboundMessage,
        verbose_name=_("message"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    dossiers = models.JSONField(_("dossier codes"), default=list, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["-day", "kind", "officer_id"]
        verbose_name = _("reminder")
        verbose_name_plural = _("reminders")
        constraints = [
            models.UniqueConstraint(
                fields=["day", "kind", "officer"], name="dossiers_reminder_once_a_day"
            ),
            models.CheckConstraint(
                condition=Q(kind__in=["officer", "head"]), name="dossiers_reminder_kind_known"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.kind} {self.officer_id}"


class Rating(models.Model):
    """The applicant's satisfaction rating of one settled dossier (đánh giá mức độ hài lòng):
    one per dossier, never edited, counted by the service index (Decision 766, "satisfied with
    dossier handling"). The questions and their keys live in `egov.dossiers.rating_questions`."""

    dossier = models.OneToOneField(
        Dossier, verbose_name=_("dossier"), on_delete=models.CASCADE, related_name="rating"
    )
    account = models.ForeignKey(
        Account,
        verbose_name=_("rated by account"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # {question key: answer key}; the question set is versioned by `questions_version`.
    answers = models.JSONField(_("answers"), default=dict)
    questions_version = models.CharField(_("question set"), max_length=20)
    score = models.PositiveSmallIntegerField(_("overall score (1-5)"))
    satisfied = models.BooleanField(_("satisfied"))
    comment = models.CharField(_("comment"), max_length=2000, blank=True)
    created_at = models.DateTimeField(_("rated at"))

    class Meta:
        ordering = ["-created_at", "pk"]
        verbose_name = _("rating")
        verbose_name_plural = _("ratings")
        constraints = [
            models.CheckConstraint(
                condition=Q(score__gte=1, score__lte=5), name="dossiers_rating_score_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.dossier_id} {self.score}"


from egov.dossiers.models_online import DraftFile, OnlineDraft, UploadChunk, UploadSession  # noqa: E402,F401

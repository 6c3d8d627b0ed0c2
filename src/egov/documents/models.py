"""Official documents (văn bản) by Decree 30/2020: registers, incoming and outgoing documents.

One `Document` table holds both directions (`direction`), because an outgoing document issued
inside the platform becomes an incoming one at each recipient organisation (a second row linked
by `source`), and search, case files and reply links treat both the same. Routing of incoming
documents follows the decree's three-layer processing slip (`Route` rows: organisation head →
unit head → handler); outgoing ones go draft → approval chain → signature → issue. The services
in `egov.documents.services` are the only writers.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from egov.core.models import StoredFile
from egov.directory.models import Account, Officer, Organization


class Direction(models.TextChoices):
    INCOMING = "incoming", _("Incoming")
    OUTGOING = "outgoing", _("Outgoing")


class Urgency(models.TextChoices):
    """Độ khẩn (Decree 30/2020 Annex I)."""

    NORMAL = "normal", _("Normal")
    URGENT = "urgent", _("Urgent")  # Khẩn
    VERY_URGENT = "very_urgent", _("Very urgent")  # Thượng khẩn
    FLASH = "flash", _("Flash")  # Hỏa tốc


class Secrecy(models.TextChoices):
    """Độ mật; anything but NONE is a confidential document with its own register."""

    NONE = "none", _("Not classified")
    CONFIDENTIAL = "confidential", _("Confidential")  # Mật
    SECRET = "secret", _("Secret")  # Tối mật
    TOP_SECRET = "top_secret", _("Top secret")  # Tuyệt mật


class DocumentType(models.Model):
    """A type of administrative document with the abbreviation used in the notation."""

    code = models.SlugField(_("code"), max_length=30, unique=True)
    name_vi = models.CharField(_("name (Vietnamese)"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=100, blank=True)
    abbreviation = models.CharField(
        _("abbreviation"),
        max_length=10,
        blank=True,
        help_text=_("Empty for công văn, whose notation uses the drafting unit instead"),
    )
    is_copy = models.BooleanField(_("copy form"), default=False)
    ordering = models.PositiveSmallIntegerField(_("order"), default=100)

    class Meta:
        ordering = ["ordering", "code"]
        verbose_name = _("document type")
        verbose_name_plural = _("document types")

    def __str__(self) -> str:
        return self.name_vi


class Register(models.Model):
    """A register (sổ văn bản) of an organisation: one number series per year.

    Numbers come from `egov.core.sequences` under the series `register:<pk>`; they restart at 1
    each year. Confidential documents go to a register with `is_confidential`; a register may be
    limited to some document types (a series per type of legal document).
    """

    organization = models.ForeignKey(
        Organization,
        verbose_name=_("organisation"),
        on_delete=models.PROTECT,
        related_name="document_registers",
    )
    direction = models.CharField(
        _("incoming or outgoing"), max_length=10, choices=Direction.choices
    )
    code = models.SlugField(_("code"), max_length=30)
    name = models.CharField(_("name"), max_length=200)
    is_confidential = models.BooleanField(_("confidential register"), default=False)
    is_default = models.BooleanField(_("default register"), default=False)
    document_types = models.ManyToManyField(
        DocumentType, verbose_name=_("document types"), blank=True, related_name="registers"
    )
    keepers = models.ManyToManyField(
        Officer,
        verbose_name=_("clerks keeping the register"),
        blank=True,
        related_name="kept_registers",
        help_text=_(
            "For a confidential register, the only clerks who see its documents besides the "
            "people they are routed to"
        ),
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["organization_id", "direction", "code"]
        verbose_name = _("register")
        verbose_name_plural = _("registers")
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "direction", "code"], name="documents_register_code"
            ),
            models.CheckConstraint(
                condition=Q(direction__in=Direction.values),
                name="documents_register_direction_known",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def series(self) -> str:
        return f"register:{self.pk}"


class CaseFile(models.Model):
    """A case file (hồ sơ công việc) grouping the documents of one matter."""

    class State(models.TextChoices):
        OPEN = "open", _("Open")
        CLOSED = "closed", _("Closed")
        ARCHIVED = "archived", _("Archived")

    organization = models.ForeignKey(
        Organization,
        verbose_name=_("organisation"),
        on_delete=models.PROTECT,
        related_name="case_files",
    )
    code = models.CharField(_("file code"), max_length=50)  # FileCode: OrganId.year.notation
    year = models.PositiveSmallIntegerField(_("year"))
    title = models.CharField(_("title"), max_length=500)
    retention = models.CharField(_("retention"), max_length=50, blank=True)  # Maintenance
    description = models.CharField(_("description"), max_length=500, blank=True)
    owner = models.ForeignKey(
        Officer, verbose_name=_("creator"), on_delete=models.PROTECT, related_name="+"
    )
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.OPEN)
    opened_on = models.DateField(_("start date"))
    closed_on = models.DateField(_("end date"), null=True, blank=True)
    archived_at = models.DateTimeField(_("archived at"), null=True, blank=True)
    version = models.PositiveIntegerField(_("version"), default=1)

    class Meta:
        ordering = ["-year", "code"]
        verbose_name = _("case file")
        verbose_name_plural = _("case files")
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "year", "code"], name="documents_casefile_code"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"


class State(models.TextChoices):
    # incoming
    ARRIVED = "arrived", _("Arrived, waiting for registration")
    REGISTERED = "registered", _("Registered")
    PRESENTED = "presented", _("Presented to the head")
    IN_PROCESS = "in_process", _("In process")
    COMPLETED = "completed", _("Completed")
    FOR_INFORMATION = "for_information", _("For information")
    RETURNED_TO_SENDER = "returned_to_sender", _("Returned to the sender")
    # outgoing
    DRAFT = "draft", _("Draft")
    IN_REVIEW = "in_review", _("Awaiting approval")
    RETURNED = "returned", _("Returned for revision")
    APPROVED = "approved", _("Approved, awaiting signature")
    SIGNED = "signed", _("Signed, awaiting issue")
    ISSUED = "issued", _("Issued")
    RECALLED = "recalled", _("Recalled")
    CANCELLED = "cancelled", _("Cancelled")


INCOMING_STATES = frozenset(
    {
        State.ARRIVED,
        State.REGISTERED,
        State.PRESENTED,
        State.IN_PROCESS,
        State.COMPLETED,
        State.FOR_INFORMATION,
        State.RETURNED_TO_SENDER,
        State.RECALLED,
    }
)
OUTGOING_STATES = frozenset(
    {
        State.DRAFT,
        State.IN_REVIEW,
        State.RETURNED,
        State.APPROVED,
        State.SIGNED,
        State.ISSUED,
        State.RECALLED,
        State.CANCELLED,
    }
)

# The explicit state machine: for each state, where a service may move the document.
TRANSITIONS: dict[str, frozenset[str]] = {
    State.ARRIVED: frozenset({State.REGISTERED, State.RETURNED_TO_SENDER, State.RECALLED}),
    State.REGISTERED: frozenset(
        {
            State.PRESENTED,
            State.IN_PROCESS,
            State.FOR_INFORMATION,
            State.RETURNED_TO_SENDER,
            State.RECALLED,
        }
    ),
    State.PRESENTED: frozenset({State.IN_PROCESS, State.FOR_INFORMATION, State.RECALLED}),
    State.IN_PROCESS: frozenset({State.IN_PROCESS, State.COMPLETED, State.RECALLED}),
    State.COMPLETED: frozenset({State.IN_PROCESS, State.RECALLED}),  # reopened by the head
    State.FOR_INFORMATION: frozenset({State.IN_PROCESS, State.RECALLED}),
    State.RETURNED_TO_SENDER: frozenset(),
    State.DRAFT: frozenset({State.IN_REVIEW, State.CANCELLED}),
    State.IN_REVIEW: frozenset({State.IN_REVIEW, State.RETURNED, State.APPROVED}),
    State.RETURNED: frozenset({State.IN_REVIEW, State.CANCELLED}),
    State.APPROVED: frozenset({State.SIGNED, State.RETURNED}),
    State.SIGNED: frozenset({State.ISSUED}),
    State.ISSUED: frozenset({State.RECALLED}),
    State.RECALLED: frozenset(),
    State.CANCELLED: frozenset(),
}


def signer_position_split(value: str) -> tuple[str, str]:
    """`Document.signer_position` keeps "<signing authority line>\\n<position>" (e.g.
    "KT. CHỦ TỊCH\\nPhó Chủ tịch"); without an authority it is the position alone."""
    if "\n" in value:
        authority, position = value.split("\n", 1)
        return authority.strip(), position.strip()
    return "", value.strip()


def signer_position_join(authority: str, position: str) -> str:
    return f"{authority}\n{position}" if authority else position


class Document(models.Model):
    """An official document as one organisation holds it (incoming or outgoing).

    Field names follow the metadata list of Decree 30/2020 Annex VI (STANDARDS-VN.md §2).
    """

    class Channel(models.TextChoices):
        PAPER = "paper", _("Paper (scanned)")
        EMAIL = "email", _("E-mail")
        INTERNAL = "internal", _("Inside the platform")
        EXCHANGE = "exchange", _("Inter-agency exchange")
        DRAFTED = "drafted", _("Drafted here")

    class TextState(models.TextChoices):
        NONE = "none", _("No file")
        PENDING = "pending", _("Waiting for text extraction")
        TEXT_LAYER = "text_layer", _("Text layer indexed")
        OCR_DONE = "ocr_done", _("Read by OCR")
        FAILED = "failed", _("Text extraction failed")

    organization = models.ForeignKey(
        Organization,
        verbose_name=_("organisation"),
        on_delete=models.PROTECT,
        related_name="documents",
    )
    direction = models.CharField(
        _("incoming or outgoing"), max_length=10, choices=Direction.choices
    )
    state = models.CharField(_("state"), max_length=20, choices=State.choices)
    version = models.PositiveIntegerField(_("version"), default=1)
    channel = models.CharField(_("received through"), max_length=10, choices=Channel.choices)

    register = models.ForeignKey(
        Register,
        verbose_name=_("register"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="documents",
    )
    register_year = models.PositiveSmallIntegerField(_("register year"), null=True, blank=True)
    # Incoming: the arrival number; outgoing: the issue number (CodeNumber). Null until numbered.
    register_number = models.PositiveIntegerField(
        _("number in the register"), null=True, blank=True
    )

    document_type = models.ForeignKey(
        DocumentType, verbose_name=_("document type"), on_delete=models.PROTECT, related_name="+"
    )
    # As printed on the document: "15/QĐ-UBND" is code_number "15", code_notation "QĐ-UBND".
    code_number = models.CharField(_("number"), max_length=11, blank=True)
    code_notation = models.CharField(_("notation"), max_length=30, blank=True)
    issued_on = models.DateField(_("issue date"), null=True, blank=True)
    issued_at = models.DateTimeField(_("issue time"), null=True, blank=True)
    issuer = models.ForeignKey(
        Organization,
        verbose_name=_("issuer"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    issuer_name = models.CharField(_("issuer name"), max_length=200)
    issuer_code = models.CharField(_("issuer code"), max_length=13, blank=True)
    subject = models.CharField(_("subject"), max_length=500)
    language = models.CharField(_("language"), max_length=10, default="vi")
    page_count = models.PositiveIntegerField(_("pages"), null=True, blank=True)
    description = models.CharField(_("description"), max_length=500, blank=True)
    signer_name = models.CharField(_("signer"), max_length=50, blank=True)
    signer_position = models.CharField(_("signer's position"), max_length=100, blank=True)
    signer = models.ForeignKey(
        Officer,
        verbose_name=_("signing officer"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    urgency = models.CharField(
        _("urgency"), max_length=12, choices=Urgency.choices, default=Urgency.NORMAL
    )
    secrecy = models.CharField(
        _("secrecy"), max_length=12, choices=Secrecy.choices, default=Secrecy.NONE
    )
    due_on = models.DateField(_("due date"), null=True, blank=True)
    arrived_at = models.DateTimeField(_("arrival time"), null=True, blank=True)
    recipients_text = models.CharField(_("recipients (Nơi nhận)"), max_length=1000, blank=True)
    issued_amount = models.PositiveSmallIntegerField(_("number of copies"), null=True, blank=True)
    drafting_unit = models.ForeignKey(
        Organization,
        verbose_name=_("drafting unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    body = models.TextField(_("body"), blank=True)

    # Links.
    source = models.ForeignKey(
        "self",
        verbose_name=_("sent document"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="copies_received",
        help_text=_("For a document delivered inside the platform: the sender's outgoing row"),
    )
    reply_to = models.ForeignKey(
        "self",
        verbose_name=_("in reply to"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="replies",
    )
    case_file = models.ForeignKey(
        CaseFile,
        verbose_name=_("case file"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="documents",
    )

    # Text and duplicates.
    main_sha256 = models.CharField(_("main file SHA-256"), max_length=64, blank=True)
    text_state = models.CharField(
        _("text extraction"), max_length=12, choices=TextState.choices, default=TextState.NONE
    )
    extracted_text = models.TextField(_("extracted text"), blank=True)
    ocr_suggestions = models.JSONField(
        _("metadata read from the first page"), default=dict, blank=True
    )

    created_by = models.ForeignKey(
        Account, verbose_name=_("created by"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("document")
        verbose_name_plural = _("documents")
        constraints = [
            models.UniqueConstraint(
                fields=["register", "register_year", "register_number"],
                condition=Q(register_number__isnull=False),
                name="documents_document_register_number",
            ),
            models.CheckConstraint(
                condition=Q(direction__in=Direction.values),
                name="documents_document_direction_known",
            ),
            models.CheckConstraint(
                condition=Q(state__in=State.values), name="documents_document_state_known"
            ),
            models.CheckConstraint(
                condition=Q(secrecy__in=Secrecy.values), name="documents_document_secrecy_known"
            ),
        ]
        indexes = [
            models.Index(
                fields=["organization", "direction", "state"], name="documents_org_dir_state"
            ),
            models.Index(
                fields=["issuer_name", "code_number", "issued_on"], name="documents_identity"
            ),
            models.Index(fields=["main_sha256"], name="documents_main_sha"),
        ]

    def __str__(self) -> str:
        return self.number_notation or self.subject[:60]

    @property
    def number_notation(self) -> str:
        """`15/QĐ-UBND` as printed after "Số:"."""
        if not self.code_number:
            return self.code_notation
        if not self.code_notation:
            return self.code_number
        return f"{self.code_number}/{self.code_notation}"

    @property
    def is_confidential(self) -> bool:
        return self.secrecy != Secrecy.NONE


class DocumentFile(models.Model):
    """A file of a document: the main text, an appendix, or one version of a draft."""

    class Role(models.TextChoices):
        MAIN = "main", _("Main text")
        APPENDIX = "appendix", _("Appendix")
        DRAFT = "draft", _("Draft version")
        SIGNED = "signed", _("Signed text")

    document = models.ForeignKey(
        Document, verbose_name=_("document"), on_delete=models.CASCADE, related_name="files"
    )
    role = models.CharField(_("role"), max_length=10, choices=Role.choices)
    file = models.ForeignKey(
        StoredFile, verbose_name=_("file"), on_delete=models.PROTECT, related_name="+"
    )
    draft_version = models.PositiveIntegerField(_("draft version"), null=True, blank=True)
    change_note = models.CharField(_("what changed"), max_length=500, blank=True)
    added_by = models.ForeignKey(
        Account, verbose_name=_("added by"), on_delete=models.PROTECT, related_name="+"
    )
    added_at = models.DateTimeField(_("added at"), auto_now_add=True)

    class Meta:
        ordering = ["document_id", "added_at", "pk"]
        verbose_name = _("document file")
        verbose_name_plural = _("document files")
        constraints = [
            models.UniqueConstraint(
                fields=["document", "draft_version"],
                condition=Q(draft_version__isnull=False),
                name="documents_file_draft_version",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.document_id}:{self.role}:{self.file_id}"


class Route(models.Model):
    """One line of the processing slip: who must handle (or read) an incoming document.

    Layers follow the decree: the organisation head directs to a lead unit and co-units
    (parent None), a unit head passes it to an officer (parent = the unit's route).
    """

    class Role(models.TextChoices):
        HEAD = "head", _("To the head for direction")
        LEAD = "lead", _("Lead (chủ trì)")
        CO = "co", _("Co-operating (phối hợp)")
        INFO = "info", _("For information")

    class State(models.TextChoices):
        PENDING = "pending", _("Not read")
        READ = "read", _("Read")
        PASSED_ON = "passed_on", _("Passed on")
        COMPLETED = "completed", _("Completed")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    document = models.ForeignKey(
        Document, verbose_name=_("document"), on_delete=models.CASCADE, related_name="routes"
    )
    parent = models.ForeignKey(
        "self",
        verbose_name=_("passed on from"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="children",
    )
    role = models.CharField(_("role"), max_length=6, choices=Role.choices)
    unit = models.ForeignKey(
        Organization,
        verbose_name=_("unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    officer = models.ForeignKey(
        Officer,
        verbose_name=_("officer"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="document_routes",
    )
    direction_text = models.TextField(_("direction"), blank=True)  # bút phê
    # The document's urgency, copied so that "my documents" sorts on the route table alone.
    urgency = models.CharField(
        _("urgency"), max_length=12, choices=Urgency.choices, default=Urgency.NORMAL
    )
    due_on = models.DateField(_("due date"), null=True, blank=True)
    state = models.CharField(
        _("state"), max_length=10, choices=State.choices, default=State.PENDING
    )
    sent_by = models.ForeignKey(
        Account, verbose_name=_("sent by"), on_delete=models.PROTECT, related_name="+"
    )
    sent_at = models.DateTimeField(_("sent at"))
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    result_note = models.TextField(_("result"), blank=True)
    reply_document = models.ForeignKey(
        Document,
        verbose_name=_("reply document"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["document_id", "sent_at", "pk"]
        verbose_name = _("route")
        verbose_name_plural = _("routes")
        constraints = [
            models.CheckConstraint(
                condition=Q(unit__isnull=False) | Q(officer__isnull=False),
                name="documents_route_has_receiver",
            ),
        ]
        indexes = [
            models.Index(fields=["officer", "state"], name="documents_route_officer"),
            models.Index(fields=["unit", "state"], name="documents_route_unit"),
        ]

    def __str__(self) -> str:
        return f"{self.document_id}:{self.role}:{self.unit_id or self.officer_id}"


class ApprovalStep(models.Model):
    """One step of an outgoing document's approval chain (trình duyệt)."""

    class Kind(models.TextChoices):
        REVIEW = "review", _("Content review")  # head of the drafting unit
        FORMAT = "format", _("Format check")  # the office checks the form
        SIGN = "sign", _("Approve and sign")  # the signer

    class Outcome(models.TextChoices):
        PENDING = "pending", _("Waiting")
        APPROVED = "approved", _("Approved")
        RETURNED = "returned", _("Returned")
        SKIPPED = "skipped", _("Not reached")

    document = models.ForeignKey(
        Document, verbose_name=_("document"), on_delete=models.CASCADE, related_name="approvals"
    )
    round = models.PositiveSmallIntegerField(_("submission round"), default=1)
    order = models.PositiveSmallIntegerField(_("order"))
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    approver = models.ForeignKey(
        Officer, verbose_name=_("approver"), on_delete=models.PROTECT, related_name="+"
    )
    outcome = models.CharField(
        _("outcome"), max_length=10, choices=Outcome.choices, default=Outcome.PENDING
    )
    acted_by = models.ForeignKey(
        Officer,
        verbose_name=_("acted by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("A deputy acting under a delegation, or the approver"),
    )
    comment = models.TextField(_("comment"), blank=True)
    acted_at = models.DateTimeField(_("acted at"), null=True, blank=True)

    class Meta:
        ordering = ["document_id", "round", "order"]
        verbose_name = _("approval step")
        verbose_name_plural = _("approval steps")
        constraints = [
            models.UniqueConstraint(
                fields=["document", "round", "order"], name="documents_approval_order"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.document_id}:{self.round}.{self.order}:{self.kind}"


class ApprovalChain(models.Model):
    """The approval chain an organisation uses for a document type (None: every type)."""

    organization = models.ForeignKey(
        Organization,
        verbose_name=_("organisation"),
        on_delete=models.CASCADE,
        related_name="approval_chains",
    )
    document_type = models.ForeignKey(
        DocumentType,
        verbose_name=_("document type"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    # Ordered kinds, e.g. ["review", "format", "sign"].
    steps = models.JSONField(_("steps"), default=list)

    class Meta:
        verbose_name = _("approval chain")
        verbose_name_plural = _("approval chains")
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "document_type"], name="documents_chain_per_type"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.organization_id}:{self.document_type_id}:{self.steps}"


class Comment(models.Model):
    """A comment on a draft (góp ý) from a co-unit or a reviewer."""

    document = models.ForeignKey(
        Document, verbose_name=_("document"), on_delete=models.CASCADE, related_name="comments"
    )
    author = models.ForeignKey(
        Officer, verbose_name=_("author"), on_delete=models.PROTECT, related_name="+"
    )
    draft_version = models.PositiveIntegerField(_("draft version"), null=True, blank=True)
    text = models.TextField(_("comment"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["document_id", "created_at", "pk"]
        verbose_name = _("comment")
        verbose_name_plural = _("comments")

    def __str__(self) -> str:
        return f"{self.document_id}:{self.author_id}"


class Delivery(models.Model):
    """One recipient of an issued document (a line of "Nơi nhận").

    Internal deliveries create the recipient's incoming row at once and follow its state;
    deliveries to agencies on other systems wait in this table (`channel=exchange`,
    `state=queued`) for the exchange capability to pick them up.
    """

    class Channel(models.TextChoices):
        INTERNAL = "internal", _("Inside the platform")
        EXCHANGE = "exchange", _("Inter-agency exchange")
        PAPER = "paper", _("Paper / post")

    class State(models.TextChoices):
        QUEUED = "queued", _("Waiting for the exchange")
        SENT = "sent", _("Sent")
        ARRIVED = "arrived", _("Arrived")
        REGISTERED = "registered", _("Registered")
        ASSIGNED = "assigned", _("Assigned")
        IN_PROCESS = "in_process", _("In process")
        COMPLETED = "completed", _("Completed")
        REFUSED = "refused", _("Refused")
        RECALLED = "recalled", _("Recalled")

    document = models.ForeignKey(
        Document, verbose_name=_("document"), on_delete=models.CASCADE, related_name="deliveries"
    )
    recipient = models.ForeignKey(
        Organization,
        verbose_name=_("recipient"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    recipient_name = models.CharField(_("recipient name"), max_length=200)
    recipient_code = models.CharField(_("recipient code"), max_length=13, blank=True)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    state = models.CharField(_("state"), max_length=12, choices=State.choices)
    incoming = models.ForeignKey(
        Document,
        verbose_name=_("recipient's incoming document"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    state_changed_at = models.DateTimeField(_("state changed at"))
    note = models.CharField(_("note"), max_length=500, blank=True)

    class Meta:
        ordering = ["document_id", "pk"]
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        indexes = [models.Index(fields=["channel", "state"], name="documents_delivery_queue")]

    def __str__(self) -> str:
        return f"{self.document_id}→{self.recipient_name}"


class DocumentEvent(models.Model):
    """The document's own history shown on its page (the audit log keeps the proof)."""

    document = models.ForeignKey(
        Document, verbose_name=_("document"), on_delete=models.CASCADE, related_name="events"
    )
    action = models.CharField(_("action"), max_length=50)
    actor = models.ForeignKey(
        Account,
        verbose_name=_("actor"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    actor_name = models.CharField(_("actor name"), max_length=150, blank=True)
    note = models.TextField(_("note"), blank=True)
    at = models.DateTimeField(_("at"))

    class Meta:
        ordering = ["document_id", "at", "pk"]
        verbose_name = _("document event")
        verbose_name_plural = _("document events")

    def __str__(self) -> str:
        return f"{self.document_id}:{self.action}"

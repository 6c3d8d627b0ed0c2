"""The catalogue of administrative procedures (thủ tục hành chính), versioned.

A `Procedure` is the stable identity (the national code); every content change creates a new
`ProcedureVersion` with its channels, required documents, fees and internal process steps. A
version is never changed after it is written: dossiers keep a foreign key to the version they
were received under, so what the applicant was told stays provable.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, NoReturn

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from egov.core.errors import EgovError
from egov.core.models import StoredFile
from egov.directory.models import Organization, Role

CODE_REGEX = r"^[0-9A-Za-z][0-9A-Za-z.\-]{2,29}$"


class ProcedureVersionImmutable(EgovError):
    """An attempt to change a written version: revise the procedure instead."""

    code = "procedures.version_immutable"
    status = 409
    default_message = _("A procedure version cannot be changed; create a new version instead.")


class Field(models.Model):
    """A field of administrative procedures (lĩnh vực), e.g. business registration."""

    code = models.CharField(_("code"), max_length=30, unique=True)
    name = models.CharField(_("name"), max_length=255)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("field of procedures")
        verbose_name_plural = _("fields of procedures")
        constraints = [
            models.CheckConstraint(
                condition=~Q(code="") & ~Q(name=""), name="procedures_field_not_empty"
            )
        ]

    def __str__(self) -> str:
        return self.name


class Procedure(models.Model):
    """The stable identity of one procedure across its versions."""

    class CodeStatus(models.TextChoices):
        CONFIRMED = "confirmed", _("Confirmed against the national procedure database")
        REPORTED = "reported", _("Seen in public data, not confirmed")
        UNVERIFIED = "unverified", _("Local code, national code not verified")

    code = models.CharField(_("procedure code"), max_length=30, unique=True)
    code_status = models.CharField(
        _("code status"), max_length=12, choices=CodeStatus.choices, default=CodeStatus.CONFIRMED
    )
    code_note = models.CharField(_("note on the code"), max_length=500, blank=True)
    latest_version = models.ForeignKey(
        "ProcedureVersion",
        verbose_name=_("latest version"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    published_version = models.ForeignKey(
        "ProcedureVersion",
        verbose_name=_("published version"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("procedure")
        verbose_name_plural = _("procedures")
        constraints = [
            models.CheckConstraint(
                condition=Q(code__regex=CODE_REGEX), name="procedures_procedure_code_shape"
            ),
            models.CheckConstraint(
                condition=Q(published_version__isnull=True) | Q(published_at__isnull=False),
                name="procedures_procedure_published_at",
            ),
        ]

    def __str__(self) -> str:
        return self.code


class Level(models.TextChoices):
    CENTRAL = "central", _("Central")
    PROVINCE = "province", _("Province")
    COMMUNE = "commune", _("Commune")


class ServiceLevel(models.TextChoices):
    FULL_ONLINE = "full_online", _("Full online public service")
    PARTIAL_ONLINE = "partial_online", _("Partial online public service")
    NONE = "none", _("Not an online public service")


class FeeStage(models.TextChoices):
    """When an online applicant pays the fees: with the submission, or when the result is ready."""

    BEFORE = "before", _("When submitting")
    AFTER = "after", _("When the result is ready")


LIFE_EVENTS: dict[str, Any] = {
    "business": _("Starting and running a business"),
    "house": _("Land, housing and construction"),
    "family": _("Birth, marriage and family"),
    "vehicle": _("Vehicles and transport"),
    "work": _("Work, professions and practice certificates"),
    "residence": _("Residence and identity"),
    "health": _("Health and pharmacy"),
    "education": _("Education"),
    "complaint": _("Complaints and denunciations"),
    "investment": _("Investment"),
}


class ProcedureVersion(models.Model):
    """Everything the catalogue publishes about a procedure, as of one version."""

    procedure = models.ForeignKey(
        Procedure, verbose_name=_("procedure"), on_delete=models.PROTECT, related_name="versions"
    )
    number = models.PositiveIntegerField(_("version"))
    effective_from = models.DateField(_("effective from"))
    name = models.CharField(_("name"), max_length=500)
    field = models.ForeignKey(
        Field, verbose_name=_("field"), on_delete=models.PROTECT, related_name="versions"
    )
    level = models.CharField(_("level of government"), max_length=10, choices=Level.choices)
    competent_organization = models.ForeignKey(
        Organization,
        verbose_name=_("competent organisation"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    competent_text = models.CharField(_("competent organisation (text)"), max_length=500)
    executing_organization = models.ForeignKey(
        Organization,
        verbose_name=_("executing organisation"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    executing_text = models.CharField(_("executing organisation (text)"), max_length=500)
    cases = models.JSONField(_("cases"), default=list, blank=True)
    sequence = models.JSONField(_("steps of the sequence"), default=list, blank=True)
    result = models.CharField(_("result"), max_length=1000)
    legal_bases = models.JSONField(_("legal bases"), default=list, blank=True)
    conditions = models.TextField(_("conditions"), blank=True)
    subjects = models.JSONField(_("subjects"), default=list, blank=True)
    service_level = models.CharField(
        _("online service level"), max_length=20, choices=ServiceLevel.choices
    )
    legacy_level = models.PositiveSmallIntegerField(
        _("legacy online level (1-4)"), null=True, blank=True
    )
    eform_schema = models.JSONField(_("e-form schema"), default=dict, blank=True)
    # Keys of LIFE_EVENTS (business, house, family, vehicle …) under which citizens browse.
    life_events = models.JSONField(_("life events"), default=list, blank=True)
    # Whether an online dossier may be submitted without signing in (code + phone/ID tracking).
    anonymous_allowed = models.BooleanField(_("online without an account"), default=False)
    fee_stage = models.CharField(
        _("fees paid"), max_length=10, choices=FeeStage.choices, default=FeeStage.BEFORE
    )
    publishing_decision = models.CharField(_("publishing decision"), max_length=300, blank=True)
    note = models.TextField(_("note"), blank=True)
    content_hash = models.CharField(_("content hash"), max_length=64)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by_id = models.BigIntegerField(_("created by"), null=True, blank=True)

    class Meta:
        ordering = ["procedure_id", "number"]
        verbose_name = _("procedure version")
        verbose_name_plural = _("procedure versions")
        constraints = [
            models.UniqueConstraint(
                fields=["procedure", "number"], name="procedures_version_unique_number"
            ),
            models.CheckConstraint(
                condition=Q(legacy_level__isnull=True)
                | Q(legacy_level__gte=1, legacy_level__lte=4),
                name="procedures_version_legacy_level",
            ),
            models.CheckConstraint(
                condition=Q(service_level__in=["full_online", "partial_online", "none"]),
                name="procedures_version_service_level",
            ),
            models.CheckConstraint(condition=Q(number__gte=1), name="procedures_version_number"),
        ]

    def __str__(self) -> str:
        return f"{self.procedure_id} v{self.number} {self.name}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise ProcedureVersionImmutable()
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise ProcedureVersionImmutable()


class TimeUnit(models.TextChoices):
    WORKING_DAYS = "working_days", _("working days")
    DAYS = "days", _("days")
    HOURS = "hours", _("working hours")
    WITHIN_DAY = "within_day", _("within the day")


class Channel(models.TextChoices):
    COUNTER = "counter", _("At the counter")
    ONLINE = "online", _("Online")
    POST = "post", _("By public post")


class ProcedureChannel(models.Model):
    """How an applicant may submit (counter, online, post) and how long the handling takes."""

    version = models.ForeignKey(
        ProcedureVersion,
        verbose_name=_("version"),
        on_delete=models.CASCADE,
        related_name="channels",
    )
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    time_value = models.DecimalField(
        _("processing time"), max_digits=6, decimal_places=1, default=Decimal(0)
    )
    time_unit = models.CharField(_("time unit"), max_length=15, choices=TimeUnit.choices)
    fee_note = models.CharField(_("fee note"), max_length=1000, blank=True)
    description = models.CharField(_("description"), max_length=1000, blank=True)

    class Meta:
        ordering = ["version_id", "channel"]
        verbose_name = _("channel")
        verbose_name_plural = _("channels")
        constraints = [
            models.UniqueConstraint(
                fields=["version", "channel"], name="procedures_channel_once_per_version"
            ),
            models.CheckConstraint(
                condition=Q(time_value__gte=0), name="procedures_channel_time_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.channel} {self.time_value} {self.time_unit}"


class RequiredDocument(models.Model):
    """One paper of the dossier (thành phần hồ sơ), per case or for every case."""

    version = models.ForeignKey(
        ProcedureVersion,
        verbose_name=_("version"),
        on_delete=models.CASCADE,
        related_name="documents",
    )
    order = models.PositiveSmallIntegerField(_("order"))
    code = models.CharField(_("code"), max_length=30)
    name = models.CharField(_("name"), max_length=1000)
    originals = models.PositiveSmallIntegerField(_("originals"), default=0)
    copies = models.PositiveSmallIntegerField(_("copies"), default=0)
    template = models.ForeignKey(
        StoredFile,
        verbose_name=_("template form"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    template_name = models.CharField(_("template form name"), max_length=300, blank=True)
    mandatory = models.BooleanField(_("mandatory"), default=True)
    case = models.CharField(_("case"), max_length=30, blank=True)

    class Meta:
        ordering = ["version_id", "order"]
        verbose_name = _("required document")
        verbose_name_plural = _("required documents")
        constraints = [
            models.UniqueConstraint(
                fields=["version", "code"], name="procedures_document_unique_code"
            ),
            models.CheckConstraint(
                condition=Q(originals__gt=0) | Q(copies__gt=0),
                name="procedures_document_some_count",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Fee(models.Model):
    """A fee or charge (phí, lệ phí): a fixed amount in VND or a rule (egov.procedures.feerules)."""

    class Kind(models.TextChoices):
        FEE = "fee", _("Fee")
        CHARGE = "charge", _("Charge")

    version = models.ForeignKey(
        ProcedureVersion, verbose_name=_("version"), on_delete=models.CASCADE, related_name="fees"
    )
    order = models.PositiveSmallIntegerField(_("order"))
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=500)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices, blank=True)
    amount = models.BigIntegerField(_("amount (VND)"), null=True, blank=True)
    rule = models.JSONField(_("rule"), null=True, blank=True)
    legal_basis = models.CharField(_("legal basis"), max_length=500, blank=True)
    note = models.CharField(_("note"), max_length=1000, blank=True)

    class Meta:
        ordering = ["version_id", "order"]
        verbose_name = _("fee or charge")
        verbose_name_plural = _("fees and charges")
        constraints = [
            models.CheckConstraint(
                condition=(Q(amount__isnull=False) & Q(rule__isnull=True))
                | (Q(amount__isnull=True) & Q(rule__isnull=False)),
                name="procedures_fee_amount_or_rule",
            ),
            models.CheckConstraint(
                condition=Q(amount__isnull=True) | Q(amount__gte=0),
                name="procedures_fee_amount_positive",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class ProcedureStep(models.Model):
    """One step of the internal process (quy trình nội bộ) with the working days it may take."""

    version = models.ForeignKey(
        ProcedureVersion, verbose_name=_("version"), on_delete=models.CASCADE, related_name="steps"
    )
    order = models.PositiveSmallIntegerField(_("order"))
    name = models.CharField(_("name"), max_length=500)
    responsible_unit = models.ForeignKey(
        Organization,
        verbose_name=_("responsible unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    responsible_role = models.CharField(
        _("responsible role"), max_length=20, choices=Role.choices, blank=True
    )
    responsible_text = models.CharField(_("responsible (text)"), max_length=300, blank=True)
    working_days = models.DecimalField(_("working days"), max_digits=5, decimal_places=1)
    crosses_organization = models.BooleanField(_("crosses to another organisation"), default=False)

    class Meta:
        ordering = ["version_id", "order"]
        verbose_name = _("process step")
        verbose_name_plural = _("process steps")
        constraints = [
            models.UniqueConstraint(
                fields=["version", "order"], name="procedures_step_unique_order"
            ),
            models.CheckConstraint(
                condition=Q(working_days__gte=0), name="procedures_step_days_positive"
            ),
            models.CheckConstraint(
                condition=Q(responsible_unit__isnull=False) | ~Q(responsible_role=""),
                name="procedures_step_has_responsible",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.order}. {self.name}"

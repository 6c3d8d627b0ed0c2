"""Who is who: the organisation tree, officers with roles and scopes, applicants, API keys."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Organization(models.Model):
    """A node of the government tree: people's committee, department, commune, agency or unit.

    Units (phòng, đơn vị) are nodes of kind `unit` under their organisation, so that one tree
    and one scope rule cover both (docs/adr/0003-one-organisation-tree.md).
    """

    class Kind(models.TextChoices):
        PEOPLE_COMMITTEE = "people_committee", _("People's committee")
        DEPARTMENT = "department", _("Department")
        COMMUNE = "commune", _("Commune")
        AGENCY = "agency", _("Agency")
        UNIT = "unit", _("Unit")

    class Level(models.TextChoices):
        CENTRAL = "central", _("Central")
        PROVINCE = "province", _("Province")
        DISTRICT = "district", _("District (before 1 July 2025)")
        COMMUNE = "commune", _("Commune")

    code = models.CharField(
        _("electronic identifier code"),
        max_length=35,
        unique=True,
        help_text=_("Decision 20/2020 code, e.g. H53.12"),
    )
    qcvn_code = models.CharField(
        _("QCVN 102 code"), max_length=13, blank=True, help_text=_("e.g. 000.00.00.H53")
    )
    admin_unit_code = models.CharField(
        _("administrative unit code"), max_length=10, blank=True, db_index=True
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    level = models.CharField(_("level"), max_length=10, choices=Level.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    path = models.CharField(_("tree path"), max_length=1000, db_index=True, editable=False)
    depth = models.PositiveSmallIntegerField(_("depth"), default=0, editable=False)
    name_vi = models.CharField(_("name (Vietnamese)"), max_length=255)
    name_en = models.CharField(_("name (English)"), max_length=255, blank=True)
    abbreviation = models.CharField(
        _("abbreviation"), max_length=30, blank=True, help_text=_("Used in notations: UBND, SNV")
    )
    address = models.CharField(_("address"), max_length=500, blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    website = models.URLField(_("website"), blank=True)
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_to = models.DateField(_("valid to"), null=True, blank=True)
    successor = models.ForeignKey(
        "self",
        verbose_name=_("successor"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="predecessors",
    )
    succession_basis = models.CharField(_("legal basis of succession"), max_length=200, blank=True)
    require_totp = models.BooleanField(_("require two-factor sign-in"), default=False)

    class Meta:
        ordering = ["path"]
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True)
                | Q(valid_from__isnull=True)
                | Q(valid_to__gte=models.F("valid_from")),
                name="directory_org_validity_ordered",
            )
        ]

    def __str__(self) -> str:
        return self.name_vi

    @property
    def is_active(self) -> bool:
        return self.valid_to is None


class Position(models.Model):
    """A post (chức vụ): Chủ tịch, Giám đốc, Trưởng phòng, Chuyên viên …"""

    code = models.SlugField(_("code"), max_length=50, unique=True)
    name_vi = models.CharField(_("name (Vietnamese)"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=100, blank=True)
    rank = models.PositiveSmallIntegerField(_("rank"), default=100)

    class Meta:
        ordering = ["rank", "code"]
        verbose_name = _("position")
        verbose_name_plural = _("positions")

    def __str__(self) -> str:
        return self.name_vi


class Account(AbstractUser):
    """A sign-in identity; an officer or an applicant hangs off it."""

    class Kind(models.TextChoices):
        OFFICER = "officer", _("Officer")
        APPLICANT = "applicant", _("Citizen or business")
        SYSTEM = "system", _("System")

    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.OFFICER)
    failed_logins = models.PositiveIntegerField(_("failed sign-ins"), default=0)
    locked_until = models.DateTimeField(_("locked until"), null=True, blank=True)
    totp_secret = models.CharField(_("TOTP secret"), max_length=64, blank=True)
    totp_confirmed = models.BooleanField(_("two-factor confirmed"), default=False)
    totp_last_step = models.BigIntegerField(_("last used TOTP step"), default=0)
    password_changed_at = models.DateTimeField(_("password changed at"), null=True, blank=True)
    preferred_language = models.CharField(_("language"), max_length=8, default="vi")

    class Meta:
        verbose_name = _("account")
        verbose_name_plural = _("accounts")

    def get_full_name(self) -> str:
        """Vietnamese order: family and middle names (last_name) before the given name."""
        return " ".join(part for part in (self.last_name, self.first_name) if part).strip()


class Officer(models.Model):
    """A civil servant's staff profile: the unit they belong to and their position."""

    account = models.OneToOneField(
        Account, verbose_name=_("account"), on_delete=models.PROTECT, related_name="officer"
    )
    full_name = models.CharField(_("full name"), max_length=150)
    unit = models.ForeignKey(
        Organization, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="officers"
    )
    position = models.ForeignKey(
        Position, verbose_name=_("position"), on_delete=models.PROTECT, related_name="officers"
    )
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    email = models.EmailField(_("official e-mail"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["full_name"]
        verbose_name = _("officer")
        verbose_name_plural = _("officers")

    def __str__(self) -> str:
        return self.full_name


class Role(models.TextChoices):
    CLERK = "clerk", _("Clerk")
    OFFICER = "officer", pgettext_lazy("role", "Officer")  # chuyên viên, not "cán bộ"
    HEAD = "head", _("Head")
    COUNTER = "counter", _("One-stop counter")
    IT_ADMIN = "it_admin", _("IT administrator")


class Scope(models.TextChoices):
    UNIT = "unit", _("Own unit")
    ORGANIZATION = "organization", _("Own organisation")
    SUBTREE = "subtree", _("Organisation and everything under it")


class RoleAssignment(models.Model):
    """One role of an officer with the reach it has."""

    officer = models.ForeignKey(
        Officer, verbose_name=_("officer"), on_delete=models.CASCADE, related_name="roles"
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    scope = models.CharField(_("scope"), max_length=20, choices=Scope.choices, default=Scope.UNIT)

    class Meta:
        verbose_name = _("role assignment")
        verbose_name_plural = _("role assignments")
        constraints = [
            models.UniqueConstraint(fields=["officer", "role"], name="directory_role_once")
        ]

    def __str__(self) -> str:
        return f"{self.officer} {self.role}/{self.scope}"


class Delegation(models.Model):
    """A head lets a deputy sign or approve in their place for a period."""

    class Power(models.TextChoices):
        SIGN = "sign", _("Sign")
        APPROVE = "approve", _("Approve")

    delegator = models.ForeignKey(
        Officer,
        verbose_name=_("delegator"),
        on_delete=models.PROTECT,
        related_name="delegations_given",
    )
    deputy = models.ForeignKey(
        Officer,
        verbose_name=_("deputy"),
        on_delete=models.PROTECT,
        related_name="delegations_received",
    )
    power = models.CharField(_("power"), max_length=10, choices=Power.choices)
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        ordering = ["-starts_at"]
        verbose_name = _("delegation")
        verbose_name_plural = _("delegations")
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")), name="directory_delegation_period"
            ),
            models.CheckConstraint(
                condition=~Q(delegator=models.F("deputy")), name="directory_delegation_not_self"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.delegator} → {self.deputy} ({self.power})"


class Applicant(models.Model):
    """A citizen or a business that applies for services; separate from officers."""

    class Kind(models.TextChoices):
        PERSON = "person", _("Citizen")
        BUSINESS = "business", _("Business or organisation")

    account = models.OneToOneField(
        Account,
        verbose_name=_("account"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="applicant",
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    full_name = models.CharField(_("full name or business name"), max_length=255)
    national_id = models.CharField(_("national ID number"), max_length=12, blank=True)
    tax_code = models.CharField(_("tax code"), max_length=14, blank=True)
    phone = models.CharField(_("phone"), max_length=15, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    address = models.CharField(_("address"), max_length=500, blank=True)
    ward_code = models.CharField(_("commune code"), max_length=10, blank=True)
    representative = models.CharField(
        _("legal representative"),
        max_length=255,
        blank=True,
        help_text=_("For a business: the person who represents it at law"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("applicant")
        verbose_name_plural = _("applicants")
        constraints = [
            models.CheckConstraint(
                condition=Q(kind="person", national_id__regex=r"^[0-9]{12}$")
                | Q(kind="business", tax_code__regex=r"^[0-9]{10}(-[0-9]{3})?$"),
                name="directory_applicant_identity",
            ),
            models.UniqueConstraint(
                fields=["national_id"],
                condition=Q(kind="person"),
                name="directory_applicant_unique_national_id",
            ),
            models.UniqueConstraint(
                fields=["tax_code"],
                condition=Q(kind="business"),
                name="directory_applicant_unique_tax_code",
            ),
        ]

    def __str__(self) -> str:
        return self.full_name


class OneTimeCode(models.Model):
    """A short code sent to a phone or an e-mail address: whoever types it back proves they
    receive messages there. Only a keyed hash of the code is kept (`code_hash`), it expires,
    allows a few wrong tries and a few resends (egov.directory.citizen_services).

    `payload` holds what the proof unlocks and must not be trusted before it: the new phone
    number or e-mail of a contact change.
    """

    class Purpose(models.TextChoices):
        SIGNUP = "signup", _("Account activation")
        PASSWORD_RESET = "password_reset", _("Password reset")
        CONTACT_CHANGE = "contact_change", _("Change of phone number or e-mail")

    class Channel(models.TextChoices):
        EMAIL = "email", _("E-mail")
        SMS = "sms", _("Text message (SMS)")

    account = models.ForeignKey(
        Account,
        verbose_name=_("account"),
        on_delete=models.CASCADE,
        related_name="one_time_codes",
    )
    purpose = models.CharField(_("purpose"), max_length=20, choices=Purpose.choices)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    destination = models.CharField(_("sent to"), max_length=254)
    code_hash = models.CharField(_("code hash"), max_length=100)
    payload = models.JSONField(_("payload"), default=dict, blank=True)
    created_at = models.DateTimeField(_("created at"))
    sent_at = models.DateTimeField(_("last sent at"))
    expires_at = models.DateTimeField(_("expires at"))
    sends = models.PositiveSmallIntegerField(_("times sent"), default=1)
    attempts = models.PositiveSmallIntegerField(_("wrong attempts"), default=0)
    used_at = models.DateTimeField(_("used at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("one-time code")
        verbose_name_plural = _("one-time codes")
        indexes = [models.Index(fields=["account", "purpose"], name="directory_otp_account")]
        constraints = [
            models.CheckConstraint(
                condition=Q(purpose__in=["signup", "password_reset", "contact_change"]),
                name="directory_otp_purpose_known",
            ),
            models.CheckConstraint(
                condition=Q(channel__in=["email", "sms"]), name="directory_otp_channel_known"
            ),
            models.CheckConstraint(
                condition=Q(expires_at__gt=models.F("created_at")),
                name="directory_otp_expires_after_creation",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.account_id} {self.purpose} {self.channel}"


class ApiKey(models.Model):
    """A key for one integrating system; only a hash of the secret is kept."""

    name = models.CharField(_("system name"), max_length=100)
    organization = models.ForeignKey(
        Organization,
        verbose_name=_("organisation"),
        on_delete=models.PROTECT,
        related_name="api_keys",
    )
    prefix = models.CharField(_("prefix"), max_length=12, unique=True)
    key_hash = models.CharField(_("key hash"), max_length=64)
    scopes = models.JSONField(_("scopes"), default=list, blank=True)
    created_by = models.ForeignKey(
        Account, verbose_name=_("created by"), null=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        verbose_name = _("API key")
        verbose_name_plural = _("API keys")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

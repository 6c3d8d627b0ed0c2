"""Signing keys, trusted roots, timestamp authorities, stamp layouts and signature records."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class TrustedRoot(models.Model):
    """A root certificate whose chains the platform trusts (the national root, a dev CA)."""

    name = models.CharField(_("name"), max_length=200)
    certificate_der = models.BinaryField(_("certificate (DER)"))
    fingerprint = models.CharField(_("SHA-256 fingerprint"), max_length=64, unique=True)
    subject = models.CharField(_("subject"), max_length=500)
    not_after = models.DateTimeField(_("valid until"))
    is_active = models.BooleanField(_("active"), default=True)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("added by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("added at"), auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("trusted root certificate")
        verbose_name_plural = _("trusted root certificates")

    def __str__(self) -> str:
        return self.name


class TimestampAuthority(models.Model):
    """An RFC 3161 timestamp authority; the active one turns signatures into PAdES B-T."""

    name = models.CharField(_("name"), max_length=200)
    url = models.URLField(_("URL"), max_length=500)
    timeout_seconds = models.PositiveSmallIntegerField(_("timeout (seconds)"), default=10)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("timestamp authority")
        verbose_name_plural = _("timestamp authorities")
        constraints = [
            models.UniqueConstraint(
                fields=["is_active"], condition=Q(is_active=True), name="signing_one_active_tsa"
            )
        ]

    def __str__(self) -> str:
        return self.name


class RevocationList(models.Model):
    """The latest CRL of a certification authority, served at /chu-ky-so/crl/<name>.crl.

    For the development CA the platform holds the CA key (encrypted at rest) and issues a new
    CRL whenever a key it issued is revoked; for a licensed CA an IT admin imports the CA's CRL.
    Signing embeds these lists (PAdES B-LT) and verification checks against them.
    """

    name = models.SlugField(_("name"), max_length=100, unique=True)
    issuer_name = models.CharField(_("issuer"), max_length=500)
    issuer_certificate_der = models.BinaryField(_("issuer certificate (DER)"))
    issuer_fingerprint = models.CharField(
        _("issuer SHA-256 fingerprint"), max_length=64, unique=True
    )
    issuer_key_sealed = models.BinaryField(
        _("issuer key (encrypted)"),
        null=True,
        blank=True,
        help_text=_("Only for a CA the platform runs itself (development)"),
    )
    crl_der = models.BinaryField(_("CRL (DER)"))
    number = models.PositiveBigIntegerField(_("CRL number"), default=1)
    this_update = models.DateTimeField(_("issued at"))
    next_update = models.DateTimeField(_("next update"))
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("certificate revocation list")
        verbose_name_plural = _("certificate revocation lists")

    def __str__(self) -> str:
        return self.name


class SigningKey(models.Model):
    """A signing key of an officer (personal signature) or an organisation (seal)."""

    class Kind(models.TextChoices):
        PKCS12 = "pkcs12", _("PKCS#12 file")
        PKCS11 = "pkcs11", _("PKCS#11 token or HSM")

    label = models.CharField(_("label"), max_length=200)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    officer = models.ForeignKey(
        "directory.Officer",
        verbose_name=_("officer"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="signing_keys",
    )
    organization = models.ForeignKey(
        "directory.Organization",
        verbose_name=_("organisation (seal)"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="signing_keys",
    )
    certificate_der = models.BinaryField(_("certificate (DER)"))
    fingerprint = models.CharField(_("SHA-256 fingerprint"), max_length=64, unique=True)
    subject = models.CharField(_("subject"), max_length=500)
    not_before = models.DateTimeField(_("valid from"))
    not_after = models.DateTimeField(_("valid until"))
    pkcs12_sealed = models.BinaryField(_("PKCS#12 file (encrypted)"), null=True, blank=True)
    pkcs11_module = models.CharField(_("PKCS#11 module path"), max_length=300, blank=True)
    pkcs11_token_label = models.CharField(_("token label"), max_length=100, blank=True)
    pkcs11_key_label = models.CharField(_("key label"), max_length=100, blank=True)
    signature_image = models.BinaryField(_("signature image (PNG)"), null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["label"]
        verbose_name = _("signing key")
        verbose_name_plural = _("signing keys")
        constraints = [
            models.CheckConstraint(
                condition=Q(officer__isnull=False, organization__isnull=True)
                | Q(officer__isnull=True, organization__isnull=False),
                name="signing_key_one_owner",
            ),
            models.CheckConstraint(
                condition=Q(kind="pkcs12", pkcs12_sealed__isnull=False)
                | Q(kind="pkcs11", pkcs11_module__gt=""),
                name="signing_key_material",
            ),
        ]

    def __str__(self) -> str:
        return self.label


class StampLayout(models.Model):
    """Where a visible stamp goes for one document type (empty type: the default)."""

    class Kind(models.TextChoices):
        PERSON = "person", _("Person's signature")
        SEAL = "seal", _("Organisation's seal on the main document")
        ATTACHMENT = "attachment", _("Organisation's signature on an attachment")

    class Anchor(models.TextChoices):
        TOP_RIGHT = "top_right", _("Top right")
        BOTTOM_RIGHT = "bottom_right", _("Bottom right")
        TOP_LEFT = "top_left", _("Top left")
        BOTTOM_LEFT = "bottom_left", _("Bottom left")

    document_type = models.CharField(
        _("document type"),
        max_length=30,
        blank=True,
        help_text=_("Abbreviation such as QĐ or TTr; empty for every other type"),
    )
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    anchor = models.CharField(_("corner"), max_length=12, choices=Anchor.choices)
    page = models.SmallIntegerField(_("page"), default=0, help_text=_("1 = first, 0 = last"))
    margin_x_mm = models.DecimalField(_("horizontal margin (mm)"), max_digits=6, decimal_places=1)
    margin_y_mm = models.DecimalField(_("vertical margin (mm)"), max_digits=6, decimal_places=1)
    width_mm = models.DecimalField(_("width (mm)"), max_digits=6, decimal_places=1)
    height_mm = models.DecimalField(_("height (mm)"), max_digits=6, decimal_places=1)
    font_size = models.DecimalField(_("font size (pt)"), max_digits=4, decimal_places=1, default=10)

    class Meta:
        ordering = ["document_type", "kind"]
        verbose_name = _("stamp layout")
        verbose_name_plural = _("stamp layouts")
        constraints = [
            models.UniqueConstraint(fields=["document_type", "kind"], name="signing_layout_once"),
            models.CheckConstraint(
                condition=Q(width_mm__gt=0, height_mm__gt=0, page__gte=0),
                name="signing_layout_positive",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.document_type or '*'} / {self.kind}"


class SignatureRecord(models.Model):
    """Who signed what, when, with which certificate: the document's hash before and after."""

    class Kind(models.TextChoices):
        PERSON = "person", _("Person")
        ORGANIZATION = "organization", _("Organisation (seal)")

    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    key = models.ForeignKey(
        SigningKey, verbose_name=_("key"), on_delete=models.PROTECT, related_name="records"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("signed by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    officer = models.ForeignKey(
        "directory.Officer",
        verbose_name=_("officer"),
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    on_behalf_of = models.ForeignKey(
        "directory.Officer",
        verbose_name=_("on behalf of"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("The head whose signing power a deputy used"),
    )
    organization = models.ForeignKey(
        "directory.Organization",
        verbose_name=_("organisation"),
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    field_name = models.CharField(_("signature field"), max_length=100)
    sha256_before = models.CharField(_("SHA-256 before"), max_length=64, db_index=True)
    sha256_after = models.CharField(_("SHA-256 after"), max_length=64, db_index=True)
    certificate_fingerprint = models.CharField(_("certificate fingerprint"), max_length=64)
    level = models.CharField(_("PAdES level"), max_length=8)
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    document_type = models.CharField(_("document type"), max_length=30, blank=True)
    reference = models.CharField(
        _("number and notation"), max_length=100, blank=True, help_text=_("e.g. 15/QĐ-UBND")
    )
    signed_at = models.DateTimeField(_("signed at"))
    verification_code = models.CharField(
        _("verification code"),
        max_length=20,
        null=True,
        blank=True,
        unique=True,
        help_text=_("Printed in the QR code of the stamp: leads to this record"),
    )
    signed_file = models.ForeignKey(
        "core.StoredFile",
        verbose_name=_("signed file"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["-signed_at", "-id"]
        verbose_name = _("signature record")
        verbose_name_plural = _("signature records")

    def __str__(self) -> str:
        return f"{self.field_name} {self.sha256_after[:12]}"

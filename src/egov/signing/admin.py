"""Django admin for IT staff: trusted roots, the timestamp authority, stamp layouts, keys."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from egov.signing import services
from egov.signing.models import (
    RevocationList,
    SignatureRecord,
    SigningKey,
    StampLayout,
    TimestampAuthority,
    TrustedRoot,
)


class TrustedRootForm(forms.ModelForm):
    certificate_file = forms.FileField(label="Certificate (PEM or DER)", required=True)

    class Meta:
        model = TrustedRoot
        fields = ["name", "is_active"]


@admin.register(TrustedRoot)
class TrustedRootAdmin(admin.ModelAdmin):
    list_display = ["name", "fingerprint", "not_after", "is_active"]
    list_filter = ["is_active"]
    readonly_fields = ["fingerprint", "subject", "not_after", "added_by", "created_at"]

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        if obj is None:
            kwargs["form"] = TrustedRootForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return ["name", "certificate_file"]
        return ["name", "is_active", *self.readonly_fields]

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        root = services.trusted_root_add(
            actor=request.user,  # type: ignore[arg-type]
            certificate=form.cleaned_data["certificate_file"].read(),
            name=form.cleaned_data.get("name", ""),
        )
        obj.pk = root.pk


@admin.register(TimestampAuthority)
class TimestampAuthorityAdmin(admin.ModelAdmin):
    list_display = ["name", "url", "timeout_seconds", "is_active"]


@admin.register(StampLayout)
class StampLayoutAdmin(admin.ModelAdmin):
    list_display = ["document_type", "kind", "anchor", "page", "width_mm", "height_mm"]
    list_filter = ["kind"]


class Pkcs11KeyForm(forms.ModelForm):
    """Register a key on a PKCS#11 token or HSM (PKCS#12 files are imported with the service)."""

    certificate_file = forms.FileField(
        label=_("Certificate (PEM or DER)"),
        required=False,
        help_text=_("Not needed when the PIN is given: then it is read from the token"),
    )
    pin = forms.CharField(
        label=_("Token PIN (checked now, not stored)"),
        required=False,
        widget=forms.PasswordInput,
    )

    class Meta:
        model = SigningKey
        fields = [
            "label",
            "officer",
            "organization",
            "pkcs11_module",
            "pkcs11_token_label",
            "pkcs11_key_label",
        ]


@admin.register(SigningKey)
class SigningKeyAdmin(admin.ModelAdmin):
    list_display = [
        "label",
        "kind",
        "officer",
        "organization",
        "not_after",
        "is_active",
        "revoked_at",
    ]
    list_filter = ["kind", "is_active"]
    search_fields = ["label", "fingerprint", "subject"]
    readonly_fields = [
        "fingerprint",
        "subject",
        "not_before",
        "not_after",
        "created_at",
        "revoked_at",
    ]
    exclude = ["certificate_der", "pkcs12_sealed", "signature_image"]
    actions = ["revoke"]

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        if obj is None:  # adding: only PKCS#11 keys (PKCS#12 files go through the service)
            kwargs["form"] = Pkcs11KeyForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return [*Pkcs11KeyForm.Meta.fields, "certificate_file", "pin"]
        return super().get_fields(request, obj)

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        data = form.cleaned_data
        upload = data.get("certificate_file")
        key = services.signing_key_register_pkcs11(
            actor=request.user,  # type: ignore[arg-type]
            module_path=data["pkcs11_module"],
            token_label=data["pkcs11_token_label"],
            key_label=data["pkcs11_key_label"],
            certificate=upload.read() if upload else None,
            pin=data.get("pin") or None,
            officer=data.get("officer"),
            organization=data.get("organization"),
            label=data.get("label", ""),
        )
        obj.pk = key.pk

    @admin.action(description="Revoke the selected keys")
    def revoke(self, request: HttpRequest, queryset: Any) -> None:
        for key in queryset:
            services.signing_key_revoke(actor=request.user, key=key)  # type: ignore[arg-type]


@admin.register(SignatureRecord)
class SignatureRecordAdmin(admin.ModelAdmin):
    list_display = ["signed_at", "kind", "officer", "organization", "reference", "level"]
    list_filter = ["kind", "level"]
    search_fields = [
        "sha256_before",
        "sha256_after",
        "reference",
        "certificate_fingerprint",
        "verification_code",
    ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class RevocationListForm(forms.ModelForm):
    certificate_file = forms.FileField(label="CA certificate (PEM or DER)", required=True)
    crl_file = forms.FileField(label="Revocation list (CRL, PEM or DER)", required=True)

    class Meta:
        model = RevocationList
        fields = ["name"]


@admin.register(RevocationList)
class RevocationListAdmin(admin.ModelAdmin):
    """CRLs served at /chu-ky-so/crl/<name>.crl: the dev CA's (issued here) or imported ones."""

    list_display = ["name", "issuer_name", "number", "this_update", "next_update", "is_active"]
    readonly_fields = ["issuer_name", "issuer_fingerprint", "number", "this_update", "next_update"]
    exclude = ["issuer_certificate_der", "issuer_key_sealed", "crl_der"]

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        if obj is None:
            kwargs["form"] = RevocationListForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return ["name", "certificate_file", "crl_file"]
        return ["name", "is_active", *self.readonly_fields]

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        row = services.revocation_list_register(
            actor=request.user,  # type: ignore[arg-type]
            name=form.cleaned_data["name"],
            issuer_certificate=form.cleaned_data["certificate_file"].read(),
            crl=form.cleaned_data["crl_file"].read(),
        )
        obj.pk = row.pk

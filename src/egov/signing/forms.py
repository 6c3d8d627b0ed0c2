"""Forms of the officer's signing screen (/lam-viec/ky-so/)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from egov.signing.models import SigningKey


class _SignForm(forms.Form):
    file = forms.FileField(label=_("PDF document"))
    key = forms.TypedChoiceField(label=_("Signing key"), coerce=int)
    secret = forms.CharField(
        label=_("Key password or PIN"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "off"}, render_value=False),
    )
    visible = forms.BooleanField(label=_("Show the stamp on the page"), required=False)

    def __init__(self, *args: Any, keys: list[SigningKey], **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"visible": True})
        super().__init__(*args, **kwargs)
        self.fields["key"].choices = [(k.pk, _key_label(k)) for k in keys]  # type: ignore[attr-defined]


def _key_label(key: SigningKey) -> str:
    return f"{key.label} ({key.not_after:%d/%m/%Y})"


class PersonSignForm(_SignForm):
    reason = forms.CharField(label=_("Reason"), max_length=300, required=False)
    field_order = ["file", "key", "secret", "reason", "visible"]


class SealSignForm(_SignForm):
    reference = forms.CharField(
        label=_("Number and notation"),
        max_length=100,
        required=False,
        help_text=_("e.g. 15/QĐ-UBND"),
    )
    field_order = ["file", "key", "secret", "reference", "visible"]

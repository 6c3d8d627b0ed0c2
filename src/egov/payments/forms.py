from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class ProofForm(forms.Form):
    """The second factor of the public look-up, asked again on the payment page when the
    visitor has neither an account nor the status page's signed link."""

    secret = forms.CharField(
        label=_("Phone number or national ID number given at submission"),
        max_length=20,
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "numeric"}),
    )


class SandboxForm(forms.Form):
    query = forms.CharField(max_length=4000, widget=forms.HiddenInput)
    choice = forms.ChoiceField(choices=[("pay", "pay"), ("cancel", "cancel")])
    bank = forms.CharField(max_length=20, required=False)

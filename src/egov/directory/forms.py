"""Sign-in forms. They only parse input; the checks live in the services."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class SignInForm(forms.Form):
    username = forms.CharField(
        label=_("User name"),
        max_length=150,
        widget=forms.TextInput(
            attrs={"autocomplete": "username", "autocapitalize": "none", "spellcheck": "false"}
        ),
    )
    password = forms.CharField(
        label=_("Password"),
        strip=False,
        max_length=4096,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class CitizenSignInForm(SignInForm):
    username = forms.CharField(
        label=_("ID number or tax code"),
        max_length=150,
        widget=forms.TextInput(
            attrs={"autocomplete": "username", "inputmode": "numeric", "spellcheck": "false"}
        ),
    )


class TotpForm(forms.Form):
    code = forms.CharField(
        label=_("Six-digit code from the authenticator app"),
        min_length=6,
        max_length=7,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "inputmode": "numeric",
                "pattern": "[0-9 ]{6,7}",
                "spellcheck": "false",
            }
        ),
    )

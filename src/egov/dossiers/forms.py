"""Forms of the one-stop screens (/lam-viec/ho-so/…) and of the public status page.

The intake form is built from the procedure version: its e-form schema (JSON Schema with
Vietnamese titles, egov.procedures.eforms) gives one input per property, and its required
documents give the checklist. The forms only shape the input; every rule is checked again by
the services (egov.dossiers.services), which raise the errors shown next to the fields.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from vietnam_provinces import Province

from egov.dossiers.models import Delivery
from egov.procedures.models import ProcedureVersion, RequiredDocument

EFORM_PREFIX = "f_"
DOC_PREFIX = "doc_"
FILE_PREFIX = "file_"
MAX_REASONS = 20


def _provinces() -> list[tuple[str, str]]:
    return sorted(((f"{int(p.code):02d}", p.name) for p in Province.iter_all()), key=lambda c: c[0])


def _eform_field(schema: Mapping[str, Any], required: bool) -> forms.Field:
    """One Django field for one property of the e-form schema (labels are the schema's titles,
    which are Vietnamese by the catalogue's convention)."""
    label = str(schema.get("title") or "")
    help_text = str(schema.get("description") or "")
    kind = schema.get("type")
    common: dict[str, Any] = {"label": label, "required": required, "help_text": help_text}
    if "enum" in schema:
        choices = [(str(v), str(v)) for v in schema["enum"]]
        if not required:
            choices.insert(0, ("", "—"))
        return forms.ChoiceField(choices=choices, **common)
    if kind == "integer":
        return forms.IntegerField(
            min_value=schema.get("minimum"), max_value=schema.get("maximum"), **common
        )
    if kind == "number":
        return forms.DecimalField(**common)
    if kind == "boolean":
        return forms.BooleanField(**{**common, "required": False})
    fmt = schema.get("format")
    if fmt == "date":
        return forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), **common)
    if fmt == "province-code":
        return forms.ChoiceField(choices=[("", "—"), *_provinces()], **common)
    attrs: dict[str, str] = {}
    if fmt in ("national-id", "commune-code"):
        attrs["inputmode"] = "numeric"
    elif fmt == "phone":
        attrs = {"type": "tel", "autocomplete": "off"}
    elif fmt == "email":
        attrs = {"type": "email", "autocomplete": "off"}
    return forms.CharField(
        max_length=schema.get("maxLength"),
        min_length=schema.get("minLength"),
        widget=forms.TextInput(attrs=attrs),
        **common,
    )


def eform_properties(schema: Mapping[str, Any]) -> list[tuple[str, Mapping[str, Any]]]:
    """The top-level properties in display order (`x-order` when given, else as written)."""
    properties = schema.get("properties") or {}
    order = schema.get("x-order") or list(properties)
    names = [n for n in order if n in properties] + [n for n in properties if n not in order]
    return [(name, properties[name]) for name in names]


class ReceiveForm(forms.Form):
    """Applicant, the e-form of the procedure and the checklist of papers received."""

    applicant_id = forms.CharField(
        label=_("Applicant's national ID number or tax code"),
        max_length=14,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
        help_text=_("12 digits for a citizen; 10 (or 10-3) for a business."),
    )
    applicant_name = forms.CharField(
        label=_("Full name (applicant not yet registered)"),
        max_length=255,
        required=False,
        help_text=_("Only for a first visit: the applicant is recorded with this number."),
    )
    applicant_phone = forms.CharField(
        label=_("Mobile phone"),
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
    )
    applicant_address = forms.CharField(label=_("Address"), max_length=500, required=False)

    def __init__(self, *args: Any, version: ProcedureVersion, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.version = version
        schema = version.eform_schema or {}
        required = set(schema.get("required") or [])
        self.eform_names: list[str] = []
        for name, sub in eform_properties(schema):
            if sub.get("type") in ("object", "array"):
                continue  # nested parts are entered through the API for now
            self.fields[EFORM_PREFIX + name] = _eform_field(sub, name in required)
            self.eform_names.append(name)
        self.documents: list[RequiredDocument] = list(version.documents.all())
        for document in self.documents:
            self.fields[DOC_PREFIX + document.code] = forms.BooleanField(
                label=document.name, required=False
            )

    def eform_fields(self) -> list[forms.BoundField]:
        return [self[EFORM_PREFIX + n] for n in self.eform_names]

    def checklist(self) -> list[tuple[RequiredDocument, forms.BoundField]]:
        return [(d, self[DOC_PREFIX + d.code]) for d in self.documents]

    def form_data(self) -> dict[str, Any]:
        """The e-form values as the schema expects them (empty optional values left out)."""
        schema = self.version.eform_schema or {}
        properties = schema.get("properties") or {}
        out: dict[str, Any] = {}
        for name in self.eform_names:
            value = self.cleaned_data.get(EFORM_PREFIX + name)
            kind = properties[name].get("type")
            if value is None or value == "":
                continue
            if kind == "boolean":
                out[name] = bool(value)
            elif kind == "number" and isinstance(value, Decimal):
                out[name] = int(value) if value == value.to_integral_value() else float(value)
            elif isinstance(value, date):
                out[name] = value.isoformat()
            else:
                out[name] = value
        return out

    def ticked(self) -> set[str]:
        return {d.code for d in self.documents if self.cleaned_data.get(DOC_PREFIX + d.code)}


class ProcedureSearchForm(forms.Form):
    q = forms.CharField(label=_("Procedure"), required=False, max_length=200)


class DossierSearchForm(forms.Form):
    q = forms.CharField(
        label=_("Dossier code, applicant's name or ID number"), required=False, max_length=100
    )


class LogExportForm(forms.Form):
    """The period and format of the dossier log (Mẫu 06) to export."""

    start = forms.DateField(label=_("From"), widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("To"), widget=forms.DateInput(attrs={"type": "date"}))
    fmt = forms.ChoiceField(
        label=_("Format"), choices=[("pdf", "PDF"), ("xlsx", "Excel (xlsx)")], initial="pdf"
    )


class VersionForm(forms.Form):
    """Every action posts the version of the dossier the officer saw (optimistic locking)."""

    version = forms.IntegerField(min_value=1, widget=forms.HiddenInput)


class NoteForm(VersionForm):
    note = forms.CharField(label=_("Note"), required=False, max_length=1000)


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()][:MAX_REASONS]


class RefuseForm(VersionForm):
    reasons = forms.CharField(
        label=_("Reasons (one per line)"), widget=forms.Textarea(attrs={"rows": 3})
    )
    legal_basis = forms.CharField(label=_("Legal basis"), max_length=500)

    def reason_list(self) -> list[str]:
        return _lines(self.cleaned_data["reasons"])


class DenyForm(VersionForm):
    reasons = forms.CharField(
        label=_("Reasons (one per line)"), widget=forms.Textarea(attrs={"rows": 3})
    )
    result_file = forms.FileField(label=_("Written answer (PDF)"), required=False)

    def reason_list(self) -> list[str]:
        return _lines(self.cleaned_data["reasons"])


class ApproveForm(VersionForm):
    result_number = forms.CharField(label=_("Number of the result"), required=False, max_length=100)
    result_file = forms.FileField(label=_("Result document (PDF)"), required=False)


class SignResultForm(VersionForm):
    """The head's key and its secret, to sign the approved result PDF."""

    key = forms.TypedChoiceField(label=_("Signing key"), coerce=int)
    secret = forms.CharField(
        label=_("Key password or PIN"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "off"}, render_value=False),
    )

    def __init__(self, *args: Any, keys: Sequence[Any] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["key"]
        assert isinstance(field, forms.TypedChoiceField)
        field.choices = [(k.pk, f"{k.label} ({k.not_after:%d/%m/%Y})") for k in keys]


class ReturnForm(VersionForm):
    delivery = forms.ChoiceField(label=_("Delivered"), choices=Delivery.choices)
    result_file = forms.FileField(label=_("Result document (PDF)"), required=False)
    note = forms.CharField(label=_("Note"), required=False, max_length=1000)


class ReasonForm(VersionForm):
    reason = forms.CharField(label=_("Reason"), max_length=1000)


class OptionalReasonForm(VersionForm):
    reason = forms.CharField(label=_("Reason"), max_length=1000, required=False)


class ApologyForm(VersionForm):
    reason = forms.CharField(label=_("Reason for the delay"), max_length=1000)
    new_appointment = forms.DateField(
        label=_("New appointment"), widget=forms.DateInput(attrs={"type": "date"})
    )


class PaymentForm(VersionForm):
    receipt_number = forms.CharField(label=_("Receipt number"), required=False, max_length=100)


class SupplementForm(VersionForm):
    """The full list of missing papers, each with its reason (asked once)."""

    note = forms.CharField(label=_("Note to the applicant"), required=False, max_length=1000)
    other_name = forms.CharField(label=_("Other missing paper"), required=False, max_length=300)
    other_reason = forms.CharField(label=_("Reason"), required=False, max_length=300)

    def __init__(self, *args: Any, documents: list[RequiredDocument], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.documents = documents
        for document in documents:
            self.fields[DOC_PREFIX + document.code] = forms.BooleanField(
                label=document.name, required=False
            )
            self.fields[f"reason_{document.code}"] = forms.CharField(
                label=_("Reason"), required=False, max_length=300
            )

    def rows(self) -> list[tuple[RequiredDocument, forms.BoundField, forms.BoundField]]:
        return [(d, self[DOC_PREFIX + d.code], self[f"reason_{d.code}"]) for d in self.documents]

    def items(self) -> list[dict[str, str]]:
        data = self.cleaned_data
        out = [
            {
                "document_code": d.code,
                "name": d.name,
                "reason": data.get(f"reason_{d.code}", ""),
            }
            for d in self.documents
            if data.get(DOC_PREFIX + d.code)
        ]
        if data.get("other_name") or data.get("other_reason"):
            out.append({"name": data.get("other_name", ""), "reason": data.get("other_reason", "")})
        return out


class StatusForm(forms.Form):
    """The public look-up: the dossier code and a second factor that only the applicant knows."""

    code = forms.CharField(label=_("Dossier code"), max_length=64)
    secret = forms.CharField(
        label=_("Phone number or national ID number given at submission"),
        max_length=20,
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "numeric"}),
    )

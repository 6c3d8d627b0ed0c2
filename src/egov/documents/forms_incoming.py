"""Forms of the incoming-document screens (/lam-viec/van-ban/den/…).

They shape the input and offer the choices that make sense (the organisation's units, heads,
officers, registers); every rule is checked again by `egov.documents.services.incoming`, whose
refusals are put next to the field they name.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from egov.directory import selectors as directory
from egov.directory.models import Officer, Organization, Role
from egov.documents.models import (
    Direction,
    Document,
    DocumentType,
    Register,
    Secrecy,
    State,
    Urgency,
)

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
STATE_FILTERS = [
    ("", _("All states")),
    *[
        (s.value, s.label)
        for s in (
            State.ARRIVED,
            State.REGISTERED,
            State.PRESENTED,
            State.IN_PROCESS,
            State.FOR_INFORMATION,
            State.COMPLETED,
            State.RETURNED_TO_SENDER,
        )
    ],
]
MINE_FILTERS = [("pending", _("To handle")), ("done", _("Done")), ("all", _("All"))]


class OrganizationChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.name_vi)


class OrganizationsChoice(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.name_vi)


class OfficerChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.full_name} ({obj.unit.name_vi})"


class OfficersChoice(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.full_name} ({obj.unit.name_vi})"


def units_of(organization: Organization) -> QuerySet[Organization]:
    """The organisation's own units (phòng), for the direction's receivers."""
    return Organization.objects.filter(
        pk__in=directory.organization_members(organization), kind=Organization.Kind.UNIT
    ).order_by("path")


def officers_of(organization: Organization) -> QuerySet[Officer]:
    return (
        Officer.objects.filter(
            unit_id__in=directory.organization_members(organization), is_active=True
        )
        .select_related("unit")
        .order_by("full_name")
    )


def heads_of(organization: Organization) -> QuerySet[Officer]:
    """Officers holding the head role in the organisation itself (the people who direct)."""
    return officers_of(organization).filter(
        roles__role=Role.HEAD, roles__scope__in=["organization", "subtree"]
    )


def issuers() -> QuerySet[Organization]:
    """Organisations of the directory a document may come from (not their inner units)."""
    return Organization.objects.exclude(kind=Organization.Kind.UNIT).order_by("path")


class RegisterIncomingForm(forms.Form):
    """Register a document received on paper or by e-mail (Decree 30/2020 Annex VI fields)."""

    main_file = forms.FileField(
        label=_("Scanned document (PDF or image)"),
        help_text=_("The main text; appendices below. PDF, PNG, JPEG or TIFF."),
    )
    document_type = forms.ModelChoiceField(
        label=_("Document type"), queryset=DocumentType.objects.all()
    )
    issuer = OrganizationChoice(
        label=_("Issuer from the directory"),
        queryset=Organization.objects.none(),
        required=False,
        help_text=_("Pick the issuer, or type its name below when it is not in the directory."),
    )
    issuer_name = forms.CharField(label=_("Issuer (typed)"), max_length=200, required=False)
    code_number = forms.CharField(label=_("Number"), max_length=11, required=False)
    code_notation = forms.CharField(label=_("Notation"), max_length=30, required=False)
    issued_on = forms.DateField(label=_("Issue date"), widget=DATE_WIDGET)
    subject = forms.CharField(
        label=_("Subject"), max_length=500, widget=forms.Textarea(attrs={"rows": 3})
    )
    signer_name = forms.CharField(label=_("Signer"), max_length=50, required=False)
    signer_position = forms.CharField(label=_("Signer's position"), max_length=100, required=False)
    page_count = forms.IntegerField(label=_("Pages"), min_value=1, required=False)
    urgency = forms.ChoiceField(label=_("Urgency"), choices=Urgency.choices, initial=Urgency.NORMAL)
    secrecy = forms.ChoiceField(label=_("Secrecy"), choices=Secrecy.choices, initial=Secrecy.NONE)
    due_on = forms.DateField(label=_("Due date"), required=False, widget=DATE_WIDGET)
    channel = forms.ChoiceField(
        label=_("Received through"),
        choices=[
            (Document.Channel.PAPER.value, Document.Channel.PAPER.label),
            (Document.Channel.EMAIL.value, Document.Channel.EMAIL.label),
        ],
        initial=Document.Channel.PAPER,
    )
    register = forms.ModelChoiceField(
        label=_("Documents register"),
        queryset=Register.objects.none(),
        required=False,
        empty_label=_("The usual register for the secrecy level"),
    )
    description = forms.CharField(
        label=_("Notes"), max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    confirm_duplicate = forms.BooleanField(
        label=_("Register anyway: it is not the same document"), required=False
    )

    def __init__(self, *args: Any, organization: Organization, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["issuer"].queryset = issuers()  # type: ignore[attr-defined]
        self.fields["register"].queryset = Register.objects.filter(  # type: ignore[attr-defined]
            organization=organization, direction=Direction.INCOMING, is_active=True
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("issuer") and not (data.get("issuer_name") or "").strip():
            self.add_error("issuer_name", _("Pick the issuer from the directory or type its name."))
        return data


class VersionForm(forms.Form):
    """Every action on the document carries the version the officer saw."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class ReasonForm(VersionForm):
    reason = forms.CharField(
        label=_("Reason"), max_length=1000, widget=forms.Textarea(attrs={"rows": 2})
    )


class PresentForm(VersionForm):
    head = OfficerChoice(label=_("Head who directs"), queryset=Officer.objects.none())

    def __init__(self, *args: Any, document: Document, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["head"].queryset = heads_of(document.organization)  # type: ignore[attr-defined]


class DirectForm(VersionForm):
    """The head's direction (bút phê)."""

    direction_text = forms.CharField(
        label=_("Direction"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    lead_unit = OrganizationChoice(
        label=_("Lead unit"), queryset=Organization.objects.none(), required=False
    )
    lead_officer = OfficerChoice(
        label=_("Lead person"), queryset=Officer.objects.none(), required=False
    )
    co_units = OrganizationsChoice(
        label=_("Co-operating units"),
        queryset=Organization.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    co_officers = OfficersChoice(
        label=_("Co-operating people"),
        queryset=Officer.objects.none(),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 4}),
    )
    info_units = OrganizationsChoice(
        label=_("Units for information"),
        queryset=Organization.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    info_officers = OfficersChoice(
        label=_("People for information"),
        queryset=Officer.objects.none(),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 4}),
    )
    due_on = forms.DateField(label=_("Due date"), required=False, widget=DATE_WIDGET)

    def __init__(self, *args: Any, document: Document, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        units = units_of(document.organization)
        people = officers_of(document.organization)
        for name in ("lead_unit", "co_units", "info_units"):
            self.fields[name].queryset = units  # type: ignore[attr-defined]
        for name in ("lead_officer", "co_officers", "info_officers"):
            self.fields[name].queryset = people  # type: ignore[attr-defined]


class PassOnForm(forms.Form):
    route = forms.IntegerField(widget=forms.HiddenInput)
    officer = OfficerChoice(label=_("Officer"), queryset=Officer.objects.none())
    due_on = forms.DateField(label=_("Due date"), required=False, widget=DATE_WIDGET)
    note = forms.CharField(
        label=_("Note to the officer"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: Any, unit: Organization, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["officer"].queryset = (  # type: ignore[attr-defined]
            Officer.objects.filter(unit=unit, is_active=True).order_by("full_name")
        )


class CompleteForm(forms.Form):
    route = forms.IntegerField(widget=forms.HiddenInput)
    result_note = forms.CharField(
        label=_("Result"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )
    reply_document = forms.TypedChoiceField(
        label=_("Reply document"), required=False, coerce=int, empty_value=None
    )

    def __init__(self, *args: Any, document: Document, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        replies = (
            Document.objects.filter(
                organization_id=document.organization_id, direction=Direction.OUTGOING
            )
            .filter(Q(reply_to=document) | Q(state=State.ISSUED))
            .order_by("-pk")[:100]
        )
        self.fields["reply_document"].choices = [  # type: ignore[attr-defined]
            ("", "—"),
            *[(d.pk, f"{d.number_notation or '—'} · {d.subject[:80]}") for d in replies],
        ]


class RegisterArrivedForm(VersionForm):
    """Register a document delivered inside the platform; the clerk may complete its data."""

    page_count = forms.IntegerField(label=_("Pages"), min_value=1, required=False)
    urgency = forms.ChoiceField(label=_("Urgency"), choices=Urgency.choices)
    due_on = forms.DateField(label=_("Due date"), required=False, widget=DATE_WIDGET)
    register = forms.ModelChoiceField(
        label=_("Documents register"),
        queryset=Register.objects.none(),
        required=False,
        empty_label=_("The usual register for the secrecy level"),
    )

    def __init__(self, *args: Any, document: Document, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["register"].queryset = Register.objects.filter(  # type: ignore[attr-defined]
            organization_id=document.organization_id,
            direction=Direction.INCOMING,
            is_active=True,
            is_confidential=document.is_confidential,
        )


class MetadataForm(VersionForm):
    """The fields OCR may read on page one, for the clerk to confirm or correct."""

    code_number = forms.CharField(label=_("Number"), max_length=11, required=False)
    code_notation = forms.CharField(label=_("Notation"), max_length=30, required=False)
    issued_on = forms.DateField(label=_("Issue date"), required=False, widget=DATE_WIDGET)
    issuer_name = forms.CharField(label=_("Issuer"), max_length=200)
    subject = forms.CharField(
        label=_("Subject"), max_length=500, widget=forms.Textarea(attrs={"rows": 3})
    )


class IncomingFilterForm(forms.Form):
    q = forms.CharField(label=_("Number, notation, issuer or subject"), required=False)
    state = forms.ChoiceField(label=_("State"), choices=STATE_FILTERS, required=False)
    urgency = forms.ChoiceField(
        label=_("Urgency"), choices=[("", _("Any urgency")), *Urgency.choices], required=False
    )
    year = forms.IntegerField(label=_("Year"), required=False, min_value=1900, max_value=9999)


class MineFilterForm(forms.Form):
    show = forms.ChoiceField(label=_("Show"), choices=MINE_FILTERS, required=False)
    urgency = forms.ChoiceField(
        label=_("Urgency"), choices=[("", _("Any urgency")), *Urgency.choices], required=False
    )
    overdue = forms.BooleanField(label=_("Overdue only"), required=False)

"""Forms of the outgoing-document and case-file screens (/lam-viec/van-ban/di/…).

Forms only shape the input; the services (egov.documents.services.outgoing, .casefiles) check
every rule again and their refusals are shown next to the field they name.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from egov.directory.models import Officer, Organization
from egov.documents.models import ApprovalStep, DocumentType, Secrecy, Urgency
from egov.signing.models import SigningKey

AUTHORITY_CHOICES = [
    ("", _("— none (the head signs) —")),
    ("TM.", _("TM. — on behalf of the collective")),
    ("KT.", _("KT. — deputy signing for the head")),
    ("Q.", _("Q. — acting head")),
    ("TL.", _("TL. — by order")),
    ("TUQ.", _("TUQ. — by authorisation")),
]


class _OfficerChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        position = obj.position.name_vi if obj.position_id else ""
        return f"{obj.full_name} — {position}" if position else obj.full_name


class _OrganizationChoices(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.name_vi} ({obj.code})"


class DraftForm(forms.Form):
    document_type = forms.ModelChoiceField(
        label=_("Document type"), queryset=DocumentType.objects.filter(is_copy=False)
    )
    subject = forms.CharField(label=_("Subject (trích yếu)"), max_length=500)
    body = forms.CharField(
        label=_("Text"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 10}),
        help_text=_("One paragraph per line. Leave empty when you upload the file."),
    )
    recipient_organizations = _OrganizationChoices(
        label=_("Recipients on the platform"),
        queryset=Organization.objects.none(),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 8}),
    )
    recipients_typed = forms.CharField(
        label=_("Other recipients"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_(
            'One per line. An agency on another system: "Name [code]"; a name alone is sent '
            "on paper."
        ),
    )
    urgency = forms.ChoiceField(label=_("Urgency"), choices=Urgency.choices)
    secrecy = forms.ChoiceField(label=_("Secrecy"), choices=Secrecy.choices)
    signer = _OfficerChoice(
        label=_("Expected signer"), queryset=Officer.objects.none(), required=False
    )
    signing_authority = forms.ChoiceField(
        label=_("Signing authority"), choices=AUTHORITY_CHOICES, required=False
    )
    upload = forms.FileField(
        label=_("Draft file (DOCX or PDF)"),
        required=False,
        help_text=_("Without a file the draft is made from the type's template."),
    )
    reply_to = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(
        self,
        *args: Any,
        organization: Organization,
        signers: Sequence[Officer] = (),
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        recipients = self.fields["recipient_organizations"]
        assert isinstance(recipients, forms.ModelMultipleChoiceField)
        recipients.queryset = (
            Organization.objects.filter(valid_to__isnull=True)
            .exclude(kind=Organization.Kind.UNIT)
            .exclude(pk=organization.pk)
            .order_by("path")
        )
        signer = self.fields["signer"]
        assert isinstance(signer, forms.ModelChoiceField)
        signer.queryset = Officer.objects.select_related("position").filter(
            pk__in=[o.pk for o in signers]
        )

    def recipients(self) -> list[Organization | str]:
        chosen: list[Organization | str] = list(self.cleaned_data["recipient_organizations"])
        typed = self.cleaned_data.get("recipients_typed") or ""
        chosen += [line.strip() for line in typed.splitlines() if line.strip()]
        return chosen


class VersionField(forms.IntegerField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(widget=forms.HiddenInput, min_value=1, **kwargs)


class UpdateForm(forms.Form):
    version = VersionField()
    subject = forms.CharField(label=_("Subject (trích yếu)"), max_length=500)
    body = forms.CharField(
        label=_("Text"), required=False, widget=forms.Textarea(attrs={"rows": 8})
    )
    upload = forms.FileField(
        label=_("New file (DOCX or PDF)"),
        required=False,
        help_text=_("Without a file the new version is made from the text above."),
    )
    change_note = forms.CharField(label=_("What changed"), max_length=500)


class CommentForm(forms.Form):
    text = forms.CharField(label=_("Comment"), widget=forms.Textarea(attrs={"rows": 3}))


class SubmitForm(forms.Form):
    """One approver per step of the chain, chosen among those allowed for the step."""

    version = VersionField()

    def __init__(
        self, *args: Any, candidates: Mapping[str, Sequence[Officer]], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.kinds = list(candidates)
        for kind, officers in candidates.items():
            field = _OfficerChoice(
                label=ApprovalStep.Kind(kind).label,
                queryset=Officer.objects.select_related("position").filter(
                    pk__in=[o.pk for o in officers]
                ),
                initial=officers[0].pk if officers else None,
            )
            self.fields[kind] = field

    def approvers(self) -> dict[str, Officer | None]:
        return {kind: self.cleaned_data.get(kind) for kind in self.kinds}


class DecideForm(forms.Form):
    version = VersionField()
    step = forms.IntegerField(widget=forms.HiddenInput)
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[("approve", _("Approve")), ("return", _("Return for revision"))],
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=_("Comment"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Required when you return the draft."),
    )


class _KeyForm(forms.Form):
    version = VersionField()
    key = forms.TypedChoiceField(label=_("Signing key"), coerce=int)
    secret = forms.CharField(
        label=_("Password or PIN of the key"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "off"}),
    )

    def __init__(self, *args: Any, keys: Sequence[SigningKey], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["key"]
        assert isinstance(field, forms.TypedChoiceField)
        field.choices = [(k.pk, _key_label(k)) for k in keys]


def _key_label(key: SigningKey) -> str:
    owner = key.officer.full_name if key.officer else (key.organization or "")
    return f"{key.label or owner} ({key.fingerprint[:12]}…)"


class SignForm(_KeyForm):
    pass


class IssueForm(_KeyForm):
    pass


class ReturnUnsignedForm(forms.Form):
    version = VersionField()
    comment = forms.CharField(
        label=_("Why you do not sign"), widget=forms.Textarea(attrs={"rows": 3})
    )


class RecallForm(forms.Form):
    version = VersionField()
    reason = forms.CharField(label=_("Reason for the recall"), max_length=500)


class CaseFileForm(forms.Form):
    code = forms.CharField(
        label=_("File code"),
        max_length=50,
        help_text=_("The notation in the file list, e.g. 01.KT"),
    )
    title = forms.CharField(label=_("Title"), max_length=500)
    year = forms.IntegerField(label=_("Year"), min_value=1990, max_value=2100)
    retention = forms.CharField(
        label=_("Retention"), max_length=50, required=False, help_text=_("e.g. 10 năm, Vĩnh viễn")
    )
    description = forms.CharField(label=_("Description"), max_length=500, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"year": timezone.localdate().year})
        super().__init__(*args, **kwargs)


class CaseFileAddForm(forms.Form):
    version = VersionField()
    document = forms.TypedChoiceField(label=_("Document"), coerce=int)

    def __init__(self, *args: Any, documents: Sequence[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["document"]
        assert isinstance(field, forms.TypedChoiceField)
        field.choices = [
            (d.pk, f"{d.number_notation or '—'} · {d.subject[:80]}") for d in documents
        ]


class CaseFileActionForm(forms.Form):
    version = VersionField()
    document = forms.IntegerField(widget=forms.HiddenInput, required=False)

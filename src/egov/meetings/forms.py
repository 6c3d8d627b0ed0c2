"""Forms of the calendar and meeting screens: they parse input, the services decide."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from egov.directory.models import Officer, Organization
from egov.meetings.models import Response, Visibility
from egov.meetings.services import Guest

DATETIME_FORMAT = "%Y-%m-%dT%H:%M"


class LocalDateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format=DATETIME_FORMAT, **kwargs)


class OfficerChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.full_name} — {obj.unit.name_vi}"


class OfficerMultipleChoice(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.full_name} — {obj.unit.name_vi}"


class UnitChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.name_vi)


class UnitMultipleChoice(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.name_vi)


class VersionForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class EntryForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1, required=False)
    title = forms.CharField(
        label=_("Work"), max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )
    starts_at = forms.DateTimeField(label=_("Starts at"), widget=LocalDateTimeInput())
    ends_at = forms.DateTimeField(label=_("Ends at"), required=False, widget=LocalDateTimeInput())
    location = forms.CharField(label=_("Place"), max_length=300, required=False)
    chair_officer = OfficerChoice(
        label=_("Chaired by"), queryset=Officer.objects.none(), required=False
    )
    chair_text = forms.CharField(
        label=_("Chaired by (someone not in the list)"), max_length=200, required=False
    )
    participants = forms.CharField(
        label=_("Participants"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    preparing_unit = UnitChoice(
        label=_("Preparing unit"), queryset=Organization.objects.none(), required=False
    )
    notes = forms.CharField(
        label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    visibility = forms.ChoiceField(
        label=_("Visibility"), choices=Visibility.choices, initial=Visibility.INTERNAL
    )

    def __init__(self, *args: Any, officers: Any, units: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["chair_officer"].queryset = officers  # type: ignore[attr-defined]
        self.fields["preparing_unit"].queryset = units  # type: ignore[attr-defined]


class MeetingForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=500)
    agenda = forms.CharField(
        label=_("Agenda"), required=False, widget=forms.Textarea(attrs={"rows": 5})
    )
    starts_at = forms.DateTimeField(label=_("Starts at"), widget=LocalDateTimeInput())
    ends_at = forms.DateTimeField(label=_("Ends at"), widget=LocalDateTimeInput())
    location = forms.CharField(label=_("Place"), max_length=300, required=False)
    chair = OfficerChoice(label=_("Chair"), queryset=Officer.objects.none(), required=False)
    video_room_url = forms.CharField(
        label=_("Video room link"),
        max_length=500,
        required=False,
        help_text=_("A full https:// address of the online meeting room, if any."),
    )
    add_to_calendar = forms.BooleanField(
        label=_("Also put it on the weekly calendar"), required=False, initial=True
    )
    visibility = forms.ChoiceField(
        label=_("Visibility on the calendar"),
        choices=Visibility.choices,
        initial=Visibility.INTERNAL,
    )

    def __init__(self, *args: Any, officers: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["chair"].queryset = officers  # type: ignore[attr-defined]


class PaperForm(forms.Form):
    file = forms.FileField(label=_("File (PDF, DOCX, XLSX or image)"))
    title = forms.CharField(label=_("Title"), max_length=300, required=False)


class InviteForm(forms.Form):
    officers = OfficerMultipleChoice(
        label=_("Officers"),
        queryset=Officer.objects.none(),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 8}),
    )
    units = UnitMultipleChoice(
        label=_("Units (their heads receive the invitation)"),
        queryset=Organization.objects.none(),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 6}),
    )
    guests = forms.CharField(
        label=_("Guests from outside"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("One per line: name, e-mail address"),
    )

    def __init__(self, *args: Any, officers: Any, units: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["officers"].queryset = officers  # type: ignore[attr-defined]
        self.fields["units"].queryset = units  # type: ignore[attr-defined]

    def clean_guests(self) -> list[Guest]:
        guests: list[Guest] = []
        for number, line in enumerate(self.cleaned_data["guests"].splitlines(), start=1):
            if not line.strip():
                continue
            name, _sep, email = line.rpartition(",")
            name, email = name.strip(), email.strip()
            try:
                validate_email(email)
            except ValidationError:
                raise ValidationError(
                    gettext("Line %(number)s: write a name, a comma and an e-mail address.")
                    % {"number": number}
                ) from None
            if not name:
                raise ValidationError(
                    gettext("Line %(number)s: write a name, a comma and an e-mail address.")
                    % {"number": number}
                )
            guests.append(Guest(name=name, email=email))
        return guests


class RespondForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    response = forms.ChoiceField(
        label=_("Your answer"),
        choices=[
            (Response.ACCEPTED, _("I will attend")),
            (Response.DECLINED, _("I cannot attend")),
            (Response.DELEGATED, _("Someone attends in my place")),
        ],
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=_("Comment or reason"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    delegate = forms.TypedChoiceField(
        label=_("Attends in my place"), coerce=int, required=False, empty_value=None
    )

    def __init__(self, *args: Any, delegates: list[tuple[int, str]], **kwargs: Any) -> None:
        # Plain choices computed once per page: a list of forms must not query per form.
        super().__init__(*args, **kwargs)
        self.fields["delegate"].choices = [("", "---------"), *delegates]  # type: ignore[attr-defined]


class GuestRespondForm(forms.Form):
    response = forms.ChoiceField(
        label=_("Your answer"),
        choices=[
            (Response.ACCEPTED, _("I will attend")),
            (Response.DECLINED, _("I cannot attend")),
        ],
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=_("Comment or reason"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class CancelForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}))


class EntryCancelForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    reason = forms.CharField(label=_("Reason"), required=False, max_length=500)


class RescheduleForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    starts_at = forms.DateTimeField(label=_("New start"), widget=LocalDateTimeInput())
    ends_at = forms.DateTimeField(label=_("New end"), widget=LocalDateTimeInput())
    location = forms.CharField(label=_("Place"), max_length=300, required=False)

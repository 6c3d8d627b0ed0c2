"""Forms of the assignment screens (/lam-viec/giao-viec/…). They shape the input and limit the
pickers to the people the officer may assign; every rule is checked again by the services."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from egov.assignments import selectors
from egov.assignments.models import Priority, State
from egov.directory.models import Officer, Organization


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class UnitChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.name_vi)


class UnitMultipleChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.name_vi)


class OfficerChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.full_name} — {obj.unit.name_vi}"


class OfficerMultipleChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.full_name} — {obj.unit.name_vi}"


class _Pickers(forms.Form):
    """Lead unit and officer pickers limited to the officer's reach."""

    assignee_unit = UnitChoiceField(
        label=_("Lead unit"), queryset=Organization.objects.none(), required=False
    )
    assignee_officer = OfficerChoiceField(
        label=_("Lead officer"), queryset=Officer.objects.none(), required=False
    )

    def __init__(self, *args: Any, officer: Officer, include_self: bool = False, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.units = selectors.assignable_units(officer)
        self.officers = selectors.assignable_officers(officer, include_self=include_self)
        self.fields["assignee_unit"].queryset = self.units  # type: ignore[attr-defined]
        self.fields["assignee_officer"].queryset = self.officers  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("assignee_unit") and not data.get("assignee_officer"):
            self.add_error("assignee_unit", _("Name a lead unit or a lead officer."))
        return data


class AssignmentForm(_Pickers):
    title = forms.CharField(label=_("Title"), max_length=500)
    description = forms.CharField(
        label=_("Description"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    co_units = UnitMultipleChoiceField(
        label=_("Co-operating units"),
        queryset=Organization.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    co_officers = OfficerMultipleChoiceField(
        label=_("Co-operating officers"),
        queryset=Officer.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    priority = forms.ChoiceField(label=_("Priority"), choices=Priority.choices)
    starts_on = forms.DateField(label=_("Starts on"), widget=DateInput())
    due_on = forms.DateField(label=_("Due on"), widget=DateInput())

    field_order = [
        "title",
        "description",
        "assignee_unit",
        "assignee_officer",
        "co_units",
        "co_officers",
        "priority",
        "starts_on",
        "due_on",
    ]

    def __init__(self, *args: Any, officer: Officer, include_self: bool = False, **kwargs: Any):
        super().__init__(*args, officer=officer, include_self=include_self, **kwargs)
        self.fields["co_units"].queryset = self.units  # type: ignore[attr-defined]
        self.fields["co_officers"].queryset = self.officers  # type: ignore[attr-defined]


class VersionForm(forms.Form):
    """Every action posts the version of the assignment the officer saw (optimistic locking)."""

    version = forms.IntegerField(min_value=1, widget=forms.HiddenInput)


class ProgressForm(VersionForm):
    percent = forms.IntegerField(label=_("Progress (%)"), min_value=0, max_value=100)
    note = forms.CharField(
        label=_("What was done"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )


class ExtensionForm(VersionForm):
    new_due_on = forms.DateField(label=_("New due date"), widget=DateInput())
    reason = forms.CharField(
        label=_("Reason"), max_length=5000, widget=forms.Textarea(attrs={"rows": 3})
    )


class CompleteForm(VersionForm):
    result_note = forms.CharField(
        label=_("Result"), max_length=5000, widget=forms.Textarea(attrs={"rows": 3})
    )


class ReasonForm(VersionForm):
    reason = forms.CharField(
        label=_("Reason"), max_length=5000, widget=forms.Textarea(attrs={"rows": 2})
    )


class ReopenForm(ReasonForm):
    due_on = forms.DateField(label=_("New due date (optional)"), required=False, widget=DateInput())


class ReassignForm(VersionForm, _Pickers):
    note = forms.CharField(label=_("Note"), required=False, max_length=5000)


class DecideForm(VersionForm):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[("grant", _("Grant the extension")), ("refuse", _("Refuse the extension"))],
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=_("Comment (required when refusing)"), required=False, max_length=5000
    )


class BoardFilterForm(forms.Form):
    state = forms.ChoiceField(
        label=_("State"), required=False, choices=[("", _("All")), *State.choices]
    )
    unit = forms.TypedChoiceField(label=_("Lead unit"), required=False, coerce=int, choices=[])
    priority = forms.ChoiceField(
        label=_("Priority"), required=False, choices=[("", _("All")), *Priority.choices]
    )
    bucket = forms.ChoiceField(
        label=_("Timeliness"),
        required=False,
        choices=[
            ("", _("All")),
            (selectors.OVERDUE, _("Overdue")),
            (selectors.DUE_SOON, _("Due soon")),
            (selectors.ON_TRACK, _("On track")),
            (selectors.CLOSED, _("Closed")),
        ],
    )

    def __init__(self, *args: Any, units: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].choices = [("", _("All")), *units]  # type: ignore[attr-defined]

"""Django admin for IT staff: registers (keepers, types, closing) and approval chains.

Every write goes through a service (policy check, audit entry); documents themselves are
handled on the officers' screens, never here.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from egov.directory.admin import PolicyAdmin, _adopt, _user
from egov.documents.models import ApprovalChain, ApprovalStep, DocumentType, Register
from egov.documents.services.chains import approval_chain_set, register_update
from egov.documents.services.registers import register_create


@admin.register(DocumentType)
class DocumentTypeAdmin(PolicyAdmin):
    """The decree's code list: read-only (it comes with the migrations)."""

    manage_action = "document.register_manage"
    reach_field = None
    list_display = ["name_vi", "abbreviation", "code", "is_copy"]
    search_fields = ["name_vi", "code", "abbreviation"]

    def get_queryset(self, request: HttpRequest) -> Any:
        return DocumentType.objects.all()

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.has_module_permission(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(Register)
class RegisterAdmin(PolicyAdmin):
    manage_action = "document.register_manage"
    reach_field = "organization"
    list_display = ["name", "organization", "direction", "code", "is_confidential", "is_active"]
    list_filter = ["direction", "is_confidential", "is_active"]
    search_fields = ["name", "code", "organization__name_vi", "organization__code"]
    autocomplete_fields = ["organization", "keepers"]
    filter_horizontal = ["document_types"]
    fields = [
        "organization",
        "direction",
        "code",
        "name",
        "is_confidential",
        "is_default",
        "is_active",
        "document_types",
        "keepers",
    ]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        # Where a register belongs and what it holds never change once it numbers documents.
        return ["organization", "direction", "code", "is_confidential"] if obj else []

    def save_model(self, request: HttpRequest, obj: Register, form: Any, change: bool) -> None:
        data = form.cleaned_data
        actor = _user(request)
        if not change:
            created = register_create(
                actor=actor,
                organization=data["organization"],
                direction=data["direction"],
                code=data["code"],
                name=data["name"],
                confidential=data["is_confidential"],
                default=data["is_default"],
            )
            _adopt(obj, created)
        register_update(
            actor=actor,
            register=obj,
            name=data["name"],
            is_active=data["is_active"],
            is_default=data["is_default"],
            keepers=list(data["keepers"]),
            document_types=list(data["document_types"]),
        )
        obj.refresh_from_db()

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        """Keepers and types were saved by the service (with its checks and audit entry)."""
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)


class ApprovalChainForm(forms.ModelForm):
    steps_text = forms.CharField(
        label=_("steps"),
        help_text=_("In order, separated by commas: review, format, sign (sign comes last)."),
    )

    class Meta:
        model = ApprovalChain
        fields = ["organization", "document_type"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["steps_text"].initial = ", ".join(self.instance.steps)
        else:
            self.fields["steps_text"].initial = ", ".join(
                [ApprovalStep.Kind.REVIEW, ApprovalStep.Kind.SIGN]
            )


@admin.register(ApprovalChain)
class ApprovalChainAdmin(PolicyAdmin):
    form = ApprovalChainForm
    manage_action = "document.chain_manage"
    reach_field = "organization"
    list_display = ["organization", "document_type", "steps"]
    autocomplete_fields = ["organization"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return ["organization", "document_type"] if obj else []

    def save_model(self, request: HttpRequest, obj: ApprovalChain, form: Any, change: bool) -> None:
        data = form.cleaned_data
        chain = approval_chain_set(
            actor=_user(request),
            organization=data.get("organization") or obj.organization,
            document_type=data.get("document_type") if not change else obj.document_type,
            steps=[s.strip() for s in data["steps_text"].split(",")],
        )
        _adopt(obj, chain)

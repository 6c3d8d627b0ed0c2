"""Django admin for the IT staff: every save and every action goes through a service.

Access follows the policy, not Django's model permissions: an active staff account that is a
superuser, or an officer with the IT administrator role, sees the directory; the lists are cut
down to what their role's scope reaches, and each object is editable only when the policy
allows it. Service errors come back as a message on the form instead of a server error.

The admin's own sign-in page is replaced by a redirect to the officer sign-in, so that the
lockout and the second factor apply to the admin too.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.views import redirect_to_login
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from egov.core.errors import EgovError
from egov.directory import policy, selectors, services
from egov.directory.models import (
    Account,
    ApiKey,
    Applicant,
    Delegation,
    Officer,
    Organization,
    Position,
    Role,
    RoleAssignment,
)


def _admin_login(request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
    """Send the admin's sign-in to ours (lockout, second factor, audit)."""
    next_url = request.GET.get("next") or reverse("admin:index")
    return redirect_to_login(next_url, login_url=reverse("directory:login"))


admin.site.login = _admin_login  # type: ignore[method-assign]
admin.site.site_header = _("Open eGov VN administration")
admin.site.site_title = _("Open eGov VN administration")


def _user(request: HttpRequest) -> Account:
    return request.user  # type: ignore[return-value]


def _it_reach(request: HttpRequest, field: str = "") -> Q | None:
    """Organisations the signed-in IT admin reaches (None: everything, for superusers)."""
    user = _user(request)
    if user.is_superuser:
        return None
    officer = selectors.officer_for(user)
    assignment = policy.role_assignment(officer, Role.IT_ADMIN) if officer else None
    if officer is None or assignment is None:
        return Q(pk__in=[])
    return selectors.scope_reach_q(officer, assignment.scope, field=field)


class PolicyAdmin(admin.ModelAdmin):
    """Permissions from the policy; service errors shown as messages."""

    manage_action = ""
    reach_field: str | None = ""  # how the model reaches an Organization ("" = it is one)

    def has_module_permission(self, request: HttpRequest) -> bool:
        user = _user(request)
        if not (user.is_active and user.is_staff):
            return False
        return user.is_superuser or policy.holds_role(selectors.officer_for(user), Role.IT_ADMIN)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.has_module_permission(request) and (
            obj is None or policy.can(_user(request), self.manage_action, obj)
        )

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.has_view_permission(request, obj)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return self.has_module_permission(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # records are ended, revoked or deactivated, never deleted

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        qs = super().get_queryset(request)
        if self.reach_field is None:
            return qs if _user(request).is_superuser else qs.none()
        reach = _it_reach(request, self.reach_field)
        return qs if reach is None else qs.filter(reach)

    def changeform_view(
        self,
        request: HttpRequest,
        object_id: str | None = None,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except EgovError as exc:
            self.message_user(request, str(exc.message), messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    def _run(self, request: HttpRequest, call: Any, *args: Any, **kwargs: Any) -> Any:
        """Run a service from an admin action; report its error as a message."""
        try:
            return call(*args, **kwargs)
        except EgovError as exc:
            self.message_user(request, str(exc.message), messages.ERROR)
            return None


def _adopt(target: Any, created: Any) -> None:
    """Make the admin's unsaved instance the one the service saved."""
    target.__dict__.update(created.__dict__)


# --- organisations -------------------------------------------------------------------------------


class OrganizationForm(forms.ModelForm):
    website = forms.URLField(label=_("website"), required=False, assume_scheme="https")
    succeed_by = forms.ModelChoiceField(
        label=_("taken over by"),
        queryset=Organization.objects.filter(valid_to__isnull=True),
        required=False,
        help_text=_("Record a succession: the organisation that takes over from this one."),
    )
    succeed_on = forms.DateField(
        label=_("taken over on"),
        required=False,
        help_text=_("The first day of the successor; this organisation ends the day before."),
    )

    class Meta:
        model = Organization
        fields = ["parent", *services.organizations.ORGANIZATION_FIELDS, "succession_basis"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if bool(data.get("succeed_by")) != bool(data.get("succeed_on")):
            raise forms.ValidationError(gettext("Give both the successor and the date."))
        return data


@admin.register(Organization)
class OrganizationAdmin(PolicyAdmin):
    form = OrganizationForm
    manage_action = "directory.organization.manage"
    list_display = ["indented_name", "code", "kind", "level", "admin_unit_code", "valid_to"]
    list_filter = ["kind", "level", "require_totp"]
    search_fields = ["code", "qcvn_code", "admin_unit_code", "name_vi", "name_en"]
    ordering = ["path"]
    list_per_page = 200
    autocomplete_fields = ["parent"]
    readonly_fields = ["path", "depth", "successor"]

    @admin.display(description=_("name"), ordering="path")
    def indented_name(self, obj: Organization) -> str:
        return "\u2003" * obj.depth + obj.name_vi

    def save_model(
        self, request: HttpRequest, obj: Organization, form: forms.ModelForm, change: bool
    ) -> None:
        data = form.cleaned_data
        fields = {name: data[name] for name in services.organizations.ORGANIZATION_FIELDS}
        actor = _user(request)
        if not change:
            created = services.organization_create(actor=actor, parent=data["parent"], **fields)
            _adopt(obj, created)
        else:
            current = Organization.objects.get(pk=obj.pk)
            changes = {k: v for k, v in fields.items() if getattr(current, k) != v}
            if changes:
                services.organization_update(actor=actor, organization=current, **changes)
            if current.parent_id != (data["parent"].pk if data["parent"] else None):
                services.organization_move(
                    actor=actor, organization=current, new_parent=data["parent"]
                )
        if data.get("succeed_by"):
            services.organization_succeed(
                actor=actor,
                organization=obj,
                successor=data["succeed_by"],
                effective_on=data["succeed_on"],
                basis=data.get("succession_basis") or "",
            )
        obj.refresh_from_db()


@admin.register(Position)
class PositionAdmin(PolicyAdmin):
    manage_action = "directory.position.manage"
    reach_field = None
    list_display = ["name_vi", "name_en", "code", "rank"]
    search_fields = ["code", "name_vi", "name_en"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return Position.objects.all()

    def has_module_permission(self, request: HttpRequest) -> bool:
        return super().has_module_permission(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.has_module_permission(request) and policy.can(
            _user(request), self.manage_action
        )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return self.has_change_permission(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.has_module_permission(request)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return ["code"] if obj is not None else []

    def save_model(
        self, request: HttpRequest, obj: Position, form: forms.ModelForm, change: bool
    ) -> None:
        data = form.cleaned_data
        saved = services.position_save(
            actor=_user(request),
            code=obj.code,
            name_vi=data["name_vi"],
            name_en=data.get("name_en", ""),
            rank=data["rank"],
        )
        _adopt(obj, saved)


# --- officers ------------------------------------------------------------------------------------


class RoleInline(admin.TabularInline):
    model = RoleAssignment
    extra = 1
    fields = ["role", "scope"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return True

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return True

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return True

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return True


class OfficerAddForm(forms.ModelForm):
    username = forms.CharField(label=_("user name"), max_length=150)
    password = forms.CharField(
        label=_("password"), strip=False, widget=forms.PasswordInput(render_value=False)
    )

    class Meta:
        model = Officer
        fields = ["full_name", "unit", "position", "email", "phone"]


@admin.register(Officer)
class OfficerAdmin(PolicyAdmin):
    manage_action = "directory.officer.manage"
    reach_field = "unit"
    inlines = [RoleInline]
    list_display = ["full_name", "username", "unit", "position", "is_active"]
    list_filter = ["is_active", "roles__role", "position"]
    search_fields = ["full_name", "account__username", "email", "unit__name_vi"]
    list_select_related = ["account", "unit", "position"]
    autocomplete_fields = ["unit"]
    actions = ["unlock_accounts", "reset_totp"]

    @admin.display(description=_("user name"), ordering="account__username")
    def username(self, obj: Officer) -> str:
        return obj.account.username

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> type[forms.ModelForm]:
        if obj is None:
            kwargs["form"] = OfficerAddForm
        else:
            kwargs["fields"] = ["full_name", "unit", "position", "email", "phone", "is_active"]
        return super().get_form(request, obj, change, **kwargs)

    def get_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        if obj is None:
            return ("username", "password", "full_name", "unit", "position", "email", "phone")
        return ("full_name", "unit", "position", "email", "phone", "is_active")

    def save_model(
        self, request: HttpRequest, obj: Officer, form: forms.ModelForm, change: bool
    ) -> None:
        data = form.cleaned_data
        actor = _user(request)
        if not change:
            created = services.officer_create(
                actor=actor,
                unit=data["unit"],
                position=data["position"],
                username=data["username"],
                full_name=data["full_name"],
                password=data["password"],
                email=data.get("email", ""),
                phone=data.get("phone", ""),
            )
            _adopt(obj, created)
            return
        current = Officer.objects.select_related("unit").get(pk=obj.pk)
        fields = ["full_name", "unit", "position", "email", "phone", "is_active"]
        changes = {k: data[k] for k in fields if k in data and getattr(current, k) != data[k]}
        if changes:
            services.officer_update(actor=actor, officer=current, **changes)

    def save_formset(
        self, request: HttpRequest, form: forms.ModelForm, formset: Any, change: bool
    ) -> None:
        officer: Officer = form.instance
        actor = _user(request)
        # The admin's change message reads these; formset.save() is not called (services are).
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        for inline_form in formset.forms:
            data = inline_form.cleaned_data
            if not inline_form.has_changed() or not data:
                continue
            original = inline_form.instance if inline_form.instance.pk else None
            if data.get("DELETE"):
                if original is not None:
                    services.role_revoke(actor=actor, officer=officer, role=original.role)
                continue
            if original is not None and original.role != data["role"]:
                services.role_revoke(actor=actor, officer=officer, role=original.role)
            services.role_assign(
                actor=actor, officer=officer, role=data["role"], scope=data["scope"]
            )

    @admin.action(description=_("Unlock the selected officers' accounts"))
    def unlock_accounts(self, request: HttpRequest, queryset: QuerySet[Officer]) -> None:
        done = 0
        for officer in queryset.select_related("account"):
            if self._run(
                request, services.account_unlock, actor=_user(request), account=officer.account
            ):
                done += 1
        self.message_user(
            request,
            ngettext("%(count)d account unlocked.", "%(count)d accounts unlocked.", done)
            % {"count": done},
        )

    @admin.action(description=_("Reset two-factor sign-in of the selected officers"))
    def reset_totp(self, request: HttpRequest, queryset: QuerySet[Officer]) -> None:
        done = 0
        for officer in queryset.select_related("account"):
            if self._run(
                request, services.account_totp_reset, actor=_user(request), account=officer.account
            ):
                done += 1
        self.message_user(
            request,
            ngettext(
                "Two-factor sign-in reset for %(count)d account.",
                "Two-factor sign-in reset for %(count)d accounts.",
                done,
            )
            % {"count": done},
        )


# --- delegations -------------------------------------------------------------------------------


_DELEGATION_FIELDS = [
    "delegator",
    "deputy",
    "power",
    "starts_at",
    "ends_at",
    "reason",
    "revoked_at",
]


@admin.register(Delegation)
class DelegationAdmin(PolicyAdmin):
    manage_action = "directory.delegation.revoke"
    reach_field = "delegator__unit"
    list_display = ["delegator", "deputy", "power", "starts_at", "ends_at", "revoked_at"]
    list_filter = ["power"]
    list_select_related = ["delegator", "deputy"]
    autocomplete_fields = ["delegator", "deputy"]
    actions = ["revoke"]
    fields = tuple(_DELEGATION_FIELDS)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return list(_DELEGATION_FIELDS) if obj is not None else ["revoked_at"]

    def save_model(
        self, request: HttpRequest, obj: Delegation, form: forms.ModelForm, change: bool
    ) -> None:
        if change:
            return
        data = form.cleaned_data
        created = services.delegation_create(
            actor=_user(request),
            delegator=data["delegator"],
            deputy=data["deputy"],
            power=data["power"],
            starts_at=data["starts_at"],
            ends_at=data["ends_at"],
            reason=data.get("reason", ""),
        )
        _adopt(obj, created)

    @admin.action(description=_("End the selected delegations now"))
    def revoke(self, request: HttpRequest, queryset: QuerySet[Delegation]) -> None:
        done = 0
        for delegation in queryset:
            if self._run(
                request, services.delegation_revoke, actor=_user(request), delegation=delegation
            ):
                done += 1
        self.message_user(
            request,
            ngettext("%(count)d delegation ended.", "%(count)d delegations ended.", done)
            % {"count": done},
        )


# --- applicants (read only: personal data, superusers) -----------------------------------------


@admin.register(Applicant)
class ApplicantAdmin(PolicyAdmin):
    reach_field = None
    list_display = ["full_name", "kind", "national_id", "tax_code", "phone", "email", "created_at"]
    list_filter = ["kind"]
    search_fields = ["full_name", "national_id", "tax_code", "phone", "email"]

    def has_module_permission(self, request: HttpRequest) -> bool:
        user = _user(request)
        return user.is_active and user.is_staff and user.is_superuser

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.has_module_permission(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


# --- API keys ----------------------------------------------------------------------------------


class ApiKeyAddForm(forms.ModelForm):
    scope_list = forms.CharField(
        label=_("scopes"),
        required=False,
        help_text=_("Comma separated, e.g. dossiers.read, documents.exchange"),
    )

    class Meta:
        model = ApiKey
        fields = ["name", "organization"]


_APIKEY_READONLY = [
    "name",
    "organization",
    "prefix",
    "key_hash",
    "scopes",
    "created_by",
    "created_at",
    "last_used_at",
    "revoked_at",
]


@admin.register(ApiKey)
class ApiKeyAdmin(PolicyAdmin):
    manage_action = "directory.apikey.manage"
    reach_field = "organization"
    list_display = ["name", "organization", "prefix", "created_at", "last_used_at", "revoked_at"]
    list_select_related = ["organization"]
    search_fields = ["name", "prefix"]
    autocomplete_fields = ["organization"]
    actions = ["revoke"]
    readonly_fields = _APIKEY_READONLY

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> type[forms.ModelForm]:
        if obj is None:
            kwargs["form"] = ApiKeyAddForm
        return super().get_form(request, obj, change, **kwargs)

    def get_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        if obj is None:
            return ("name", "organization", "scope_list")
        return tuple(_APIKEY_READONLY)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return list(_APIKEY_READONLY) if obj is not None else []

    def save_model(
        self, request: HttpRequest, obj: ApiKey, form: forms.ModelForm, change: bool
    ) -> None:
        if change:
            return
        data = form.cleaned_data
        scopes = [s.strip() for s in (data.get("scope_list") or "").split(",") if s.strip()]
        created, raw = services.apikey_create(
            actor=_user(request),
            organization=data["organization"],
            name=data["name"],
            scopes=scopes,
        )
        _adopt(obj, created)
        self.message_user(
            request,
            gettext(
                "The key is %(key)s. Copy it now: it is not stored and will not be shown again."
            )
            % {"key": raw},
            messages.WARNING,
        )

    @admin.action(description=_("Revoke the selected keys"))
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiKey]) -> None:
        done = 0
        for api_key in queryset:
            if self._run(request, services.apikey_revoke, actor=_user(request), api_key=api_key):
                done += 1
        self.message_user(
            request,
            ngettext("%(count)d key revoked.", "%(count)d keys revoked.", done) % {"count": done},
        )

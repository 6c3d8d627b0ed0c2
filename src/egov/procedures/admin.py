"""Django admin for IT staff: look through the catalogue, publish or withdraw, rename fields.

The content of a procedure is never typed in here: it arrives through the import (`egov
procedures import FILE`, JSON or the provinces' xlsx layout), which checks every rule and
writes a new version. So procedures and versions are read-only in the admin; the only writes
are the publish / unpublish actions and the names of fields, each through its service (policy
check and audit entry there). Opening the admin needs an active staff account that is a
superuser or an officer with the IT administrator role; the catalogue is public, so such a
person sees all of it, and the services decide what they may change.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from egov.core.errors import EgovError
from egov.directory import policy
from egov.directory import selectors as directory_selectors
from egov.directory.models import Account, Role
from egov.procedures import selectors, services
from egov.procedures.models import (
    LIFE_EVENTS,
    Fee,
    Field,
    Procedure,
    ProcedureChannel,
    ProcedureStep,
    ProcedureVersion,
    RequiredDocument,
)

IMPORT_HINT = _(
    "Procedures are added and changed by importing the catalogue file (JSON or xlsx, see "
    "docs/procedures-format.md) with the command: egov procedures import FILE. Each change "
    "becomes a new version; the versions here cannot be edited."
)


def _user(request: HttpRequest) -> Account:
    return request.user  # type: ignore[return-value]


class CatalogueAdmin(admin.ModelAdmin):
    """Open to IT staff; read-only unless a subclass routes a write through a service."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        user = _user(request)
        if not (user.is_active and user.is_staff):
            return False
        officer = directory_selectors.officer_for(user)
        return user.is_superuser or policy.holds_role(officer, Role.IT_ADMIN)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.has_module_permission(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # versions are kept for the dossiers received under them


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


# --- procedures ----------------------------------------------------------------------------------


class VersionInline(ReadOnlyInline):
    model = ProcedureVersion
    readonly_fields = (
        "number",
        "name",
        "effective_from",
        "service_level",
        "created_at",
        "content_hash",
    )
    fields = readonly_fields
    show_change_link = True
    ordering = ["-number"]


class PublishedFilter(admin.SimpleListFilter):
    title = _("published")
    parameter_name = "published"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("yes", _("Published")), ("no", _("Not published"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value() == "yes":
            return queryset.filter(published_version__isnull=False)
        if self.value() == "no":
            return queryset.filter(published_version__isnull=True)
        return queryset


@admin.register(Procedure)
class ProcedureAdmin(CatalogueAdmin):
    list_display = [
        "code",
        "name",
        "field",
        "code_status",
        "published_number",
        "latest_number",
        "published_at",
    ]
    list_select_related = ["latest_version__field", "published_version"]
    list_filter = [
        PublishedFilter,
        "code_status",
        "latest_version__service_level",
        "latest_version__anonymous_allowed",
        "latest_version__fee_stage",
    ]
    search_fields = ["code"]
    search_help_text = _("Code or words of the name, with or without diacritics.")
    readonly_fields = ("code", "code_status", "code_note", "published_version", "published_at")
    fields = readonly_fields
    inlines = [VersionInline]
    actions = ["publish_latest", "unpublish"]
    change_list_template = "admin/procedures/procedure/change_list.html"

    @admin.display(description=_("name"))
    def name(self, obj: Procedure) -> str:
        version = obj.latest_version
        return version.name if version is not None else ""

    @admin.display(description=_("field"))
    def field(self, obj: Procedure) -> str:
        version = obj.latest_version
        return version.field.name if version is not None else ""

    @admin.display(description=_("published version"))
    def published_number(self, obj: Procedure) -> int | None:
        return obj.published_version.number if obj.published_version else None

    @admin.display(description=_("latest version"))
    def latest_number(self, obj: Procedure) -> int | None:
        return obj.latest_version.number if obj.latest_version else None

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Any], search_term: str
    ) -> tuple[QuerySet[Any], bool]:
        """The code as typed, or the words of the name through the accent-free index."""
        term = search_term.strip()
        if not term:
            return queryset, False
        ids = selectors.procedure_ids_matching(term)
        return queryset.filter(Q(code__icontains=term) | Q(pk__in=ids)), False

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        return super().changelist_view(request, {**(extra_context or {}), "hint": IMPORT_HINT})

    def _each(
        self, request: HttpRequest, queryset: QuerySet[Procedure], call: Any
    ) -> tuple[int, list[str]]:
        done, refused = 0, []
        for procedure in queryset.order_by("code"):
            try:
                call(actor=_user(request), procedure=procedure)
            except EgovError as exc:
                refused.append(f"{procedure.code}: {exc.message}")
            else:
                done += 1
        return done, refused

    def _report(self, request: HttpRequest, message: str, refused: list[str]) -> None:
        self.message_user(request, message, messages.SUCCESS)
        for line in refused:
            self.message_user(request, line, messages.ERROR)

    @admin.action(description=_("Publish the latest version"))
    def publish_latest(self, request: HttpRequest, queryset: QuerySet[Procedure]) -> None:
        done, refused = self._each(request, queryset, services.procedure_publish)
        self._report(
            request,
            ngettext("%(n)d procedure published.", "%(n)d procedures published.", done)
            % {"n": done},
            refused,
        )

    @admin.action(description=_("Take off the public catalogue"))
    def unpublish(self, request: HttpRequest, queryset: QuerySet[Procedure]) -> None:
        done, refused = self._each(request, queryset, services.procedure_unpublish)
        self._report(
            request,
            ngettext(
                "%(n)d procedure taken off the public catalogue.",
                "%(n)d procedures taken off the public catalogue.",
                done,
            )
            % {"n": done},
            refused,
        )


# --- versions ------------------------------------------------------------------------------------


class ChannelInline(ReadOnlyInline):
    model = ProcedureChannel
    readonly_fields = ("channel", "time_value", "time_unit", "fee_note", "description")
    fields = readonly_fields


class DocumentInline(ReadOnlyInline):
    model = RequiredDocument
    readonly_fields = (
        "order",
        "code",
        "name",
        "originals",
        "copies",
        "template_name",
        "mandatory",
        "case",
    )
    fields = readonly_fields


class FeeInline(ReadOnlyInline):
    model = Fee
    readonly_fields = ("order", "kind", "name", "channel", "amount", "rule", "legal_basis")
    fields = readonly_fields


class StepInline(ReadOnlyInline):
    model = ProcedureStep
    readonly_fields = (
        "order",
        "name",
        "responsible_unit",
        "responsible_role",
        "working_days",
        "crosses_organization",
    )
    fields = readonly_fields


@admin.register(ProcedureVersion)
class ProcedureVersionAdmin(CatalogueAdmin):
    list_display = ["procedure", "number", "name", "effective_from", "service_level"]
    list_select_related = ["procedure"]
    search_fields = ["procedure__code"]
    readonly_fields = (
        "procedure",
        "number",
        "effective_from",
        "name",
        "field",
        "level",
        "competent_organization",
        "competent_text",
        "executing_organization",
        "executing_text",
        "cases",
        "sequence",
        "result",
        "legal_bases",
        "conditions",
        "subjects",
        "service_level",
        "legacy_level",
        "life_event_names",
        "anonymous_allowed",
        "fee_stage",
        "eform_schema",
        "publishing_decision",
        "note",
        "content_hash",
        "created_at",
        "created_by_id",
    )
    fields = readonly_fields
    inlines = [ChannelInline, DocumentInline, FeeInline, StepInline]

    @admin.display(description=_("life events"))
    def life_event_names(self, obj: ProcedureVersion) -> str:
        return ", ".join(str(LIFE_EVENTS.get(key, key)) for key in obj.life_events)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return False  # reached from a procedure's page, not listed on its own

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_module_permission(request)


# --- fields --------------------------------------------------------------------------------------


@admin.register(Field)
class FieldAdmin(CatalogueAdmin):
    list_display = ["code", "name", "updated_at"]
    search_fields = ["code", "name"]
    fields = ["code", "name"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return self.has_module_permission(request) and policy.can(
            _user(request), "procedures.field.manage"
        )

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.has_add_permission(request)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return ["code"] if obj is not None else []

    def save_model(self, request: HttpRequest, obj: Field, form: Any, change: bool) -> None:
        saved = services.field_save(actor=_user(request), code=obj.code, name=obj.name)
        obj.pk = saved.pk
        obj.__dict__.update(saved.__dict__)

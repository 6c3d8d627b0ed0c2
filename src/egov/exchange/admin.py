"""Django admin for IT staff: peers are edited through `peer_save` (validated and audited, the
shared secret never shown back); the outbox and inbox are read-only (the transport owns them)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from egov.core.errors import EgovError
from egov.exchange.models import InboxMessage, OutboxMessage, Peer
from egov.exchange.services import peer_save


class PeerForm(forms.ModelForm):
    codes = forms.CharField(
        label=_("Organisation codes"),
        help_text=_("The electronic codes of the organisations served there, comma separated."),
    )
    new_secret = forms.CharField(
        label=_("Shared secret"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(render_value=False),
        help_text=_("At least 16 characters; leave empty to keep the current one."),
    )

    class Meta:
        model = Peer
        fields = ["name", "endpoint_url", "connector", "key_id", "public_key", "enabled"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["codes"].initial = ", ".join(self.instance.org_codes or [])
        else:
            self.fields["new_secret"].required = True

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.errors:
            return data
        secret = data.get("new_secret") or (self.instance.secret if self.instance.pk else "")
        try:
            self.saved = peer_save(
                name=data.get("name") or self.instance.name,
                endpoint_url=data.get("endpoint_url", ""),
                org_codes=[c for c in str(data.get("codes", "")).split(",")],
                key_id=data.get("key_id", ""),
                secret=secret,
                public_key=data.get("public_key", ""),
                connector=data.get("connector", Peer.Connector.DIRECT),
                enabled=bool(data.get("enabled")),
            )
        except EgovError as exc:
            field = exc.field if exc.field in self.fields else None
            if exc.field == "secret":
                field = "new_secret"
            self.add_error(field, str(exc.message))
        return data


@admin.register(Peer)
class PeerAdmin(admin.ModelAdmin):
    form = PeerForm
    list_display = ["name", "endpoint_url", "connector", "enabled", "updated_at"]
    list_filter = ["connector", "enabled"]
    search_fields = ["name", "key_id"]

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        # Written (and audited) by peer_save in the form's clean(); keep the admin's object.
        form.instance = form.saved

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return ["name"] if obj is not None else []  # peers are saved by name

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # disable a peer instead: the messages keep pointing at it


class ReadOnlyAdmin(admin.ModelAdmin):
    exclude = ["payload"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(OutboxMessage)
class OutboxAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "kind", "to_code", "state", "attempts", "next_attempt_at"]
    list_filter = ["kind", "state"]
    search_fields = ["to_code", "document_key", "message_id"]


@admin.register(InboxMessage)
class InboxAdmin(ReadOnlyAdmin):
    list_display = ["received_at", "kind", "sender_code", "recipient_code", "state", "status_code"]
    list_filter = ["kind", "state"]
    search_fields = ["sender_code", "document_key", "message_id"]

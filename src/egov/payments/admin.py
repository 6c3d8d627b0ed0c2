"""Django admin for IT staff: read-only views of payments, the callbacks received and the
sandbox's ledger (every change goes through the services, which lock, check and audit)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from egov.payments.models import Payment, PaymentCallback, SandboxTransaction


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdmin):
    list_display = ["txn_ref", "dossier", "amount", "state", "credited", "paid_at", "created_at"]
    list_filter = ["state", "credited", "gateway"]
    search_fields = ["txn_ref", "gateway_txn_no", "dossier__code", "receipt_number"]
    list_select_related = ["dossier"]


@admin.register(PaymentCallback)
class PaymentCallbackAdmin(ReadOnlyAdmin):
    list_display = ["received_at", "kind", "txn_ref", "signature_valid", "rsp_code", "outcome"]
    list_filter = ["kind", "outcome", "rsp_code", "signature_valid"]
    search_fields = ["txn_ref"]


@admin.register(SandboxTransaction)
class SandboxTransactionAdmin(ReadOnlyAdmin):
    list_display = ["pay_date", "txn_ref", "amount", "result", "transaction_no", "ipn_attempts"]
    list_filter = ["result"]
    search_fields = ["txn_ref", "transaction_no"]

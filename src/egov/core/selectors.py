"""Reads of the core services that other apps reuse."""

from __future__ import annotations

from django.db.models import QuerySet

from egov.core.models import AuditEntry


def audit_history(*, object_type: str, object_id: str) -> QuerySet[AuditEntry]:
    """An object's audit entries, oldest first (uses the (object_type, object_id) index).

    `object_type` is the model's `app_label.model_name` (what `audit_record(obj=…)` stores).
    Callers decide who may see the history; this selector does not filter by permission.
    """
    return AuditEntry.objects.filter(object_type=object_type, object_id=str(object_id)).order_by(
        "id"
    )

"""What every directory service shares: errors from Django validation, audit snapshots."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models

from egov.core.errors import ValidationFailed


def snapshot(obj: models.Model, fields: Iterable[str]) -> dict[str, Any]:
    """A JSON-friendly picture of some fields, for the audit entry's before/after."""
    out: dict[str, Any] = {}
    for name in fields:
        field = obj._meta.get_field(name)
        value = getattr(obj, getattr(field, "attname", name))
        if hasattr(value, "isoformat"):
            value = value.isoformat()
        out[name] = value
    return out


def changed(before: dict[str, Any], after: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Only the keys whose value differs, on both sides."""
    keys = [key for key in after if before.get(key) != after[key]]
    return {k: before.get(k) for k in keys}, {k: after[k] for k in keys}


def validation_failed(exc: ValidationError, *, code: str = "validation") -> ValidationFailed:
    """Turn Django's ValidationError (from full_clean or a validator) into ours."""
    if hasattr(exc, "error_dict"):
        messages = {
            field: [str(m) for err in errs for m in err.messages]
            for field, errs in exc.error_dict.items()
        }
        first_field = next(iter(messages), None)
        first = messages[first_field][0] if first_field else str(exc)
        return ValidationFailed(first, code=code, field=first_field, details={"errors": messages})
    texts = [str(m) for m in exc.messages]
    return ValidationFailed(texts[0] if texts else str(exc), code=code, details={"errors": texts})


def full_clean(obj: models.Model, *, exclude: Iterable[str] = ()) -> None:
    try:
        obj.full_clean(exclude=list(exclude), validate_unique=False)
    except ValidationError as exc:
        raise validation_failed(exc) from exc

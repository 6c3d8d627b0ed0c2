"""Start-up checks: refuse bad configuration before the first request, not on first use."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Error, register
from django.core.exceptions import ImproperlyConfigured

from egov.core.calendar import parse_hhmm
from egov.core.files import KINDS

_OFFICE_SETTINGS = ("EGOV_OFFICE_OPENS", "EGOV_OFFICE_CLOSES", "EGOV_INTAKE_CUTOFF")


@register()
def office_hours_check(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    errors: list[Error] = []
    parsed = {}
    for index, name in enumerate(_OFFICE_SETTINGS, start=1):
        try:
            parsed[name] = parse_hhmm(name, getattr(settings, name))
        except ImproperlyConfigured as exc:
            errors.append(Error(str(exc), hint="Use HH:MM, e.g. 17:00", id=f"egov.E00{index}"))
    if not errors and parsed["EGOV_OFFICE_OPENS"] >= parsed["EGOV_OFFICE_CLOSES"]:
        errors.append(
            Error("EGOV_OFFICE_OPENS must be earlier than EGOV_OFFICE_CLOSES", id="egov.E004")
        )
    return errors


@register()
def upload_types_check(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    unknown = sorted(set(settings.EGOV_UPLOAD_ALLOWED_TYPES) - set(KINDS))
    if unknown:
        return [
            Error(
                f"EGOV_UPLOAD_ALLOWED_TYPES names unknown kinds: {', '.join(unknown)}",
                hint=f"Known kinds: {', '.join(sorted(KINDS))}",
                id="egov.E005",
            )
        ]
    return []

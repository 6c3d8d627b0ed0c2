"""The dossier rules that STANDARDS-VN.md marks "to check": settings with the common practice.

Each value is read from Django settings at call time (so tests and provinces can change it);
the lead wires them to environment variables in `egov.settings`.

- EGOV_DOSSIER_CODE_FORMAT (default "{org}-{yymmdd}-{seq:04d}"): the dossier code, e.g.
  `000.00.17.H21-250701-0001` (to check, moderate confidence). `{org}` is the receiving
  organisation's QCVN 102 code, or its electronic identifier when it has none; `{seq}` is the
  gap-free sequence of the day per receiving organisation.
- EGOV_DOSSIER_CLOCK_ON_RESUBMIT (default "restart"): after a supplement, "restart" counts the
  whole processing time again from the resubmission (common practice); "resume" continues
  the remaining time (the due day moves by the working days the clock stood still).
- EGOV_DOSSIER_SUPPLEMENT_ONCE (default True): a supplement may be requested only once.
- EGOV_DOSSIER_APOLOGY_MIN_WORKING_DAYS (default 1): an apology with a new appointment must be
  issued at least this many working days before the due day (0: any time before the due moment).
"""

from __future__ import annotations

from typing import Literal, cast

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

ResubmitRule = Literal["restart", "resume"]


def code_format() -> str:
    return str(getattr(settings, "EGOV_DOSSIER_CODE_FORMAT", "{org}-{yymmdd}-{seq:04d}"))


def clock_on_resubmit() -> ResubmitRule:
    value = getattr(settings, "EGOV_DOSSIER_CLOCK_ON_RESUBMIT", "restart")
    if value not in ("restart", "resume"):
        raise ImproperlyConfigured("EGOV_DOSSIER_CLOCK_ON_RESUBMIT must be restart or resume")
    return cast(ResubmitRule, value)


def supplement_once() -> bool:
    return bool(getattr(settings, "EGOV_DOSSIER_SUPPLEMENT_ONCE", True))


def apology_min_working_days() -> int:
    value = int(getattr(settings, "EGOV_DOSSIER_APOLOGY_MIN_WORKING_DAYS", 1))
    if value < 0:
        raise ImproperlyConfigured("EGOV_DOSSIER_APOLOGY_MIN_WORKING_DAYS must be 0 or more")
    return value

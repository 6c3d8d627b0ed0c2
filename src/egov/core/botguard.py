"""A light guard against scripted form posts on public pages, with no third-party captcha.

Two signals: a honeypot field people never see (bots fill every input), and a signed time
token issued when the form was rendered (a person needs more than a couple of seconds; a
token older than a day or forged is refused). Neither blocks a determined attacker: the rate
limits (egov.core.ratelimit) do the rest.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.core import signing
from django.utils.translation import gettext

from egov.core.errors import ValidationFailed

HONEYPOT_FIELD = "website"
TOKEN_FIELD = "form_started"  # noqa: S105 - a field name, not a secret
_SALT = "egov.core.botguard"
MAX_AGE_SECONDS = 86400


def form_token(now: float | None = None) -> str:
    """A signed moment of rendering, put in the form as a hidden field."""
    moment = time.time() if now is None else now
    return signing.dumps(moment, salt=_SALT)


def _refuse() -> ValidationFailed:
    return ValidationFailed(
        gettext(
            "The form could not be accepted. Please reload the page, fill it in again and send it."
        ),
        code="bot.suspected",
    )


def bot_check(data: Mapping[str, Any], now: float | None = None) -> None:
    """Refuse a post whose honeypot is filled, or that came back too fast or with a bad token."""
    if str(data.get(HONEYPOT_FIELD, "") or "").strip():
        raise _refuse()
    moment = time.time() if now is None else now
    try:
        started = float(signing.loads(str(data.get(TOKEN_FIELD, "")), salt=_SALT))
    except (signing.BadSignature, TypeError, ValueError):
        raise _refuse() from None
    elapsed = moment - started
    if elapsed < float(getattr(settings, "EGOV_BOT_MIN_SECONDS", 2)) or elapsed > MAX_AGE_SECONDS:
        raise _refuse()

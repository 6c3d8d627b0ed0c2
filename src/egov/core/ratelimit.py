"""Fixed-window rate limits kept in the database, shared by every process.

Public forms (sign-up, sign-in, one-time codes, status look-up misses, online submission,
uploads) count hits per client and per identifier; a bucket over its limit refuses with a
Vietnamese message and the seconds to wait. The counter is one upsert per hit, so count only
what an abuser repeats (e.g. status look-up misses, not every look-up).
"""

from __future__ import annotations

import hashlib
import random
import time

from django.conf import settings
from django.db import connection, transaction
from django.http import HttpRequest
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from egov.core.errors import EgovError
from egov.core.middleware import client_ip
from egov.core.models import RateCounter

__all__ = [
    "RateLimited",
    "client_ip",
    "rate_limit_check",
    "rate_limit_hit",
    "rate_limits",
    "request_key",
]

# scope: (hits allowed in the window, window in seconds)
DEFAULT_LIMITS: dict[str, tuple[int, int]] = {
    "signup": (10, 3600),
    "signin": (20, 900),
    "otp": (10, 900),
    "status_miss": (20, 600),
    "submit": (30, 3600),
    "upload": (600, 3600),
}
PRUNE_PROBABILITY = 0.01


class RateLimited(EgovError):
    code = "rate_limited"
    status = 429
    default_message = _("Too many attempts. Please wait a little and try again.")

    def __init__(self, *, retry_after: int) -> None:
        minutes = max(1, -(-retry_after // 60))
        super().__init__(
            gettext("You have tried too many times. Please try again in %(minutes)s minutes.")
            % {"minutes": minutes},
            details={"retry_after": retry_after},
        )
        self.retry_after = retry_after


def rate_limits() -> dict[str, tuple[int, int]]:
    """The limits in force: the defaults overridden by settings.EGOV_RATE_LIMITS."""
    limits = dict(DEFAULT_LIMITS)
    limits.update(getattr(settings, "EGOV_RATE_LIMITS", {}) or {})
    return limits


def _limit(scope: str) -> tuple[int, int]:
    try:
        return rate_limits()[scope]
    except KeyError:
        raise ValueError(f"unknown rate-limit scope {scope!r}") from None


def _bucket(scope: str, key: str) -> str:
    # Keys may be phone numbers or ID numbers: keep only a digest at rest.
    digest = hashlib.sha256(f"{scope}\x00{key}".encode()).hexdigest()[:40]
    return f"{scope}:{digest}"


def _window(window: int, now: float) -> tuple[int, int]:
    start = int(now) - int(now) % window
    return start, start + window - int(now)


def rate_limit_hit(*, scope: str, key: str) -> None:
    """Count one hit of `key` in `scope`; refuse (RateLimited) once the limit is passed."""
    limit, window = _limit(scope)
    now = time.time()
    start, retry_after = _window(window, now)
    table = RateCounter._meta.db_table
    bucket = _bucket(scope, key)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (bucket, window_start, hits) VALUES (%s, %s, 1) "  # noqa: S608
            f"ON CONFLICT (bucket, window_start) DO UPDATE SET hits = {table}.hits + 1 "
            "RETURNING hits",
            [bucket, start],
        )
        hits = int(cursor.fetchone()[0])
    if random.random() < PRUNE_PROBABILITY:  # noqa: S311 - housekeeping, not security
        RateCounter.objects.filter(window_start__lt=int(now) - 86400).delete()
    if hits > limit:
        raise RateLimited(retry_after=retry_after)


def rate_limit_check(*, scope: str, key: str) -> None:
    """Refuse if `key` is already over the limit in `scope`, without counting a hit."""
    limit, window = _limit(scope)
    start, retry_after = _window(window, time.time())
    hits = (
        RateCounter.objects.filter(bucket=_bucket(scope, key), window_start=start)
        .values_list("hits", flat=True)
        .first()
    )
    if hits is not None and hits >= limit:
        raise RateLimited(retry_after=retry_after)


def request_key(request: HttpRequest, *parts: str) -> str:
    """The client address joined with identifiers (e.g. the phone number tried)."""
    return "|".join([client_ip(request), *parts])

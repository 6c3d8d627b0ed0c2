"""Sign people out after a period without activity (EGOV_IDLE_TIMEOUT_MINUTES).

The time of the last request is kept in the session. To avoid writing the session on every
request, it is refreshed only when it is older than REFRESH_SECONDS; the timeout is therefore
exact to within that margin. After an idle sign-out the new, anonymous session carries a flag
that the sign-in page turns into a message.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

SESSION_KEY = "egov_last_seen"
IDLE_FLAG = "egov_idle_logout"
REFRESH_SECONDS = 30


class IdleTimeoutMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            now = timezone.now().timestamp()
            last_seen = request.session.get(SESSION_KEY)
            limit = settings.EGOV_IDLE_TIMEOUT_MINUTES * 60
            if last_seen is not None and now - float(last_seen) > limit:
                logout(request)
                request.session[IDLE_FLAG] = True
            elif last_seen is None or now - float(last_seen) >= REFRESH_SECONDS:
                request.session[SESSION_KEY] = now
        return self.get_response(request)

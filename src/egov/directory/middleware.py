"""Sign officers out after a period without activity."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse

SESSION_KEY = "egov_last_seen"


class IdleTimeoutMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            now = time.time()
            last_seen = request.session.get(SESSION_KEY)
            limit = settings.EGOV_IDLE_TIMEOUT_MINUTES * 60
            if last_seen is not None and now - float(last_seen) > limit:
                logout(request)
                request.session["egov_idle_logout"] = True
            else:
                request.session[SESSION_KEY] = now
        return self.get_response(request)

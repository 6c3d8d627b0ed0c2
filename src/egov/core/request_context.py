"""The current request's id and client address, for logs and audit entries.

A context variable rather than thread-locals so that it also works under ASGI and in tasks.
"""

from __future__ import annotations

import contextvars
from dataclasses import dataclass


@dataclass(frozen=True)
class RequestContext:
    request_id: str = ""
    ip: str = ""


_EMPTY = RequestContext()  # frozen, so one shared default is safe
_current: contextvars.ContextVar[RequestContext] = contextvars.ContextVar(
    "egov_request_context", default=_EMPTY
)


def current() -> RequestContext:
    return _current.get()


def bind(ctx: RequestContext) -> contextvars.Token[RequestContext]:
    return _current.set(ctx)


def reset(token: contextvars.Token[RequestContext]) -> None:
    _current.reset(token)

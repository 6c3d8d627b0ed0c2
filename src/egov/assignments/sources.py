"""Where an assignment comes from: apps above register how to name and link their objects.

Assignments sit below the apps that give work (documents, later others), so they cannot import
them; an upper app registers a resolver for its source type in its AppConfig.ready, the same
pattern as `egov.directory.policy`. A resolver answers only for sources the actor may read, so a
crafted `?nguon=` never reveals a document's subject.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

__all__ = ["Source", "source_register", "source_resolve"]


@dataclass(frozen=True)
class Source:
    type: str
    id: str
    label: str
    url: str


Resolver = Callable[[Any, str], Source | None]
_resolvers: dict[str, Resolver] = {}


def source_register(source_type: str, resolver: Resolver) -> None:
    """Declare how `source_type:<id>` references are named and linked (call in ready())."""
    _resolvers[source_type] = resolver


def source_resolve(actor: Any, reference: str) -> Source | None:
    """`document:12` → the Source, or None when unknown, malformed or not readable by actor."""
    kind, _sep, ident = (reference or "").partition(":")
    resolver = _resolvers.get(kind)
    if resolver is None or not ident.isdigit():
        return None
    return resolver(actor, ident)

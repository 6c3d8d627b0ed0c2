"""The REST API root at /api/v1/; each app contributes its own router."""

from __future__ import annotations

from ninja import NinjaAPI

api = NinjaAPI(
    title="Open eGov VN API",
    version="1",
    urls_namespace="api",
)

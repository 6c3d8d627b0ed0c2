"""The REST API root at /api/v1/; each app contributes its own router.

Contract: OpenAPI 3.1 at /api/v1/openapi.json (committed as docs/api/openapi.json, checked by
`scripts/openapi.py --check` in `make lint`), interactive docs at /api/v1/docs served from our
own static files, errors as application/problem+json (egov.api.problems), callers authenticated
by API key or by the browser session (egov.api.auth).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.urls import URLPattern, URLResolver
from ninja import NinjaAPI
from ninja.openapi.docs import Swagger
from ninja.openapi.schema import OpenAPISchema
from ninja.operation import Operation

from egov.api import problems
from egov.api.auth import API_AUTH
from egov.api.routers import audit, calendar, fallback, organizations, system
from egov.dossiers.api import dossier_status_view
from egov.dossiers.api import router as dossiers_router
from egov.procedures.api import router as procedures_router
from egov.signing.api import router as signing_router


class LocalSwagger(Swagger):
    """Swagger UI from django-ninja's own static files; never the CDN fallback.

    django-ninja silently renders a CDN page when "ninja" is not in INSTALLED_APPS; we refuse
    instead, because the platform serves every asset itself (no outside requests, strict CSP).
    """

    def render_page(self, request: HttpRequest, api: NinjaAPI, **kwargs: Any) -> HttpResponse:
        if "ninja" not in settings.INSTALLED_APPS:
            raise ImproperlyConfigured(
                'Add "ninja" to INSTALLED_APPS: the API docs must use local static files.'
            )
        return super().render_page(request, api, **kwargs)


# Busy public reads served by a plain view for GET (ARCHITECTURE.md §7): URL route → view.
# The ninja operation stays the documented contract and answers the other methods; the plain
# view must give the same answers (tests/dossiers/test_dossiers_perf_rules.py compares them).
FAST_GET_ROUTES: dict[str, Callable[..., HttpResponseBase]] = {
    "dossiers/<code>/status": dossier_status_view,
}


class EgovAPI(NinjaAPI):
    def _get_urls(self) -> list[URLResolver | URLPattern]:
        """Ninja's URL patterns, with the FAST_GET_ROUTES answered by their plain views and
        tried first (Django tries patterns in order; no other pattern can match these paths,
        tests/dossiers/test_dossiers_perf_rules.py checks it)."""
        patterns = super()._get_urls()
        fast = [
            p for p in patterns if isinstance(p, URLPattern) and str(p.pattern) in FAST_GET_ROUTES
        ]
        rest = [p for p in patterns if not any(p is f for f in fast)]
        return [self._fast_get(p) for p in fast] + rest

    def _fast_get(self, pattern: URLPattern) -> URLPattern:
        fast = FAST_GET_ROUTES.get(str(pattern.pattern))
        if fast is None:
            return pattern
        ninja_view = pattern.callback

        def view(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            if request.method != "GET":
                return ninja_view(request, *args, **kwargs)
            try:
                return fast(request, *args, **kwargs)
            except Exception as exc:  # the API's handlers answer, as for a ninja operation
                return self.on_exception(request, exc)

        view.csrf_exempt = True  # type: ignore[attr-defined]  # as ninja marks its views
        return URLPattern(pattern.pattern, view, pattern.default_args, pattern.name)

    def get_openapi_operation_id(self, operation: Operation) -> str:
        """The view function's name (`organization_list`): short, stable, readable in clients."""
        return operation.view_func.__name__

    def get_openapi_schema(
        self, *, path_prefix: str | None = None, path_params: dict[str, Any] | None = None
    ) -> OpenAPISchema:
        """Ninja's document, with error answers declared as application/problem+json."""
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        problem_ref = "#/components/schemas/Problem"
        problem_body = {"schema": {"$ref": problem_ref}}
        for operations in schema.get("paths", {}).values():
            for operation in operations.values():
                for parameter in operation.get("parameters", []):
                    # pydantic writes JSON-Schema `examples` (a list) onto the parameter, where
                    # OpenAPI expects a map of Example Objects: move them into the schema.
                    examples = parameter.get("examples")
                    if isinstance(examples, list):
                        del parameter["examples"]
                        parameter.setdefault("schema", {})["examples"] = examples
                responses = operation.setdefault("responses", {})
                for response in responses.values():
                    content = response.get("content", {})
                    body = content.get(self.renderer.media_type)
                    if body and body.get("schema", {}).get("$ref") == problem_ref:
                        response["content"] = {problems.PROBLEM_CONTENT_TYPE: body}
                # Routers of the domain apps cannot import the Problem schema (layers): every
                # operation that declares no error answers gets the generic 4XX problem.
                if not any(str(code).startswith("4") for code in responses):
                    responses["4XX"] = {
                        "description": "Error (RFC 9457 problem document with a stable code)",
                        "content": {problems.PROBLEM_CONTENT_TYPE: problem_body},
                    }
        for scheme in schema.get("components", {}).get("securitySchemes", {}).values():
            if scheme.get("type") == "http":
                scheme.pop("name", None)  # ninja adds it; OpenAPI allows it on apiKey only
        return schema


api = EgovAPI(
    title="Open eGov VN API",
    version="1",
    description=(
        "REST API of Open eGov VN. Authenticate with an API key issued by the IT "
        "administrators (`Authorization: Bearer <key>` or `X-API-Key: <key>`) or with the "
        "browser session of a signed-in account (unsafe methods then need `X-CSRFToken`). "
        "Errors are `application/problem+json` documents (RFC 9457) whose `code` is stable."
    ),
    urls_namespace="api",
    docs=LocalSwagger(settings={"persistAuthorization": False}),
    docs_url="/docs",
    auth=API_AUTH,
)
problems.install(api)

api.add_router("/", system.router)
api.add_router("/organizations", organizations.router)
api.add_router("/calendar", calendar.router)
api.add_router("/audit", audit.router)
api.add_router("/signing", signing_router)
api.add_router("/procedures", procedures_router)
api.add_router("/", dossiers_router)
api.add_router("/documents", "egov.documents.api.router")
# Last: answers every other path under /api/v1/ with a problem document instead of HTML.
api.add_router("/", fallback.router)

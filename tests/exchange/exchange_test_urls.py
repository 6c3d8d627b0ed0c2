"""The project's URLs plus the exchange endpoints, for tests (until egov.urls mounts them)."""

from django.urls import include, path

from egov.urls import urlpatterns as project_urlpatterns

urlpatterns = [
    *[p for p in project_urlpatterns],
]
if not any(getattr(p, "namespace", None) == "exchange" for p in project_urlpatterns):
    urlpatterns.insert(0, path("", include("egov.exchange.urls")))

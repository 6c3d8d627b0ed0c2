"""Public pages of the online services: the catalogue of procedures (docs/portal.md)."""

from django.urls import URLPattern, path

from egov.portal.views import catalogue

urlpatterns: list[URLPattern] = [
    path("thu-tuc/", catalogue.procedures, name="procedures"),
    path("thu-tuc/su-kien/<slug:slug>/", catalogue.life_event, name="life_event"),
    path("thu-tuc/<str:code>/", catalogue.procedure, name="procedure"),
    path(
        "thu-tuc/<str:code>/mau/<str:document>/",
        catalogue.procedure_template,
        name="procedure_template",
    ),
]

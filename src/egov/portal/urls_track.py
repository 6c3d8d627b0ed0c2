"""Public pages of the online services: track (filled by its own task)."""

from django.urls import URLPattern, path  # noqa: F401

urlpatterns: list[URLPattern] = []

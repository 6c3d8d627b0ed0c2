"""The exchange endpoints, mounted at "" by egov.urls: include("egov.exchange.urls")."""

from django.urls import path

from egov.exchange import views

app_name = "exchange"

urlpatterns = [
    path("exchange/v1/packages", views.packages_view, name="packages"),
    path("exchange/v1/status", views.status_view, name="status"),
]

from django.urls import path

from egov.portal import urls_account, urls_apply, urls_catalogue, urls_track, views

app_name = "portal"
urlpatterns = [
    path("", views.home, name="home"),
    path("co-quan/", views.organizations, name="organizations"),
    path("co-quan/<str:code>/", views.organization, name="organization"),
    *urls_catalogue.urlpatterns,
    *urls_account.urlpatterns,
    *urls_apply.urlpatterns,
    *urls_track.urlpatterns,
]

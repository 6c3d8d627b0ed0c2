from django.urls import path

from egov.portal import views

app_name = "portal"
urlpatterns = [
    path("", views.home, name="home"),
    path("co-quan/", views.organizations, name="organizations"),
    path("co-quan/<str:code>/", views.organization, name="organization"),
]

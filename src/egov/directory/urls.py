from django.urls import path

from egov.directory import views

app_name = "directory"
urlpatterns = [
    path("dang-nhap/", views.login_view, name="login"),
    path("lam-viec/", views.workspace, name="workspace"),
]

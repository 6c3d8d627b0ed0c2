from django.urls import path

from egov.signing import views

app_name = "signing"
urlpatterns = [
    path("xac-thuc-van-ban/", views.verify_view, name="verify"),
    path("xac-thuc-van-ban/ma/<str:code>/", views.code_view, name="code"),
    path("xac-thuc-van-ban/<str:sha256>/", views.record_view, name="record"),
    path("chu-ky-so/crl/<slug:name>.crl", views.crl_view, name="crl"),
    path("lam-viec/ky-so/", views.workspace_sign_view, name="workspace_sign"),
    path("lam-viec/ky-so/<int:record_id>/", views.workspace_record_view, name="workspace_record"),
    path(
        "lam-viec/ky-so/<int:record_id>/tai-ve/",
        views.workspace_download_view,
        name="workspace_download",
    ),
]

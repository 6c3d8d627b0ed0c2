from django.urls import path

from egov.directory import views

app_name = "directory"
urlpatterns = [
    path("dang-nhap/", views.login_view, name="login"),
    path("dang-nhap/ma-xac-thuc/", views.login_totp_view, name="login_totp"),
    path("dang-nhap/thiet-lap-xac-thuc/", views.totp_setup_view, name="totp_setup"),
    path("dang-nhap/thiet-lap-xac-thuc/ma-qr.svg", views.totp_qr_view, name="totp_qr"),
    path("dang-xuat/", views.logout_view, name="logout"),
    path("lam-viec/", views.workspace, name="workspace"),
    path(
        "lam-viec/lich-su/<str:object_type>/<str:object_id>/",
        views.object_history,
        name="object_history",
    ),
    path("cong-dan/dang-nhap/", views.citizen_login_view, name="applicant_login"),
]

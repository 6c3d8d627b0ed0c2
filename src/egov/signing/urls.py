from django.urls import path

from egov.signing import views

app_name = "signing"
urlpatterns = [
    path("xac-thuc-van-ban/", views.verify_view, name="verify"),
    path("xac-thuc-van-ban/<str:sha256>/", views.record_view, name="record"),
]

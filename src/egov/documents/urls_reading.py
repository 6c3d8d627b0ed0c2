"""URLs of the reading screens (search, file download, register export), included by urls.py."""

from django.urls import path

from egov.documents.views import reading

urlpatterns = [
    path("lam-viec/van-ban/tra-cuu/", reading.search_view, name="reading_search"),
    path(
        "lam-viec/van-ban/<int:document_id>/tep/<int:file_id>/",
        reading.file_view,
        name="reading_file",
    ),
    path("lam-viec/van-ban/so-van-ban/", reading.registers_view, name="reading_registers"),
    path(
        "lam-viec/van-ban/so-van-ban/<int:register_id>/xuat/",
        reading.register_export_view,
        name="reading_register_export",
    ),
]

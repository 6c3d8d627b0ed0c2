from django.urls import path

from egov.dossiers import views

app_name = "dossiers"
urlpatterns = [
    path("lam-viec/ho-so/", views.queue_view, name="queue"),
    path("lam-viec/ho-so/tiep-nhan/", views.receive_choose_view, name="receive_choose"),
    path("lam-viec/ho-so/tiep-nhan/<str:procedure_code>/", views.receive_view, name="receive"),
    path("lam-viec/ho-so/tra-cuu/", views.search_view, name="search"),
    path("lam-viec/ho-so/bang-theo-doi/", views.board_view, name="board"),
    path("lam-viec/ho-so/so-theo-doi/", views.log_export_view, name="log_export"),
    path("lam-viec/ho-so/<str:code>/", views.dossier_view, name="dossier"),
    path("lam-viec/ho-so/<str:code>/bien-nhan/", views.receipt_view, name="receipt"),
    path("lam-viec/ho-so/<str:code>/phieu/<str:form>/", views.slip_view, name="slip"),
    path("lam-viec/ho-so/<str:code>/ket-qua/", views.result_file_view, name="result_file"),
    path("lam-viec/ho-so/<str:code>/tep/<int:file_id>/", views.file_view, name="file"),
    path("lam-viec/ho-so/<str:code>/thao-tac/<slug:action>/", views.action_view, name="action"),
    path("lam-viec/ho-so/<str:code>/ghi-chu/", views.note_add_view, name="note_add"),
    path("tra-cuu-ho-so/", views.status_view, name="status"),
    path("tra-cuu-ho-so/<str:code>/", views.status_view, name="status_code"),
]

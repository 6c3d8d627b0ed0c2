"""Public pages of the online services: apply (start, e-form, papers, review, submit, receipt,
supplement) and the JSON endpoints of the resumable upload."""

from django.urls import URLPattern, path

from egov.portal.views import apply as views

urlpatterns: list[URLPattern] = [
    path("nop-ho-so/cua-toi/", views.apply_my_drafts, name="apply_my_drafts"),
    path("nop-ho-so/tiep-tuc/<str:token>/", views.apply_resume, name="apply_resume"),
    path("nop-ho-so/xa-phuong/<str:province>/", views.apply_communes, name="apply_communes"),
    path("nop-ho-so/ho-so/<uuid:draft_id>/", views.apply_draft, name="apply_draft"),
    path("nop-ho-so/ho-so/<uuid:draft_id>/tep/", views.apply_file_add, name="apply_file_add"),
    path(
        "nop-ho-so/ho-so/<uuid:draft_id>/tep/<int:file_id>/xoa/",
        views.apply_file_remove,
        name="apply_file_remove",
    ),
    path(
        "nop-ho-so/ho-so/<uuid:draft_id>/tai-len/",
        views.apply_upload_begin,
        name="apply_upload_begin",
    ),
    path(
        "nop-ho-so/ho-so/<uuid:draft_id>/tai-len/<uuid:upload_id>/",
        views.apply_upload_chunk,
        name="apply_upload_chunk",
    ),
    path(
        "nop-ho-so/ho-so/<uuid:draft_id>/tai-len/<uuid:upload_id>/hoan-tat/",
        views.apply_upload_finish,
        name="apply_upload_finish",
    ),
    path("nop-ho-so/ho-so/<uuid:draft_id>/xem-lai/", views.apply_review, name="apply_review"),
    path("nop-ho-so/ho-so/<uuid:draft_id>/nop/", views.apply_submit, name="apply_submit"),
    path("nop-ho-so/ho-so/<uuid:draft_id>/da-nop/", views.apply_done, name="apply_done"),
    path(
        "nop-ho-so/ho-so/<uuid:draft_id>/bien-nhan.pdf",
        views.apply_receipt_pdf,
        name="apply_receipt_pdf",
    ),
    path("nop-ho-so/bo-sung/<str:code>/", views.apply_supplement, name="apply_supplement"),
    path(
        "nop-ho-so/bo-sung/<str:code>/tai-len/",
        views.apply_supplement_upload_begin,
        name="apply_supplement_upload_begin",
    ),
    path(
        "nop-ho-so/bo-sung/<str:code>/tai-len/<uuid:upload_id>/",
        views.apply_supplement_upload_chunk,
        name="apply_supplement_upload_chunk",
    ),
    path(
        "nop-ho-so/bo-sung/<str:code>/tai-len/<uuid:upload_id>/hoan-tat/",
        views.apply_supplement_upload_finish,
        name="apply_supplement_upload_finish",
    ),
    path(
        "nop-ho-so/bo-sung/<str:code>/lien-ket/<str:token>/",
        views.apply_supplement_token,
        name="apply_supplement_token",
    ),
    path("nop-ho-so/<str:procedure_code>/", views.apply_start, name="apply_start"),
]

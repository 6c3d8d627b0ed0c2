"""Screens of outgoing documents and case files, under the `documents` namespace."""

from django.urls import path

from egov.documents.views import outgoing as views

urlpatterns = [
    path("lam-viec/van-ban/di/", views.outgoing_list_view, name="outgoing_list"),
    path("lam-viec/van-ban/di/du-thao-moi/", views.outgoing_new_view, name="outgoing_new"),
    path("lam-viec/van-ban/di/cho-duyet/", views.outgoing_waiting_view, name="outgoing_waiting"),
    path("lam-viec/van-ban/di/<int:pk>/", views.outgoing_document_view, name="outgoing_document"),
    path(
        "lam-viec/van-ban/di/<int:pk>/phien-ban/",
        views.outgoing_update_view,
        name="outgoing_update",
    ),
    path(
        "lam-viec/van-ban/di/<int:pk>/gop-y/", views.outgoing_comment_view, name="outgoing_comment"
    ),
    path("lam-viec/van-ban/di/<int:pk>/trinh/", views.outgoing_submit_view, name="outgoing_submit"),
    path("lam-viec/van-ban/di/<int:pk>/duyet/", views.outgoing_decide_view, name="outgoing_decide"),
    path(
        "lam-viec/van-ban/di/<int:pk>/tra-lai/", views.outgoing_return_view, name="outgoing_return"
    ),
    path("lam-viec/van-ban/di/<int:pk>/ky/", views.outgoing_sign_view, name="outgoing_sign"),
    path(
        "lam-viec/van-ban/di/<int:pk>/phat-hanh/", views.outgoing_issue_view, name="outgoing_issue"
    ),
    path(
        "lam-viec/van-ban/di/<int:pk>/thu-hoi/", views.outgoing_recall_view, name="outgoing_recall"
    ),
    path("lam-viec/van-ban/ho-so-cong-viec/", views.casefile_list_view, name="casefile_list"),
    path(
        "lam-viec/van-ban/ho-so-cong-viec/<int:pk>/",
        views.casefile_detail_view,
        name="casefile_detail",
    ),
    path(
        "lam-viec/van-ban/ho-so-cong-viec/<int:pk>/<slug:action>/",
        views.casefile_action_view,
        name="casefile_action",
    ),
]

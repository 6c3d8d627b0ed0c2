"""URLs of the incoming-document screens; included by `egov.documents.urls` (namespace
"documents"), names prefixed `incoming_`."""

from __future__ import annotations

from django.urls import URLPattern, path

from egov.documents.views import incoming

urlpatterns: list[URLPattern] = [
    path("lam-viec/van-ban/den/", incoming.list_view, name="incoming_list"),
    path("lam-viec/van-ban/den/vao-so/", incoming.register_view, name="incoming_register"),
    path("lam-viec/van-ban/den/<int:pk>/", incoming.document_view, name="incoming_document"),
    path(
        "lam-viec/van-ban/den/<int:pk>/<slug:action>/",
        incoming.action_view,
        name="incoming_action",
    ),
    path("lam-viec/van-ban/cua-toi/", incoming.mine_view, name="incoming_mine"),
]

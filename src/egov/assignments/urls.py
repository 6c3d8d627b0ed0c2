from django.urls import path

from egov.assignments import views

app_name = "assignments"
urlpatterns = [
    path("lam-viec/giao-viec/", views.mine_view, name="mine"),
    path("lam-viec/giao-viec/theo-doi/", views.board_view, name="board"),
    path("lam-viec/giao-viec/giao-moi/", views.create_view, name="create"),
    path("lam-viec/giao-viec/<int:pk>/", views.detail_view, name="detail"),
    path("lam-viec/giao-viec/<int:pk>/tien-do/", views.progress_view, name="progress"),
    path("lam-viec/giao-viec/<int:pk>/gia-han/", views.extension_view, name="extension"),
    path(
        "lam-viec/giao-viec/<int:pk>/gia-han/<int:request_id>/quyet-dinh/",
        views.decide_view,
        name="extension_decide",
    ),
    path("lam-viec/giao-viec/<int:pk>/<slug:action>/", views.action_view, name="action"),
]

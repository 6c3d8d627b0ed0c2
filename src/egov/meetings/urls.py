from django.urls import path

from egov.meetings import views

app_name = "meetings"
W = "lam-viec/lich-cong-tac/"
urlpatterns = [
    # officers
    path(W, views.week_view, name="week"),
    path(W + "<int:year>/<int:week>/", views.week_view, name="week_of"),
    path(W + "<int:year>/<int:week>/cong-bo/", views.week_publish_view, name="week_publish"),
    path(W + "muc/moi/", views.entry_create_view, name="entry_create"),
    path(W + "muc/<int:pk>/", views.entry_edit_view, name="entry_edit"),
    path(W + "muc/<int:pk>/huy/", views.entry_cancel_view, name="entry_cancel"),
    path(W + "cuoc-hop/", views.meetings_view, name="meetings"),
    path(W + "cuoc-hop/moi/", views.meeting_create_view, name="meeting_create"),
    path(W + "cuoc-hop/<int:pk>/", views.meeting_view, name="meeting"),
    path(W + "cuoc-hop/<int:pk>/tai-lieu/", views.paper_add_view, name="paper_add"),
    path(W + "cuoc-hop/<int:pk>/tai-lieu/<int:paper_pk>/", views.paper_view, name="paper"),
    path(W + "cuoc-hop/<int:pk>/moi-hop/", views.invite_view, name="invite"),
    path(W + "cuoc-hop/<int:pk>/huy/", views.meeting_cancel_view, name="meeting_cancel"),
    path(
        W + "cuoc-hop/<int:pk>/doi-lich/", views.meeting_reschedule_view, name="meeting_reschedule"
    ),
    path(W + "cuoc-hop/<int:pk>/da-hop/", views.meeting_held_view, name="meeting_held"),
    path(W + "giay-moi/", views.my_invitations_view, name="my_invitations"),
    path(
        W + "giay-moi/<int:pk>/tra-loi/", views.invitation_respond_view, name="invitation_respond"
    ),
    # outside guests, through the link of their e-mail
    path("giay-moi-hop/<str:token>/", views.guest_view, name="guest"),
    path(
        "giay-moi-hop/<str:token>/tai-lieu/<int:paper_pk>/",
        views.guest_paper_view,
        name="guest_paper",
    ),
    # the public calendar (portal)
    path("lich-cong-tac/<str:code>/", views.public_week_view, name="public_week"),
    path(
        "lich-cong-tac/<str:code>/<int:year>/<int:week>/",
        views.public_week_view,
        name="public_week_of",
    ),
]

"""Public pages of the online services: track, receive the e-result, rate (issue #5 §4–5).

The public status page itself stays at `/tra-cuu-ho-so/` in the dossiers app
(`dossiers:status`, `dossiers:status_code`); these are the routes around it. The list of the
applicant's dossiers is the account task's `portal:my_dossiers` (/cong-dan/ho-so-cua-toi/).
"""

from django.urls import URLPattern, path

from egov.portal.views import track

urlpatterns: list[URLPattern] = [
    path("tra-cuu-ho-so/ket-qua/<str:token>/", track.track_result, name="track_result"),
    path("tra-cuu-ho-so/bien-nhan/<str:token>/", track.track_receipt, name="track_receipt"),
    path("tra-cuu-ho-so/danh-gia/<str:token>/", track.track_rate, name="track_rate"),
    path("cong-dan/ho-so/<str:code>/", track.my_dossier, name="my_dossier"),
    path("cong-dan/ho-so/<str:code>/ket-qua/", track.my_result, name="my_result"),
    path("cong-dan/ho-so/<str:code>/danh-gia/", track.my_rating, name="my_rating"),
]

"""Payment addresses (Vietnamese, without diacritics).

The sandbox gateway's addresses exist only when EGOV_PAYMENT_SANDBOX is true when the URLs
load; its views also answer 404 when the setting is off at request time.
"""

from django.urls import URLPattern, path

from egov.payments import conf, views

app_name = "payments"
urlpatterns: list[URLPattern] = [
    path("thanh-toan/ket-qua/", views.return_view, name="return"),
    path("thanh-toan/ipn/", views.ipn_view, name="ipn"),
    path("thanh-toan/bien-nhan/<str:txn_ref>/", views.receipt_view, name="receipt"),
    path("thanh-toan/<str:code>/", views.start_view, name="start"),
]
if conf.sandbox_enabled():
    urlpatterns += [
        path("sandbox-thanh-toan/", views.sandbox_pay_view, name="sandbox_pay"),
        path("sandbox-thanh-toan/api/", views.sandbox_api_view, name="sandbox_api"),
    ]

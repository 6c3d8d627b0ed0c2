"""Public pages of the online services: citizen and business accounts (the sign-in itself is
the directory's /cong-dan/dang-nhap/, rate limited by the provider registered in
DirectoryConfig.ready)."""

from django.urls import URLPattern, path

from egov.portal.views import account

urlpatterns: list[URLPattern] = [
    path("cong-dan/dang-ky/", account.signup, name="signup"),
    path("cong-dan/xac-thuc/", account.signup_verify, name="signup_verify"),
    path("cong-dan/quen-mat-khau/", account.password_reset, name="password_reset"),
    path(
        "cong-dan/quen-mat-khau/dat-lai/",
        account.password_reset_confirm,
        name="password_reset_confirm",
    ),
    path("cong-dan/tai-khoan/", account.account, name="account"),
    path("cong-dan/tai-khoan/mat-khau/", account.account_password, name="account_password"),
    path("cong-dan/tai-khoan/lien-he/", account.account_contact, name="account_contact"),
    path(
        "cong-dan/tai-khoan/lien-he/xac-thuc/",
        account.account_contact_verify,
        name="account_contact_verify",
    ),
    path("cong-dan/ho-so-cua-toi/", account.my_dossiers, name="my_dossiers"),
]

"""Sign-in screens (two steps, enrolment, CSRF), workspace, idle timeout, admin sign-in."""

from __future__ import annotations

import re
import time
from datetime import timedelta

import pyotp
import pytest
from directory_factories import (
    PASSWORD,
    ApplicantFactory,
    DelegationFactory,
    OfficerFactory,
    OrganizationFactory,
)
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone
from egov_testing import language_client

from egov.core.models import AuditEntry
from egov.directory import middleware, views
from egov.directory.models import Account, Officer, Role, Scope

SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
LOGIN = "/dang-nhap/"
WORKSPACE = "/lam-viec/"


@pytest.fixture
def officer(db: None) -> Officer:
    department = OrganizationFactory(name_vi="Sở Nội vụ")
    unit = OrganizationFactory(parent=department, unit=True, name_vi="Phòng Công chức")
    return OfficerFactory(
        unit=unit,
        full_name="Đặng Minh Khoa",
        account__username="khoa",
        roles=[(Role.OFFICER, Scope.UNIT)],
    )


@pytest.fixture
def totp_officer(db: None) -> Officer:
    office = OrganizationFactory(require_totp=True, name_vi="Văn phòng UBND tỉnh")
    return OfficerFactory(
        unit=office,
        account__username="chanhvp",
        account__totp_secret=SECRET,
        account__totp_confirmed=True,
        roles=[(Role.HEAD, Scope.ORGANIZATION)],
    )


def _signed_in(client: Client) -> Account | None:
    user = client.get(WORKSPACE).wsgi_request.user
    return user if user.is_authenticated else None  # type: ignore[return-value]


def _post_password(client: Client, username: str, password: str = PASSWORD, **extra: str):  # type: ignore[no-untyped-def]
    return client.post(LOGIN, {"username": username, "password": password, **extra})


def test_login_page_renders_with_csp_and_no_inline_script(client: Client, db: None) -> None:
    response = client.get(LOGIN)
    assert response.status_code == 200
    body = response.content.decode()
    assert 'name="username"' in body
    assert 'autocomplete="current-password"' in body
    assert "<script" not in body
    assert " style=" not in body
    assert "script-src 'self'" in response["Content-Security-Policy"]


def test_password_only_sign_in(client: Client, officer: Officer) -> None:
    response = _post_password(client, "khoa")
    assert response.status_code == 302
    assert response["Location"] == WORKSPACE
    assert _signed_in(client) == officer.account
    entry = AuditEntry.objects.get(action="auth.signed_in")
    assert (entry.actor_id, entry.summary["note"]) == (officer.account_id, "password")


def test_wrong_password_shows_the_message_and_signs_nobody_in(
    client: Client, officer: Officer
) -> None:
    response = _post_password(client, "khoa", "wrong-password-1")
    assert response.status_code == 200
    assert "The user name or the password is not correct." in response.content.decode()
    assert _signed_in(client) is None
    officer.account.refresh_from_db()
    assert officer.account.failed_logins == 1


@override_settings(EGOV_LOCKOUT_THRESHOLD=2)
def test_locked_account_is_told_so(client: Client, officer: Officer) -> None:
    _post_password(client, "khoa", "wrong-password-1")
    response = _post_password(client, "khoa", "wrong-password-1")
    assert "the account is locked until" in response.content.decode()
    response = _post_password(client, "khoa")
    assert "the account is locked until" in response.content.decode()
    assert _signed_in(client) is None


def test_citizens_cannot_sign_in_at_the_officer_door(client: Client, db: None) -> None:
    applicant = ApplicantFactory()
    response = _post_password(client, applicant.national_id)
    assert response.status_code == 200
    assert _signed_in(client) is None


def test_two_step_sign_in_with_totp(client: Client, totp_officer: Officer) -> None:
    response = _post_password(client, "chanhvp")
    assert response.status_code == 302
    assert response["Location"] == reverse("directory:login_totp")
    assert _signed_in(client) is None  # not signed in before the code

    response = client.post(reverse("directory:login_totp"), {"code": "000000"})
    assert response.status_code == 200
    assert "The code is not correct" in response.content.decode()
    assert _signed_in(client) is None

    code = pyotp.TOTP(SECRET).now()
    response = client.post(reverse("directory:login_totp"), {"code": code})
    assert response.status_code == 302
    assert response["Location"] == WORKSPACE
    assert _signed_in(client) == totp_officer.account
    assert views.PENDING_KEY not in client.session
    assert AuditEntry.objects.get(action="auth.signed_in").summary["note"] == "password+totp"


def test_totp_step_keeps_the_next_address(client: Client, totp_officer: Officer) -> None:
    _post_password(client, "chanhvp", next="/quan-tri/")
    response = client.post(reverse("directory:login_totp"), {"code": pyotp.TOTP(SECRET).now()})
    assert response["Location"] == "/quan-tri/"


def test_unsafe_next_is_ignored(client: Client, officer: Officer) -> None:
    response = _post_password(client, "khoa", next="https://evil.example/")
    assert response["Location"] == WORKSPACE


def test_totp_step_without_a_pending_password_goes_back(client: Client, db: None) -> None:
    response = client.get(reverse("directory:login_totp"))
    assert response.status_code == 302
    assert response["Location"] == LOGIN
    page = client.get(LOGIN).content.decode()
    assert "The sign-in took too long" in page


def test_pending_password_step_expires(client: Client, totp_officer: Officer) -> None:
    _post_password(client, "chanhvp")
    session = client.session
    pending = session[views.PENDING_KEY]
    pending["at"] = time.time() - views.PENDING_SECONDS - 1
    session[views.PENDING_KEY] = pending
    session.save()
    response = client.post(reverse("directory:login_totp"), {"code": pyotp.TOTP(SECRET).now()})
    assert response["Location"] == LOGIN
    assert _signed_in(client) is None


def test_enrolment_when_the_organisation_requires_totp(client: Client, db: None) -> None:
    office = OrganizationFactory(require_totp=True)
    officer = OfficerFactory(unit=office, account__username="moi")
    response = _post_password(client, "moi")
    assert response["Location"] == reverse("directory:totp_setup")

    page = client.get(reverse("directory:totp_setup"))
    body = page.content.decode()
    officer.account.refresh_from_db()
    secret = officer.account.totp_secret
    assert len(secret) == 32
    assert "otpauth://totp/" in body
    assert f"secret={secret}" in body
    assert reverse("directory:totp_qr") in body
    assert "<script" not in body

    qr = client.get(reverse("directory:totp_qr"))
    assert qr.status_code == 200
    assert qr["Content-Type"] == "image/svg+xml"
    assert "no-store" in qr["Cache-Control"]
    assert qr.content.lstrip().startswith(b"<?xml")
    assert b"<script" not in qr.content

    response = client.post(reverse("directory:totp_setup"), {"code": "000000"})
    assert response.status_code == 200
    assert _signed_in(client) is None

    response = client.post(reverse("directory:totp_setup"), {"code": pyotp.TOTP(secret).now()})
    assert response["Location"] == WORKSPACE
    assert _signed_in(client) == officer.account
    officer.account.refresh_from_db()
    assert officer.account.totp_confirmed is True


def test_qr_image_needs_a_pending_enrolment(client: Client, totp_officer: Officer) -> None:
    assert client.get(reverse("directory:totp_qr")).status_code == 404
    _post_password(client, "chanhvp")  # confirmed already: no QR to show
    assert client.get(reverse("directory:totp_qr")).status_code == 404


def test_csrf_is_enforced_on_sign_in(officer: Officer) -> None:
    client = language_client("en", enforce_csrf_checks=True)
    response = client.post(LOGIN, {"username": "khoa", "password": PASSWORD})
    assert response.status_code == 403
    assert _signed_in(client) is None

    page = client.get(LOGIN).content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert token is not None
    response = client.post(
        LOGIN, {"username": "khoa", "password": PASSWORD, "csrfmiddlewaretoken": token.group(1)}
    )
    assert response.status_code == 302
    assert _signed_in(client) == officer.account


def test_logout_is_post_only(client: Client, officer: Officer) -> None:
    client.force_login(officer.account)
    assert client.get("/dang-xuat/").status_code == 405
    assert _signed_in(client) == officer.account
    response = client.post("/dang-xuat/")
    assert response.status_code == 302
    assert _signed_in(client) is None


def test_workspace_needs_a_signed_in_officer(client: Client, officer: Officer) -> None:
    response = client.get(WORKSPACE)
    assert response.status_code == 302
    assert response["Location"] == f"{LOGIN}?next={WORKSPACE}"
    applicant = ApplicantFactory()
    assert applicant.account is not None
    client.force_login(applicant.account)
    assert client.get(WORKSPACE).status_code == 403
    client.force_login(Account.objects.create_superuser("goc", "goc@test.example", PASSWORD))
    assert client.get(WORKSPACE)["Location"] == "/quan-tri/"


def test_workspace_shows_name_unit_roles_and_delegations(client: Client, officer: Officer) -> None:
    head = OfficerFactory(unit=officer.unit.parent, full_name="Huỳnh Văn Tâm")
    DelegationFactory(delegator=head, deputy=officer)
    client.force_login(officer.account)
    response = client.get(WORKSPACE)
    body = response.content.decode()
    assert response.status_code == 200
    assert "Đặng Minh Khoa" in body
    assert "Phòng Công chức" in body
    assert "Sở Nội vụ" in body
    assert "Officer" in body
    assert "Own unit" in body
    assert "Huỳnh Văn Tâm" in body
    assert "<script" not in body


def test_citizen_sign_in(client: Client, db: None) -> None:
    applicant = ApplicantFactory()
    page = client.get("/cong-dan/dang-nhap/")
    assert page.status_code == 200
    response = client.post(
        "/cong-dan/dang-nhap/", {"username": applicant.national_id, "password": PASSWORD}
    )
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert client.session["_auth_user_id"] == str(applicant.account_id)
    assert AuditEntry.objects.get(action="auth.signed_in").summary["note"] == "password"


def test_officers_cannot_use_the_citizen_door(client: Client, officer: Officer) -> None:
    response = client.post("/cong-dan/dang-nhap/", {"username": "khoa", "password": PASSWORD})
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


@override_settings(EGOV_IDLE_TIMEOUT_MINUTES=30)
def test_idle_timeout_signs_out_and_says_why(client: Client, officer: Officer) -> None:
    _post_password(client, "khoa")
    assert client.get(WORKSPACE).status_code == 200
    session = client.session
    session[middleware.SESSION_KEY] = (timezone.now() - timedelta(minutes=31)).timestamp()
    session.save()

    response = client.get(WORKSPACE)
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)
    assert "30 minutes without activity" in client.get(LOGIN).content.decode()
    assert _signed_in(client) is None


@override_settings(EGOV_IDLE_TIMEOUT_MINUTES=30)
def test_activity_within_the_timeout_keeps_the_session(client: Client, officer: Officer) -> None:
    _post_password(client, "khoa")
    session = client.session
    session[middleware.SESSION_KEY] = (timezone.now() - timedelta(minutes=29)).timestamp()
    session.save()
    assert client.get(WORKSPACE).status_code == 200
    refreshed = client.session[middleware.SESSION_KEY]
    assert timezone.now().timestamp() - refreshed < 5
    assert client.get(WORKSPACE).status_code == 200


def test_idle_middleware_refreshes_the_stamp_at_most_every_30_seconds(
    client: Client, officer: Officer, monkeypatch: pytest.MonkeyPatch
) -> None:
    _post_password(client, "khoa")
    start = client.session[middleware.SESSION_KEY]
    base = timezone.now()
    monkeypatch.setattr(middleware.timezone, "now", lambda: base + timedelta(seconds=10))
    client.get(WORKSPACE)
    assert client.session[middleware.SESSION_KEY] == start
    monkeypatch.setattr(middleware.timezone, "now", lambda: base + timedelta(seconds=40))
    client.get(WORKSPACE)
    assert client.session[middleware.SESSION_KEY] == (base + timedelta(seconds=40)).timestamp()


def test_admin_sign_in_goes_through_ours(client: Client, db: None) -> None:
    response = client.get("/quan-tri/login/?next=/quan-tri/")
    assert response.status_code == 302
    assert response["Location"] == f"{LOGIN}?next=/quan-tri/"

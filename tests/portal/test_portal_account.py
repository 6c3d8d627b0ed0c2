"""Citizen accounts on the portal: sign-up with a code by e-mail (a real SMTP server) or by SMS,
the bot guard and rate limits with their messages, password reset, the account pages."""

from __future__ import annotations

import email
import email.policy
import importlib.util
import json
import re
import socket
import sys
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from django.test import Client
from django.urls import reverse

from egov.core.botguard import form_token
from egov.core.models import OutboundMessage
from egov.directory.models import Account, Applicant, OneTimeCode

_NAME = "directory_factories"
if _NAME not in sys.modules:
    _path = Path(__file__).parent.parent / "directory" / "factories.py"
    _spec = importlib.util.spec_from_file_location(_NAME, _path)
    assert _spec is not None
    assert _spec.loader is not None
    _module = importlib.util.module_from_spec(_spec)
    sys.modules[_NAME] = _module
    _spec.loader.exec_module(_module)

from directory_factories import PASSWORD, ApplicantFactory, OfficerFactory  # noqa: E402

pytestmark = pytest.mark.django_db

IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
NATIONAL_ID = "051185000777"
PHONE = "0912345678"
_SIX = re.compile(r"\b(\d{6})\b")
SIGNUP = "/cong-dan/dang-ky/"
VERIFY = "/cong-dan/xac-thuc/"
SIGNIN = "/cong-dan/dang-nhap/"
RESET = "/cong-dan/quen-mat-khau/"
RESET_CONFIRM = "/cong-dan/quen-mat-khau/dat-lai/"
ACCOUNT = "/cong-dan/tai-khoan/"
LIMITED = "You have tried too many times. Please try again in"


# --- helpers -------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Inbox:
    def __init__(self) -> None:
        self.envelopes: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.envelopes.append(envelope)
        return "250 OK"


@pytest.fixture
def smtp_inbox(settings: Any) -> Iterator[Inbox]:
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 5
    try:
        yield inbox
    finally:
        controller.stop()


def signup_data(**overrides: Any) -> dict[str, str]:
    data = {
        "kind": "person",
        "full_name": "Trần Thị Bình",
        "national_id": NATIONAL_ID,
        "phone": PHONE,
        "email": "binh@example.vn",
        "channel": "sms",
        "password": PASSWORD,
        "password2": PASSWORD,
        "form_started": form_token(),
        "website": "",
    }
    data.update(overrides)
    return data


def outbox_code(recipient: str) -> str:
    message = OutboundMessage.objects.filter(recipient=recipient).order_by("-pk").first()
    assert message is not None
    match = _SIX.search(message.body)
    assert match is not None
    return match.group(1)


def html_text(response: Any) -> str:
    return response.content.decode()


def signed_in_as(client: Client) -> int | None:
    value = client.session.get("_auth_user_id")
    return int(value) if value is not None else None


def start_signup(client: Client, **overrides: Any) -> Any:
    return client.post(SIGNUP, signup_data(**overrides))


# --- the sign-up page ----------------------------------------------------------------------------


def test_signup_page_has_labelled_fields_the_bot_guard_and_no_inline_script(
    client: Client,
) -> None:
    page = html_text(client.get(SIGNUP))
    for name in ("full_name", "national_id", "phone", "email", "password", "password2"):
        assert f'<label for="id_{name}"' in page
        assert f'id="id_{name}"' in page
    assert "<legend>Send the code by:</legend>" in page
    assert 'name="website"' in page
    assert 'name="form_started"' in page
    assert 'autocomplete="new-password"' in page
    assert "<script" not in page
    assert "style=" not in page
    business = html_text(client.get(SIGNUP + "?loai=doanh-nghiep"))
    for name in ("tax_code", "representative"):
        assert f'<label for="id_{name}"' in business
    assert 'name="national_id"' not in business
    assert 'value="business"' in business


def test_signup_by_sms_from_the_file_backend_activates_and_signs_in(
    client: Client, settings: Any, tmp_path: Path, django_capture_on_commit_callbacks: Any
) -> None:
    settings.TASKS = IMMEDIATE
    with django_capture_on_commit_callbacks(execute=True):
        response = start_signup(client)
    assert response.status_code == 302
    assert response["Location"] == VERIFY
    assert not Account.objects.get(username=NATIONAL_ID).is_active
    lines = (tmp_path / "sms" / "sms.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(lines) == 1
    sms = json.loads(lines[0])
    assert sms["recipient"] == PHONE
    match = _SIX.search(sms["text"])
    assert match is not None

    page = client.get(VERIFY)
    assert page.status_code == 200
    assert "We have sent a six-digit code by text message to 09*****678." in html_text(page)

    done = client.post(VERIFY, {"action": "verify", "code": match.group(1)})
    assert done.status_code == 302
    assert done["Location"] == reverse("portal:account")
    account = Account.objects.get(username=NATIONAL_ID)
    assert account.is_active
    assert signed_in_as(client) == account.pk
    assert Applicant.objects.get(account=account).phone == PHONE
    page = html_text(client.get(ACCOUNT))
    assert "Your account is active and you are signed in." in page
    assert "Trần Thị Bình" in page


def test_signup_by_e_mail_arrives_through_smtp_and_the_code_activates(
    client: Client, settings: Any, smtp_inbox: Inbox, django_capture_on_commit_callbacks: Any
) -> None:
    settings.TASKS = IMMEDIATE
    with django_capture_on_commit_callbacks(execute=True):
        response = start_signup(client, channel="email", email="Binh@Example.vn")
    assert response.status_code == 302
    assert len(smtp_inbox.envelopes) == 1
    envelope = smtp_inbox.envelopes[0]
    assert envelope.rcpt_tos == ["binh@example.vn"]
    arrived = email.message_from_bytes(envelope.content, policy=email.policy.default)
    body = str(arrived.get_body(("plain",)).get_content())  # type: ignore[union-attr]
    assert "Mã kích hoạt tài khoản của bạn trên Cổng dịch vụ công là: " in body
    assert "Mã có hiệu lực trong 10 phút." in body
    match = _SIX.search(body)
    assert match is not None
    assert str(arrived["Subject"]).strip() == (
        f"Mã kích hoạt tài khoản dịch vụ công: {match.group(1)}"
    )
    assert "b***@example.vn" in html_text(client.get(VERIFY))

    done = client.post(VERIFY, {"action": "verify", "code": match.group(1)})
    assert done.status_code == 302
    assert Account.objects.get(username=NATIONAL_ID).is_active


def test_business_signup_through_the_page(client: Client) -> None:
    response = client.post(
        SIGNUP,
        signup_data(
            kind="business",
            national_id="",
            full_name="Công ty TNHH Sông Trà",
            tax_code="0314409058",
            representative="Phạm Văn Đức",
        ),
    )
    assert response.status_code == 302
    client.post(VERIFY, {"action": "verify", "code": outbox_code(PHONE)})
    applicant = Applicant.objects.get(tax_code="0314409058")
    assert (applicant.kind, applicant.representative, applicant.account.is_active) == (
        "business",
        "Phạm Văn Đức",
        True,
    )


def test_field_errors_are_tied_to_their_fields(client: Client) -> None:
    response = start_signup(client, national_id="123", password2="something-else-1")
    assert response.status_code == 422
    page = html_text(response)
    assert 'aria-describedby="id_national_id_helptext id_national_id_error"' in page
    assert 'aria-invalid="true"' in page
    assert 'id="id_national_id_error"' in page
    assert 'id="id_password2_error"' in page
    assert "The two passwords are not the same." in page
    assert 'id="error-summary"' in page
    assert 'href="#id_national_id"' in page
    assert not Account.objects.exists()


def test_a_taken_national_id_is_refused_next_to_the_field(client: Client) -> None:
    ApplicantFactory(national_id=NATIONAL_ID)
    response = start_signup(client)
    assert response.status_code == 422
    page = html_text(response)
    assert 'id="id_national_id_error"' in page
    assert "An account with this identification number already exists." in page
    assert not OutboundMessage.objects.exists()


def test_a_counter_record_with_other_contacts_asks_to_visit_the_counter(client: Client) -> None:
    record = Applicant.objects.create(
        kind="person", full_name="Trần Thị Bình", national_id=NATIONAL_ID, phone="0900000009"
    )
    response = start_signup(client)
    assert response.status_code == 422
    assert "please visit a one-stop counter with your ID card" in html_text(response)
    record.refresh_from_db()
    assert record.account_id is None
    assert not Account.objects.exists()


# --- codes on the page ---------------------------------------------------------------------------


def test_five_wrong_codes_block_and_say_so(client: Client) -> None:
    start_signup(client)
    code = outbox_code(PHONE)
    other = "000000" if code != "000000" else "111111"
    messages = []
    for _ in range(5):
        response = client.post(VERIFY, {"action": "verify", "code": other})
        assert response.status_code == 422
        messages.append(html_text(response))
    assert "The code is not correct. You may try 4 more times." in messages[0]
    assert "The code is not correct. You may try 1 more time." in messages[3]
    assert "You have tried too many wrong codes." in messages[4]
    response = client.post(VERIFY, {"action": "verify", "code": code})
    assert response.status_code == 422
    assert "You have tried too many wrong codes." in html_text(response)
    assert not Account.objects.get(username=NATIONAL_ID).is_active
    assert signed_in_as(client) is None


def test_resend_too_soon_then_limited(client: Client, settings: Any) -> None:
    settings.EGOV_OTP_RESEND_SECONDS = 0
    start_signup(client)
    response = client.post(VERIFY, {"action": "resend"})
    assert response.status_code == 302
    assert "A new code has been sent." in html_text(client.get(VERIFY))
    client.post(VERIFY, {"action": "resend"})
    response = client.post(VERIFY, {"action": "resend"})
    assert response.status_code == 422
    assert "You have asked for a new code too many times." in html_text(response)
    assert OutboundMessage.objects.filter(recipient=PHONE).count() == 3
    settings.EGOV_OTP_RESEND_SECONDS = 60
    OneTimeCode.objects.update(sends=1)
    response = client.post(VERIFY, {"action": "resend"})
    assert "before asking for a new code." in html_text(response)


def test_an_expired_code_says_so(client: Client) -> None:
    start_signup(client)
    row = OneTimeCode.objects.get()
    OneTimeCode.objects.filter(pk=row.pk).update(
        created_at=row.created_at - timedelta(minutes=11),
        expires_at=row.created_at - timedelta(minutes=1),
    )
    response = client.post(VERIFY, {"action": "verify", "code": outbox_code(PHONE)})
    assert response.status_code == 422
    assert "The code has expired. Ask for a new code." in html_text(response)


def test_the_code_page_without_a_pending_sign_up_sends_back_to_the_form(client: Client) -> None:
    response = client.get(VERIFY)
    assert response.status_code == 302
    assert response["Location"] == SIGNUP


# --- bot guard and rate limits -------------------------------------------------------------------


def test_a_filled_honeypot_is_refused_and_nothing_is_written(client: Client) -> None:
    response = start_signup(client, website="http://spam.example")
    assert response.status_code == 400
    assert "The form could not be accepted." in html_text(response)
    assert not Account.objects.exists()
    assert not OutboundMessage.objects.exists()


def test_a_form_sent_back_too_fast_is_refused(client: Client, settings: Any) -> None:
    settings.EGOV_BOT_MIN_SECONDS = 5
    response = start_signup(client)
    assert response.status_code == 400
    assert not Account.objects.exists()


def test_signup_rate_limit_gives_a_clear_message(client: Client, settings: Any) -> None:
    settings.EGOV_RATE_LIMITS = {"signup": (2, 3600)}
    for number in ("051185000771", "051185000772"):
        assert start_signup(client, national_id=number).status_code == 302
    response = start_signup(client, national_id="051185000773")
    assert response.status_code == 429
    assert LIMITED in html_text(response)
    assert not Account.objects.filter(username="051185000773").exists()


def test_signin_rate_limit_on_the_citizen_sign_in_page(client: Client, settings: Any) -> None:
    settings.EGOV_RATE_LIMITS = {"signin": (2, 900)}
    applicant = ApplicantFactory(national_id=NATIONAL_ID)
    for _ in range(2):
        page = html_text(
            client.post(SIGNIN, {"username": NATIONAL_ID, "password": "wrong-password-1"})
        )
        assert "The user name or the password is not correct." in page
    response = client.post(SIGNIN, {"username": NATIONAL_ID, "password": PASSWORD})
    assert response.status_code == 200
    assert LIMITED in html_text(response)
    assert signed_in_as(client) is None
    # Another client address with another user name is not held back.
    other = ApplicantFactory(national_id="051185000888")
    elsewhere = Client(REMOTE_ADDR="198.51.100.9")
    response = elsewhere.post(SIGNIN, {"username": "051185000888", "password": PASSWORD})
    assert response.status_code == 302
    assert signed_in_as(elsewhere) == other.account_id
    applicant.account.refresh_from_db()
    assert applicant.account.failed_logins == 2


def test_wrong_codes_count_against_the_client_address(client: Client, settings: Any) -> None:
    settings.EGOV_RATE_LIMITS = {"otp": (3, 900)}
    start_signup(client)
    code = outbox_code(PHONE)
    other = "000000" if code != "000000" else "111111"
    for _ in range(3):
        client.post(VERIFY, {"action": "verify", "code": other})
    response = client.post(VERIFY, {"action": "verify", "code": code})
    assert response.status_code == 429
    assert LIMITED in html_text(response)
    assert not Account.objects.get(username=NATIONAL_ID).is_active


# --- password reset ------------------------------------------------------------------------------


def test_password_reset_by_sms_then_sign_in_with_the_new_password(client: Client) -> None:
    applicant = ApplicantFactory(national_id=NATIONAL_ID, phone=PHONE)
    response = client.post(
        RESET, {"identifier": NATIONAL_ID, "channel": "sms", "form_started": form_token()}
    )
    assert response.status_code == 302
    assert response["Location"] == RESET_CONFIRM
    page = html_text(client.get(RESET_CONFIRM))
    assert "If an account has this number" in page
    new = "Moi-mat-khau-2026"
    done = client.post(
        RESET_CONFIRM,
        {"code": outbox_code(PHONE), "new_password": new, "new_password2": new},
    )
    assert done.status_code == 302
    assert done["Location"] == SIGNIN
    response = client.post(SIGNIN, {"username": NATIONAL_ID, "password": new})
    assert response.status_code == 302
    assert signed_in_as(client) == applicant.account_id


def test_password_reset_for_an_unknown_number_answers_the_same(client: Client) -> None:
    response = client.post(
        RESET, {"identifier": "051185000999", "channel": "sms", "form_started": form_token()}
    )
    assert response.status_code == 302
    assert response["Location"] == RESET_CONFIRM
    assert "If an account has this number" in html_text(client.get(RESET_CONFIRM))
    new = "Moi-mat-khau-2026"
    wrong = client.post(
        RESET_CONFIRM, {"code": "123456", "new_password": new, "new_password2": new}
    )
    assert wrong.status_code == 422
    assert "The code is not correct. You may try 4 more times." in html_text(wrong)
    assert not OutboundMessage.objects.exists()


def test_password_reset_honeypot_is_refused(client: Client) -> None:
    ApplicantFactory(national_id=NATIONAL_ID, phone=PHONE)
    response = client.post(
        RESET,
        {"identifier": NATIONAL_ID, "channel": "sms", "form_started": form_token(), "website": "x"},
    )
    assert response.status_code == 400
    assert not OutboundMessage.objects.exists()


# --- the account pages ---------------------------------------------------------------------------


ACCOUNT_PAGES = [
    "/cong-dan/tai-khoan/",
    "/cong-dan/tai-khoan/mat-khau/",
    "/cong-dan/tai-khoan/lien-he/",
    "/cong-dan/tai-khoan/lien-he/xac-thuc/",
    "/cong-dan/ho-so-cua-toi/",
]


@pytest.mark.parametrize("url", ACCOUNT_PAGES)
def test_account_pages_send_anonymous_people_to_the_citizen_sign_in(
    client: Client, url: str
) -> None:
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"] == f"{SIGNIN}?next={url}"


@pytest.mark.parametrize("url", ACCOUNT_PAGES)
def test_account_pages_refuse_officers(client: Client, url: str) -> None:
    officer = OfficerFactory()
    client.force_login(officer.account)
    assert client.get(url).status_code == 403


def test_password_change_on_the_account_page(client: Client) -> None:
    applicant = ApplicantFactory(national_id=NATIONAL_ID)
    client.force_login(applicant.account)
    new = "Moi-mat-khau-2026"
    wrong = client.post(
        reverse("portal:account_password"),
        {"old_password": "nope-nope-1", "new_password": new, "new_password2": new},
    )
    assert wrong.status_code == 422
    assert 'id="id_old_password_error"' in html_text(wrong)
    response = client.post(
        reverse("portal:account_password"),
        {"old_password": PASSWORD, "new_password": new, "new_password2": new},
    )
    assert response.status_code == 302
    applicant.account.refresh_from_db()
    assert applicant.account.check_password(new)
    assert signed_in_as(client) == applicant.account_id  # still signed in


def test_contact_change_on_the_account_page_needs_the_code(client: Client) -> None:
    applicant = ApplicantFactory(national_id=NATIONAL_ID, email="old@example.vn")
    client.force_login(applicant.account)
    response = client.post(
        reverse("portal:account_contact"),
        {"channel": "email", "value": "new@example.vn", "password": PASSWORD},
    )
    assert response.status_code == 302
    assert "n***@example.vn" in html_text(client.get(reverse("portal:account_contact_verify")))
    applicant.refresh_from_db()
    assert applicant.email == "old@example.vn"
    done = client.post(
        reverse("portal:account_contact_verify"),
        {"action": "verify", "code": outbox_code("new@example.vn")},
    )
    assert done.status_code == 302
    applicant.refresh_from_db()
    assert applicant.email == "new@example.vn"
    page = html_text(client.get(ACCOUNT))
    assert "Your contact details have been updated." in page
    assert 'data-testid="profile-email">new@example.vn<' in page


def test_account_page_signs_out_with_a_post(client: Client) -> None:
    applicant = ApplicantFactory(national_id=NATIONAL_ID)
    client.force_login(applicant.account)
    page = html_text(client.get(ACCOUNT))
    assert f'action="{reverse("directory:logout")}"' in page
    client.post(reverse("directory:logout"))
    assert signed_in_as(client) is None

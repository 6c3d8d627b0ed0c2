"""Citizen accounts: sign-up proved by a one-time code, counter records claimed only through
their recorded contact, password reset, contact change, and the sign-in rate limit."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from directory_factories import PASSWORD, AccountFactory, ApplicantFactory
from django.test import override_settings
from django.utils import translation

from egov.core import request_context
from egov.core.errors import NotAuthenticated, ValidationFailed
from egov.core.models import AuditEntry, OutboundMessage
from egov.core.ratelimit import RateLimited
from egov.directory import citizen_services as cs
from egov.directory.models import Account, Applicant, OneTimeCode

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 2, 1, 0, 0, tzinfo=UTC)
NATIONAL_ID = "051185000777"
TAX_CODE = "0314409058"
NEW_PASSWORD = "Moi-mat-khau-2026"
_SIX = re.compile(r"\b(\d{6})\b")


@pytest.fixture(autouse=True)
def _english() -> Any:
    with translation.override("en"):
        yield


def last_code(recipient: str) -> str:
    """The code in the latest message to `recipient` (what the citizen reads)."""
    message = OutboundMessage.objects.filter(recipient=recipient).order_by("-pk").first()
    assert message is not None
    match = _SIX.search(message.body)
    assert match is not None
    return match.group(1)


def person(**overrides: Any) -> OneTimeCode:
    arguments: dict[str, Any] = {
        "kind": "person",
        "full_name": "  Trần   Thị Bình ",
        "identifier": NATIONAL_ID,
        "phone": "0912 345 678",
        "email": "Binh@Example.vn",
        "password": PASSWORD,
        "channel": "sms",
        "now": T0,
    }
    arguments.update(overrides)
    return cs.citizen_signup(**arguments)


def wrong(code: str) -> str:
    return "000000" if code != "000000" else "111111"


# --- sign-up -------------------------------------------------------------------------------------


def test_signup_opens_an_inactive_account_and_texts_a_code_kept_only_as_a_hash() -> None:
    row = person()

    account = Account.objects.get(username=NATIONAL_ID)
    assert (account.kind, account.is_active, account.get_full_name()) == (
        "applicant",
        False,
        "Trần Thị Bình",
    )
    assert account.check_password(PASSWORD)
    assert not Applicant.objects.exists()
    assert (row.purpose, row.channel, row.destination, row.sends, row.attempts) == (
        "signup",
        "sms",
        "0912345678",
        1,
        0,
    )
    assert row.expires_at == T0 + timedelta(minutes=10)
    message = OutboundMessage.objects.get()
    assert (message.channel, message.recipient, message.template) == (
        "sms",
        "0912345678",
        "citizen_code",
    )
    code = last_code("0912345678")
    assert code not in row.code_hash
    assert len(row.code_hash.split("$")[1]) == 64
    assert list(AuditEntry.objects.values_list("action", flat=True)) == ["directory.citizen.signup"]


def test_the_right_code_activates_the_account_and_creates_the_applicant() -> None:
    row = person()
    account = cs.citizen_signup_verify(
        code_id=row.pk, code=last_code("0912345678"), now=T0 + timedelta(minutes=9)
    )
    assert account.is_active
    applicant = Applicant.objects.get()
    assert (
        applicant.account_id,
        applicant.kind,
        applicant.full_name,
        applicant.national_id,
        applicant.phone,
        applicant.email,
    ) == (account.pk, "person", "Trần Thị Bình", NATIONAL_ID, "0912345678", "binh@example.vn")
    row.refresh_from_db()
    assert row.used_at == T0 + timedelta(minutes=9)
    with pytest.raises(ValidationFailed) as again:
        cs.citizen_signup_verify(code_id=row.pk, code=last_code("0912345678"), now=T0)
    assert again.value.code == "otp.unknown"


def test_business_signup_by_e_mail_keeps_the_representative() -> None:
    row = cs.citizen_signup(
        kind="business",
        full_name="Công ty TNHH Sông Trà",
        identifier="0314409058",
        representative="Phạm Văn Đức",
        phone="0987654321",
        email="ketoan@songtra.vn",
        password=PASSWORD,
        channel="email",
        now=T0,
    )
    assert (row.channel, row.destination) == ("email", "ketoan@songtra.vn")
    message = OutboundMessage.objects.get()
    assert message.channel == "email"
    assert message.subject.startswith("Mã kích hoạt tài khoản dịch vụ công: ")
    account = cs.citizen_signup_verify(code_id=row.pk, code=last_code("ketoan@songtra.vn"), now=T0)
    applicant = Applicant.objects.get(account=account)
    assert (applicant.kind, applicant.tax_code, applicant.representative, account.username) == (
        "business",
        TAX_CODE,
        "Phạm Văn Đức",
        TAX_CODE,
    )


def test_every_bad_field_is_reported_and_nothing_is_written() -> None:
    with pytest.raises(ValidationFailed) as exc:
        person(
            full_name=" ",
            identifier="12345",
            phone="12345",
            email="not-an-address",
            password="short",
            channel="email",
        )
    errors = exc.value.details["errors"]
    assert set(errors) == {"national_id", "full_name", "phone", "email", "password"}
    assert errors["phone"]["code"] == "applicant.phone_invalid"
    assert errors["password"]["code"] == "auth.password_invalid"
    assert not Account.objects.exists()
    assert not OutboundMessage.objects.exists()


def test_business_needs_a_valid_tax_code_and_a_representative() -> None:
    with pytest.raises(ValidationFailed) as exc:
        cs.citizen_signup(
            kind="business",
            full_name="Công ty A",
            identifier="0314409059",
            phone="0987654321",
            email="",
            password=PASSWORD,
            channel="sms",
            now=T0,
        )
    assert set(exc.value.details["errors"]) == {"tax_code", "representative"}


def test_e_mail_is_needed_only_to_receive_the_code_by_e_mail() -> None:
    row = person(email="")
    assert row.destination == "0912345678"
    with pytest.raises(ValidationFailed) as exc:
        person(identifier="051185000778", email="", channel="email")
    assert exc.value.field == "email"


@pytest.mark.parametrize("active", [True, False])
def test_a_national_id_with_an_account_is_refused(active: bool) -> None:
    ApplicantFactory(national_id=NATIONAL_ID, account__is_active=active)
    before = Account.objects.count()
    with pytest.raises(ValidationFailed) as exc:
        person()
    assert (exc.value.code, exc.value.field) == ("signup.national_id_taken", "national_id")
    assert Account.objects.count() == before
    assert not OneTimeCode.objects.exists()
    assert not OutboundMessage.objects.exists()


def test_a_tax_code_with_an_account_is_refused() -> None:
    ApplicantFactory(kind="business", national_id="", tax_code=TAX_CODE, account__username=TAX_CODE)
    with pytest.raises(ValidationFailed) as exc:
        cs.citizen_signup(
            kind="business",
            full_name="Công ty B",
            identifier=TAX_CODE,
            representative="Lê Văn C",
            phone="0987654321",
            email="",
            password=PASSWORD,
            channel="sms",
            now=T0,
        )
    assert (exc.value.code, exc.value.field) == ("signup.tax_code_taken", "tax_code")
    assert not OneTimeCode.objects.exists()


def test_an_officer_user_name_equal_to_the_number_is_never_taken_over() -> None:
    officer = AccountFactory(username=NATIONAL_ID, is_active=False)
    with pytest.raises(ValidationFailed) as exc:
        person()
    assert exc.value.code == "signup.national_id_taken"
    officer.refresh_from_db()
    assert officer.kind == "officer"


def test_two_sign_ups_racing_for_one_number_end_with_one_account(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    person()
    # The second sign-up looked before the first one's row existed: the database decides.
    monkeypatch.setattr(cs, "_account_locked", lambda username: None)
    with pytest.raises(ValidationFailed) as exc:
        person(phone="0922222222")
    assert exc.value.code == "signup.national_id_taken"
    assert Account.objects.count() == 1
    assert OneTimeCode.objects.get().destination == "0912345678"


def test_an_unconfirmed_sign_up_is_replaced_by_a_new_one() -> None:
    first = person(phone="0911111111")
    second = person(phone="0922222222", password="Khac-mat-khau-99", now=T0 + timedelta(hours=1))
    assert Account.objects.count() == 1
    assert list(OneTimeCode.objects.values_list("pk", flat=True)) == [second.pk]
    account = Account.objects.get()
    assert account.check_password("Khac-mat-khau-99")
    with pytest.raises(ValidationFailed):
        cs.citizen_signup_verify(code_id=first.pk, code=last_code("0911111111"), now=T0)
    cs.citizen_signup_verify(
        code_id=second.pk, code=last_code("0922222222"), now=T0 + timedelta(hours=1)
    )
    assert Applicant.objects.get().phone == "0922222222"


# --- code rules ----------------------------------------------------------------------------------


def test_five_wrong_codes_block_the_code_even_the_right_one() -> None:
    row = person()
    code = last_code("0912345678")
    remaining = []
    for _ in range(4):
        with pytest.raises(ValidationFailed) as exc:
            cs.citizen_signup_verify(code_id=row.pk, code=wrong(code), now=T0)
        remaining.append(exc.value.details["remaining"])
    assert remaining == [4, 3, 2, 1]
    with pytest.raises(ValidationFailed) as fifth:
        cs.citizen_signup_verify(code_id=row.pk, code=wrong(code), now=T0)
    assert fifth.value.code == "otp.exhausted"
    with pytest.raises(ValidationFailed) as right:
        cs.citizen_signup_verify(code_id=row.pk, code=code, now=T0)
    assert right.value.code == "otp.exhausted"
    assert str(right.value.message) == (
        "You have tried too many wrong codes. This code no longer works: ask for a new code."
    )
    row.refresh_from_db()
    assert (row.attempts, row.used_at) == (5, None)
    assert not Account.objects.get().is_active
    assert not Applicant.objects.exists()


def test_an_expired_code_is_refused() -> None:
    row = person()
    with pytest.raises(ValidationFailed) as exc:
        cs.citizen_signup_verify(
            code_id=row.pk, code=last_code("0912345678"), now=T0 + timedelta(minutes=10)
        )
    assert exc.value.code == "otp.expired"
    assert not Account.objects.get().is_active


def test_a_code_with_spaces_is_accepted() -> None:
    row = person()
    code = last_code("0912345678")
    cs.citizen_signup_verify(code_id=row.pk, code=f" {code[:3]} {code[3:]} ", now=T0)
    assert Account.objects.get().is_active


def test_resend_waits_a_minute_then_replaces_the_code_and_stops_after_three_sends() -> None:
    row = person()
    first = last_code("0912345678")
    with pytest.raises(ValidationFailed) as soon:
        cs.one_time_code_resend(code_id=row.pk, purpose="signup", now=T0 + timedelta(seconds=30))
    assert (soon.value.code, soon.value.details["retry_after"]) == ("otp.resend_too_soon", 30)

    later = T0 + timedelta(minutes=1)
    cs.one_time_code_resend(code_id=row.pk, purpose="signup", now=later)
    row.refresh_from_db()
    assert (row.sends, row.attempts, row.expires_at) == (2, 0, later + timedelta(minutes=10))
    assert OutboundMessage.objects.count() == 2
    second = last_code("0912345678")
    if second != first:  # the old code stops working (1 chance in a million to be drawn again)
        with pytest.raises(ValidationFailed):
            cs.citizen_signup_verify(code_id=row.pk, code=first, now=later)

    cs.one_time_code_resend(code_id=row.pk, purpose="signup", now=T0 + timedelta(minutes=2))
    with pytest.raises(ValidationFailed) as limit:
        cs.one_time_code_resend(code_id=row.pk, purpose="signup", now=T0 + timedelta(minutes=5))
    assert limit.value.code == "otp.resend_limit"
    assert OutboundMessage.objects.count() == 3
    row.refresh_from_db()
    assert row.sends == 3


def test_a_new_code_after_five_wrong_tries_works_again() -> None:
    row = person()
    for _ in range(5):
        with pytest.raises(ValidationFailed):
            cs.citizen_signup_verify(code_id=row.pk, code="000000", now=T0)
    cs.one_time_code_resend(code_id=row.pk, purpose="signup", now=T0 + timedelta(minutes=1))
    cs.citizen_signup_verify(
        code_id=row.pk, code=last_code("0912345678"), now=T0 + timedelta(minutes=2)
    )
    assert Account.objects.get().is_active


def test_a_code_is_checked_for_its_own_purpose_only() -> None:
    row = person()
    with pytest.raises(ValidationFailed) as exc:
        cs.citizen_password_reset_finish(
            code_id=row.pk, code=last_code("0912345678"), new_password=NEW_PASSWORD, now=T0
        )
    assert exc.value.code == "otp.unknown"


# --- counter records -----------------------------------------------------------------------------


def counter_record(**overrides: Any) -> Applicant:
    fields: dict[str, Any] = {
        "kind": "person",
        "full_name": "Trần Thị Bình",
        "national_id": NATIONAL_ID,
        "phone": "0912345678",
        "email": "",
        "address": "Thôn 2, xã An Phú",
    }
    fields.update(overrides)
    return Applicant.objects.create(**fields)


def test_a_counter_record_is_claimed_when_the_code_went_to_its_recorded_phone() -> None:
    record = counter_record()
    row = person(full_name="Tran Thi Binh")
    account = cs.citizen_signup_verify(code_id=row.pk, code=last_code("0912345678"), now=T0)
    record.refresh_from_db()
    assert record.account_id == account.pk
    assert Applicant.objects.count() == 1
    # What the counter recorded is kept; a blank e-mail is filled from the sign-up.
    assert (record.full_name, record.address, record.email) == (
        "Trần Thị Bình",
        "Thôn 2, xã An Phú",
        "binh@example.vn",
    )
    entry = AuditEntry.objects.get(action="directory.applicant.register")
    assert entry.summary["after"]["claimed_counter_record"] is True


def test_a_counter_record_is_claimed_through_its_recorded_e_mail_in_any_case() -> None:
    record = counter_record(phone="0900000009", email="Binh@Example.VN")
    row = person(channel="email", email="binh@example.vn")
    account = cs.citizen_signup_verify(code_id=row.pk, code=last_code("binh@example.vn"), now=T0)
    record.refresh_from_db()
    assert (record.account_id, record.phone) == (account.pk, "0900000009")


@pytest.mark.parametrize("channel", ["sms", "email"])
def test_a_counter_record_with_other_contacts_is_never_linked(channel: str) -> None:
    record = counter_record(phone="0900000009", email="other@example.vn")
    with pytest.raises(ValidationFailed) as exc:
        person(channel=channel)
    assert exc.value.code == "signup.counter_record_mismatch"
    assert "visit a one-stop counter" in str(exc.value.message)
    assert not Account.objects.exists()
    assert not OutboundMessage.objects.exists()
    record.refresh_from_db()
    assert record.account_id is None


def test_a_counter_record_made_after_the_sign_up_started_is_checked_at_confirmation() -> None:
    row = person()
    record = counter_record(phone="0900000009")
    with pytest.raises(ValidationFailed) as exc:
        cs.citizen_signup_verify(code_id=row.pk, code=last_code("0912345678"), now=T0)
    assert exc.value.code == "signup.counter_record_mismatch"
    record.refresh_from_db()
    assert record.account_id is None
    assert not Account.objects.get(username=NATIONAL_ID).is_active
    row.refresh_from_db()
    assert row.used_at is None


# --- password reset ------------------------------------------------------------------------------


def active_citizen(**overrides: Any) -> Applicant:
    fields: dict[str, Any] = {
        "national_id": NATIONAL_ID,
        "phone": "0912345678",
        "email": "binh@example.vn",
    }
    fields.update(overrides)
    return ApplicantFactory(**fields)


@pytest.mark.parametrize(
    ("channel", "recipient"), [("sms", "0912345678"), ("email", "binh@example.vn")]
)
def test_password_reset_sets_the_password_and_lifts_a_lockout(channel: str, recipient: str) -> None:
    applicant = active_citizen()
    Account.objects.filter(pk=applicant.account_id).update(
        failed_logins=5, locked_until=T0 + timedelta(minutes=10)
    )
    row = cs.citizen_password_reset_start(identifier=" 0511 8500 0777 ", channel=channel, now=T0)
    assert row is not None
    assert row.destination == recipient
    account = cs.citizen_password_reset_finish(
        code_id=row.pk, code=last_code(recipient), new_password=NEW_PASSWORD, now=T0
    )
    account.refresh_from_db()
    assert account.check_password(NEW_PASSWORD)
    assert (account.failed_logins, account.locked_until, account.password_changed_at) == (
        0,
        None,
        T0,
    )
    assert AuditEntry.objects.filter(action="auth.password_reset").count() == 1


@pytest.mark.parametrize("identifier", ["051185000999", "not a number", ""])
def test_password_reset_for_no_account_sends_nothing(identifier: str) -> None:
    assert cs.citizen_password_reset_start(identifier=identifier, channel="sms", now=T0) is None
    assert not OutboundMessage.objects.exists()
    assert not OneTimeCode.objects.exists()


def test_password_reset_without_a_contact_on_that_channel_sends_nothing() -> None:
    active_citizen(email="", account__email="")
    assert cs.citizen_password_reset_start(identifier=NATIONAL_ID, channel="email", now=T0) is None
    assert not OutboundMessage.objects.exists()


def test_password_reset_never_reaches_an_unconfirmed_sign_up() -> None:
    person()
    OutboundMessage.objects.all().delete()
    assert cs.citizen_password_reset_start(identifier=NATIONAL_ID, channel="sms", now=T0) is None
    assert not OutboundMessage.objects.exists()


def test_a_weak_new_password_keeps_the_reset_code_usable() -> None:
    active_citizen()
    row = cs.citizen_password_reset_start(identifier=NATIONAL_ID, channel="sms", now=T0)
    assert row is not None
    code = last_code("0912345678")
    with pytest.raises(ValidationFailed) as exc:
        cs.citizen_password_reset_finish(code_id=row.pk, code=code, new_password="123", now=T0)
    assert (exc.value.code, exc.value.field) == ("auth.password_invalid", "new_password")
    row.refresh_from_db()
    assert (row.used_at, row.attempts) == (None, 0)
    cs.citizen_password_reset_finish(code_id=row.pk, code=code, new_password=NEW_PASSWORD, now=T0)


def test_a_second_reset_request_cancels_the_first_code() -> None:
    active_citizen()
    first = cs.citizen_password_reset_start(identifier=NATIONAL_ID, channel="sms", now=T0)
    assert first is not None
    first_code = last_code("0912345678")
    second = cs.citizen_password_reset_start(identifier=NATIONAL_ID, channel="sms", now=T0)
    assert second is not None
    assert list(OneTimeCode.objects.values_list("pk", flat=True)) == [second.pk]
    with pytest.raises(ValidationFailed) as exc:
        cs.citizen_password_reset_finish(
            code_id=first.pk, code=first_code, new_password=NEW_PASSWORD, now=T0
        )
    assert exc.value.code == "otp.unknown"


# --- contact change ------------------------------------------------------------------------------


def test_contact_change_sends_the_code_to_the_new_e_mail_and_applies_it() -> None:
    applicant = active_citizen()
    account = applicant.account
    row = cs.citizen_contact_change_start(
        account=account, password=PASSWORD, channel="email", value="Moi@Example.vn", now=T0
    )
    assert row.destination == "moi@example.vn"
    applicant.refresh_from_db()
    assert applicant.email == "binh@example.vn"  # nothing changes before the proof
    cs.citizen_contact_change_verify(
        account=account, code_id=row.pk, code=last_code("moi@example.vn"), now=T0
    )
    applicant.refresh_from_db()
    account.refresh_from_db()
    assert (applicant.email, account.email) == ("moi@example.vn", "moi@example.vn")
    entry = AuditEntry.objects.get(action="directory.applicant.contact_change")
    assert (entry.summary["before"], entry.summary["after"]) == (
        {"email": "binh@example.vn"},
        {"email": "moi@example.vn"},
    )


def test_contact_change_of_the_phone() -> None:
    applicant = active_citizen()
    row = cs.citizen_contact_change_start(
        account=applicant.account, password=PASSWORD, channel="sms", value="+84 987 654 321", now=T0
    )
    cs.citizen_contact_change_verify(
        account=applicant.account, code_id=row.pk, code=last_code("0987654321"), now=T0
    )
    applicant.refresh_from_db()
    assert applicant.phone == "0987654321"


def test_contact_change_needs_the_current_password_and_a_new_value() -> None:
    applicant = active_citizen()
    with pytest.raises(ValidationFailed) as exc:
        cs.citizen_contact_change_start(
            account=applicant.account,
            password="wrong-password-1",
            channel="sms",
            value="0912345678",
            now=T0,
        )
    assert set(exc.value.details["errors"]) == {"password", "value"}
    assert exc.value.details["errors"]["value"]["code"] == "citizen.contact_unchanged"
    assert not OutboundMessage.objects.exists()


def test_a_contact_code_cannot_be_used_by_another_account() -> None:
    owner = active_citizen()
    other = ApplicantFactory(national_id="051185000888")
    row = cs.citizen_contact_change_start(
        account=owner.account, password=PASSWORD, channel="sms", value="0987654321", now=T0
    )
    with pytest.raises(ValidationFailed) as exc:
        cs.citizen_contact_change_verify(
            account=other.account, code_id=row.pk, code=last_code("0987654321"), now=T0
        )
    assert exc.value.code == "otp.unknown"
    other.refresh_from_db()
    assert other.phone == "0900000001"
    with pytest.raises(ValidationFailed):
        cs.one_time_code_resend(
            code_id=row.pk,
            purpose="contact_change",
            account=other.account,
            now=T0 + timedelta(minutes=5),
        )


def test_officers_cannot_change_contacts_here() -> None:
    officer = AccountFactory()
    with pytest.raises(ValidationFailed) as exc:
        cs.citizen_contact_change_start(
            account=officer, password=PASSWORD, channel="sms", value="0987654321", now=T0
        )
    assert exc.value.code == "citizen.not_applicant"


# --- masks and the sign-in limit -----------------------------------------------------------------


def test_mask_destination() -> None:
    assert cs.mask_destination("sms", "0912345678") == "09*****678"
    assert cs.mask_destination("email", "binh@example.vn") == "b***@example.vn"


@override_settings(EGOV_RATE_LIMITS={"signin": (3, 900)}, EGOV_LOCKOUT_THRESHOLD=100)
def test_sign_in_provider_refuses_after_the_failures_of_one_user_name() -> None:
    applicant = active_citizen()
    provider = cs.RateLimitedPasswordProvider()
    for _ in range(3):
        with pytest.raises(NotAuthenticated):
            provider.authenticate({"username": NATIONAL_ID, "password": "wrong-password-1"})
    with pytest.raises(RateLimited) as exc:
        provider.authenticate({"username": NATIONAL_ID, "password": PASSWORD})
    assert exc.value.code == "rate_limited"
    assert str(exc.value.message).startswith("You have tried too many times.")
    # Another user name from no known address is not affected.
    other = ApplicantFactory(national_id="051185000888")
    assert (
        provider.authenticate({"username": "051185000888", "password": PASSWORD}) == other.account
    )
    assert applicant.account.failed_logins == 0


@override_settings(EGOV_RATE_LIMITS={"signin": (2, 900)})
def test_sign_in_provider_limits_one_client_address_across_user_names() -> None:
    ApplicantFactory(national_id="051185000888")
    provider = cs.RateLimitedPasswordProvider()
    token = request_context.bind(request_context.RequestContext(ip="203.0.113.7"))
    try:
        for username in ("051185000001", "051185000002"):
            with pytest.raises(NotAuthenticated):
                provider.authenticate({"username": username, "password": "x"})
        with pytest.raises(RateLimited):
            provider.authenticate({"username": "051185000888", "password": PASSWORD})
    finally:
        request_context.reset(token)
    # The same person from another address signs in.
    token = request_context.bind(request_context.RequestContext(ip="203.0.113.8"))
    try:
        assert provider.authenticate({"username": "051185000888", "password": PASSWORD})
    finally:
        request_context.reset(token)


def test_a_right_password_does_not_count() -> None:
    active_citizen()
    provider = cs.RateLimitedPasswordProvider()
    with override_settings(EGOV_RATE_LIMITS={"signin": (1, 900)}):
        for _ in range(3):
            assert provider.authenticate({"username": NATIONAL_ID, "password": PASSWORD})

"""Sign-in services: lockout, TOTP second factor, password changes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pyotp
import pytest
from directory_factories import PASSWORD, AccountFactory, OfficerFactory, OrganizationFactory
from django.test import override_settings
from django.utils import translation

from egov.core.errors import NotAuthenticated, PermissionDenied, ValidationFailed
from egov.core.models import AuditEntry
from egov.directory import services
from egov.directory.models import Account, Role, Scope

T0 = datetime(2026, 3, 2, 1, 0, 0, tzinfo=UTC)  # 08:00 in Hà Nội
SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def _fail(username: str, now: datetime, password: str = "wrong-password-1") -> str:
    with pytest.raises(NotAuthenticated) as exc:
        services.account_authenticate(username=username, password=password, now=now)
    return exc.value.code


@override_settings(EGOV_LOCKOUT_THRESHOLD=3, EGOV_LOCKOUT_MINUTES=15)
def test_lockout_after_n_failures_refuses_even_the_right_password(db: None) -> None:
    account = AccountFactory(username="an")
    assert [_fail("an", T0), _fail("an", T0)] == ["auth.invalid", "auth.invalid"]
    account.refresh_from_db()
    assert (account.failed_logins, account.locked_until) == (2, None)

    assert _fail("an", T0) == "auth.locked"
    account.refresh_from_db()
    assert account.locked_until == T0 + timedelta(minutes=15)

    assert _fail("an", T0 + timedelta(minutes=14), password=PASSWORD) == "auth.locked"
    account.refresh_from_db()
    assert account.failed_logins == 3  # attempts while locked are not even checked
    actions = list(AuditEntry.objects.values_list("action", flat=True))
    assert actions == ["auth.failed", "auth.failed", "auth.failed", "auth.locked"]


@override_settings(EGOV_LOCKOUT_THRESHOLD=3, EGOV_LOCKOUT_MINUTES=15)
def test_the_lock_lifts_after_its_time(db: None) -> None:
    account = AccountFactory(username="an")
    for _ in range(3):
        _fail("an", T0)
    later = T0 + timedelta(minutes=15, seconds=1)
    signed_in = services.account_authenticate(username="an", password=PASSWORD, now=later)
    assert signed_in.pk == account.pk
    account.refresh_from_db()
    assert (account.failed_logins, account.locked_until) == (0, None)


@override_settings(EGOV_LOCKOUT_THRESHOLD=3)
def test_after_the_lock_lifts_the_count_starts_again(db: None) -> None:
    AccountFactory(username="an")
    for _ in range(3):
        _fail("an", T0)
    later = T0 + timedelta(hours=1)
    assert _fail("an", later) == "auth.invalid"
    assert Account.objects.get(username="an").failed_logins == 1


def test_a_success_resets_the_count(db: None) -> None:
    AccountFactory(username="an")
    _fail("an", T0)
    services.account_authenticate(username="an", password=PASSWORD, now=T0)
    assert Account.objects.get(username="an").failed_logins == 0


@pytest.mark.parametrize("case", ["unknown", "inactive", "wrong kind"])
def test_unknown_inactive_and_wrong_door_get_the_same_answer(db: None, case: str) -> None:
    AccountFactory(username="an", is_active=case != "inactive")
    username = "nobody" if case == "unknown" else "an"
    kind = Account.Kind.APPLICANT if case == "wrong kind" else None
    with translation.override("en"), pytest.raises(NotAuthenticated) as exc:
        services.account_authenticate(username=username, password=PASSWORD, kind=kind, now=T0)
    assert exc.value.code == "auth.invalid"
    assert str(exc.value.message) == "The user name or the password is not correct."
    assert Account.objects.get(username="an").failed_logins == 0


# --- TOTP --------------------------------------------------------------------------------------


@pytest.fixture
def totp_account(db: None) -> Account:
    return AccountFactory(username="an", totp_secret=SECRET, totp_confirmed=True, totp_last_step=0)


def _code(at: datetime, secret: str = SECRET) -> str:
    return pyotp.TOTP(secret).at(at)


def test_totp_right_code_passes_and_remembers_its_step(totp_account: Account) -> None:
    services.account_totp_verify(account=totp_account, code=_code(T0), now=T0)
    totp_account.refresh_from_db()
    assert totp_account.totp_last_step == pyotp.TOTP(SECRET).timecode(T0)


@pytest.mark.parametrize("offset", [-30, 30])
def test_totp_accepts_one_step_of_clock_drift(totp_account: Account, offset: int) -> None:
    code = _code(T0 + timedelta(seconds=offset))
    services.account_totp_verify(account=totp_account, code=code, now=T0)


def test_totp_refuses_two_steps_of_drift(totp_account: Account) -> None:
    with pytest.raises(NotAuthenticated) as exc:
        services.account_totp_verify(
            account=totp_account, code=_code(T0 - timedelta(seconds=60)), now=T0
        )
    assert exc.value.code == "auth.totp_invalid"


@pytest.mark.parametrize("code", ["000000", "12345", "abcdef", ""])
def test_totp_wrong_code_counts_as_a_failure(totp_account: Account, code: str) -> None:
    if code == _code(T0):  # pragma: no cover - one chance in a million
        code = "999999"
    with pytest.raises(NotAuthenticated) as exc:
        services.account_totp_verify(account=totp_account, code=code, now=T0)
    assert exc.value.code == "auth.totp_invalid"
    totp_account.refresh_from_db()
    assert totp_account.failed_logins == 1
    assert totp_account.totp_last_step == 0


def test_totp_replay_of_the_same_code_is_refused(totp_account: Account) -> None:
    code = _code(T0)
    services.account_totp_verify(account=totp_account, code=code, now=T0)
    with pytest.raises(NotAuthenticated) as exc:
        services.account_totp_verify(account=totp_account, code=code, now=T0 + timedelta(seconds=5))
    assert exc.value.code == "auth.totp_invalid"


def test_totp_an_earlier_code_after_a_later_one_is_refused(totp_account: Account) -> None:
    services.account_totp_verify(
        account=totp_account, code=_code(T0 + timedelta(seconds=30)), now=T0
    )
    with pytest.raises(NotAuthenticated):
        services.account_totp_verify(account=totp_account, code=_code(T0), now=T0)


def test_totp_code_with_a_space_is_accepted(totp_account: Account) -> None:
    code = _code(T0)
    services.account_totp_verify(account=totp_account, code=f"{code[:3]} {code[3:]}", now=T0)


@override_settings(EGOV_LOCKOUT_THRESHOLD=3)
def test_totp_guessing_locks_and_a_right_password_does_not_reset_the_count(
    db: None,
) -> None:
    department = OrganizationFactory(require_totp=True)
    officer = OfficerFactory(
        unit=department, account__totp_secret=SECRET, account__totp_confirmed=True
    )
    account = officer.account
    for _ in range(2):
        with pytest.raises(NotAuthenticated):
            services.account_totp_verify(account=account, code="000000", now=T0)
        services.account_authenticate(username=account.username, password=PASSWORD, now=T0)
    account.refresh_from_db()
    assert account.failed_logins == 2
    with pytest.raises(NotAuthenticated) as exc:
        services.account_totp_verify(account=account, code="000000", now=T0)
    assert exc.value.code == "auth.locked"
    with pytest.raises(NotAuthenticated) as exc:
        services.account_totp_verify(account=account, code=_code(T0), now=T0)
    assert exc.value.code == "auth.locked"


def test_totp_required_by_the_organisation_or_an_ancestor(db: None) -> None:
    province = OrganizationFactory(committee=True)
    office = OrganizationFactory(parent=province, require_totp=True)
    office_unit = OrganizationFactory(parent=office, unit=True)
    department = OrganizationFactory(parent=province)

    assert services.account_totp_required(OfficerFactory(unit=office).account) is True
    assert services.account_totp_required(OfficerFactory(unit=office_unit).account) is True
    assert services.account_totp_required(OfficerFactory(unit=department).account) is False
    assert services.account_totp_required(AccountFactory(applicant=True)) is False
    volunteer = OfficerFactory(unit=department, account__totp_confirmed=True)
    assert services.account_totp_required(volunteer.account) is True


def test_totp_enrolment_begin_then_confirm(db: None) -> None:
    account = AccountFactory(username="an")
    uri = services.account_totp_begin(account=account)
    account.refresh_from_db()
    assert uri.startswith("otpauth://totp/")
    assert f"secret={account.totp_secret}" in uri
    assert "issuer=Open%20eGov%20VN" in uri
    assert services.account_totp_begin(account=account) == uri  # reloading keeps the secret
    assert not account.totp_confirmed

    with pytest.raises(NotAuthenticated):
        services.account_totp_confirm(account=account, code="000000", now=T0)
    account.refresh_from_db()
    assert account.totp_confirmed is False

    services.account_totp_confirm(account=account, code=_code(T0, account.totp_secret), now=T0)
    account.refresh_from_db()
    assert account.totp_confirmed is True
    assert account.failed_logins == 0
    with pytest.raises(ValidationFailed) as exc:
        services.account_totp_begin(account=account)
    assert exc.value.code == "auth.totp_already_confirmed"
    actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert {"auth.totp_begin", "auth.totp_confirmed", "auth.failed"} <= actions


def test_totp_confirm_and_verify_need_the_right_state(db: None) -> None:
    fresh = AccountFactory()
    with pytest.raises(ValidationFailed) as exc:
        services.account_totp_confirm(account=fresh, code="123456", now=T0)
    assert exc.value.code == "auth.totp_not_started"
    with pytest.raises(ValidationFailed) as exc:
        services.account_totp_verify(account=fresh, code="123456", now=T0)
    assert exc.value.code == "auth.totp_not_set_up"


# --- passwords and IT admin actions ---------------------------------------------------------------


def test_password_change(db: None) -> None:
    account = AccountFactory(username="an")
    with pytest.raises(ValidationFailed) as exc:
        services.account_password_change(
            account=account, old_password="nope", new_password="Moi-mat-khau-2026"
        )
    assert exc.value.code == "auth.invalid"
    with pytest.raises(ValidationFailed) as exc:
        services.account_password_change(account=account, old_password=PASSWORD, new_password="abc")
    assert exc.value.code == "auth.password_invalid"
    with pytest.raises(ValidationFailed) as exc:
        services.account_password_change(
            account=account, old_password=PASSWORD, new_password=PASSWORD
        )
    assert exc.value.code == "auth.password_reused"
    account.refresh_from_db()
    assert account.check_password(PASSWORD)

    services.account_password_change(
        account=account, old_password=PASSWORD, new_password="Moi-mat-khau-2026", now=T0
    )
    account.refresh_from_db()
    assert account.check_password("Moi-mat-khau-2026")
    assert account.password_changed_at == T0
    assert AuditEntry.objects.filter(action="auth.password_change").count() == 1


def test_it_admin_unlocks_resets_totp_and_sets_password_in_reach(db: None) -> None:
    department = OrganizationFactory()
    admin = OfficerFactory(unit=department, roles=[(Role.IT_ADMIN, Scope.ORGANIZATION)])
    target = OfficerFactory(
        unit=department,
        account__failed_logins=5,
        account__locked_until=T0,
        account__totp_secret=SECRET,
        account__totp_confirmed=True,
    )
    services.account_unlock(actor=admin.account, account=target.account)
    services.account_totp_reset(actor=admin.account, account=target.account)
    services.account_password_set(
        actor=admin.account, account=target.account, new_password="Dat-lai-2026"
    )
    target.account.refresh_from_db()
    assert (target.account.failed_logins, target.account.locked_until) == (0, None)
    assert (target.account.totp_secret, target.account.totp_confirmed) == ("", False)
    assert target.account.check_password("Dat-lai-2026")

    outsider = OfficerFactory(unit=OrganizationFactory(), account__failed_logins=4)
    citizen = AccountFactory(applicant=True)
    for account in (outsider.account, citizen):
        with pytest.raises(PermissionDenied):
            services.account_unlock(actor=admin.account, account=account)
    outsider.account.refresh_from_db()
    assert outsider.account.failed_logins == 4

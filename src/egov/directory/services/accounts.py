"""Sign-in: password with lockout, TOTP second factor, password changes.

Failures must be counted even though the caller gets an exception, so every function that can
fail writes its counters inside its own transaction and raises only after that transaction has
committed (raising inside `atomic` would roll the counter back and make lockout useless).

Failed second-factor codes count towards the same lockout as failed passwords, and a right
password does not reset the count while a second factor is still due: otherwise someone who
knows the password could try a few codes, sign in again, and try a few more for ever.
"""

from __future__ import annotations

import hmac
from datetime import datetime, timedelta

import pyotp
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext

from egov.core.audit import audit_record
from egov.core.errors import EgovError, NotAuthenticated, ValidationFailed
from egov.directory import policy, selectors
from egov.directory.models import Account, Officer
from egov.directory.services.officers import check_password_rules

TOTP_DIGITS = 6


def _invalid() -> NotAuthenticated:
    return NotAuthenticated(
        gettext("The user name or the password is not correct."), code="auth.invalid"
    )


def _locked(until: datetime) -> NotAuthenticated:
    local = timezone.localtime(until)
    return NotAuthenticated(
        gettext(
            "Too many failed attempts: the account is locked until %(time)s. "
            "Try again later or ask your IT administrator to unlock it."
        )
        % {"time": date_format(local, "H:i d/m/Y")},
        code="auth.locked",
        details={"locked_until": until.isoformat()},
    )


def _totp_invalid() -> NotAuthenticated:
    return NotAuthenticated(
        gettext("The code is not correct or was already used. Enter the current code."),
        code="auth.totp_invalid",
        field="code",
    )


def _lock_expired(account: Account, now: datetime) -> bool:
    """Clear a lock whose time is over; True when the account is still locked."""
    if account.locked_until is None:
        return False
    if account.locked_until > now:
        return True
    account.locked_until = None
    account.failed_logins = 0
    return False


def _count_failure(account: Account, now: datetime, *, what: str) -> NotAuthenticated | None:
    """Add one failure; lock at the threshold. Returns the lock error when it just locked.

    The caller holds the account's row lock; the counters are saved before the audit entries
    so that the audit chain's lock is the last one taken (core.audit's rule).
    """
    account.failed_logins += 1
    if account.failed_logins >= settings.EGOV_LOCKOUT_THRESHOLD:
        account.locked_until = now + timedelta(minutes=settings.EGOV_LOCKOUT_MINUTES)
    _save_counters(account)
    audit_record(
        actor=account,
        action="auth.failed",
        obj=account,
        after={"failed_logins": account.failed_logins},
        note=what,
    )
    if account.failed_logins >= settings.EGOV_LOCKOUT_THRESHOLD:
        assert account.locked_until is not None
        audit_record(
            actor=account,
            action="auth.locked",
            obj=account,
            after={"locked_until": account.locked_until.isoformat()},
        )
        return _locked(account.locked_until)
    return None


def _save_counters(account: Account) -> None:
    account.save(update_fields=["failed_logins", "locked_until"])


def account_authenticate(
    *,
    username: str,
    password: str,
    kind: str | None = None,
    now: datetime | None = None,
) -> Account:
    """Check a user name and password; count failures and lock after too many.

    `kind` restricts which accounts may use this door (officers on the staff sign-in, citizens
    and businesses on the portal). Unknown, inactive and wrong-kind accounts get the same
    answer as a wrong password, after the same hashing work, so the answer leaks nothing.
    """
    now = now or timezone.now()
    failure: EgovError
    with transaction.atomic():
        account = Account.objects.select_for_update().filter(username=username).first()
        if account is None or not account.is_active or (kind and account.kind != kind):
            make_password(password)  # the same work as a real check
            failure = _invalid()
        elif _lock_expired(account, now):
            assert account.locked_until is not None
            failure = _locked(account.locked_until)
        elif account.check_password(password):
            if not account_totp_required(account):
                account.failed_logins = 0
            _save_counters(account)
            return account
        else:
            failure = _count_failure(account, now, what="password") or _invalid()
    raise failure


def account_totp_required(account: Account) -> bool:
    """True when the account must give a second factor: set up already, or demanded.

    An organisation demands it with `require_totp`, for its own officers and for everyone in
    the nodes below it.
    """
    if account.totp_confirmed:
        return True
    officer = Officer.objects.select_related("unit").filter(account_id=account.pk).first()
    return officer is not None and selectors.organization_requires_totp(officer.unit)


def _totp(account: Account) -> pyotp.TOTP:
    return pyotp.TOTP(account.totp_secret, digits=TOTP_DIGITS)


def account_totp_uri(account: Account) -> str:
    """The otpauth:// URI of the account's (not yet confirmed) secret, for the QR image."""
    return _totp(account).provisioning_uri(
        name=account.username, issuer_name=settings.EGOV_TOTP_ISSUER
    )


@transaction.atomic
def account_totp_begin(*, account: Account) -> str:
    """Start setting up an authenticator app: keep a new secret, return its otpauth:// URI.

    An unconfirmed secret is reused, so reloading the page does not invalidate the QR code
    the officer already scanned.
    """
    account = Account.objects.select_for_update().get(pk=account.pk)
    if account.totp_confirmed:
        raise ValidationFailed(
            gettext("Two-factor sign-in is already set up for this account."),
            code="auth.totp_already_confirmed",
        )
    if not account.totp_secret:
        account.totp_secret = pyotp.random_base32()
        account.totp_last_step = 0
        account.save(update_fields=["totp_secret", "totp_last_step"])
        audit_record(actor=account, action="auth.totp_begin", obj=account)
    return account_totp_uri(account)


def _matching_step(account: Account, code: str, now: datetime) -> int | None:
    """The time step the code belongs to (±1 step of drift), never one already used."""
    code = "".join(code.split())
    if len(code) != TOTP_DIGITS or not code.isdigit() or not account.totp_secret:
        return None
    totp = _totp(account)
    current = totp.timecode(now)
    for step in (current - 1, current, current + 1):
        if step > account.totp_last_step and hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def _check_code(account_pk: int, code: str, now: datetime, *, confirming: bool) -> Account:
    failure: EgovError
    with transaction.atomic():
        account = Account.objects.select_for_update().get(pk=account_pk)
        if _lock_expired(account, now):
            assert account.locked_until is not None
            failure = _locked(account.locked_until)
        elif confirming and (account.totp_confirmed or not account.totp_secret):
            failure = ValidationFailed(
                gettext("Start the set-up of two-factor sign-in again."),
                code="auth.totp_not_started",
            )
        elif not confirming and not account.totp_confirmed:
            failure = ValidationFailed(
                gettext("Two-factor sign-in is not set up for this account."),
                code="auth.totp_not_set_up",
            )
        else:
            step = _matching_step(account, code, now)
            if step is not None:
                account.totp_last_step = step
                account.failed_logins = 0
                fields = ["totp_last_step", "failed_logins", "locked_until"]
                if confirming:
                    account.totp_confirmed = True
                    fields.append("totp_confirmed")
                account.save(update_fields=fields)
                if confirming:
                    audit_record(actor=account, action="auth.totp_confirmed", obj=account)
                return account
            failure = _count_failure(account, now, what="totp") or _totp_invalid()
    raise failure


def account_totp_confirm(*, account: Account, code: str, now: datetime | None = None) -> Account:
    """Finish the set-up: the first right code from the app turns the second factor on."""
    return _check_code(account.pk, code, now or timezone.now(), confirming=True)


def account_totp_verify(*, account: Account, code: str, now: datetime | None = None) -> Account:
    """Check a sign-in code; a code (or an earlier one) cannot be used twice."""
    return _check_code(account.pk, code, now or timezone.now(), confirming=False)


@transaction.atomic
def account_password_change(
    *, account: Account, old_password: str, new_password: str, now: datetime | None = None
) -> Account:
    """The account holder changes their own password."""
    account = Account.objects.select_for_update().get(pk=account.pk)
    if not account.check_password(old_password):
        raise ValidationFailed(
            gettext("The current password is not correct."),
            code="auth.invalid",
            field="old_password",
        )
    if old_password == new_password:
        raise ValidationFailed(
            gettext("Choose a password different from the current one."),
            code="auth.password_reused",
            field="new_password",
        )
    check_password_rules(new_password, account)
    account.set_password(new_password)
    account.password_changed_at = now or timezone.now()
    account.save(update_fields=["password", "password_changed_at"])
    audit_record(actor=account, action="auth.password_change", obj=account)
    return account


def _require_manage(actor: Account | None, account: Account) -> None:
    """IT admins act on officers in their reach; other accounts need a superuser."""
    officer = Officer.objects.select_related("unit").filter(account_id=account.pk).first()
    policy.require(actor, "directory.officer.manage", officer)


@transaction.atomic
def account_password_set(
    *, actor: Account | None, account: Account, new_password: str, now: datetime | None = None
) -> Account:
    """An IT administrator sets a new password for someone who forgot theirs."""
    _require_manage(actor, account)
    account = Account.objects.select_for_update().get(pk=account.pk)
    check_password_rules(new_password, account)
    account.set_password(new_password)
    account.password_changed_at = now or timezone.now()
    account.save(update_fields=["password", "password_changed_at"])
    audit_record(actor=actor, action="auth.password_set", obj=account)
    return account


@transaction.atomic
def account_unlock(*, actor: Account | None, account: Account) -> Account:
    """An IT administrator lifts a lockout before its time."""
    _require_manage(actor, account)
    account = Account.objects.select_for_update().get(pk=account.pk)
    before = {"failed_logins": account.failed_logins, "locked_until": account.locked_until}
    account.failed_logins = 0
    account.locked_until = None
    _save_counters(account)
    audit_record(
        actor=actor,
        action="auth.unlock",
        obj=account,
        before={k: v.isoformat() if isinstance(v, datetime) else v for k, v in before.items()},
    )
    return account


@transaction.atomic
def account_totp_reset(*, actor: Account | None, account: Account) -> Account:
    """An IT administrator clears a lost authenticator; the officer sets it up at next sign-in."""
    _require_manage(actor, account)
    account = Account.objects.select_for_update().get(pk=account.pk)
    account.totp_secret = ""
    account.totp_confirmed = False
    account.totp_last_step = 0
    account.save(update_fields=["totp_secret", "totp_confirmed", "totp_last_step"])
    audit_record(actor=actor, action="auth.totp_reset", obj=account)
    return account


def account_record_sign_in(*, account: Account, method: str) -> None:
    """Write the audit entry of a completed sign-in (`password`, `password+totp`, …)."""
    audit_record(actor=account, action="auth.signed_in", obj=account, note=method)

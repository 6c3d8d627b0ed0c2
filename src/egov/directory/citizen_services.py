"""Citizens and businesses open and look after their own accounts on the portal.

Every step that gives an account power is gated by a one-time code (`OneTimeCode`) sent to a
phone or an e-mail address: whoever types it back proves they receive messages there.

- Sign-up (`citizen_signup` → `citizen_signup_verify`): the account is created inactive with
  its password; the code activates it and creates the `Applicant`. An applicant already on
  record from a one-stop counter (same national ID or tax code, no account yet) is linked only
  when the code went to the phone or e-mail recorded on that applicant, never to one the
  newcomer typed: otherwise anyone knowing an ID number could take over someone's dossiers.
- Password reset (`citizen_password_reset_start` → `citizen_password_reset_finish`): the code
  goes to the contact on record; the answer is the same whether or not an account matched.
- Contact change (`citizen_contact_change_start` → `citizen_contact_change_verify`): the code
  goes to the *new* phone or e-mail, and the current password is asked first.

Codes: six digits from `secrets`, only a keyed hash is stored (HMAC-SHA-256 with the site's
secret key and a per-code salt), valid `EGOV_OTP_TTL_MINUTES` (10), at most
`EGOV_OTP_MAX_ATTEMPTS` (5) wrong tries, at most `EGOV_OTP_MAX_SENDS` (3) sends, the next
one no sooner than `EGOV_OTP_RESEND_SECONDS` (60). Wrong tries are written in their own
transaction before the error is raised (as `services.accounts` does for sign-in failures), so a
rollback never forgives a guess. Rate limits per client and per identifier are the views' job
(they know the client); `RateLimitedPasswordProvider` adds them to the existing sign-in.

Note: the rendered notification (with the code) is kept in `core.OutboundMessage` like every
other message; the code is useless after its ten minutes.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from egov.core import request_context
from egov.core.audit import audit_record
from egov.core.errors import EgovError, NotAuthenticated, ValidationFailed
from egov.core.notifications import notification_send
from egov.core.ratelimit import rate_limit_check, rate_limit_hit
from egov.directory import identifiers, services
from egov.directory.models import Account, Applicant, OneTimeCode
from egov.directory.services.officers import check_password_rules, split_full_name

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

__all__ = [
    "CODE_DIGITS",
    "RateLimitedPasswordProvider",
    "citizen_contact_change_start",
    "citizen_contact_change_verify",
    "citizen_password_reset_finish",
    "citizen_password_reset_start",
    "citizen_signup",
    "citizen_signup_verify",
    "code_exhausted_error",
    "code_wrong_error",
    "mask_destination",
    "one_time_code_resend",
    "otp_limits",
]

CODE_DIGITS = 6
NOTIFICATION_TEMPLATE = "citizen_code"
_HASH_SALT = "egov.directory.one_time_code"
Purpose = OneTimeCode.Purpose
Channel = OneTimeCode.Channel


@dataclass(frozen=True)
class OtpLimits:
    ttl: timedelta
    max_attempts: int
    max_sends: int
    resend_after: timedelta


def otp_limits() -> OtpLimits:
    """The limits in force (settings may override the defaults of the module docstring)."""
    return OtpLimits(
        ttl=timedelta(minutes=int(getattr(settings, "EGOV_OTP_TTL_MINUTES", 10))),
        max_attempts=int(getattr(settings, "EGOV_OTP_MAX_ATTEMPTS", 5)),
        max_sends=int(getattr(settings, "EGOV_OTP_MAX_SENDS", 3)),
        resend_after=timedelta(seconds=int(getattr(settings, "EGOV_OTP_RESEND_SECONDS", 60))),
    )


# --- errors --------------------------------------------------------------------------------------


def code_wrong_error(remaining: int) -> ValidationFailed:
    """A wrong code with tries left (public so that a decoy flow can answer the same way)."""
    return ValidationFailed(
        ngettext(
            "The code is not correct. You may try %(count)d more time.",
            "The code is not correct. You may try %(count)d more times.",
            remaining,
        )
        % {"count": remaining},
        code="otp.invalid",
        field="code",
        details={"remaining": remaining},
    )


def code_exhausted_error(*, can_resend: bool = True) -> ValidationFailed:
    """Too many wrong codes: this code is dead."""
    if can_resend:
        message = gettext(
            "You have tried too many wrong codes. This code no longer works: ask for a new code."
        )
    else:
        message = gettext(
            "You have tried too many wrong codes and no more codes can be sent. "
            "Please start again later."
        )
    return ValidationFailed(message, code="otp.exhausted", field="code")


def _expired() -> ValidationFailed:
    return ValidationFailed(
        gettext("The code has expired. Ask for a new code."), code="otp.expired", field="code"
    )


def _start_again() -> ValidationFailed:
    return ValidationFailed(
        gettext("This code can no longer be used. Please start again."),
        code="otp.unknown",
        field="code",
    )


def _taken(kind: str) -> ValidationFailed:
    if kind == Applicant.Kind.BUSINESS:
        return ValidationFailed(
            gettext(
                "An account with this tax code already exists. Sign in, or reset the password "
                "if you have forgotten it."
            ),
            code="signup.tax_code_taken",
            field="tax_code",
        )
    return ValidationFailed(
        gettext(
            "An account with this identification number already exists. Sign in, or reset the "
            "password if you have forgotten it."
        ),
        code="signup.national_id_taken",
        field="national_id",
    )


def _counter_record_mismatch() -> ValidationFailed:
    return ValidationFailed(
        gettext(
            "This number is already on record from a one-stop counter, with another phone "
            "number or e-mail. To protect those records, the code can only go to the phone "
            "number or e-mail recorded there. If they have changed, please visit a one-stop "
            "counter with your ID card to update them."
        ),
        code="signup.counter_record_mismatch",
    )


@dataclass
class _Problems:
    """Every bad field at once, so that a form can mark them all."""

    errors: dict[str, tuple[str, str]] = field(default_factory=dict)

    def add(self, name: str, code: str, message: str) -> None:
        self.errors.setdefault(name, (code, message))

    def raise_if_any(self) -> None:
        if not self.errors:
            return
        name, (code, message) = next(iter(self.errors.items()))
        raise ValidationFailed(
            message,
            code=code,
            field=name,
            details={"errors": {k: {"code": c, "message": m} for k, (c, m) in self.errors.items()}},
        )


# --- codes ---------------------------------------------------------------------------------------


def _new_code() -> str:
    return f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"


def _hash(code: str, salt: str) -> str:
    digest = salted_hmac(_HASH_SALT, f"{salt}:{code}", algorithm="sha256").hexdigest()
    return f"{salt}${digest}"


def _hash_new(code: str) -> str:
    return _hash(code, secrets.token_hex(8))


def _matches(row: OneTimeCode, code: str) -> bool:
    code = "".join((code or "").split())
    salt, _sep, _digest = row.code_hash.partition("$")
    candidate = _hash(code, salt) if len(code) == CODE_DIGITS and code.isdigit() else "-"
    return constant_time_compare(candidate, row.code_hash)


def mask_destination(channel: str, destination: str) -> str:
    """Enough of the address for its owner to recognise it: 09*****678, n***@example.vn."""
    if channel == Channel.EMAIL:
        local, _sep, domain = destination.partition("@")
        return f"{local[:1]}***@{domain}"
    return f"{destination[:2]}{'*' * max(0, len(destination) - 5)}{destination[-3:]}"


def _language(account: Account) -> str:
    language = account.preferred_language or "vi"
    return language if language in {code for code, _name in settings.LANGUAGES} else "vi"


def _send(row: OneTimeCode, code: str) -> None:
    notification_send(
        channel=row.channel,
        recipient=row.destination,
        template=NOTIFICATION_TEMPLATE,
        context={
            "code": code,
            "minutes": int(otp_limits().ttl.total_seconds() // 60),
            "purpose": row.purpose,
        },
        language=_language(row.account),
    )


def _issue(
    account: Account,
    *,
    purpose: str,
    channel: str,
    destination: str,
    now: datetime,
    payload: Mapping[str, Any] | None = None,
) -> OneTimeCode:
    """A fresh code for one purpose of one account; earlier unused ones of it stop working."""
    OneTimeCode.objects.filter(account=account, purpose=purpose, used_at__isnull=True).delete()
    code = _new_code()
    row = OneTimeCode.objects.create(
        account=account,
        purpose=purpose,
        channel=channel,
        destination=destination,
        code_hash=_hash_new(code),
        payload=dict(payload or {}),
        created_at=now,
        sent_at=now,
        expires_at=now + otp_limits().ttl,
    )
    _send(row, code)
    return row


def _consume(
    code_id: int, purpose: str, code: str, now: datetime, *, account_id: int | None = None
) -> tuple[OneTimeCode | None, ValidationFailed | None]:
    """Check a typed code inside the caller's transaction: the row when right (marked used),
    else the error to raise *after* the transaction has committed the wrong try."""
    limits = otp_limits()
    row = (
        OneTimeCode.objects.select_for_update()
        .select_related("account")
        .filter(pk=code_id, purpose=purpose)
        .first()
    )
    if row is None or row.used_at is not None or (account_id and row.account_id != account_id):
        return None, _start_again()
    if row.attempts >= limits.max_attempts:
        return None, code_exhausted_error(can_resend=row.sends < limits.max_sends)
    if now >= row.expires_at:
        return None, _expired()
    if _matches(row, code):
        row.used_at = now
        row.save(update_fields=["used_at"])
        return row, None
    row.attempts += 1
    row.save(update_fields=["attempts"])
    if row.attempts >= limits.max_attempts:
        return None, code_exhausted_error(can_resend=row.sends < limits.max_sends)
    return None, code_wrong_error(limits.max_attempts - row.attempts)


def one_time_code_resend(
    *,
    code_id: int,
    purpose: str,
    account: Account | None = None,
    now: datetime | None = None,
) -> OneTimeCode:
    """Send a new code in place of the pending one (limited in number and frequency).

    The new code replaces the old one, with a new expiry and a fresh count of tries.
    `account`, when given, must own the code (a signed-in citizen's contact change).
    """
    now = now or timezone.now()
    limits = otp_limits()
    with transaction.atomic():
        row = (
            OneTimeCode.objects.select_for_update()
            .select_related("account")
            .filter(pk=code_id, purpose=purpose, used_at__isnull=True)
            .first()
        )
        if row is None or (account is not None and row.account_id != account.pk):
            raise _start_again()
        if row.sends >= limits.max_sends:
            raise ValidationFailed(
                gettext("You have asked for a new code too many times. Please start again later."),
                code="otp.resend_limit",
            )
        wait = row.sent_at + limits.resend_after - now
        if wait > timedelta(0):
            seconds = int(wait.total_seconds()) + (1 if wait.microseconds else 0)
            raise ValidationFailed(
                gettext("Please wait %(seconds)d seconds before asking for a new code.")
                % {"seconds": seconds},
                code="otp.resend_too_soon",
                details={"retry_after": seconds},
            )
        code = _new_code()
        row.code_hash = _hash_new(code)
        row.attempts = 0
        row.sends += 1
        row.sent_at = now
        row.expires_at = now + limits.ttl
        row.save(update_fields=["code_hash", "attempts", "sends", "sent_at", "expires_at"])
        _send(row, code)
        return row


# --- sign-up -------------------------------------------------------------------------------------


def _identity_lookup(kind: str, identifier: str) -> dict[str, str]:
    if kind == Applicant.Kind.BUSINESS:
        return {"kind": kind, "tax_code": identifier}
    return {"kind": kind, "national_id": identifier}


def _recorded(applicant: Applicant, channel: str) -> str:
    """The applicant's contact on record for a channel, in the form codes are sent to."""
    if channel == Channel.SMS:
        return identifiers.normalize_mobile(applicant.phone) or ""
    return applicant.email.strip().lower()


def _account_locked(username: str) -> Account | None:
    return Account.objects.select_for_update().filter(username=username).first()


def _is_pending_signup(account: Account) -> bool:
    """An applicant account created by a sign-up whose code was never confirmed."""
    return (
        account.kind == Account.Kind.APPLICANT
        and not account.is_active
        and not Applicant.objects.filter(account_id=account.pk).exists()
        and OneTimeCode.objects.filter(account_id=account.pk, purpose=Purpose.SIGNUP).exists()
    )


def citizen_signup(
    *,
    kind: str,
    full_name: str,
    identifier: str,
    phone: str,
    email: str,
    password: str,
    channel: str,
    representative: str = "",
    now: datetime | None = None,
) -> OneTimeCode:
    """Open an inactive account and send the code that activates it.

    `identifier` is the 12-digit national ID of a person or the tax code of a business (the
    user name). The code goes to `phone` (channel "sms") or `email` ("email"). A sign-up
    that was never confirmed is replaced by a new one for the same number; a confirmed
    account is never touched. Returns the pending code (its id goes into the session).
    """
    now = now or timezone.now()
    problems = _Problems()
    if kind not in Applicant.Kind.values:
        problems.add("kind", "signup.kind_invalid", gettext("Choose citizen or business."))
    if kind == Applicant.Kind.BUSINESS:
        normalized = identifiers.normalize_tax_code(identifier) or ""
        if not normalized:
            problems.add(
                "tax_code",
                "applicant.tax_code_invalid",
                gettext("Enter a valid tax code: 10 digits, or 13 for a branch (0123456789-001)."),
            )
        representative = " ".join(representative.split())
        if not representative:
            problems.add(
                "representative",
                "signup.representative_required",
                gettext("Enter the name of the legal representative."),
            )
    else:
        normalized = identifiers.normalize_digits(identifier)
        if not identifiers.national_id_is_valid(normalized):
            problems.add(
                "national_id",
                "applicant.national_id_invalid",
                gettext(
                    "Enter the 12-digit personal identification number printed on the ID card."
                ),
            )
        representative = ""
    name = " ".join(full_name.split())
    if not name:
        problems.add("full_name", "applicant.name_required", gettext("Enter the name."))
    mobile = identifiers.normalize_mobile(phone) or ""
    if not mobile:
        problems.add(
            "phone",
            "applicant.phone_invalid",
            gettext("Enter a Vietnamese mobile number of 10 digits, e.g. 0912345678."),
        )
    email = email.strip().lower()
    if (email or channel == Channel.EMAIL) and not identifiers.email_is_valid(email):
        problems.add("email", "applicant.email_invalid", gettext("Enter a valid e-mail address."))
    if channel not in Channel.values:
        problems.add(
            "channel",
            "signup.channel_invalid",
            gettext("Choose where to send the code: text message or e-mail."),
        )
    first_name, last_name = split_full_name(name)
    candidate = Account(
        username=normalized,
        email=email,
        first_name=first_name[:150],
        last_name=last_name[:150],
        kind=Account.Kind.APPLICANT,
    )
    try:
        check_password_rules(password, candidate)
    except ValidationFailed as exc:
        problems.add("password", exc.code, str(exc.message))
    problems.raise_if_any()
    destination = mobile if channel == Channel.SMS else email

    with transaction.atomic():
        account = _account_locked(normalized)
        if account is not None and not _is_pending_signup(account):
            raise _taken(kind)
        existing = (
            Applicant.objects.select_for_update()
            .filter(**_identity_lookup(kind, normalized))
            .first()
        )
        if existing is not None:
            if existing.account_id is not None:
                raise _taken(kind)
            if not constant_time_compare(_recorded(existing, channel) or "\x00", destination):
                raise _counter_record_mismatch()
        if account is None:
            account = candidate
        else:
            account.email = email
            account.first_name, account.last_name = candidate.first_name, candidate.last_name
        account.is_active = False
        account.set_password(password)
        account.password_changed_at = now
        try:
            with transaction.atomic():  # a savepoint: two sign-ups racing for one number
                account.save()
        except IntegrityError:
            raise _taken(kind) from None
        payload = {
            "kind": kind,
            "full_name": name,
            "identifier": normalized,
            "phone": mobile,
            "email": email,
            "representative": representative,
        }
        row = _issue(
            account,
            purpose=Purpose.SIGNUP,
            channel=channel,
            destination=destination,
            now=now,
            payload=payload,
        )
        audit_record(
            actor=account,
            action="directory.citizen.signup",
            obj=account,
            after={"kind": kind, "channel": channel, "counter_record": existing is not None},
        )
    return row


def citizen_signup_verify(*, code_id: int, code: str, now: datetime | None = None) -> Account:
    """Confirm a sign-up: activate the account and create (or claim) its applicant record.

    A counter record for the same number is claimed only when the code went to the phone or
    e-mail recorded on it (checked again here: the counter may have recorded the person after
    the sign-up started). Blank contact fields of a claimed record are filled from the
    sign-up; recorded ones are kept.
    """
    now = now or timezone.now()
    failure: EgovError | None
    with transaction.atomic():
        row, failure = _consume(code_id, Purpose.SIGNUP, code, now)
        if row is not None:
            account = Account.objects.select_for_update().get(pk=row.account_id)
            data = row.payload
            kind = str(data["kind"])
            applicant = (
                Applicant.objects.select_for_update()
                .filter(**_identity_lookup(kind, str(data["identifier"])))
                .first()
            )
            claimed = applicant is not None
            if applicant is not None:
                if applicant.account_id is not None:
                    raise _taken(kind)
                if not constant_time_compare(
                    _recorded(applicant, row.channel) or "\x00", row.destination
                ):
                    raise _counter_record_mismatch()
                applicant.account = account
                applicant.phone = applicant.phone or str(data["phone"])
                applicant.email = applicant.email or str(data["email"])
                applicant.representative = applicant.representative or str(data["representative"])
                applicant.save(update_fields=["account", "phone", "email", "representative"])
            else:
                try:
                    with transaction.atomic():  # the counter may record the number right now
                        applicant = Applicant.objects.create(
                            account=account,
                            **_identity_lookup(kind, str(data["identifier"])),
                            full_name=str(data["full_name"]),
                            phone=str(data["phone"]),
                            email=str(data["email"]),
                            representative=str(data["representative"]),
                        )
                except IntegrityError:
                    raise ValidationFailed(
                        gettext("Please try again in a moment."), code="signup.conflict"
                    ) from None
            account.is_active = True
            account.failed_logins = 0
            account.locked_until = None
            if claimed and applicant.email and not account.email:
                account.email = applicant.email
            account.save(update_fields=["is_active", "failed_logins", "locked_until", "email"])
            audit_record(
                actor=account,
                action="directory.applicant.register",
                obj=applicant,
                after={
                    "kind": applicant.kind,
                    "account": account.pk,
                    "verified": row.channel,
                    "claimed_counter_record": claimed,
                },
            )
            return account
    assert failure is not None
    raise failure


# --- password reset ------------------------------------------------------------------------------


def _account_for_identifier(identifier: str) -> Account | None:
    """The active applicant account whose user name is this ID number or tax code."""
    candidates = {identifiers.normalize_digits(identifier)}
    tax_code = identifiers.normalize_tax_code(identifier)
    if tax_code:
        candidates.add(tax_code)
    return (
        Account.objects.filter(
            username__in=[c for c in candidates if c],
            kind=Account.Kind.APPLICANT,
            is_active=True,
        )
        .select_related("applicant")
        .first()
    )


def citizen_password_reset_start(
    *, identifier: str, channel: str, now: datetime | None = None
) -> OneTimeCode | None:
    """Send a reset code to the phone or e-mail on record of the account with this number.

    Returns None (and sends nothing) when no active account matches or it has no contact on
    that channel; the caller must answer the same in both cases.
    """
    now = now or timezone.now()
    if channel not in Channel.values:
        raise ValidationFailed(
            gettext("Choose where to send the code: text message or e-mail."),
            code="signup.channel_invalid",
            field="channel",
        )
    account = _account_for_identifier(identifier)
    if account is None:
        return None
    applicant = Applicant.objects.filter(account_id=account.pk).first()
    if channel == Channel.SMS:
        destination = identifiers.normalize_mobile(applicant.phone if applicant else "") or ""
    else:
        destination = ((applicant.email if applicant else "") or account.email).strip().lower()
    if not destination:
        return None
    with transaction.atomic():
        row = _issue(
            account,
            purpose=Purpose.PASSWORD_RESET,
            channel=channel,
            destination=destination,
            now=now,
        )
        audit_record(
            actor=account,
            action="auth.password_reset_requested",
            obj=account,
            after={"channel": channel},
        )
    return row


def citizen_password_reset_finish(
    *, code_id: int, code: str, new_password: str, now: datetime | None = None
) -> Account:
    """Set a new password with a right reset code; lifts a sign-in lockout too."""
    now = now or timezone.now()
    failure: EgovError | None
    with transaction.atomic():
        row, failure = _consume(code_id, Purpose.PASSWORD_RESET, code, now)
        if row is not None:
            account = Account.objects.select_for_update().get(pk=row.account_id)
            if not account.is_active:
                raise _start_again()
            try:
                check_password_rules(new_password, account)
            except ValidationFailed as exc:
                exc.field = "new_password"
                raise
            account.set_password(new_password)
            account.password_changed_at = now
            account.failed_logins = 0
            account.locked_until = None
            account.save(
                update_fields=["password", "password_changed_at", "failed_logins", "locked_until"]
            )
            audit_record(actor=account, action="auth.password_reset", obj=account)
            return account
    assert failure is not None
    raise failure


# --- contact change ------------------------------------------------------------------------------


def _applicant_of(account: Account) -> Applicant:
    applicant = Applicant.objects.filter(account_id=account.pk).first()
    if applicant is None or account.kind != Account.Kind.APPLICANT:
        raise ValidationFailed(
            gettext("Only citizen and business accounts can do this."),
            code="citizen.not_applicant",
        )
    return applicant


def citizen_contact_change_start(
    *,
    account: Account,
    password: str,
    channel: str,
    value: str,
    now: datetime | None = None,
) -> OneTimeCode:
    """Ask to change the phone number ("sms") or e-mail ("email"): the code goes to the new one.

    The current password is asked first, so that a session left open is not enough.
    """
    now = now or timezone.now()
    applicant = _applicant_of(account)
    problems = _Problems()
    if channel == Channel.SMS:
        destination = identifiers.normalize_mobile(value) or ""
        current = identifiers.normalize_mobile(applicant.phone) or ""
        if not destination:
            problems.add(
                "value",
                "applicant.phone_invalid",
                gettext("Enter a Vietnamese mobile number of 10 digits, e.g. 0912345678."),
            )
    elif channel == Channel.EMAIL:
        destination = value.strip().lower()
        current = applicant.email.strip().lower()
        if not identifiers.email_is_valid(destination):
            problems.add(
                "value", "applicant.email_invalid", gettext("Enter a valid e-mail address.")
            )
    else:
        destination = current = ""
        problems.add(
            "channel",
            "signup.channel_invalid",
            gettext("Choose what to change: phone number or e-mail."),
        )
    if destination and destination == current:
        problems.add(
            "value",
            "citizen.contact_unchanged",
            gettext("This is already the address on your account."),
        )
    if not account.check_password(password):
        problems.add("password", "auth.invalid", gettext("The current password is not correct."))
    problems.raise_if_any()
    with transaction.atomic():
        return _issue(
            account,
            purpose=Purpose.CONTACT_CHANGE,
            channel=channel,
            destination=destination,
            now=now,
            payload={"channel": channel, "value": destination},
        )


def citizen_contact_change_verify(
    *, account: Account, code_id: int, code: str, now: datetime | None = None
) -> Applicant:
    """Apply a contact change once the code sent to the new address is typed back."""
    now = now or timezone.now()
    failure: EgovError | None
    with transaction.atomic():
        row, failure = _consume(code_id, Purpose.CONTACT_CHANGE, code, now, account_id=account.pk)
        if row is not None:
            applicant = Applicant.objects.select_for_update().get(account_id=account.pk)
            locked = Account.objects.select_for_update().get(pk=account.pk)
            value = str(row.payload["value"])
            if row.payload["channel"] == Channel.SMS:
                before = {"phone": applicant.phone}
                applicant.phone = value
                applicant.save(update_fields=["phone"])
                after = {"phone": value}
            else:
                before = {"email": applicant.email}
                applicant.email = value
                applicant.save(update_fields=["email"])
                locked.email = value
                locked.save(update_fields=["email"])
                after = {"email": value}
            audit_record(
                actor=locked,
                action="directory.applicant.contact_change",
                obj=applicant,
                before=before,
                after=after,
            )
            return applicant
    assert failure is not None
    raise failure


# --- sign-in with rate limits --------------------------------------------------------------------


class RateLimitedPasswordProvider:
    """The password provider of `directory.identity`, with limits on failed attempts per
    client address and per user name (scope "signin").

    Only failures are counted (a crowded office behind one address signs in all day); once a
    bucket is full every attempt is refused with the Vietnamese "try again in N minutes"
    message before the password is even checked. The account lockout still applies.
    """

    key = "password"
    label: StrOrPromise = _("ID number or tax code and password")
    interactive = True

    def authenticate(self, credentials: Mapping[str, str]) -> Account:
        username = credentials.get("username", "").strip()
        keys = [f"user|{username.lower()}"]
        ip = request_context.current().ip
        if ip:
            keys.append(f"ip|{ip}")
        for key in keys:
            rate_limit_check(scope="signin", key=key)
        try:
            return services.account_authenticate(
                username=username,
                password=credentials.get("password", ""),
                kind=Account.Kind.APPLICANT,
            )
        except NotAuthenticated:
            for key in keys:
                rate_limit_hit(scope="signin", key=key)
            raise

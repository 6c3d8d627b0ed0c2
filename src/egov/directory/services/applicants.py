"""Registration of citizens and businesses: accounts that are never officers."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext
from vietnam_provinces.lookup import WARD_MAPPING

from egov.core.audit import audit_record
from egov.core.errors import ValidationFailed
from egov.directory import identifiers, policy
from egov.directory.models import Account, Applicant
from egov.directory.services._common import snapshot
from egov.directory.services.officers import check_password_rules, split_full_name

_AUDIT_FIELDS = ["kind", "full_name", "national_id", "tax_code", "phone", "email", "ward_code"]


@dataclass
class _Problems:
    """Collects every bad field so that a form can mark them all at once."""

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


def _check_contact(
    problems: _Problems,
    *,
    name: str,
    phone: str,
    email: str,
    ward_code: str,
    email_required: bool = True,
) -> tuple[str, str, str]:
    name = " ".join(name.split())
    if not name:
        problems.add("full_name", "applicant.name_required", gettext("Enter the name."))
    mobile = identifiers.normalize_mobile(phone)
    if mobile is None:
        problems.add(
            "phone",
            "applicant.phone_invalid",
            gettext("Enter a Vietnamese mobile number of 10 digits, e.g. 0912345678."),
        )
    email = email.strip()
    if (email or email_required) and not identifiers.email_is_valid(email):
        problems.add("email", "applicant.email_invalid", gettext("Enter a valid e-mail address."))
    if ward_code and not (ward_code.isdigit() and int(ward_code) in WARD_MAPPING):
        problems.add("ward_code", "applicant.ward_invalid", gettext("Unknown commune code."))
    return name, mobile or "", email


def _open_account(*, username: str, name: str, email: str, password: str) -> Account:
    first_name, last_name = split_full_name(name)
    account = Account(
        username=username,
        email=email,
        first_name=first_name[:150],
        last_name=last_name[:150],
        kind=Account.Kind.APPLICANT,
    )
    check_password_rules(password, account)
    account.set_password(password)
    account.password_changed_at = timezone.now()
    account.save()
    return account


@transaction.atomic
def applicant_register_citizen(
    *,
    full_name: str,
    national_id: str,
    phone: str,
    email: str,
    password: str,
    address: str = "",
    ward_code: str = "",
    actor: Account | None = None,
) -> Applicant:
    """A citizen opens an account; the personal identification number is the user name."""
    problems = _Problems()
    national_id = identifiers.normalize_digits(national_id)
    if not identifiers.national_id_is_valid(national_id):
        problems.add(
            "national_id",
            "applicant.national_id_invalid",
            gettext("Enter the 12-digit personal identification number printed on the ID card."),
        )
    name, mobile, email = _check_contact(
        problems, name=full_name, phone=phone, email=email, ward_code=ward_code
    )
    problems.raise_if_any()
    if (
        Applicant.objects.filter(kind=Applicant.Kind.PERSON, national_id=national_id).exists()
        or Account.objects.filter(username=national_id).exists()
    ):
        raise ValidationFailed(
            gettext("An account with this identification number already exists."),
            code="applicant.national_id_taken",
            field="national_id",
        )
    account = _open_account(username=national_id, name=name, email=email, password=password)
    applicant = Applicant.objects.create(
        account=account,
        kind=Applicant.Kind.PERSON,
        full_name=name,
        national_id=national_id,
        phone=mobile,
        email=email,
        address=address.strip(),
        ward_code=ward_code,
    )
    audit_record(
        actor=actor or account,
        action="directory.applicant.register",
        obj=applicant,
        after=snapshot(applicant, _AUDIT_FIELDS),
    )
    return applicant


@transaction.atomic
def applicant_register_business(
    *,
    business_name: str,
    tax_code: str,
    phone: str,
    email: str,
    password: str,
    address: str = "",
    ward_code: str = "",
    actor: Account | None = None,
) -> Applicant:
    """A business (or other organisation) opens an account; its tax code is the user name."""
    problems = _Problems()
    normalized = identifiers.normalize_tax_code(tax_code)
    if normalized is None:
        problems.add(
            "tax_code",
            "applicant.tax_code_invalid",
            gettext("Enter a valid tax code: 10 digits, or 13 for a branch (0123456789-001)."),
        )
    name, mobile, email = _check_contact(
        problems, name=business_name, phone=phone, email=email, ward_code=ward_code
    )
    problems.raise_if_any()
    assert normalized is not None
    if (
        Applicant.objects.filter(kind=Applicant.Kind.BUSINESS, tax_code=normalized).exists()
        or Account.objects.filter(username=normalized).exists()
    ):
        raise ValidationFailed(
            gettext("An account with this tax code already exists."),
            code="applicant.tax_code_taken",
            field="tax_code",
        )
    account = _open_account(username=normalized, name=name, email=email, password=password)
    applicant = Applicant.objects.create(
        account=account,
        kind=Applicant.Kind.BUSINESS,
        full_name=name,
        tax_code=normalized,
        phone=mobile,
        email=email,
        address=address.strip(),
        ward_code=ward_code,
    )
    audit_record(
        actor=actor or account,
        action="directory.applicant.register",
        obj=applicant,
        after=snapshot(applicant, _AUDIT_FIELDS),
    )
    return applicant


@transaction.atomic
def applicant_record_walk_in(
    *,
    actor: Account,
    identifier: str,
    full_name: str,
    phone: str,
    address: str = "",
    email: str = "",
) -> Applicant:
    """Record a citizen or business who applies at the counter without an account.

    The national ID (12 digits) or tax code decides the kind. An applicant already known by
    that number is returned unchanged, so a second visit never duplicates the person; the
    record can later be claimed by an account opened with the same number.
    """
    policy.require(actor, "directory.applicant.record")
    problems = _Problems()
    digits = identifiers.normalize_digits(identifier)
    tax_code = identifiers.normalize_tax_code(identifier)
    if len(digits) == 12 and identifiers.national_id_is_valid(digits):
        kind, lookup = Applicant.Kind.PERSON, {"national_id": digits}
    elif tax_code:
        kind, lookup = Applicant.Kind.BUSINESS, {"tax_code": tax_code}
    else:
        problems.add(
            "identifier",
            "applicant.identifier_invalid",
            gettext("Enter a 12-digit personal identification number or a tax code."),
        )
        problems.raise_if_any()
    existing = Applicant.objects.filter(kind=kind, **lookup).first()
    if existing is not None:
        return existing
    name, mobile, email = _check_contact(
        problems, name=full_name, phone=phone, email=email, ward_code="", email_required=False
    )
    problems.raise_if_any()
    applicant = Applicant.objects.create(
        kind=kind,
        full_name=name,
        phone=mobile,
        email=email,
        address=address.strip(),
        **lookup,
    )
    audit_record(
        actor=actor,
        action="directory.applicant.record_walk_in",
        obj=applicant,
        after=snapshot(applicant, _AUDIT_FIELDS),
    )
    return applicant


def applicant_record_online(
    *,
    identifier: str,
    full_name: str,
    phone: str,
    email: str = "",
    address: str = "",
    ward_code: str = "",
) -> Applicant:
    """Record who submits online without an account (procedures that allow it).

    There is no officer to vouch for the person, so an identity that already has an account is
    refused (its owner must sign in: nobody submits in their name unseen); an identity known
    only from the counter is reused as at the counter. Recorded by the system (no actor).
    """
    problems = _Problems()
    digits = identifiers.normalize_digits(identifier)
    tax_code = identifiers.normalize_tax_code(identifier)
    if len(digits) == 12 and identifiers.national_id_is_valid(digits):
        kind, lookup = Applicant.Kind.PERSON, {"national_id": digits}
    elif tax_code:
        kind, lookup = Applicant.Kind.BUSINESS, {"tax_code": tax_code}
    else:
        problems.add(
            "identifier",
            "applicant.identifier_invalid",
            gettext("Enter a 12-digit personal identification number or a tax code."),
        )
        problems.raise_if_any()
    name, mobile, email = _check_contact(
        problems,
        name=full_name,
        phone=phone,
        email=email,
        ward_code=ward_code,
        email_required=False,
    )
    problems.raise_if_any()
    existing = Applicant.objects.filter(kind=kind, **lookup).first()
    if existing is not None and existing.account_id is not None:
        raise ValidationFailed(
            gettext("An account already exists for this ID number or tax code: sign in to submit."),
            code="applicant.has_account",
            field="identifier",
        )
    if existing is not None:
        return existing
    applicant = Applicant.objects.create(
        kind=kind,
        full_name=name,
        phone=mobile,
        email=email,
        address=address.strip(),
        ward_code=ward_code,
        **lookup,
    )
    audit_record(
        actor=None,
        action="directory.applicant.record_online",
        obj=applicant,
        after=snapshot(applicant, _AUDIT_FIELDS),
    )
    return applicant

"""Signing use cases: sign as a person, sign as the organisation, manage keys and trust.

Every signature is made outside the database transaction (it may wait for a token or a
timestamp authority); only when the signed bytes exist are the SignatureRecord and the audit
entry written, together. Any refusal happens before signing: nothing is signed or written.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.timestamps import TimeStamper
from pyhanko.sign.validation.pdf_embedded import EmbeddedPdfSignature
from pyhanko_certvalidator import ValidationContext

from egov.core.audit import audit_record
from egov.core.errors import ValidationFailed
from egov.core.files import file_store
from egov.core.models import StoredFile
from egov.directory import policy
from egov.directory.models import Account, Delegation, Officer, Organization
from egov.signing import devca, keys, revocation, selectors, stamps
from egov.signing.errors import (
    CertificateRevoked,
    KeyNotFound,
    NotSignedByCompetentPerson,
    WrongSecret,
)
from egov.signing.models import RevocationList, SignatureRecord, SigningKey, TrustedRoot
from egov.signing.pdf import (
    LEVEL_B_B,
    LEVEL_B_LT,
    LEVEL_B_T,
    StampRequest,
    check_signatures_intact,
    next_field_name,
    page_count,
    page_media_box,
    read_pdf,
    sha256_hex,
    sign_pdf,
    signature_widgets,
    signing_time_text,
)
from egov.signing.tsa import HttpTimeStamper


@dataclass(frozen=True)
class SignedResult:
    """The signed PDF and the record that names it."""

    pdf: bytes
    record: SignatureRecord

    @property
    def sha256_before(self) -> str:
        return self.record.sha256_before

    @property
    def sha256_after(self) -> str:
        return self.record.sha256_after


# --- helpers -------------------------------------------------------------------------------------


def key_source(key: SigningKey) -> keys.KeySource:
    """Where the key material of a stored key lives."""
    if key.kind == SigningKey.Kind.PKCS11:
        return keys.Pkcs11Source(
            module_path=key.pkcs11_module,
            token_label=key.pkcs11_token_label,
            key_label=key.pkcs11_key_label,
        )
    if key.pkcs12_sealed is None:
        raise KeyNotFound()
    return keys.Pkcs12Source(keys.open_key_material(bytes(key.pkcs12_sealed)))


def _usable_key(key_id: int) -> SigningKey:
    key = selectors.signing_key_get(key_id)
    if key is None or not key.is_active:
        raise KeyNotFound()
    return key


def _check_key_state(key: SigningKey, *, now: datetime) -> None:
    if key.revoked_at is not None and key.revoked_at <= now:
        raise CertificateRevoked()
    cert = x509.load_der_x509_certificate(bytes(key.certificate_der))
    keys.check_certificate_period(cert, now)
    for row in RevocationList.objects.filter(is_active=True):
        issuer = x509.load_der_x509_certificate(bytes(row.issuer_certificate_der))
        if cert.issuer != issuer.subject:
            continue
        revoked_at = revocation.parse_crl(bytes(row.crl_der)).revoked_at(cert.serial_number)
        if revoked_at is not None and revoked_at <= now:
            raise CertificateRevoked(details={"crl": row.name})


@contextmanager
def _open(key: SigningKey, secret: str) -> Iterator[keys.LoadedSigner]:
    """The opened key, held open (a PKCS#11 session) until the signature is made."""
    with keys.signer_lease(key_source(key), secret) as loaded:
        if loaded.fingerprint != key.fingerprint:
            raise WrongSecret(gettext("The key does not match the certificate on record."))
        yield loaded


def _timestamper() -> TimeStamper | None:
    config = selectors.timestamp_authority()
    return HttpTimeStamper(config.url, timeout=config.timeout) if config else None


def _page_index(reader: PdfFileReader, placement: stamps.Placement) -> int:
    count = page_count(reader)
    return count - 1 if placement.page == 0 else min(placement.page, count) - 1


def _level(timestamper: TimeStamper | None, context: ValidationContext | None) -> str:
    if timestamper is None:
        return LEVEL_B_B
    return LEVEL_B_LT if context is not None else LEVEL_B_T


def _signing_context(
    loaded: keys.LoadedSigner, timestamper: TimeStamper | None, *, now: datetime
) -> ValidationContext | None:
    """PAdES B-LT needs a timestamp authority and the CRL of the signer's CA: then the chain
    and the CRLs (from the database, nothing fetched) go into the PDF's security store."""
    if timestamper is None:
        return None
    revocation_lists_refresh_due(now=now)
    rows = list(RevocationList.objects.filter(is_active=True))
    issuers = [x509.load_der_x509_certificate(bytes(r.issuer_certificate_der)) for r in rows]
    if not any(loaded.certificate.issuer == issuer.subject for issuer in issuers):
        return None
    der = serialization.Encoding.DER
    return ValidationContext(
        trust_roots=[asn1_x509.Certificate.load(r) for r in selectors.trusted_roots_der()],
        other_certs=[asn1_x509.Certificate.load(c.public_bytes(der)) for c in loaded.chain],
        crls=[bytes(r.crl_der) for r in rows],
        allow_fetching=False,
        revocation_mode="soft-fail",
    )


def _record(
    *,
    actor: Account,
    action: str,
    kind: str,
    key: SigningKey,
    officer: Officer | None,
    on_behalf_of: Officer | None,
    organization: Organization | None,
    before: bytes,
    after: bytes,
    field_name: str,
    level: str,
    reason: str,
    document_type: str,
    reference: str,
    now: datetime,
    verification_code: str | None = None,
) -> SignatureRecord:
    with transaction.atomic():
        record = SignatureRecord.objects.create(
            kind=kind,
            key=key,
            actor=actor,
            officer=officer,
            on_behalf_of=on_behalf_of,
            organization=organization,
            field_name=field_name,
            sha256_before=sha256_hex(before),
            sha256_after=sha256_hex(after),
            certificate_fingerprint=key.fingerprint,
            level=level,
            reason=reason[:300],
            document_type=document_type,
            reference=reference,
            signed_at=now,
            verification_code=verification_code,
        )
        audit_record(
            actor=actor,
            action=action,
            obj=record,
            after={
                "key": key.pk,
                "certificate": key.fingerprint,
                "sha256_before": record.sha256_before,
                "sha256_after": record.sha256_after,
                "field": field_name,
                "level": level,
                "reference": reference,
                "verification_code": verification_code,
            },
        )
    return record


def _new_field_name(reader: PdfFileReader) -> str:
    return next_field_name(reader, "Signature")


# --- signing as a person -------------------------------------------------------------------------


def signature_sign_as_person(
    *,
    actor: Account,
    pdf: bytes,
    key_id: int,
    secret: str,
    reason: str = "",
    location: str = "",
    document_type: str = "",
    visible: bool = True,
    now: datetime | None = None,
) -> SignedResult:
    """A head (or a deputy with a delegation) signs a PDF with their own key.

    Refuses with a coded error and signs nothing: unknown key (KeyNotFound), not the key's
    owner or no power to sign (PermissionDenied), revoked or expired certificate, corrupt or
    encrypted PDF, a signature already broken, wrong password or PIN.
    """
    now = now or timezone.now()
    key = _usable_key(key_id)
    policy.require(actor, "signing.sign_as_person", key)
    _check_key_state(key, now=now)
    officer = key.officer
    assert officer is not None
    home = policy.selectors.officer_organization(officer)
    head = policy.exercising_for(officer, Delegation.Power.SIGN, home, at=now)
    reader = read_pdf(pdf)
    check_signatures_intact(reader)
    with _open(key, secret) as loaded:
        field_name = _new_field_name(reader)
        stamp = None
        if visible:
            placement = selectors.stamp_placement(document_type, stamps.Kind.PERSON)
            page = _page_index(reader, placement)
            title = officer.position.name_vi.upper()
            lines: list[str] = []
            if head is not None and head.pk != officer.pk:
                lines.append(gettext("p.p. %(title)s") % {"title": head.position.name_vi.upper()})
            lines.append(title)
            lines += [
                officer.full_name,
                gettext("Signed: %(time)s") % {"time": signing_time_text(now)},
            ]
            stamp = StampRequest(
                text=stamps.StampText(
                    kind=stamps.Kind.PERSON,
                    lines=tuple(lines),
                    image=bytes(key.signature_image) if key.signature_image else None,
                    font_size=placement.font_size,
                ),
                page=page,
                box=stamps.place(placement, page_media_box(reader, page)),
            )
        timestamper = _timestamper()
        context = _signing_context(loaded, timestamper, now=now)
        signed = sign_pdf(
            pdf,
            loaded=loaded,
            reason=reason,
            location=location,
            field_name=field_name,
            stamp=stamp,
            timestamper=timestamper,
            reader=reader,
            validation_context=context,
        )
    record = _record(
        actor=actor,
        action="signing.sign_as_person",
        kind=SignatureRecord.Kind.PERSON,
        key=key,
        officer=officer,
        on_behalf_of=head if head is not None and head.pk != officer.pk else None,
        organization=home,
        before=pdf,
        after=signed,
        field_name=field_name,
        level=_level(timestamper, context),
        reason=reason,
        document_type=document_type,
        reference="",
        now=now,
    )
    return SignedResult(signed, record)


# --- signing as the organisation -----------------------------------------------------------------


def _signer_fingerprint(sig: EmbeddedPdfSignature) -> str:
    return hashlib.sha256(sig.signer_cert.dump()).hexdigest()


def competent_signature(
    sigs: list[EmbeddedPdfSignature], organization: Organization
) -> EmbeddedPdfSignature | None:
    """The (intact) signature of someone who may sign for `organization`, if any.

    The signer is known by the certificate: it must be the personal key of an officer who, at
    the time the signature claims, was a head of the organisation or held a delegation.
    """
    by_fp = selectors.signing_keys_by_fingerprint([_signer_fingerprint(s) for s in sigs])
    for sig in reversed(sigs):
        key = by_fp.get(_signer_fingerprint(sig))
        if key is None or key.officer is None:
            continue
        at = sig.self_reported_timestamp or timezone.now()
        if policy.may_exercise(key.officer, Delegation.Power.SIGN, organization, at=at):
            return sig
    return None


def signature_sign_as_organization(
    *,
    actor: Account,
    pdf: bytes,
    key_id: int,
    secret: str,
    reference: str = "",
    document_type: str = "",
    attachment_of: str = "",
    visible: bool = True,
    now: datetime | None = None,
) -> SignedResult:
    """The clerk applies the organisation's signature (the seal) when issuing a document.

    A visible seal on the main document carries a QR code with the address of the record's
    verification code (`/xac-thuc-van-ban/ma/<code>/`), where anyone can compare their copy
    with the file the platform signed.

    The main document must already carry the intact signature of a competent person of the
    organisation; the seal goes over the left third of that person's stamp. With
    `attachment_of` (SHA-256 of the signed main document, as recorded) the PDF is an
    attachment: the signature goes top right of page 1 as text (number and notation, time).
    """
    now = now or timezone.now()
    key = _usable_key(key_id)
    policy.require(actor, "signing.sign_as_organization", key)
    _check_key_state(key, now=now)
    organization = key.organization
    assert organization is not None
    reader = read_pdf(pdf)
    sigs = check_signatures_intact(reader)
    person_sig = None
    if attachment_of:
        if not SignatureRecord.objects.filter(
            kind=SignatureRecord.Kind.PERSON, sha256_after=attachment_of, organization=organization
        ).exists():
            raise NotSignedByCompetentPerson()
    else:
        person_sig = competent_signature(sigs, organization)
        if person_sig is None:
            raise NotSignedByCompetentPerson()
    with _open(key, secret) as loaded:
        field_name = _new_field_name(reader)
        stamp = None
        code = None
        if visible:
            if not attachment_of:
                code = _new_verification_code()
            stamp = _organization_stamp(
                reader,
                organization,
                reference,
                document_type,
                attachment_of,
                person_sig,
                now,
                qr_url=verification_url(code) if code else "",
            )
        timestamper = _timestamper()
        context = _signing_context(loaded, timestamper, now=now)
        signed = sign_pdf(
            pdf,
            loaded=loaded,
            reason=gettext("Issued %(reference)s") % {"reference": reference} if reference else "",
            field_name=field_name,
            stamp=stamp,
            timestamper=timestamper,
            reader=reader,
            validation_context=context,
        )
    record = _record(
        actor=actor,
        action="signing.sign_as_organization",
        kind=SignatureRecord.Kind.ORGANIZATION,
        key=key,
        officer=policy.officer_of(actor),
        on_behalf_of=None,
        organization=organization,
        before=pdf,
        after=signed,
        field_name=field_name,
        level=_level(timestamper, context),
        reason="",
        document_type=document_type,
        reference=reference,
        now=now,
        verification_code=code,
    )
    return SignedResult(signed, record)


def _organization_stamp(
    reader: PdfFileReader,
    organization: Organization,
    reference: str,
    document_type: str,
    attachment_of: str,
    person_sig: EmbeddedPdfSignature | None,
    now: datetime,
    qr_url: str = "",
) -> StampRequest:
    if attachment_of:
        placement = selectors.stamp_placement(document_type, stamps.Kind.ATTACHMENT)
        page = _page_index(reader, placement)
        lines = [line for line in (reference, organization.name_vi, signing_time_text(now)) if line]
        return StampRequest(
            text=stamps.StampText(stamps.Kind.ATTACHMENT, tuple(lines), font_size=10),
            page=page,
            box=stamps.place(placement, page_media_box(reader, page)),
        )
    placement = selectors.stamp_placement(document_type, stamps.Kind.SEAL)
    seal_key = (
        organization.signing_keys.filter(is_active=True).exclude(signature_image=None).first()
    )
    text = stamps.StampText(
        stamps.Kind.SEAL,
        (organization.name_vi,),
        image=bytes(seal_key.signature_image) if seal_key and seal_key.signature_image else None,
        font_size=placement.font_size,
        seal_label=organization.name_vi.upper(),
        qr=qr_url,
    )
    widgets = {name: (page, box) for name, page, box in signature_widgets(reader)}
    if person_sig is not None and person_sig.field_name in widgets:
        page, box = widgets[person_sig.field_name]
        seal = stamps.seal_over(box, placement)
    else:
        page = _page_index(reader, placement)
        seal = stamps.place(placement, page_media_box(reader, page))
    if qr_url:
        seal = stamps.with_qr(seal, page_media_box(reader, page))
    return StampRequest(text, page, seal)


# --- verification codes (the QR code on issued documents) -------------------------------------

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud or typed
CODE_LENGTH = 12


def _new_verification_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def verification_url(code: str) -> str:
    """The absolute address a QR code prints: the platform's page for this code."""
    path = reverse("signing:code", kwargs={"code": code})
    return settings.EGOV_PUBLIC_URL.rstrip("/") + path


# --- keys and trust ------------------------------------------------------------------------------


def _load_certificate(data: bytes) -> x509.Certificate:
    try:
        if data.lstrip().startswith(b"-----BEGIN"):
            return x509.load_pem_x509_certificate(data)
        return x509.load_der_x509_certificate(data)
    except ValueError as exc:
        raise ValidationFailed(
            gettext("The file is not an X.509 certificate (PEM or DER)."), field="certificate"
        ) from exc


def trusted_root_add(*, actor: Account | None, certificate: bytes, name: str = "") -> TrustedRoot:
    """Trust a root CA certificate (PEM or DER). `actor=None`: an operator on the command line."""
    if actor is not None:
        policy.require(actor, "signing.trust.manage", None)
    cert = _load_certificate(certificate)
    try:
        is_ca = cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    except x509.ExtensionNotFound:
        is_ca = False
    if not is_ca:
        raise ValidationFailed(
            gettext("This certificate is not a certification authority's certificate."),
            field="certificate",
        )
    fingerprint = keys.certificate_fingerprint(cert)
    with transaction.atomic():
        root, created = TrustedRoot.objects.update_or_create(
            fingerprint=fingerprint,
            defaults={
                "name": (name or keys.subject_common_name(cert) or fingerprint[:16])[:200],
                "certificate_der": cert.public_bytes(serialization.Encoding.DER),
                "subject": cert.subject.rfc4514_string()[:500],
                "not_after": cert.not_valid_after_utc,
                "is_active": True,
                "added_by": actor,
            },
        )
        audit_record(
            actor=actor,
            action="signing.trust_add",
            obj=root,
            after={"fingerprint": fingerprint, "name": root.name, "created": created},
        )
    return root


def signing_key_import_pkcs12(
    *,
    actor: Account | None,
    data: bytes,
    password: str,
    officer: Officer | None = None,
    organization: Organization | None = None,
    label: str = "",
    signature_image: bytes | None = None,
) -> SigningKey:
    """Store a PKCS#12 key (encrypted at rest) for an officer or an organisation's seal.

    The password is checked here and never stored. `actor=None`: an operator on the command
    line. Importing the same certificate again replaces the stored file.
    """
    if (officer is None) == (organization is None):
        raise ValueError("give exactly one of officer and organization")
    owner: Any = officer or organization
    if actor is not None:
        policy.require(actor, "signing.key.manage", owner)
    cert = keys.load_pkcs12_certificate(data, password)
    fingerprint = keys.certificate_fingerprint(cert)
    with transaction.atomic():
        key, created = SigningKey.objects.update_or_create(
            fingerprint=fingerprint,
            defaults={
                "label": (label or keys.subject_common_name(cert))[:200],
                "kind": SigningKey.Kind.PKCS12,
                "officer": officer,
                "organization": organization,
                "certificate_der": cert.public_bytes(serialization.Encoding.DER),
                "subject": cert.subject.rfc4514_string()[:500],
                "not_before": cert.not_valid_before_utc,
                "not_after": cert.not_valid_after_utc,
                "pkcs12_sealed": keys.seal_key_material(data),
                "signature_image": signature_image,
                "is_active": True,
                "revoked_at": None,
            },
        )
        audit_record(
            actor=actor,
            action="signing.key_import",
            obj=key,
            after={
                "fingerprint": fingerprint,
                "officer": officer.pk if officer else None,
                "organization": organization.pk if organization else None,
                "created": created,
            },
        )
    keys.signer_cache.forget()
    return key


def signing_key_register_pkcs11(
    *,
    actor: Account | None,
    module_path: str,
    token_label: str,
    key_label: str,
    certificate: bytes | None = None,
    pin: str | None = None,
    officer: Officer | None = None,
    organization: Organization | None = None,
    label: str = "",
    signature_image: bytes | None = None,
) -> SigningKey:
    """Register a key that stays on a PKCS#11 token or HSM, for an officer or a seal.

    Nothing secret is stored: the signer gives the token's PIN at every signature (the
    platform keeps the token logged in between signatures, see `egov.signing.keys`). With
    `pin` the token is opened now, which proves that it holds the key and reads its
    certificate; the PIN is not stored. Without `pin` the `certificate` (PEM or DER) is
    required and the first signature proves the key. `actor=None`: an operator on the command
    line. Registering the same certificate again replaces the stored key.
    """
    if (officer is None) == (organization is None):
        raise ValueError("give exactly one of officer and organization")
    owner: Any = officer or organization
    if actor is not None:
        policy.require(actor, "signing.key.manage", owner)
    _check_pkcs11_module(module_path)
    for value, name in ((token_label, "token_label"), (key_label, "key_label")):
        if not value.strip():
            raise ValidationFailed(gettext("This field is required."), field=name)
    source = keys.Pkcs11Source(
        module_path=module_path, token_label=token_label, key_label=key_label
    )
    cert = _load_certificate(certificate) if certificate is not None else None
    if pin is not None:
        loaded = keys.signer_for(source, pin, cached=False)
        try:
            on_token = loaded.certificate
        finally:
            loaded.close()
        if cert is not None and keys.certificate_fingerprint(cert) != loaded.fingerprint:
            raise ValidationFailed(
                gettext("The key does not belong to this certificate."), field="certificate"
            )
        cert = on_token
    if cert is None:
        raise ValidationFailed(
            gettext("Give the key's certificate or the token's PIN."), field="certificate"
        )
    fingerprint = keys.certificate_fingerprint(cert)
    with transaction.atomic():
        key, created = SigningKey.objects.update_or_create(
            fingerprint=fingerprint,
            defaults={
                "label": (label or keys.subject_common_name(cert))[:200],
                "kind": SigningKey.Kind.PKCS11,
                "officer": officer,
                "organization": organization,
                "certificate_der": cert.public_bytes(serialization.Encoding.DER),
                "subject": cert.subject.rfc4514_string()[:500],
                "not_before": cert.not_valid_before_utc,
                "not_after": cert.not_valid_after_utc,
                "pkcs12_sealed": None,
                "pkcs11_module": module_path,
                "pkcs11_token_label": token_label,
                "pkcs11_key_label": key_label,
                "signature_image": signature_image,
                "is_active": True,
                "revoked_at": None,
            },
        )
        audit_record(
            actor=actor,
            action="signing.key_register_pkcs11",
            obj=key,
            after={
                "fingerprint": fingerprint,
                "officer": officer.pk if officer else None,
                "organization": organization.pk if organization else None,
                "module": module_path,
                "token": token_label,
                "key_label": key_label,
                "checked_on_token": pin is not None,
                "created": created,
            },
        )
    keys.signer_cache.forget()
    return key


def _check_pkcs11_module(module_path: str) -> None:
    """The server loads this library into its own process: only an absolute path to an
    existing file, and one of EGOV_SIGNING_PKCS11_MODULES when that setting lists them."""
    allowed = settings.EGOV_SIGNING_PKCS11_MODULES
    path = Path(module_path)
    if (
        not module_path
        or not path.is_absolute()
        or not path.is_file()
        or (allowed and module_path not in allowed)
    ):
        raise ValidationFailed(
            gettext("%(path)s is not a PKCS#11 module this server may load.")
            % {"path": module_path},
            field="module_path",
        )


def signing_key_revoke(
    *, actor: Account | None, key: SigningKey, now: datetime | None = None
) -> SigningKey:
    """Stop a key from signing from now on (lost token, certificate revoked by the CA)."""
    if actor is not None:
        policy.require(actor, "signing.key.manage", key.officer or key.organization)
    now = now or timezone.now()
    with transaction.atomic():
        key = SigningKey.objects.select_for_update().get(pk=key.pk)
        key.revoked_at = now
        key.save(update_fields=["revoked_at"])
        cert = x509.load_der_x509_certificate(bytes(key.certificate_der))
        published = [
            _reissue(row, now=now).name
            for row in RevocationList.objects.select_for_update().exclude(issuer_key_sealed=None)
            if _issues(row, cert)
        ]
        audit_record(
            actor=actor,
            action="signing.key_revoke",
            obj=key,
            after={"revoked_at": key.revoked_at, "crl": published},
        )
    keys.signer_cache.forget()
    return key


# --- revocation lists ----------------------------------------------------------------------------


def _issuer(row: RevocationList) -> x509.Certificate:
    return x509.load_der_x509_certificate(bytes(row.issuer_certificate_der))


def _issues(row: RevocationList, cert: x509.Certificate) -> bool:
    return revocation.issued_by(cert, _issuer(row))


def _reissue(row: RevocationList, *, now: datetime) -> RevocationList:
    """A new CRL from a CA the platform runs: every stored key it issued that is revoked."""
    assert row.issuer_key_sealed is not None
    issuer = devca.Issued(
        serialization.load_der_private_key(
            keys.open_key_material(bytes(row.issuer_key_sealed)), password=None
        ),
        _issuer(row),
    )
    revoked = []
    for der, revoked_at in SigningKey.objects.filter(revoked_at__lte=now).values_list(
        "certificate_der", "revoked_at"
    ):
        cert = x509.load_der_x509_certificate(bytes(der))
        if revoked_at is not None and revocation.issued_by(cert, issuer.certificate):
            revoked.append((cert.serial_number, revoked_at))
    row.number += 1
    row.crl_der = devca.make_crl(issuer, revoked, number=row.number, now=now)
    parsed = revocation.parse_crl(bytes(row.crl_der))
    row.this_update = parsed.this_update
    row.next_update = parsed.next_update or now + timedelta(days=devca.CRL_DAYS)
    row.save(update_fields=["number", "crl_der", "this_update", "next_update"])
    return row


def revocation_list_register(
    *,
    actor: Account | None,
    name: str,
    issuer_certificate: bytes,
    issuer_key: bytes | None = None,
    crl: bytes | None = None,
    now: datetime | None = None,
) -> RevocationList:
    """Publish the revocation list of a CA at /chu-ky-so/crl/<name>.crl.

    With `issuer_key` (PKCS#8 DER, unencrypted: the development CA) the platform issues the
    CRL itself, now and whenever one of the CA's keys is revoked; the key is stored encrypted.
    With `crl` (DER or PEM, from a licensed CA) the list is checked against the CA's
    certificate and stored as given. `actor=None`: an operator on the command line.
    """
    if actor is not None:
        policy.require(actor, "signing.trust.manage", None)
    if (issuer_key is None) == (crl is None):
        raise ValueError("give exactly one of issuer_key and crl")
    now = now or timezone.now()
    cert = _load_certificate(issuer_certificate)
    fingerprint = keys.certificate_fingerprint(cert)
    with transaction.atomic():
        row = RevocationList.objects.select_for_update().filter(issuer_fingerprint=fingerprint)
        existing = row.first()
        target = existing or RevocationList(issuer_fingerprint=fingerprint, number=0)
        target.name = name
        target.issuer_name = cert.subject.rfc4514_string()[:500]
        target.issuer_certificate_der = cert.public_bytes(serialization.Encoding.DER)
        target.is_active = True
        if issuer_key is not None:
            private = serialization.load_der_private_key(issuer_key, password=None)
            public = serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
            if private.public_key().public_bytes(*public) != cert.public_key().public_bytes(
                *public
            ):
                raise ValidationFailed(
                    gettext("The key does not belong to this certificate."), field="issuer_key"
                )
            target.issuer_key_sealed = keys.seal_key_material(issuer_key)
            target.crl_der = b""
            target.this_update = target.next_update = now
            target.save()
            _reissue(target, now=now)
        else:
            assert crl is not None
            try:
                parsed = revocation.parse_crl(crl)
            except ValueError as exc:
                raise ValidationFailed(
                    gettext("The file is not a certificate revocation list."), field="crl"
                ) from exc
            if not revocation.crl_signed_by(parsed.crl, cert):
                raise ValidationFailed(
                    gettext("This revocation list was not issued by this certificate."),
                    field="crl",
                )
            target.issuer_key_sealed = None
            target.crl_der = parsed.der
            target.number = parsed.number
            target.this_update = parsed.this_update
            target.next_update = parsed.next_update or parsed.this_update
            target.save()
        audit_record(
            actor=actor,
            action="signing.crl_register",
            obj=target,
            after={"name": name, "issuer": fingerprint, "number": target.number},
        )
    return target


def revocation_lists_refresh_due(*, now: datetime | None = None) -> int:
    """Re-issue the CRLs the platform issues itself that expire within a day; how many."""
    now = now or timezone.now()
    due = RevocationList.objects.exclude(issuer_key_sealed=None).filter(
        is_active=True, next_update__lt=now + timedelta(days=1)
    )
    if not due.exists():
        return 0
    count = 0
    with transaction.atomic():
        for row in due.select_for_update():
            _reissue(row, now=now)
            count += 1
    return count


# --- the signed file ---------------------------------------------------------------------------


def signed_file_store(
    *, actor: Account, record: SignatureRecord, pdf: bytes, name: str
) -> StoredFile:
    """Keep a signed PDF (egov.core.files) and link it to its record, so that the signer (and
    later the documents app) can hand out exactly the file the platform signed."""
    if sha256_hex(pdf) != record.sha256_after:
        raise ValueError("the file is not the one this record signed")
    stored = file_store(upload=pdf, name=name, actor=actor, allowed=frozenset({"pdf"}))
    with transaction.atomic():
        SignatureRecord.objects.filter(pk=record.pk).update(signed_file=stored)
        record.signed_file = stored
        audit_record(
            actor=actor,
            action="signing.file_store",
            obj=record,
            after={"file": str(stored.pk), "sha256": stored.sha256},
        )
    return stored

"""Reads the signing code and other apps reuse."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db.models import QuerySet

from egov.directory import policy
from egov.signing import stamps
from egov.signing.models import (
    RevocationList,
    SignatureRecord,
    SigningKey,
    StampLayout,
    TimestampAuthority,
    TrustedRoot,
)


def trusted_roots_der() -> list[bytes]:
    """DER bytes of every active trusted root, the trust anchors of verification."""
    return [
        bytes(der)
        for der in TrustedRoot.objects.filter(is_active=True).values_list(
            "certificate_der", flat=True
        )
    ]


def revocation_lists_der() -> list[bytes]:
    """The latest CRL (DER) of every registered CA: what signing embeds and verification uses."""
    return [
        bytes(der)
        for der in RevocationList.objects.filter(is_active=True).values_list("crl_der", flat=True)
    ]


def revocation_list_get(name: str) -> RevocationList | None:
    return RevocationList.objects.filter(name=name, is_active=True).first()


def signature_records_by_code(code: str) -> QuerySet[SignatureRecord]:
    """The record a QR code names, with the records of the same document before it."""
    return SignatureRecord.objects.select_related("officer", "organization", "on_behalf_of").filter(
        verification_code=code
    )


def signature_history(record: SignatureRecord, limit: int = 20) -> list[SignatureRecord]:
    """The record and the platform's earlier signatures of the same document, oldest first
    (each signature's "before" is the previous one's "after")."""
    chain = [record]
    while len(chain) < limit:
        previous = (
            SignatureRecord.objects.select_related("officer", "organization", "on_behalf_of")
            .filter(sha256_after=chain[-1].sha256_before)
            .first()
        )
        if previous is None or previous in chain:
            break
        chain.append(previous)
    return list(reversed(chain))


@dataclass(frozen=True)
class TsaConfig:
    url: str
    timeout: float


def timestamp_authority() -> TsaConfig | None:
    """The active authority from the admin, else EGOV_SIGNING_TSA_URL, else none (B-B)."""
    tsa = TimestampAuthority.objects.filter(is_active=True).first()
    if tsa is not None:
        return TsaConfig(tsa.url, float(tsa.timeout_seconds))
    url = getattr(settings, "EGOV_SIGNING_TSA_URL", "")
    if url:
        return TsaConfig(url, float(getattr(settings, "EGOV_SIGNING_TSA_TIMEOUT", 10)))
    return None


def stamp_placement(document_type: str, kind: str) -> stamps.Placement:
    """The layout for this document type, else the default row, else the built-in default."""
    rows = {
        row.document_type: row
        for row in StampLayout.objects.filter(kind=kind, document_type__in=[document_type, ""])
    }
    row = rows.get(document_type) or rows.get("")
    if row is None:
        return stamps.DEFAULT_PLACEMENTS[kind]

    def mm(value: Decimal) -> float:
        return float(value)

    return stamps.Placement(
        anchor=row.anchor,
        page=row.page,
        margin_x_mm=mm(row.margin_x_mm),
        margin_y_mm=mm(row.margin_y_mm),
        width_mm=mm(row.width_mm),
        height_mm=mm(row.height_mm),
        font_size=mm(row.font_size),
    )


def signing_keys_usable_by(account: Any, action: str) -> list[SigningKey]:
    """Active, unrevoked keys `account` may sign with under the policy (`action`:
    "signing.sign_as_person" for personal keys, delegation-aware; "signing.sign_as_organization"
    for seals)."""
    officer = policy.officer_of(account)
    if officer is None:
        return []
    candidates = SigningKey.objects.select_related(
        "officer__account", "officer__unit", "officer__position", "organization"
    ).filter(is_active=True, revoked_at__isnull=True)
    if action == "signing.sign_as_person":
        candidates = candidates.filter(officer=officer)
    else:
        candidates = candidates.filter(organization__isnull=False)
    return [k for k in candidates if policy.can(account, action, k)]


def signature_records_by_actor(account: Any, limit: int = 20) -> list[SignatureRecord]:
    return list(
        SignatureRecord.objects.select_related("officer", "organization", "signed_file").filter(
            actor=account
        )[:limit]
    )


def signing_key_get(key_id: int) -> SigningKey | None:
    return (
        SigningKey.objects.select_related(
            "officer__account", "officer__unit", "officer__position", "organization"
        )
        .filter(pk=key_id)
        .first()
    )


def signing_keys_by_fingerprint(fingerprints: list[str]) -> dict[str, SigningKey]:
    keys = SigningKey.objects.select_related("officer__account", "officer__unit", "organization")
    return {k.fingerprint: k for k in keys.filter(fingerprint__in=fingerprints)}


def signature_records_for(sha256: str) -> QuerySet[SignatureRecord]:
    """Records of the platform's signatures that produced exactly this file (newest first)."""
    return SignatureRecord.objects.select_related("officer", "organization", "on_behalf_of").filter(
        sha256_after=sha256
    )

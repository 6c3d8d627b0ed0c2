"""Reads the signing code and other apps reuse."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db.models import QuerySet

from egov.signing import stamps
from egov.signing.models import (
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

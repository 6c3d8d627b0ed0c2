"""Certificate revocation lists: where they are published, how they are read and checked.

The platform serves the latest CRL of each registered CA at `/chu-ky-so/crl/<name>.crl`
(`RevocationList` rows). Signing embeds them in the PDF (PAdES B-LT) so that the signature can
still be checked years later without the CA; verification uses them to report a revoked
certificate. Everything here works offline: nothing is fetched from the network.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from django.conf import settings
from django.urls import reverse


def crl_url(name: str) -> str:
    """The address written in certificates the development CA issues (CRL Distribution
    Points): EGOV_SIGNING_CRL_BASE_URL + name.crl, by default the platform's own view."""
    base = settings.EGOV_SIGNING_CRL_BASE_URL
    if not base:
        path = reverse("signing:crl", kwargs={"name": name})
        return settings.EGOV_PUBLIC_URL.rstrip("/") + path
    return base.rstrip("/") + f"/{name}.crl"


@dataclass(frozen=True)
class ParsedCrl:
    crl: x509.CertificateRevocationList
    der: bytes

    @property
    def this_update(self) -> datetime:
        return self.crl.last_update_utc

    @property
    def next_update(self) -> datetime | None:
        return self.crl.next_update_utc

    @property
    def number(self) -> int:
        try:
            return int(self.crl.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number)
        except x509.ExtensionNotFound:
            return 0

    def revoked_at(self, serial: int) -> datetime | None:
        entry = self.crl.get_revoked_certificate_by_serial_number(serial)
        return entry.revocation_date_utc if entry is not None else None


def parse_crl(data: bytes) -> ParsedCrl:
    """A CRL in DER or PEM; ValueError when it is neither."""
    raw = bytes(data)
    if raw.lstrip().startswith(b"-----BEGIN"):
        crl = x509.load_pem_x509_crl(raw)
    else:
        crl = x509.load_der_x509_crl(raw)
    return ParsedCrl(crl, crl.public_bytes(serialization.Encoding.DER))


def issued_by(cert: x509.Certificate, issuer: x509.Certificate) -> bool:
    """Whether `issuer` signed `cert` (names match and the signature checks out)."""
    if cert.issuer != issuer.subject:
        return False
    try:
        cert.verify_directly_issued_by(issuer)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True


def crl_signed_by(crl: x509.CertificateRevocationList, issuer: x509.Certificate) -> bool:
    """Whether the CRL comes from `issuer` (names match and the signature checks out)."""
    key = issuer.public_key()
    if crl.issuer != issuer.subject or not isinstance(
        key, rsa.RSAPublicKey | ec.EllipticCurvePublicKey
    ):
        return False
    return bool(crl.is_signature_valid(key))

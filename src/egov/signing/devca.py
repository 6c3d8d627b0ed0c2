"""A development certificate authority: root, timestamp authority, seal and officer certificates.

Only for development, demos and tests: every PKCS#12 file shares one password, written next to
them in `password.txt`. Real installations use certificates from a licensed CA (the national
root, VNPT-CA, Viettel-CA, …) and register that CA's root as trusted.
"""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from django.utils import timezone

from egov.signing.keys import certificate_fingerprint

KEY_BITS = 2048
PASSWORD_FILE = "password.txt"  # noqa: S105 - a file name, not a password
MANIFEST_FILE = "manifest.json"
ROOT_FILE = "root-ca.p12"
ROOT_CERT_FILE = "root-ca.pem"
TSA_FILE = "tsa.p12"
CRL_FILE = "root-ca.crl"
CRL_NAME = "dev-root"  # served at /chu-ky-so/crl/dev-root.crl
CRL_DAYS = 7


@dataclass
class Issued:
    """A key and its certificate, with the chain above it (root last)."""

    key: Any
    certificate: x509.Certificate
    chain: list[x509.Certificate] = field(default_factory=list)

    @property
    def fingerprint(self) -> str:
        return certificate_fingerprint(self.certificate)

    def pkcs12(self, password: str, name: str = "") -> bytes:
        return pkcs12.serialize_key_and_certificates(
            (name or "key").encode("utf-8"),
            self.key,
            self.certificate,
            self.chain or None,
            serialization.BestAvailableEncryption(password.encode("utf-8")),
        )


def _name(common_name: str, organization: str = "", unit: str = "", uid: str = "") -> x509.Name:
    parts = [x509.NameAttribute(NameOID.COUNTRY_NAME, "VN")]
    if organization:
        parts.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization))
    if unit:
        parts.append(x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, unit))
    if uid:
        parts.append(x509.NameAttribute(NameOID.USER_ID, uid))
    parts.append(x509.NameAttribute(NameOID.COMMON_NAME, common_name))
    return x509.Name(parts)


def make_root(
    common_name: str = "Open eGov VN Development Root CA",
    *,
    now: datetime | None = None,
    days: int = 3650,
) -> Issued:
    now = now or timezone.now()
    key = rsa.generate_private_key(public_exponent=65537, key_size=KEY_BITS)
    name = _name(common_name, "Open eGov VN (development only)")
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return Issued(key, cert, [])


def issue(
    root: Issued,
    *,
    common_name: str,
    organization: str = "",
    unit: str = "",
    uid: str = "",
    purpose: str = "signing",
    now: datetime | None = None,
    not_before: datetime | None = None,
    not_after: datetime | None = None,
    crl_url: str = "",
) -> Issued:
    """A certificate signed by `root`: `purpose` is "signing" (people, seals) or "tsa".

    With `crl_url` the certificate names where its CA publishes revocation (CRL Distribution
    Points), which validators and PAdES B-LT signing follow.
    """
    now = now or timezone.now()
    key = rsa.generate_private_key(public_exponent=65537, key_size=KEY_BITS)
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(common_name, organization, unit, uid))
        .issuer_name(root.certificate.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before or now - timedelta(days=1))
        .not_valid_after(not_after or now + timedelta(days=3 * 365))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(root.certificate.public_key()),  # type: ignore[arg-type]
            critical=False,
        )
    )
    if crl_url:
        builder = builder.add_extension(
            x509.CRLDistributionPoints(
                [
                    x509.DistributionPoint(
                        [x509.UniformResourceIdentifier(crl_url)], None, None, None
                    )
                ]
            ),
            critical=False,
        )
    if purpose == "tsa":
        builder = builder.add_extension(
            x509.KeyUsage(True, False, False, False, False, False, False, False, False),
            critical=True,
        ).add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
    else:
        builder = builder.add_extension(
            x509.KeyUsage(True, True, False, False, False, False, False, False, False),
            critical=True,
        )
    cert = builder.sign(root.key, hashes.SHA256())
    return Issued(key, cert, [root.certificate])


def make_crl(
    issuer: Issued,
    revoked: list[tuple[int, datetime]],
    *,
    number: int = 1,
    now: datetime | None = None,
    days: int = CRL_DAYS,
) -> bytes:
    """A CRL (DER) signed by `issuer` listing (serial number, revocation time) pairs."""
    now = now or timezone.now()
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(issuer.certificate.subject)
        .last_update(now - timedelta(minutes=5))
        .next_update(now + timedelta(days=days))
        .add_extension(x509.CRLNumber(number), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.certificate.public_key()),  # type: ignore[arg-type]
            critical=False,
        )
    )
    for serial, revoked_at in revoked:
        builder = builder.add_revoked_certificate(
            x509.RevokedCertificateBuilder()
            .serial_number(serial)
            .revocation_date(revoked_at)
            .build()
        )
    crl = builder.sign(issuer.key, hashes.SHA256())
    return crl.public_bytes(serialization.Encoding.DER)


@dataclass(frozen=True)
class OfficerCert:
    username: str
    full_name: str
    organization: str
    unit: str


@dataclass
class DevCa:
    root: Issued
    tsa: Issued
    seal: Issued
    seal_org_code: str
    officers: dict[str, Issued]
    password: str
    crl_url: str = ""

    def crl(self, revoked: list[tuple[int, datetime]] | None = None) -> bytes:
        """The root's CRL (DER); empty unless `revoked` is given."""
        return make_crl(self.root, revoked or [])


def build_dev_ca(
    *,
    seal_org_code: str,
    seal_org_name: str,
    officers: list[OfficerCert],
    password: str | None = None,
    crl_url: str | None = None,
) -> DevCa:
    """Everything in memory: tests use this directly, `write_dev_ca` puts it on disk.

    Every certificate points to `crl_url` (default: the platform's own address for the
    development CA's CRL, see `egov.signing.revocation.crl_url`; "" for none).
    """
    if crl_url is None:
        from egov.signing.revocation import crl_url as default_crl_url

        crl_url = default_crl_url(CRL_NAME)
    root = make_root()
    tsa = issue(root, common_name="Open eGov VN Development TSA", purpose="tsa", crl_url=crl_url)
    seal = issue(
        root,
        common_name=seal_org_name,
        organization=seal_org_name,
        uid=seal_org_code,
        crl_url=crl_url,
    )
    issued = {
        o.username: issue(
            root,
            common_name=o.full_name,
            organization=o.organization,
            unit=o.unit,
            uid=o.username,
            crl_url=crl_url,
        )
        for o in officers
    }
    return DevCa(
        root=root,
        tsa=tsa,
        seal=seal,
        seal_org_code=seal_org_code,
        officers=issued,
        password=password or secrets.token_urlsafe(12),
        crl_url=crl_url,
    )


def officer_file(username: str) -> str:
    return f"officer-{username}.p12"


def seal_file(org_code: str) -> str:
    return f"seal-{org_code}.p12"


def _write_private(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)


def write_dev_ca(ca: DevCa, out: Path) -> dict[str, Any]:
    """Write the PKCS#12 files, the root certificate, the password and a manifest to `out`."""
    out.mkdir(parents=True, exist_ok=True)
    _write_private(out / PASSWORD_FILE, (ca.password + "\n").encode("utf-8"))
    _write_private(out / ROOT_FILE, ca.root.pkcs12(ca.password, "root"))
    (out / ROOT_CERT_FILE).write_bytes(ca.root.certificate.public_bytes(serialization.Encoding.PEM))
    _write_private(out / TSA_FILE, ca.tsa.pkcs12(ca.password, "tsa"))
    (out / CRL_FILE).write_bytes(ca.crl())
    _write_private(out / seal_file(ca.seal_org_code), ca.seal.pkcs12(ca.password, "seal"))
    manifest: dict[str, Any] = {
        "root": {"file": ROOT_CERT_FILE, "fingerprint": ca.root.fingerprint},
        "tsa": {"file": TSA_FILE, "fingerprint": ca.tsa.fingerprint},
        "seal": {
            "file": seal_file(ca.seal_org_code),
            "organization": ca.seal_org_code,
            "fingerprint": ca.seal.fingerprint,
        },
        "officers": [],
        "password_file": PASSWORD_FILE,
        "crl": {"file": CRL_FILE, "name": CRL_NAME, "url": ca.crl_url},
    }
    for username, issued in ca.officers.items():
        _write_private(out / officer_file(username), issued.pkcs12(ca.password, username))
        manifest["officers"].append(
            {
                "username": username,
                "file": officer_file(username),
                "fingerprint": issued.fingerprint,
            }
        )
    (out / MANIFEST_FILE).write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")
    return manifest


def load_issued(path: Path, password: str) -> Issued:
    """Read back a PKCS#12 file written by `write_dev_ca` (e.g. the TSA's)."""
    key, cert, others = pkcs12.load_key_and_certificates(path.read_bytes(), password.encode())
    if key is None or cert is None:
        raise ValueError(f"{path} holds no key and certificate")
    return Issued(key, cert, list(others))

"""Signing keys behind one interface: PKCS#12 files (development, small sites) and PKCS#11 tokens.

A `KeySource` describes where a key lives; `signer_for(source, secret)` opens it with the
password (PKCS#12) or PIN (PKCS#11) and returns a `LoadedSigner`. Opening a key is the slow part
of a signature (parsing and decrypting a PKCS#12 file, or logging in to a token), so loaded
signers are kept in a small bounded cache keyed by the key's identity and a hash of the secret:
the same secret reuses the signer, a wrong one never reaches a cached signer.

PKCS#12 files are stored in the database encrypted (`seal_key_material`) with a key derived from
SECRET_KEY (older keys in SECRET_KEY_FALLBACKS still open them), and the file keeps its own
password: a stolen database alone does not give the key.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.serialization import pkcs12
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext
from pyhanko.sign.signers import Signer, SimpleSigner
from pyhanko_certvalidator.registry import SimpleCertificateStore
from pyhanko_certvalidator.util import get_pyca_cryptography_hash

from egov.signing.errors import CertificateExpired, TokenUnavailable, WrongSecret

CACHE_SIZE = 64
_HKDF_INFO = b"egov.signing pkcs12 at rest v1"


# --- encryption at rest ------------------------------------------------------------------------


def _fernet_for(secret: str) -> Fernet:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_HKDF_INFO).derive(
        secret.encode("utf-8")
    )
    return Fernet(base64.urlsafe_b64encode(key))


def _multi_fernet() -> MultiFernet:
    secrets = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    return MultiFernet([_fernet_for(s) for s in secrets])


def seal_key_material(data: bytes) -> bytes:
    """Encrypt key material (a PKCS#12 file) for storage in the database."""
    return _multi_fernet().encrypt(data)


def open_key_material(token: bytes) -> bytes:
    """Decrypt what `seal_key_material` produced; ValueError when SECRET_KEY changed."""
    try:
        return _multi_fernet().decrypt(bytes(token))
    except InvalidToken as exc:
        raise ValueError("stored key material cannot be decrypted with SECRET_KEY") from exc


# --- certificates ------------------------------------------------------------------------------


def certificate_fingerprint(cert: x509.Certificate | asn1_x509.Certificate) -> str:
    """SHA-256 of the DER certificate, lower-case hex: how records name a certificate."""
    der = (
        cert.dump()
        if isinstance(cert, asn1_x509.Certificate)
        else cert.public_bytes(serialization.Encoding.DER)
    )
    return hashlib.sha256(der).hexdigest()


def _name_attribute(name: x509.Name, oid: x509.ObjectIdentifier) -> str:
    values = name.get_attributes_for_oid(oid)
    return str(values[0].value) if values else ""


def subject_common_name(cert: x509.Certificate) -> str:
    return _name_attribute(cert.subject, x509.NameOID.COMMON_NAME)


def subject_organization(cert: x509.Certificate) -> str:
    return _name_attribute(cert.subject, x509.NameOID.ORGANIZATION_NAME)


def check_certificate_period(cert: x509.Certificate, at: datetime | None = None) -> None:
    """Refuse a certificate outside its validity period (CertificateExpired)."""
    at = at or timezone.now()
    if at < cert.not_valid_before_utc or at > cert.not_valid_after_utc:
        raise CertificateExpired(
            gettext(
                "The certificate of %(name)s is valid from %(start)s to %(end)s; it cannot sign "
                "now."
            )
            % {
                "name": subject_common_name(cert),
                "start": timezone.localtime(cert.not_valid_before_utc).strftime("%d/%m/%Y"),
                "end": timezone.localtime(cert.not_valid_after_utc).strftime("%d/%m/%Y"),
            },
            details={"fingerprint": certificate_fingerprint(cert)},
        )


def load_pkcs12_certificate(data: bytes, password: str) -> x509.Certificate:
    """The signing certificate inside a PKCS#12 file; WrongSecret when it will not open."""
    return _open_pkcs12(data, password)[1]


def _open_pkcs12(
    data: bytes, password: str
) -> tuple[Any, x509.Certificate, list[x509.Certificate]]:
    try:
        key, cert, others = pkcs12.load_key_and_certificates(bytes(data), password.encode("utf-8"))
    except ValueError as exc:
        raise WrongSecret() from exc
    if key is None or cert is None:
        raise WrongSecret(gettext("The PKCS#12 file holds no private key and certificate."))
    return key, cert, list(others)


# --- signers -----------------------------------------------------------------------------------


class _PreloadedSigner(SimpleSigner):
    """pyHanko's SimpleSigner re-parses the private key on every signature; keep it parsed."""

    def __init__(self, *, private_key: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._private_key = private_key

    def sign_raw(self, data: bytes, digest_algorithm: str) -> bytes:
        mechanism = self.get_signature_mechanism_for_digest(digest_algorithm).signature_algo
        hash_algo = get_pyca_cryptography_hash(digest_algorithm)
        if mechanism == "rsassa_pkcs1v15" and isinstance(self._private_key, rsa.RSAPrivateKey):
            return self._private_key.sign(data, padding.PKCS1v15(), hash_algo)
        if mechanism == "ecdsa" and isinstance(self._private_key, ec.EllipticCurvePrivateKey):
            return self._private_key.sign(data, ec.ECDSA(hash_algo))
        return bytes(super().sign_raw(data, digest_algorithm))


@dataclass
class LoadedSigner:
    """An opened key, ready to sign: pyHanko's signer and what we show about its certificate."""

    signer: Signer
    certificate: x509.Certificate
    fingerprint: str
    chain: list[x509.Certificate] = field(default_factory=list)

    @property
    def common_name(self) -> str:
        return subject_common_name(self.certificate)

    @property
    def organization(self) -> str:
        return subject_organization(self.certificate)


class KeySource:
    """Where a key lives. `identity` must change whenever the key material changes."""

    identity: str

    def open(self, secret: str) -> LoadedSigner:  # pragma: no cover - interface
        raise NotImplementedError


@dataclass(frozen=True)
class Pkcs12Source(KeySource):
    """A PKCS#12 file's bytes (already decrypted from storage), opened with its password."""

    data: bytes

    @property
    def identity(self) -> str:  # type: ignore[override]
        return "p12:" + hashlib.sha256(self.data).hexdigest()

    def open(self, secret: str) -> LoadedSigner:
        key, cert, others = _open_pkcs12(self.data, secret)
        to_asn1 = asn1_x509.Certificate.load
        der = serialization.Encoding.DER
        store = SimpleCertificateStore()
        store.register_multiple([to_asn1(c.public_bytes(der)) for c in others])
        pkcs8 = key.private_bytes(
            der, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        signer = _PreloadedSigner(
            private_key=key,
            signing_cert=to_asn1(cert.public_bytes(der)),
            signing_key=asn1_keys.PrivateKeyInfo.load(pkcs8),
            cert_registry=store,
        )
        return LoadedSigner(signer, cert, certificate_fingerprint(cert), others)


@dataclass(frozen=True)
class Pkcs11Source(KeySource):
    """A key on a PKCS#11 token or HSM, found by token label and key label (or key id).

    Needs the `python-pkcs11` package and the vendor's PKCS#11 module (e.g. the token driver's
    .so). Not exercised by the test suite: no token is available to CI.
    """

    module_path: str
    token_label: str
    key_label: str
    cert_label: str = ""
    key_id_hex: str = ""

    @property
    def identity(self) -> str:  # type: ignore[override]
        return f"p11:{self.module_path}:{self.token_label}:{self.key_label}:{self.key_id_hex}"

    def open(self, secret: str) -> LoadedSigner:
        # pyHanko's PKCS#11 module imports python-pkcs11, an optional dependency: import it
        # only when a token is really used, so that sites without tokens need no C library.
        try:
            from pkcs11 import PinIncorrect
            from pyhanko.config.pkcs11 import TokenCriteria
            from pyhanko.sign import pkcs11 as p11
        except ImportError as exc:
            raise TokenUnavailable(
                gettext("PKCS#11 support is not installed (python-pkcs11 is missing).")
            ) from exc
        try:
            session = p11.open_pkcs11_session(
                self.module_path,
                token_criteria=TokenCriteria(label=self.token_label or None),
                user_pin=secret,
            )
        except PinIncorrect as exc:
            raise WrongSecret() from exc
        except Exception as exc:  # the driver's errors have no common base class
            raise TokenUnavailable() from exc
        signer = p11.PKCS11Signer(
            session,
            key_label=self.key_label or None,
            cert_label=self.cert_label or self.key_label or None,
            key_id=bytes.fromhex(self.key_id_hex) if self.key_id_hex else None,
        )
        asn1_cert = signer.signing_cert
        if asn1_cert is None:
            raise TokenUnavailable(gettext("The token holds no certificate for this key."))
        cert = x509.load_der_x509_certificate(asn1_cert.dump())
        return LoadedSigner(signer, cert, certificate_fingerprint(cert))


class _SignerCache:
    """A bounded LRU of opened keys, keyed by (key identity, keyed hash of the secret)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict[tuple[str, str], LoadedSigner] = OrderedDict()
        self._lock = threading.Lock()

    @staticmethod
    def _secret_digest(identity: str, secret: str) -> str:
        return hmac.new(
            settings.SECRET_KEY.encode("utf-8"),
            f"{identity}\x00{secret}".encode(),
            hashlib.sha256,
        ).hexdigest()

    def get_or_open(self, source: KeySource, secret: str) -> LoadedSigner:
        identity = source.identity
        key = (identity, self._secret_digest(identity, secret))
        with self._lock:
            loaded = self._items.get(key)
            if loaded is not None:
                self._items.move_to_end(key)
                return loaded
        loaded = source.open(secret)  # outside the lock: a slow token must not block others
        with self._lock:
            self._items[key] = loaded
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return loaded

    def forget(self, identity: str | None = None) -> None:
        with self._lock:
            if identity is None:
                self._items.clear()
            else:
                for key in [k for k in self._items if k[0] == identity]:
                    del self._items[key]

    def __len__(self) -> int:
        return len(self._items)


signer_cache = _SignerCache(CACHE_SIZE)


def signer_for(source: KeySource, secret: str, *, cached: bool = True) -> LoadedSigner:
    """Open the key with its password or PIN (WrongSecret, TokenUnavailable), reusing a cache."""
    if not cached:
        return source.open(secret)
    return signer_cache.get_or_open(source, secret)

"""Signing keys behind one interface: PKCS#12 files (development, small sites) and PKCS#11 tokens.

A `KeySource` describes where a key lives; `signer_for(source, secret)` opens it with the
password (PKCS#12) or PIN (PKCS#11) and returns a `LoadedSigner`. Opening a key is the slow part
of a signature (parsing and decrypting a PKCS#12 file, or logging in to a token), so loaded
signers are kept in a small bounded cache keyed by the key's identity and a hash of the secret:
the same secret reuses the signer, a wrong one never reaches a cached signer. A signer that
leaves the cache is closed (a PKCS#11 session is logged out) once no signature still uses it.

PKCS#11 logs in per token, not per key: one process holds one logged-in session per token,
shared by every key on it (`_TokenLogins`). A different PIN for a token that is logged in is
refused without reaching the token while a signature is in progress; otherwise the idle
session is closed and the token itself checks the new PIN (so its retry counter and lock-out
keep working, and a PIN changed on the token is accepted).

PKCS#12 files are stored in the database encrypted (`seal_key_material`) with a key derived from
SECRET_KEY (older keys in SECRET_KEY_FALLBACKS still open them), and the file keeps its own
password: a stolen database alone does not give the key.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
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
logger = logging.getLogger(__name__)
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
    # Releases what the open key holds (a PKCS#11 session); None for keys held in memory.
    closer: Callable[[], None] | None = field(default=None, repr=False, compare=False)

    def close(self) -> None:
        """Release the key's resources; never raises (a token may already be gone)."""
        closer, self.closer = self.closer, None
        if closer is None:
            return
        try:
            closer()
        except Exception:  # noqa: BLE001 - closing must not hide the caller's own error
            logger.warning("closing a signing key failed", exc_info=True)

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


def _pkcs11() -> Any:
    """pyHanko's PKCS#11 module, which imports python-pkcs11 and its C extension: imported only
    when a token is really used, so that a site without tokens runs without them."""
    try:
        from pyhanko.sign import pkcs11 as p11
    except ImportError as exc:
        raise TokenUnavailable(
            gettext("PKCS#11 support is not installed (python-pkcs11 is missing).")
        ) from exc
    return p11


def _open_token_session(module_path: str, token_label: str, pin: str) -> Any:
    """Log in to a token (pyHanko's opener): WrongSecret, TokenUnavailable, or the session.

    Every PKCS#11 login of the platform goes through here (tests count the calls)."""
    p11 = _pkcs11()
    from pkcs11 import exceptions as p11_errors
    from pyhanko.config.pkcs11 import TokenCriteria

    try:
        return p11.open_pkcs11_session(
            module_path, token_criteria=TokenCriteria(label=token_label or None), user_pin=pin
        )
    except (p11_errors.PinIncorrect, p11_errors.PinInvalid, p11_errors.PinLenRange) as exc:
        raise WrongSecret() from exc
    except p11_errors.PinLocked as exc:
        raise TokenUnavailable(
            gettext("The PIN of the token is locked after too many wrong attempts.")
        ) from exc
    except Exception as exc:  # no token, no module, driver error: no common base class
        raise TokenUnavailable(details={"token": token_label}) from exc


@dataclass
class _Login:
    session: Any
    digest: str
    users: int = 0


class _TokenLogins:
    """One logged-in session per (module, token), shared by the keys on it, reference-counted:
    the session is logged out and closed when the last signer using it is closed."""

    def __init__(self) -> None:
        self._logins: dict[tuple[str, str], _Login] = {}
        self._lock = threading.RLock()  # re-entered when retiring signers closes them

    def acquire(self, source: Pkcs11Source, pin: str) -> tuple[Any, Callable[[], None]]:
        """A logged-in session for the source's token and the function that releases it."""
        token = (source.module_path, source.token_label)
        digest = _secret_digest(source.token_identity, pin)
        with self._lock:
            login = self._logins.get(token)
            if login is not None and login.digest != digest:
                # Another PIN than the one logged in: retire the idle signers of this token
                # (their sessions close now) so that the token itself can judge the new PIN.
                signer_cache.forget_prefix(source.token_identity)
                login = self._logins.get(token)
                if login is not None:
                    raise TokenUnavailable(
                        gettext("The token is signing another document; try again shortly."),
                        details={"token": source.token_label},
                    )
            if login is None:
                login = _Login(_open_token_session(*token, pin), digest)
                self._logins[token] = login
            login.users += 1
        released = threading.Event()

        def release() -> None:
            if released.is_set():
                return
            released.set()
            self._release(token, login)

        return login.session, release

    def _release(self, token: tuple[str, str], login: _Login) -> None:
        with self._lock:
            login.users -= 1
            if login.users > 0:
                return
            if self._logins.get(token) is login:
                del self._logins[token]
        try:
            login.session.close()  # logs out and closes
        except Exception:  # noqa: BLE001 - the token may be unplugged already
            logger.warning("closing the PKCS#11 session of %s failed", token[1], exc_info=True)

    def __len__(self) -> int:
        with self._lock:
            return len(self._logins)


token_logins = _TokenLogins()


@dataclass(frozen=True)
class Pkcs11Source(KeySource):
    """A key on a PKCS#11 token or HSM, found by token label and key label (or key id).

    Needs the `python-pkcs11` package and the token's or HSM's PKCS#11 module (the vendor's
    .so). The certificate is read from the token (object with `cert_label`, default the key
    label); the caller compares it with the certificate on record.
    """

    module_path: str
    token_label: str
    key_label: str
    cert_label: str = ""
    key_id_hex: str = ""

    @property
    def token_identity(self) -> str:
        return f"p11:{self.module_path}:{self.token_label}:"

    @property
    def identity(self) -> str:  # type: ignore[override]
        return f"{self.token_identity}{self.key_label}:{self.key_id_hex}"

    def open(self, secret: str) -> LoadedSigner:
        p11 = _pkcs11()
        session, release = token_logins.acquire(self, secret)
        try:
            signer: Any = _pkcs11_signer_class()(
                session,
                key_label=self.key_label or None,
                cert_label=self.cert_label or self.key_label or None,
                key_id=bytes.fromhex(self.key_id_hex) if self.key_id_hex else None,
            )
            signer.egov_identity = self.identity
            try:
                asn1_cert = signer.signing_cert  # reads the certificate and finds the key
            except p11.PKCS11Error as exc:
                raise TokenUnavailable(
                    gettext("The token holds no key or certificate labelled %(label)s.")
                    % {"label": self.key_label},
                    details={"token": self.token_label, "key": self.key_label},
                ) from exc
            cert = x509.load_der_x509_certificate(asn1_cert.dump())
        except BaseException:
            release()
            raise
        return LoadedSigner(signer, cert, certificate_fingerprint(cert), closer=release)


@functools.cache
def _pkcs11_signer_class() -> Any:
    from pkcs11 import PKCS11Error

    class EgovPkcs11Signer(_pkcs11().PKCS11Signer):  # type: ignore[misc]
        """pyHanko's PKCS11Signer whose token errors while signing become TokenUnavailable
        and drop the signer from the cache (a token unplugged and back is opened afresh)."""

        egov_identity = ""

        async def async_sign_raw(
            self, data: bytes, digest_algorithm: str, dry_run: bool = False
        ) -> bytes:
            try:
                return bytes(await super().async_sign_raw(data, digest_algorithm, dry_run))
            except PKCS11Error as exc:
                signer_cache.forget(self.egov_identity)
                raise TokenUnavailable() from exc

    return EgovPkcs11Signer


def _secret_digest(identity: str, secret: str) -> str:
    """A keyed hash of the secret: what the caches compare, never the secret itself."""
    return hmac.new(
        settings.SECRET_KEY.encode("utf-8"), f"{identity}\x00{secret}".encode(), hashlib.sha256
    ).hexdigest()


@dataclass
class _Entry:
    loaded: LoadedSigner
    leases: int = 0
    retired: bool = False


class _SignerCache:
    """A bounded LRU of opened keys, keyed by (key identity, keyed hash of the secret).

    A key that leaves the cache (evicted, forgotten, or replaced) is closed at once, or when
    the last signature holding it through `lease` ends.
    """

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict[tuple[str, str], _Entry] = OrderedDict()
        self._lock = threading.Lock()

    def _get_or_open(self, source: KeySource, secret: str, *, lease: bool) -> _Entry:
        identity = source.identity
        key = (identity, _secret_digest(identity, secret))
        with self._lock:
            entry = self._items.get(key)
            if entry is not None:
                self._items.move_to_end(key)
                entry.leases += lease
                return entry
        loaded = source.open(secret)  # outside the lock: a slow token must not block others
        to_close: list[_Entry] = []
        with self._lock:
            entry = self._items.get(key)
            if entry is None:  # else another thread opened the same key meanwhile: keep theirs
                entry = self._items[key] = _Entry(loaded)
            else:
                to_close.append(_Entry(loaded, retired=True))
            self._items.move_to_end(key)
            entry.leases += lease
            while len(self._items) > self.size:
                to_close.append(self._retire(self._items.popitem(last=False)[1]))
        self._close(to_close)
        return entry

    def get_or_open(self, source: KeySource, secret: str) -> LoadedSigner:
        return self._get_or_open(source, secret, lease=False).loaded

    @contextmanager
    def lease(self, source: KeySource, secret: str) -> Iterator[LoadedSigner]:
        """The opened key, kept open (even if evicted meanwhile) until the block ends."""
        entry = self._get_or_open(source, secret, lease=True)
        try:
            yield entry.loaded
        finally:
            with self._lock:
                entry.leases -= 1
            self._close([entry])

    @staticmethod
    def _retire(entry: _Entry) -> _Entry:
        entry.retired = True
        return entry

    def _close(self, entries: list[_Entry]) -> None:
        with self._lock:
            due = [e for e in entries if e.retired and e.leases == 0 and e.loaded.closer]
        for entry in due:
            entry.loaded.close()

    def _forget(self, match: Callable[[str], bool]) -> None:
        with self._lock:
            gone = [k for k in self._items if match(k[0])]
            entries = [self._retire(self._items.pop(k)) for k in gone]
        self._close(entries)

    def forget(self, identity: str | None = None) -> None:
        """Drop one key's opened signers (every key's without `identity`), closing them."""
        self._forget(lambda ident: identity is None or ident == identity)

    def forget_prefix(self, prefix: str) -> None:
        """Drop the opened signers of every key whose identity starts with `prefix`."""
        self._forget(lambda ident: ident.startswith(prefix))

    def __len__(self) -> int:
        return len(self._items)


signer_cache = _SignerCache(CACHE_SIZE)


def signer_for(source: KeySource, secret: str, *, cached: bool = True) -> LoadedSigner:
    """Open the key with its password or PIN (WrongSecret, TokenUnavailable), reusing a cache.

    With `cached=False` the caller owns the signer and closes it (`LoadedSigner.close`)."""
    if not cached:
        return source.open(secret)
    return signer_cache.get_or_open(source, secret)


def signer_lease(source: KeySource, secret: str) -> AbstractContextManager[LoadedSigner]:
    """`with signer_lease(source, secret) as loaded:` the cached signer, which is not closed
    before the block ends even if the cache drops it meanwhile: services sign inside one."""
    return signer_cache.lease(source, secret)

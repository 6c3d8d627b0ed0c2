"""Signatures of the exchange: signed requests (hop by hop) and signed messages (end to end).

Pure functions over bytes, no database: the hub simulator (`hub.py`) uses them too.

Requests (docs/adr/0009): HMAC-SHA256 under the secret of the link, over
``METHOD \\n PATH \\n TIMESTAMP \\n NONCE \\n SHA256(body) \\n MESSAGE-ID``, sent in the
headers `X-Egov-Key-Id`, `X-Egov-Timestamp` (Unix seconds), `X-Egov-Nonce`,
`X-Egov-Message-Id` and `X-Egov-Signature` (hex). The receiver refuses a timestamp outside the
accepted skew and a nonce it has seen (replay).

Messages: the originating installation signs the package (or status message) with Ed25519;
the signature sits in `edXML:Signature` (KeyId, SignatureValue) as the last child of
`edXML:edXMLHeader` and covers every other byte of the message — SHA-256 of the message with
the `edXML:Signature` element cut out — so any change to the header, the manifest or an
attachment breaks it. (QCVN 102 names an XML-DSig `Signature` here; an XML-DSig with
canonicalisation is the national axis adapter's job — to check.)
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
)

__all__ = [
    "HEADER_KEY_ID",
    "HEADER_MESSAGE_ID",
    "HEADER_NONCE",
    "HEADER_SIGNATURE",
    "HEADER_TIMESTAMP",
    "MessageSignatureError",
    "RequestAuthError",
    "SignedRequest",
    "keypair_new",
    "message_sign",
    "message_unsigned",
    "message_verify",
    "request_check",
    "request_headers",
]

HEADER_KEY_ID = "X-Egov-Key-Id"
HEADER_TIMESTAMP = "X-Egov-Timestamp"
HEADER_NONCE = "X-Egov-Nonce"
HEADER_SIGNATURE = "X-Egov-Signature"
HEADER_MESSAGE_ID = "X-Egov-Message-Id"
HEADER_TO = "X-Egov-To"
HEADER_FROM = "X-Egov-From"

_DOMAIN = b"egov-edxml-signature-v1\n"
_SIGNATURE = re.compile(rb"<edXML:Signature>(?P<inner>.*?)</edXML:Signature>", re.DOTALL)
_KEY_ID = re.compile(rb"<edXML:KeyId>(?P<v>[^<]*)</edXML:KeyId>")
_VALUE = re.compile(rb"<edXML:SignatureValue>(?P<v>[A-Za-z0-9+/=\s]*)</edXML:SignatureValue>")
_HEADER_END = b"</edXML:edXMLHeader>"
_SAFE_KEY_ID = re.compile(r"[A-Za-z0-9._:\-]{1,100}")


class RequestAuthError(Exception):
    """The request's signature headers are missing, stale, replayed or wrong."""


class MessageSignatureError(Exception):
    """The message carries no valid signature of its claimed origin."""


# --- keys ------------------------------------------------------------------------------------
def keypair_new() -> tuple[str, str]:
    """A new Ed25519 key pair as base64 of the raw bytes: (private, public)."""
    key = Ed25519PrivateKey.generate()
    private = key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    public = key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    return base64.b64encode(private).decode(), base64.b64encode(public).decode()


def _private(value: str) -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(base64.b64decode(value))


def _public(value: str) -> Ed25519PublicKey:
    try:
        return Ed25519PublicKey.from_public_bytes(base64.b64decode(value, validate=True))
    except (ValueError, binascii.Error) as exc:
        raise MessageSignatureError("the peer's public key is not a valid Ed25519 key") from exc


# --- requests --------------------------------------------------------------------------------
def _request_string(
    method: str, path: str, timestamp: str, nonce: str, body: bytes, message_id: str
) -> bytes:
    digest = hashlib.sha256(body).hexdigest()
    return "\n".join([method.upper(), path, timestamp, nonce, digest, message_id]).encode()


def request_headers(
    *, key_id: str, secret: str, method: str, path: str, body: bytes, message_id: str, now: int
) -> dict[str, str]:
    """The signature headers of one request (a fresh nonce each time: retries are new requests)."""
    nonce = secrets.token_hex(16)
    timestamp = str(int(now))
    mac = hmac.new(
        secret.encode(),
        _request_string(method, path, timestamp, nonce, body, message_id),
        hashlib.sha256,
    ).hexdigest()
    return {
        HEADER_KEY_ID: key_id,
        HEADER_TIMESTAMP: timestamp,
        HEADER_NONCE: nonce,
        HEADER_MESSAGE_ID: message_id,
        HEADER_SIGNATURE: mac,
    }


@dataclass(frozen=True)
class SignedRequest:
    key_id: str
    nonce: str
    timestamp: int
    message_id: str


def request_parse(headers: Mapping[str, str]) -> SignedRequest:
    """Read the signature headers (before the secret is known); RequestAuthError if absent."""
    values = {name: (headers.get(name) or "").strip() for name in _REQUIRED}
    missing = [name for name, value in values.items() if not value]
    if missing:
        raise RequestAuthError(f"missing headers: {', '.join(missing)}")
    if not _SAFE_KEY_ID.fullmatch(values[HEADER_KEY_ID]):
        raise RequestAuthError("bad key id")
    if not re.fullmatch(r"[0-9a-fA-F]{16,64}", values[HEADER_NONCE]):
        raise RequestAuthError("bad nonce")
    if not re.fullmatch(r"[A-Za-z0-9\-]{1,64}", values[HEADER_MESSAGE_ID]):
        raise RequestAuthError("bad message id")
    if not values[HEADER_TIMESTAMP].isdigit() or len(values[HEADER_TIMESTAMP]) > 12:
        raise RequestAuthError("bad timestamp")
    return SignedRequest(
        key_id=values[HEADER_KEY_ID],
        nonce=values[HEADER_NONCE],
        timestamp=int(values[HEADER_TIMESTAMP]),
        message_id=values[HEADER_MESSAGE_ID],
    )


_REQUIRED = (HEADER_KEY_ID, HEADER_TIMESTAMP, HEADER_NONCE, HEADER_MESSAGE_ID, HEADER_SIGNATURE)


def request_check(
    *,
    headers: Mapping[str, str],
    secret: str,
    method: str,
    path: str,
    body: bytes,
    now: int,
    skew_seconds: int,
) -> SignedRequest:
    """Check a request's signature and freshness (the caller checks the nonce is new)."""
    signed = request_parse(headers)
    if abs(now - signed.timestamp) > skew_seconds:
        raise RequestAuthError("timestamp outside the accepted clock skew")
    expected = hmac.new(
        secret.encode(),
        _request_string(
            method,
            path,
            str(signed.timestamp),
            signed.nonce,
            body,
            signed.message_id,
        ),
        hashlib.sha256,
    ).hexdigest()
    if not hmac.compare_digest(expected, (headers.get(HEADER_SIGNATURE) or "").strip().lower()):
        raise RequestAuthError("signature does not match")
    return signed


# --- messages --------------------------------------------------------------------------------
def _digest(unsigned: bytes) -> bytes:
    return _DOMAIN + hashlib.sha256(unsigned).digest()


def message_sign(data: bytes, *, key_id: str, private_key: str) -> bytes:
    """Insert our `edXML:Signature` as the last child of `edXML:edXMLHeader`."""
    if _SIGNATURE.search(data):
        raise ValueError("the message is already signed")
    at = data.find(_HEADER_END)
    if at < 0 or data.find(_HEADER_END, at + 1) >= 0:
        raise ValueError("the message has no single edXML:edXMLHeader")
    if not _SAFE_KEY_ID.fullmatch(key_id):
        raise ValueError("bad key id")
    value = base64.b64encode(_private(private_key).sign(_digest(data))).decode()
    element = (
        f"<edXML:Signature><edXML:KeyId>{key_id}</edXML:KeyId>"
        f"<edXML:SignatureValue>{value}</edXML:SignatureValue></edXML:Signature>"
    ).encode()
    return data[:at] + element + data[at:]


def message_unsigned(data: bytes) -> tuple[bytes, str, bytes]:
    """(the message without its signature, the key id, the signature bytes)."""
    found = list(_SIGNATURE.finditer(data))
    if len(found) != 1:
        raise MessageSignatureError(
            "the message carries no signature" if not found else "the message has two signatures"
        )
    match = found[0]
    if data[match.end() : match.end() + len(_HEADER_END)] != _HEADER_END:
        raise MessageSignatureError("the signature is not the last element of the header")
    inner = match.group("inner")
    key = _KEY_ID.search(inner)
    value = _VALUE.search(inner)
    if key is None or value is None:
        raise MessageSignatureError("the signature has no key id or value")
    try:
        signature = base64.b64decode(b"".join(value.group("v").split()), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise MessageSignatureError("the signature value is not base64") from exc
    return data[: match.start()] + data[match.end() :], key.group("v").decode(), signature


def message_verify(data: bytes, *, public_keys: list[str]) -> str:
    """Verify the message against any of the origin's public keys; return the key id used."""
    unsigned, key_id, signature = message_unsigned(data)
    for public in public_keys:
        try:
            _public(public).verify(signature, _digest(unsigned))
        except InvalidSignature:
            continue
        return key_id
    raise MessageSignatureError("the signature does not match the sender's key")

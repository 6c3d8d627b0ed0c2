"""How a message leaves this installation: the `Connector` interface and its transports.

`DirectConnector` POSTs to the peer's own endpoint (`<endpoint>/exchange/v1/packages` and
`/exchange/v1/status`) with a signed request; `HubConnector` POSTs the same request to an
exchange hub, naming the recipient's organisation code in `X-Egov-To` so that the hub routes
it (see `hub.py`, a local simulator of one). A national-axis adapter is one more subclass,
chosen by `Peer.connector`.

A connector returns the receiver's `Verdict` when the receiver took responsibility for the
message (accepted, duplicate, refused or quarantined — the transport is done either way) and
raises `TransportError` when it did not (network down, 5xx, authentication refused): the
outbox retries those later. `permanent=True` marks an answer that no retry can change (the
package is too large), so the outbox gives up at once.
"""

from __future__ import annotations

import http.client
import json
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from egov.exchange.auth import HEADER_FROM, HEADER_TO, request_headers

__all__ = [
    "PACKAGES_PATH",
    "STATUS_PATH",
    "Connector",
    "DirectConnector",
    "HubConnector",
    "Link",
    "TransportError",
    "Verdict",
    "connector_for",
]

PACKAGES_PATH = "/exchange/v1/packages"
STATUS_PATH = "/exchange/v1/status"


class TransportError(Exception):
    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


@dataclass(frozen=True)
class Verdict:
    """The receiver's answer: state received / duplicate / refused / quarantined / applied /
    ignored, with the status code it implies and the reason of a refusal."""

    state: str
    status_code: str = ""
    reason: str = ""

    @property
    def refused(self) -> bool:
        return self.state in ("refused", "quarantined")


@dataclass(frozen=True)
class Link:
    """Where and how to send: the peer's endpoint and the link's key."""

    endpoint_url: str
    key_id: str
    secret: str
    timeout: float = 30.0


class Connector:
    """Send one package or status message; return the Verdict or raise TransportError."""

    def send_package(
        self, link: Link, *, data: bytes, message_id: str, to_code: str, from_code: str
    ) -> Verdict:
        return self._post(link, PACKAGES_PATH, data, message_id, to_code, from_code)

    def send_status(
        self, link: Link, *, data: bytes, message_id: str, to_code: str, from_code: str
    ) -> Verdict:
        return self._post(link, STATUS_PATH, data, message_id, to_code, from_code)

    def _post(
        self, link: Link, path: str, data: bytes, message_id: str, to_code: str, from_code: str
    ) -> Verdict:
        raise NotImplementedError


def http_post(
    url: str, path: str, data: bytes, headers: dict[str, str], timeout: float
) -> tuple[int, bytes]:
    """POST `data` to `url` + `path`; (status, body). Raises OSError on network failure."""
    parts = urlsplit(url)
    base = parts.path.rstrip("/")
    connection_class: Any = (
        http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    )
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise TransportError(f"bad endpoint URL {url!r}", permanent=True)
    connection = connection_class(parts.hostname, parts.port, timeout=timeout)
    try:
        connection.request("POST", base + path, body=data, headers=headers)
        response = connection.getresponse()
        return response.status, response.read(64 * 1024)
    finally:
        connection.close()


def verdict_of(status: int, body: bytes) -> Verdict:
    """Turn the receiver's HTTP answer into a Verdict, or raise TransportError."""
    try:
        answer = json.loads(body.decode("utf-8")) if body else {}
    except (UnicodeDecodeError, ValueError):
        answer = {}
    if not isinstance(answer, dict):
        answer = {}
    reason = str(answer.get("reason") or answer.get("detail") or "")[:2000]
    if status in (200, 201, 202, 422) and answer.get("state"):
        return Verdict(str(answer["state"]), str(answer.get("status_code") or ""), reason)
    if status == 413:
        raise TransportError(f"HTTP 413: {reason or 'too large'}", permanent=True)
    raise TransportError(f"HTTP {status}: {reason or body[:200]!r}")


class DirectConnector(Connector):
    """Peer to peer over HTTP(S)."""

    def headers(
        self, link: Link, path: str, data: bytes, message_id: str, to_code: str, from_code: str
    ) -> dict[str, str]:
        full_path = urlsplit(link.endpoint_url).path.rstrip("/") + path
        headers = request_headers(
            key_id=link.key_id,
            secret=link.secret,
            method="POST",
            path=full_path,
            body=data,
            message_id=message_id,
            now=int(time.time()),
        )
        headers.update(
            {
                "Content-Type": "application/xml; charset=utf-8",
                HEADER_TO: to_code,
                HEADER_FROM: from_code,
            }
        )
        return headers

    def _post(
        self, link: Link, path: str, data: bytes, message_id: str, to_code: str, from_code: str
    ) -> Verdict:
        headers = self.headers(link, path, data, message_id, to_code, from_code)
        try:
            status, body = http_post(link.endpoint_url, path, data, headers, link.timeout)
        except OSError as exc:
            raise TransportError(f"{type(exc).__name__}: {exc}") from exc
        except http.client.HTTPException as exc:
            raise TransportError(f"{type(exc).__name__}: {exc}") from exc
        return verdict_of(status, body)


class HubConnector(DirectConnector):
    """Through an exchange hub: the same signed request, sent to the hub, which routes it by
    `X-Egov-To` (the hub re-signs it for the recipient's link)."""


CONNECTORS: dict[str, type[Connector]] = {"direct": DirectConnector, "hub": HubConnector}


def connector_for(name: str) -> Connector:
    try:
        return CONNECTORS[name]()
    except KeyError as exc:
        raise TransportError(f"unknown connector {name!r}", permanent=True) from exc

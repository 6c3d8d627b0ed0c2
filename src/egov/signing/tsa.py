"""Timestamps (RFC 3161): a client for the configured authority and a local responder.

- `HttpTimeStamper` posts a TimeStampReq to the authority's URL with the standard library
  (no extra HTTP package), within a timeout; any failure becomes TimestampFailed.
- `LocalTimestampAuthority` is a responder for development and tests: in-process (pyHanko's
  DummyTimeStamper signs the tokens with a TSA certificate of the development CA) and, with
  `serve()`, over HTTP on a loopback port, so the real client path is exercised too
  (`egov signing tsa --port N` runs it for a demo).
"""

from __future__ import annotations

import asyncio
import threading
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from asn1crypto import keys as asn1_keys
from asn1crypto import tsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from pyhanko.sign.timestamps import TimeStamper
from pyhanko.sign.timestamps.common_utils import TimestampRequestError, set_tsp_headers
from pyhanko.sign.timestamps.dummy_client import DummyTimeStamper
from pyhanko_certvalidator.registry import SimpleCertificateStore

CONTENT_TYPE_QUERY = "application/timestamp-query"
CONTENT_TYPE_REPLY = "application/timestamp-reply"
MAX_QUERY_BYTES = 16 * 1024
MAX_REPLY_BYTES = 1024 * 1024


class HttpTimeStamper(TimeStamper):
    """RFC 3161 over HTTP POST with urllib; `timeout` bounds the whole exchange."""

    def __init__(self, url: str, *, timeout: float = 10.0) -> None:
        super().__init__()
        if not url.startswith(("http://", "https://")):
            raise ValueError("the timestamp authority URL must be http:// or https://")
        self.url = url
        self.timeout = timeout

    def _post(self, body: bytes) -> tsp.TimeStampResp:
        request = urllib.request.Request(  # noqa: S310 - scheme checked in __init__
            self.url, data=body, headers=set_tsp_headers({}), method="POST"
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                if response.headers.get("Content-Type") != CONTENT_TYPE_REPLY:
                    raise TimestampRequestError("Timestamp server response is malformed.")
                raw = response.read(MAX_REPLY_BYTES + 1)
        except (OSError, urllib.error.URLError) as exc:
            raise TimestampRequestError("Error in communication with timestamp server") from exc
        if len(raw) > MAX_REPLY_BYTES:
            raise TimestampRequestError("Timestamp server response is too large.")
        return tsp.TimeStampResp.load(raw)

    async def async_request_tsa_response(self, req: tsp.TimeStampReq) -> tsp.TimeStampResp:
        return await asyncio.to_thread(self._post, req.dump())


@dataclass
class LocalTimestampAuthority:
    """A development TSA: its certificate, key and the chain to embed in tokens."""

    certificate: x509.Certificate
    private_key: Any
    chain: list[x509.Certificate] = field(default_factory=list)
    _server: ThreadingHTTPServer | None = None
    _thread: threading.Thread | None = None

    def timestamper(self) -> DummyTimeStamper:
        """In-process: tokens are made directly, no network."""
        der = serialization.Encoding.DER
        store = SimpleCertificateStore()
        store.register_multiple(
            [asn1_x509.Certificate.load(c.public_bytes(der)) for c in self.chain]
        )
        key = asn1_keys.PrivateKeyInfo.load(
            self.private_key.private_bytes(
                der, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )
        return DummyTimeStamper(
            tsa_cert=asn1_x509.Certificate.load(self.certificate.public_bytes(der)),
            tsa_key=key,
            certs_to_embed=store,
        )

    def serve(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Answer RFC 3161 requests over HTTP in a background thread; returns the URL."""
        stamper = self.timestamper()

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                length = int(self.headers.get("Content-Length") or 0)
                if (
                    self.headers.get("Content-Type") != CONTENT_TYPE_QUERY
                    or not 0 < length <= MAX_QUERY_BYTES
                ):
                    self.send_error(400, "expected an RFC 3161 timestamp query")
                    return
                try:
                    req = tsp.TimeStampReq.load(self.rfile.read(length))
                    body = stamper.request_tsa_response(req).dump()
                except (ValueError, TypeError, KeyError):
                    self.send_error(400, "malformed timestamp query")
                    return
                self.send_response(200)
                self.send_header("Content-Type", CONTENT_TYPE_REPLY)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                return

        self._server = ThreadingHTTPServer((host, port), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        bound_host, bound_port = self._server.server_address[:2]
        return f"http://{bound_host!s}:{bound_port}/"

    def shutdown(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

"""A local simulator of an exchange hub (the national document axis) that routes by
organisation code.

It stands where the axis would: installations send it the same signed requests as to a peer
(`HubConnector`), it checks the request against the sender's link key, looks up the
recipient's organisation code (`X-Egov-To`) in its routing table and forwards the body to that
endpoint with a request signed under the recipient's link key; the receiver's answer goes back
unchanged. The end-to-end signature inside the message is the sender's and is not touched. It
keeps nothing: when the recipient is down it answers 502 and the sender retries.

Configuration (JSON file)::

    {"clients": {"<key id>": "<secret>", …},
     "routes": {"<org code>": {"endpoint": "http://…", "key_id": "…", "secret": "…"}, …}}

Run: `python -m egov.exchange.hub --config hub.json --port 8900` (standard library only).
"""

from __future__ import annotations

import argparse
import json
import socketserver
import sys
import time
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import urlsplit
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from egov.exchange.auth import (
    HEADER_FROM,
    HEADER_MESSAGE_ID,
    HEADER_TO,
    RequestAuthError,
    request_check,
    request_headers,
)
from egov.exchange.connectors import PACKAGES_PATH, STATUS_PATH, http_post

MAX_BYTES = 110 * 1024 * 1024
SKEW_SECONDS = 300


class Hub:
    """The WSGI application of the hub."""

    def __init__(self, config: dict[str, Any]) -> None:
        self.clients: dict[str, str] = dict(config.get("clients", {}))
        self.routes: dict[str, dict[str, str]] = dict(config.get("routes", {}))
        self.seen: dict[tuple[str, str], float] = {}
        self.forwarded = 0

    def _answer(
        self, start: Callable[..., Any], status: int, body: dict[str, Any] | bytes
    ) -> Iterable[bytes]:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        start(
            f"{status} X",
            [("Content-Type", "application/json"), ("Content-Length", str(len(data)))],
        )
        return [data]

    def __call__(self, environ: dict[str, Any], start: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if environ.get("REQUEST_METHOD") != "POST" or path not in (PACKAGES_PATH, STATUS_PATH):
            return self._answer(start, 404, {"state": "error", "reason": "not found"})
        length = int(environ.get("CONTENT_LENGTH") or 0)
        if length > MAX_BYTES:
            return self._answer(start, 413, {"state": "refused", "reason": "too large"})
        body = environ["wsgi.input"].read(length)
        headers = {
            key[5:].replace("_", "-").title(): value
            for key, value in environ.items()
            if key.startswith("HTTP_")
        }
        key_id = headers.get("X-Egov-Key-Id", "")
        secret = self.clients.get(key_id)
        try:
            if secret is None:
                raise RequestAuthError("unknown key id")
            signed = request_check(
                headers=headers,
                secret=secret,
                method="POST",
                path=path,
                body=body,
                now=int(time.time()),
                skew_seconds=SKEW_SECONDS,
            )
        except RequestAuthError as exc:
            return self._answer(start, 401, {"state": "unauthenticated", "reason": str(exc)})
        if (key_id, signed.nonce) in self.seen:
            return self._answer(start, 401, {"state": "unauthenticated", "reason": "replay"})
        self.seen[(key_id, signed.nonce)] = time.time()
        to_code = headers.get(HEADER_TO, "")
        route = self.routes.get(to_code)
        if route is None:
            return self._answer(
                start,
                422,
                {"state": "refused", "status_code": "02", "reason": f"no route to {to_code}"},
            )
        out = request_headers(
            key_id=route["key_id"],
            secret=route["secret"],
            method="POST",
            path=urlsplit(route["endpoint"]).path.rstrip("/") + path,
            body=body,
            message_id=headers.get(HEADER_MESSAGE_ID, signed.message_id),
            now=int(time.time()),
        )
        out.update(
            {
                "Content-Type": "application/xml; charset=utf-8",
                HEADER_TO: to_code,
                HEADER_FROM: headers.get(HEADER_FROM, ""),
            }
        )
        try:
            status, answer = http_post(route["endpoint"], path, body, out, 60.0)
        except OSError as exc:
            return self._answer(start, 502, {"state": "error", "reason": f"recipient down: {exc}"})
        self.forwarded += 1
        return self._answer(start, status, answer)


class _Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib name
        pass


class _ThreadingServer(socketserver.ThreadingMixIn, WSGIServer):
    daemon_threads = True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m egov.exchange.hub")
    parser.add_argument("--config", required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8900)
    args = parser.parse_args(argv)
    with open(args.config, encoding="utf-8") as handle:
        hub = Hub(json.load(handle))
    server = make_server(
        args.host, args.port, hub, server_class=_ThreadingServer, handler_class=_Quiet
    )
    sys.stdout.write(f"hub listening on {args.host}:{args.port}\n")
    sys.stdout.flush()
    server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())

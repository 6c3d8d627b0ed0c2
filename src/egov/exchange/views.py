"""The receiving endpoints of the exchange: `POST /exchange/v1/packages` and `/exchange/v1/status`.

Machine to machine: no session, no CSRF token (the request is authenticated by its HMAC
signature instead), JSON answers. Bodies are read from the stream with the exchange's own size
limit (not Django's form-data limit) and refused with 413 beyond it; a request that fails
authentication gets 401; anything unexpected is logged and answered 503 so that the sender
retries — never a 500 page.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from egov.core.errors import EgovError
from egov.exchange import services
from egov.exchange.status import MAX_STATUS_BYTES

logger = logging.getLogger("egov.exchange")


def _body(request: HttpRequest, limit: int) -> bytes | None:
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > limit:
        return None
    data = request.read(limit + 1)
    return None if len(data) > limit else data


def _handle(
    request: HttpRequest, limit: int, service: Callable[..., services.Answer]
) -> JsonResponse:
    body = _body(request, limit)
    if body is None:
        return JsonResponse(
            {"state": "refused", "status_code": "02", "reason": f"larger than {limit} bytes"},
            status=413,
        )
    try:
        answer = service(headers=request.headers, path=request.path, body=body)
    except services.ExchangeAuthFailed as exc:
        logger.warning("exchange request refused: %s", exc.message)
        return JsonResponse({"state": "unauthenticated", "reason": str(exc.message)}, status=401)
    except EgovError as exc:
        return JsonResponse({"state": "refused", "reason": str(exc.message)}, status=422)
    except Exception:
        logger.exception("exchange endpoint %s failed", request.path)
        return JsonResponse({"state": "error", "reason": "try again later"}, status=503)
    return JsonResponse(answer.body, status=answer.http_status)


@csrf_exempt
@require_POST
def packages_view(request: HttpRequest) -> JsonResponse:
    limit = services.setting("EGOV_EXCHANGE_MAX_PACKAGE_BYTES")
    return _handle(request, limit, services.inbox_receive_package)


@csrf_exempt
@require_POST
def status_view(request: HttpRequest) -> JsonResponse:
    return _handle(request, MAX_STATUS_BYTES, services.inbox_receive_status)

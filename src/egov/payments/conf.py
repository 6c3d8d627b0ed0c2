"""Settings of the fee payments, read at call time (tests and provinces may change them).

Each name is an environment variable read by `egov.settings` (docs/settings.md); here they are
read from the settings at call time, with the defaults below when a setting is absent or
empty. Every value:

- EGOV_PAYMENT_GATEWAY (default "vnpay"): the adapter used for new payments.
- EGOV_PAYMENT_VNPAY_TMN_CODE: the merchant's terminal code (vnp_TmnCode) given by the gateway.
- EGOV_PAYMENT_VNPAY_HASH_SECRET: the HMAC-SHA512 secret given by the gateway. NEVER committed:
  only when EGOV_ENV is dev/test/demo is the clearly-marked development value below used.
- EGOV_PAYMENT_VNPAY_PAY_URL: the gateway's payment page (empty: the local sandbox page).
- EGOV_PAYMENT_VNPAY_API_URL: the gateway's query API (querydr; empty: the local sandbox's).
- EGOV_PAYMENT_EXPIRE_MINUTES (default 15): vnp_ExpireDate = creation + this.
- EGOV_PAYMENT_SANDBOX (default true in dev/test/demo, false otherwise): mount the local
  sandbox gateway at /sandbox-thanh-toan/.
- EGOV_PAYMENT_SANDBOX_IPN_URL: where the sandbox sends its server-to-server notification
  (empty: EGOV_PUBLIC_URL + the IPN path).
- EGOV_PAYMENT_ACCESS_MAX_AGE (default 1800 s): life of the signed payment link of the status page.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

NON_PRODUCTION = frozenset({"dev", "test", "demo"})
# DEVELOPMENT ONLY — a public, well-known value so the sandbox and the tests run out of the
# box. It is refused whenever EGOV_ENV is not dev/test/demo (see `hash_secret`).
DEV_TMN_CODE = "EGOVDEV1"
DEV_HASH_SECRET = "DEV-ONLY-NOT-A-SECRET-egov-payments-sandbox-0123456789"  # noqa: S105


def _value(name: str, default: Any = "") -> Any:
    value = getattr(settings, name, None)
    return default if value is None or value == "" else value


def _bool(name: str, default: bool) -> bool:
    value = _value(name, None)
    if value is None:
        return default
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in {"1", "true", "yes", "on"}:
        return True
    if text in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (true/false), got {value!r}")


def non_production() -> bool:
    return str(getattr(settings, "EGOV_ENV", "production")) in NON_PRODUCTION


def gateway_name() -> str:
    return str(_value("EGOV_PAYMENT_GATEWAY", "vnpay"))


def tmn_code() -> str:
    code = str(_value("EGOV_PAYMENT_VNPAY_TMN_CODE", ""))
    if code:
        return code
    if non_production():
        return DEV_TMN_CODE
    raise ImproperlyConfigured("EGOV_PAYMENT_VNPAY_TMN_CODE must be set outside dev/test/demo")


def hash_secret() -> str:
    secret = str(_value("EGOV_PAYMENT_VNPAY_HASH_SECRET", ""))
    if secret:
        if not non_production() and secret == DEV_HASH_SECRET:
            raise ImproperlyConfigured("the development payment secret is refused in production")
        return secret
    if non_production():
        return DEV_HASH_SECRET
    raise ImproperlyConfigured("EGOV_PAYMENT_VNPAY_HASH_SECRET must be set outside dev/test/demo")


def pay_url() -> str:
    return str(_value("EGOV_PAYMENT_VNPAY_PAY_URL", ""))


def api_url() -> str:
    return str(_value("EGOV_PAYMENT_VNPAY_API_URL", ""))


def expire_minutes() -> int:
    value = int(_value("EGOV_PAYMENT_EXPIRE_MINUTES", 15))
    if value < 1:
        raise ImproperlyConfigured("EGOV_PAYMENT_EXPIRE_MINUTES must be 1 or more")
    return value


def sandbox_enabled() -> bool:
    return _bool("EGOV_PAYMENT_SANDBOX", non_production())


def sandbox_ipn_url() -> str:
    return str(_value("EGOV_PAYMENT_SANDBOX_IPN_URL", ""))


def access_max_age() -> int:
    return int(_value("EGOV_PAYMENT_ACCESS_MAX_AGE", 1800))


def public_url() -> str:
    return str(getattr(settings, "EGOV_PUBLIC_URL", "http://127.0.0.1:8000")).rstrip("/")

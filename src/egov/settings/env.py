"""Typed reading of environment variables.

Every setting the platform reads comes through these helpers so that a bad value fails at
start-up with the variable's name, and so that docs/settings.md can list them all.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from urllib.parse import parse_qs, unquote, urlparse

from django.core.exceptions import ImproperlyConfigured

REGISTRY: dict[str, tuple[str, str]] = {}


def _register(name: str, default: object, help_text: str) -> None:
    REGISTRY[name] = (repr(default), help_text)


def env_str(name: str, default: str, help_text: str) -> str:
    _register(name, default, help_text)
    return os.environ.get(name, default)


def env_bool(name: str, default: bool, help_text: str) -> bool:
    _register(name, default, help_text)
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (true/false), got {raw!r}")


def env_int(name: str, default: int, help_text: str) -> int:
    _register(name, default, help_text)
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be an integer, got {raw!r}") from exc


def env_list(name: str, default: list[str], help_text: str) -> list[str]:
    _register(name, default, help_text)
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return list(default)
    return [item.strip() for item in raw.split(",") if item.strip()]


@dataclass(frozen=True)
class EmailConfig:
    backend: str
    host: str = "localhost"
    port: int = 25
    user: str = ""
    password: str = ""
    use_tls: bool = False
    use_ssl: bool = False
    file_path: str = ""


def parse_email_url(url: str) -> EmailConfig:
    """Read `smtp://user:pass@host:port?tls=1`, `smtps://…`, `console://` or `file:///dir`."""
    parsed = urlparse(url)
    scheme = parsed.scheme
    if scheme == "console":
        return EmailConfig(backend="django.core.mail.backends.console.EmailBackend")
    if scheme == "locmem":
        return EmailConfig(backend="django.core.mail.backends.locmem.EmailBackend")
    if scheme == "file":
        return EmailConfig(
            backend="django.core.mail.backends.filebased.EmailBackend", file_path=parsed.path
        )
    if scheme in {"smtp", "smtps", "submission"}:
        query = parse_qs(parsed.query)
        tls = query.get("tls", ["0"])[0] in {"1", "true", "yes"} or scheme == "submission"
        default_port = {"smtp": 25, "smtps": 465, "submission": 587}[scheme]
        return EmailConfig(
            backend="django.core.mail.backends.smtp.EmailBackend",
            host=parsed.hostname or "localhost",
            port=parsed.port or default_port,
            user=unquote(parsed.username or ""),
            password=unquote(parsed.password or ""),
            use_tls=tls,
            use_ssl=scheme == "smtps",
        )
    raise ImproperlyConfigured(
        f"EMAIL_URL scheme {scheme!r} is not supported (smtp, smtps, submission, console, file)"
    )

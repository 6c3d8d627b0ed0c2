import json
import logging
import os
import subprocess
import sys

import pytest
from django.core.exceptions import ImproperlyConfigured

from egov.core import request_context
from egov.core.logging import JsonFormatter, RequestIdFilter
from egov.settings.env import env_bool, env_int, env_list, parse_email_url


def test_email_url_smtp_with_tls_and_credentials() -> None:
    config = parse_email_url("smtp://user%40x:p%40ss@mail.example.gov.vn:2525?tls=1")
    assert config.backend == "django.core.mail.backends.smtp.EmailBackend"
    assert (config.host, config.port, config.user, config.password) == (
        "mail.example.gov.vn",
        2525,
        "user@x",
        "p@ss",
    )
    assert config.use_tls is True
    assert config.use_ssl is False


def test_email_url_submission_and_smtps_defaults() -> None:
    assert parse_email_url("submission://mail.local").port == 587
    assert parse_email_url("submission://mail.local").use_tls is True
    smtps = parse_email_url("smtps://mail.local")
    assert (smtps.port, smtps.use_ssl) == (465, True)


def test_email_url_unknown_scheme_is_refused() -> None:
    with pytest.raises(ImproperlyConfigured, match="EMAIL_URL scheme 'http'"):
        parse_email_url("http://mail.local")


def test_env_helpers_parse_and_refuse(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EGOV_T_BOOL", "yes")
    monkeypatch.setenv("EGOV_T_INT", "42")
    monkeypatch.setenv("EGOV_T_LIST", "a.gov.vn, b.gov.vn,,")
    assert env_bool("EGOV_T_BOOL", False, "t") is True
    assert env_int("EGOV_T_INT", 1, "t") == 42
    assert env_list("EGOV_T_LIST", [], "t") == ["a.gov.vn", "b.gov.vn"]
    monkeypatch.setenv("EGOV_T_BOOL", "maybe")
    with pytest.raises(ImproperlyConfigured, match="EGOV_T_BOOL must be a boolean"):
        env_bool("EGOV_T_BOOL", False, "t")
    monkeypatch.setenv("EGOV_T_INT", "forty")
    with pytest.raises(ImproperlyConfigured, match="EGOV_T_INT must be an integer"):
        env_int("EGOV_T_INT", 1, "t")


def test_production_refuses_to_start_without_secret_key() -> None:
    env = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "EGOV_ENV"}}
    env["EGOV_ENV"] = "production"
    result = subprocess.run(
        [sys.executable, "-c", "import egov.settings"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
    assert "SECRET_KEY must be set in production" in result.stderr


def test_production_defaults_are_strict() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("EGOV_", "DEBUG"))}
    env.update(EGOV_ENV="production", SECRET_KEY="x" * 60)
    code = (
        "import json, egov.settings as s; print(json.dumps([s.DEBUG, s.SESSION_COOKIE_SECURE, "
        "s.CSRF_COOKIE_SECURE, s.SECURE_HSTS_SECONDS, s.SECURE_SSL_REDIRECT, s.ALLOWED_HOSTS]))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    assert json.loads(result.stdout) == [False, True, True, 31536000, True, []]


def test_json_log_lines_carry_the_request_id() -> None:
    token = request_context.bind(
        request_context.RequestContext(request_id="req-12345678", ip="10.0.0.1")
    )
    try:
        record = logging.LogRecord("egov.test", logging.INFO, __file__, 1, "Hồ sơ %s", ("X",), None)
        assert RequestIdFilter().filter(record) is True
        line = json.loads(JsonFormatter().format(record))
    finally:
        request_context.reset(token)
    assert line["message"] == "Hồ sơ X"
    assert line["request_id"] == "req-12345678"
    assert line["ip"] == "10.0.0.1"
    assert line["level"] == "INFO"

import pytest
from django.test import Client


@pytest.mark.django_db
def test_healthz_answers_ok_with_request_id_and_security_headers(client: Client) -> None:
    response = client.get("/healthz", HTTP_X_REQUEST_ID="abcdef123456")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert response["X-Request-ID"] == "abcdef123456"
    assert "script-src 'self'" in response["Content-Security-Policy"]
    assert "unsafe-inline" not in response["Content-Security-Policy"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"


@pytest.mark.django_db
def test_request_id_is_replaced_when_unsafe(client: Client) -> None:
    response = client.get("/healthz", HTTP_X_REQUEST_ID="bad id\nwith newline")
    assert response["X-Request-ID"] != "bad id\nwith newline"
    assert len(response["X-Request-ID"]) == 32


@pytest.mark.django_db
def test_readyz_checks_database_and_storage(client: Client) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": "ok", "storage": "ok"}}


@pytest.mark.django_db
def test_screens_are_vietnamese_even_for_an_english_browser(client: Client) -> None:
    response = client.get("/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert response["Content-Language"] == "vi"


@pytest.mark.django_db
def test_language_cookie_switches_screens_to_english(client: Client) -> None:
    client.cookies["django_language"] = "en"
    response = client.get("/", HTTP_ACCEPT_LANGUAGE="vi")
    assert response["Content-Language"] == "en"


@pytest.mark.django_db
def test_api_follows_accept_language(client: Client) -> None:
    response = client.get("/api/v1/me", HTTP_ACCEPT_LANGUAGE="en")
    assert response["Content-Language"] == "en"

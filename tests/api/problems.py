"""Assertion helper for application/problem+json answers."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse

PROBLEM_KEYS = {
    "type",
    "title",
    "status",
    "detail",
    "code",
    "instance",
    "request_id",
    "errors",
}


def assert_problem(response: HttpResponse, status: int, code: str) -> dict[str, Any]:
    """The response is an RFC 9457 problem with our members; returns its body."""
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    body: dict[str, Any] = response.json()  # type: ignore[attr-defined]
    assert set(body) == PROBLEM_KEYS
    assert body["status"] == status
    assert body["code"] == code
    assert body["type"] == f"https://egov.example/problems/{code}"
    assert body["request_id"] == response["X-Request-ID"]
    assert body["title"]
    assert body["detail"]
    return body

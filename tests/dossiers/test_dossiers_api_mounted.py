"""The dossier endpoints as mounted in the platform's API at /api/v1/."""

from __future__ import annotations

from typing import Any

from django.test import Client
from dossiers_support import Clock, World


def test_status_look_up_is_public_and_answers_problem_json(
    world: World, clock: Clock, receive: Any
) -> None:
    dossier = receive()
    client = Client()
    url = f"/api/v1/dossiers/{dossier.code}/status"
    found = client.get(url, {"phone": "0900000001"})
    assert found.status_code == 200
    assert found.json()["code"] == dossier.code
    wrong = client.get(url, {"phone": "0900000002"})
    assert wrong.status_code == 404
    assert wrong["Content-Type"] == "application/problem+json"
    assert wrong.json()["code"] == "dossier.not_found"


def test_submission_needs_authentication_through_the_platform_api(world: World) -> None:
    answer = Client().post(
        "/api/v1/dossiers", data={}, content_type="application/json", HTTP_IDEMPOTENCY_KEY="k-1"
    )
    assert answer.status_code == 401
    assert answer["Content-Type"] == "application/problem+json"

"""The officer screen of an object's audit history: IT administrators only."""

from __future__ import annotations

import pytest
from directory_factories import OfficerFactory
from django.test import Client
from egov_testing import language_client

from egov.core.audit import audit_record
from egov.directory.models import Officer, Role, Scope

pytestmark = pytest.mark.django_db


def _history_url(object_type: str, object_id: str) -> str:
    return f"/lam-viec/lich-su/{object_type}/{object_id}/"


def _signed_in(officer: Officer) -> Client:
    client = language_client("en")
    client.force_login(officer.account)
    return client


def test_it_admin_sees_every_change_oldest_first() -> None:
    admin = OfficerFactory(roles=[(Role.IT_ADMIN, Scope.SUBTREE)])
    audit_record(actor=admin.account, action="demo.first", object_type="x.thing", object_id="7")
    audit_record(actor=None, action="demo.second", object_type="x.thing", object_id="7")
    audit_record(actor=None, action="demo.other", object_type="x.thing", object_id="8")
    body = _signed_in(admin).get(_history_url("x.thing", "7")).content.decode()
    assert body.index("demo.first") < body.index("demo.second")
    assert "demo.other" not in body
    assert "System" in body


@pytest.mark.parametrize(
    "roles", [[], [(Role.HEAD, Scope.SUBTREE)], [(Role.CLERK, Scope.ORGANIZATION)]]
)
def test_officers_without_the_it_admin_role_are_refused(roles: list[tuple[str, str]]) -> None:
    officer = OfficerFactory(roles=roles)
    audit_record(actor=None, action="demo.secret", object_type="x.thing", object_id="1")
    response = _signed_in(officer).get(_history_url("x.thing", "1"))
    assert response.status_code == 403
    assert "demo.secret" not in response.content.decode()


def test_anonymous_is_sent_to_sign_in() -> None:
    response = Client().get(_history_url("x.thing", "1"))
    assert response.status_code == 302
    assert response["Location"].startswith("/dang-nhap/")

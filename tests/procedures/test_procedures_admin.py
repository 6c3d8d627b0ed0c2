"""The procedures admin: open to IT staff, read-only content, writes only through services."""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from typing import Any

import pytest
from directory_factories import AccountFactory, OfficerFactory
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from egov.core.errors import PermissionDenied
from egov.core.models import AuditEntry
from egov.directory.models import Account, Role, Scope
from egov.procedures import services
from egov.procedures.models import Field, Procedure

ADMIN = "/quan-tri/procedures"


@pytest.fixture
def superuser(db: None) -> Account:
    return AccountFactory(username="root", is_superuser=True, is_staff=True)


@pytest.fixture
def make(tree: Any, data: dict[str, Any]) -> Callable[..., Procedure]:
    def create(code: str, name: str, *, publish: bool = False) -> Procedure:
        item = {**copy.deepcopy(data), "code": code, "name": name, "publish": publish}
        return services.procedure_create(actor=tree.tree_admin.account, data=item)

    return create


def _listed(response: Any) -> list[str]:
    assert response.status_code == 200, response.content.decode()[:2000]
    return re.findall(
        r"/quan-tri/procedures/procedure/\d+/change/[^>]*>([^<]+)<", response.content.decode()
    )


@pytest.mark.parametrize(
    "path",
    [
        "/procedure/",
        "/procedure/{pk}/change/",
        "/procedureversion/{version}/change/",
        "/field/",
        "/field/add/",
    ],
)
def test_pages_open_for_a_superuser(
    client: Client, superuser: Account, make: Callable[..., Procedure], path: str
) -> None:
    procedure = make("DEMO-XD-01", "Cấp giấy phép xây dựng", publish=True)
    client.force_login(superuser)
    url = ADMIN + path.format(pk=procedure.pk, version=procedure.latest_version_id)
    assert client.get(url).status_code == 200


def test_the_list_explains_that_import_is_the_way_in(
    client: Client, superuser: Account, make: Callable[..., Procedure]
) -> None:
    make("DEMO-XD-01", "Cấp giấy phép xây dựng")
    client.force_login(superuser)
    page = client.get(f"{ADMIN}/procedure/", headers={"accept-language": "en"}).content.decode()
    assert "egov procedures import FILE" in page
    assert f'href="{ADMIN}/procedure/add/"' not in page


def test_search_is_accent_free_and_finds_unpublished_procedures(
    client: Client, superuser: Account, make: Callable[..., Procedure]
) -> None:
    make("DEMO-XD-01", "Cấp giấy phép xây dựng", publish=True)
    make("DEMO-XD-02", "Cấp giấy phép xây dựng có thời hạn")
    make("DEMO-HT-01", "Đăng ký khai sinh")
    client.force_login(superuser)
    assert _listed(client.get(f"{ADMIN}/procedure/", {"q": "cap phep xay dung"})) == [
        "DEMO-XD-01",
        "DEMO-XD-02",
    ]
    assert _listed(client.get(f"{ADMIN}/procedure/", {"q": "HT-01"})) == ["DEMO-HT-01"]
    assert _listed(client.get(f"{ADMIN}/procedure/", {"published": "no"})) == [
        "DEMO-HT-01",
        "DEMO-XD-02",
    ]


def test_the_list_costs_the_same_queries_for_more_procedures(
    client: Client, superuser: Account, make: Callable[..., Procedure]
) -> None:
    client.force_login(superuser)
    make("DEMO-XD-01", "Cấp giấy phép xây dựng", publish=True)
    client.get(f"{ADMIN}/procedure/")
    with CaptureQueriesContext(connection) as few:
        client.get(f"{ADMIN}/procedure/")
    for number in range(2, 8):
        make(f"DEMO-XD-0{number}", f"Thủ tục {number}", publish=number % 2 == 0)
    with CaptureQueriesContext(connection) as many:
        assert len(_listed(client.get(f"{ADMIN}/procedure/"))) == 7
    assert len(many) == len(few)


def test_procedures_cannot_be_added_changed_or_deleted_here(
    client: Client, superuser: Account, make: Callable[..., Procedure]
) -> None:
    procedure = make("DEMO-XD-01", "Cấp giấy phép xây dựng")
    client.force_login(superuser)
    assert client.get(f"{ADMIN}/procedure/add/").status_code == 403
    response = client.post(
        f"{ADMIN}/procedure/{procedure.pk}/change/", {"code": "KHAC", "code_note": "x"}
    )
    assert response.status_code == 403
    assert client.post(f"{ADMIN}/procedure/{procedure.pk}/delete/").status_code == 403
    version = procedure.latest_version
    assert version is not None
    assert (
        client.post(f"{ADMIN}/procedureversion/{version.pk}/change/", {"name": "x"}).status_code
        == 403
    )
    procedure.refresh_from_db()
    assert (procedure.code, procedure.code_note) == ("DEMO-XD-01", "")
    assert not AuditEntry.objects.exclude(action="procedures.procedure.create").exists()


def test_publish_and_unpublish_actions_go_through_the_services(
    client: Client, superuser: Account, make: Callable[..., Procedure]
) -> None:
    first = make("DEMO-XD-01", "Cấp giấy phép xây dựng")
    second = make("DEMO-XD-02", "Cấp giấy phép xây dựng có thời hạn")
    client.force_login(superuser)
    response = client.post(
        f"{ADMIN}/procedure/",
        {"action": "publish_latest", "_selected_action": [first.pk, second.pk]},
    )
    assert response.status_code == 302
    assert set(Procedure.objects.values_list("code", "published_version__number")) == {
        ("DEMO-XD-01", 1),
        ("DEMO-XD-02", 1),
    }
    client.post(f"{ADMIN}/procedure/", {"action": "unpublish", "_selected_action": [second.pk]})
    second.refresh_from_db()
    assert second.published_version is None
    assert list(
        AuditEntry.objects.exclude(action="procedures.procedure.create")
        .order_by("id")
        .values_list("action", "object_id")
    ) == [
        ("procedures.procedure.publish", str(first.pk)),
        ("procedures.procedure.publish", str(second.pk)),
        ("procedures.procedure.unpublish", str(second.pk)),
    ]


def test_an_it_admin_of_one_department_cannot_publish_another_s_procedure(
    client: Client, tree: Any, make: Callable[..., Procedure]
) -> None:
    procedure = make("DEMO-XD-01", "Cấp giấy phép xây dựng")  # of the construction department
    officer = OfficerFactory(unit=tree.health, roles=[(Role.IT_ADMIN, Scope.SUBTREE)])
    officer.account.is_staff = True
    officer.account.save(update_fields=["is_staff"])
    client.force_login(officer.account)
    response = client.post(
        f"{ADMIN}/procedure/",
        {"action": "publish_latest", "_selected_action": [procedure.pk]},
        follow=True,
    )
    with translation.override(response.wsgi_request.LANGUAGE_CODE):
        refusal = f"DEMO-XD-01: {PermissionDenied.default_message}"
    assert refusal in response.content.decode()
    procedure.refresh_from_db()
    assert procedure.published_version is None
    assert not AuditEntry.objects.filter(action="procedures.procedure.publish").exists()


@pytest.mark.parametrize("kind", ["anonymous", "staff_without_it_role", "officer_not_staff"])
def test_people_without_the_it_role_are_kept_out(client: Client, tree: Any, kind: str) -> None:
    if kind == "staff_without_it_role":
        officer = OfficerFactory(unit=tree.health, roles=[(Role.HEAD, Scope.ORGANIZATION)])
        officer.account.is_staff = True
        officer.account.save(update_fields=["is_staff"])
        client.force_login(officer.account)
    elif kind == "officer_not_staff":
        client.force_login(tree.tree_admin.account)
    response = client.get(f"{ADMIN}/procedure/")
    assert response.status_code in {302, 403}
    assert "DEMO" not in response.content.decode()


def test_fields_are_saved_through_the_service(client: Client, superuser: Account) -> None:
    client.force_login(superuser)
    response = client.post(f"{ADMIN}/field/add/", {"code": "HT", "name": "Hộ  tịch"})
    assert response.status_code == 302, response.content.decode()[:2000]
    field = Field.objects.get(code="HT")
    assert field.name == "Hộ tịch"  # the service normalises spaces
    response = client.post(f"{ADMIN}/field/{field.pk}/change/", {"name": "Hộ tịch, quốc tịch"})
    assert response.status_code == 302
    field.refresh_from_db()
    assert field.name == "Hộ tịch, quốc tịch"
    assert list(AuditEntry.objects.values_list("action", flat=True)) == [
        "procedures.field.save",
        "procedures.field.save",
    ]

"""The public catalogue API and the search behind it, through the mounted /api/v1/procedures."""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, get_args

import pytest
from django.test import Client

from egov.core.models import SearchEntry
from egov.procedures import api as procedures_api
from egov.procedures import selectors, services
from egov.procedures.models import Channel, Fee, Level, Procedure, ServiceLevel, TimeUnit
from egov.procedures.search import SEARCH_KIND

URL = "/api/v1/procedures"
BUILDING = "Cấp giấy phép xây dựng mới đối với công trình cấp I, cấp II"
HOUSE = "Cấp giấy phép xây dựng nhà ở riêng lẻ"
PRACTICE = "Cấp chứng chỉ hành nghề khám bệnh, chữa bệnh"
DRAFT = "Cấp giấy phép xây dựng có thời hạn"


@pytest.fixture
def client() -> Client:
    """An anonymous client asking for English (the catalogue is public)."""
    return Client(headers={"accept-language": "en"})


@pytest.fixture
def catalogue(tree: Any, data: dict[str, Any]) -> dict[str, Procedure]:
    """Three published procedures in two fields and organisations, one never published."""
    actor = tree.tree_admin.account
    services.field_save(actor=actor, code="YT", name="Khám bệnh, chữa bệnh")

    def make(code: str, name: str, publish: bool, **changes: Any) -> Procedure:
        item = copy.deepcopy(data)
        item.update(code=code, name=name, publish=publish, **changes)
        return services.procedure_create(actor=actor, data=item)

    health = {"code": "H51.07", "name": "Sở Y tế"}
    return {
        "building": make("DEMO-XD-01", BUILDING, True),
        "house": make("DEMO-XD-02", HOUSE, True, service_level="full_online"),
        "practice": make(
            "DEMO-YT-01",
            PRACTICE,
            True,
            field="YT",
            competent_organization=health,
            executing_organization=health,
            result="Chứng chỉ hành nghề",
            steps=[{"name": "Thẩm định", "role": "officer", "days": 10}],
            fees=[],
        ),
        "draft": make("DEMO-XD-03", DRAFT, False),
    }


def _codes(response: Any) -> list[str]:
    assert response.status_code == 200, response.content
    return [item["code"] for item in response.json()["items"]]


def test_schema_literals_match_the_model_choices() -> None:
    assert list(get_args(procedures_api.LevelValue)) == Level.values
    assert list(get_args(procedures_api.ServiceLevelValue)) == ServiceLevel.values
    assert list(get_args(procedures_api.CodeStatusValue)) == Procedure.CodeStatus.values
    assert list(get_args(procedures_api.ChannelValue)) == Channel.values
    assert list(get_args(procedures_api.TimeUnitValue)) == TimeUnit.values
    assert list(get_args(procedures_api.FeeKindValue)) == Fee.Kind.values


# --- the selector ------------------------------------------------------------------------------


def test_a_query_without_diacritics_finds_the_procedure(catalogue: dict[str, Procedure]) -> None:
    page = selectors.procedure_search("cap phep xay dung")
    assert page.total == 2
    assert sorted(p.code for p in page.items) == ["DEMO-XD-01", "DEMO-XD-02"]
    assert selectors.procedure_search("CẤP GIẤY PHÉP XÂY DỰNG nha o").total == 1
    assert [p.code for p in selectors.procedure_search("hanh ngh").items] == ["DEMO-YT-01"]


def test_an_unpublished_procedure_is_not_found(catalogue: dict[str, Procedure]) -> None:
    assert SearchEntry.objects.filter(kind=SEARCH_KIND).count() == 4  # indexed, yet hidden
    assert selectors.procedure_search("co thoi han").total == 0
    assert "DEMO-XD-03" not in [p.code for p in selectors.procedure_search("").items]
    assert selectors.procedure_published("DEMO-XD-03") is None


def test_search_filters_by_field_organization_and_service_level(
    catalogue: dict[str, Procedure],
) -> None:
    def codes(**filters: Any) -> list[str]:
        return [p.code for p in selectors.procedure_search(filters.pop("q", ""), **filters).items]

    assert codes() == ["DEMO-XD-01", "DEMO-XD-02", "DEMO-YT-01"]
    assert codes(field="YT") == ["DEMO-YT-01"]
    assert codes(q="cap", field="XD", service_level="full_online") == ["DEMO-XD-02"]
    assert codes(organization="H51.07") == ["DEMO-YT-01"]
    assert codes(organization="H51.04.02") == ["DEMO-XD-01", "DEMO-XD-02"]  # executing
    assert codes(q="cap phep", organization="H51.07") == []
    assert codes(service_level="none") == []


def test_search_pages_keep_the_total(catalogue: dict[str, Procedure]) -> None:
    first = selectors.procedure_search("cap", limit=2)
    second = selectors.procedure_search("cap", limit=2, offset=2)
    assert (first.total, second.total) == (3, 3)
    assert len(first.items) == 2
    assert len(second.items) == 1
    assert {p.code for p in first.items + second.items} == {
        "DEMO-XD-01",
        "DEMO-XD-02",
        "DEMO-YT-01",
    }


def test_a_waiting_revision_does_not_change_what_the_public_finds(
    tree: Any, catalogue: dict[str, Procedure], data: dict[str, Any]
) -> None:
    procedure = catalogue["building"]
    revised = {**copy.deepcopy(data), "name": "Cấp phép công trình đặc biệt", "publish": False}
    services.procedure_revise(actor=tree.tree_admin.account, procedure=procedure, data=revised)
    assert [p.code for p in selectors.procedure_search("cong trinh cap I").items] == ["DEMO-XD-01"]
    assert selectors.procedure_search("dac biet").total == 0
    services.procedure_publish(actor=tree.tree_admin.account, procedure=procedure)
    assert [p.code for p in selectors.procedure_search("dac biet").items] == ["DEMO-XD-01"]
    services.procedure_unpublish(actor=tree.tree_admin.account, procedure=procedure)
    assert selectors.procedure_search("dac biet").total == 0


# --- the API -----------------------------------------------------------------------------------


def test_list_searches_without_diacritics_anonymously(
    client: Client, catalogue: dict[str, Procedure]
) -> None:
    response = client.get(URL, {"q": "cap phep xay dung"})
    assert sorted(_codes(response)) == ["DEMO-XD-01", "DEMO-XD-02"]
    body = response.json()
    assert body["count"] == 2
    item = next(i for i in body["items"] if i["code"] == "DEMO-XD-01")
    published_at = catalogue["building"].published_at
    assert published_at is not None
    assert item == {
        "code": "DEMO-XD-01",
        "code_status": "unverified",
        "name": BUILDING,
        "field": {"code": "XD", "name": "Hoạt động xây dựng"},
        "level": "province",
        "service_level": "partial_online",
        "competent_organization": {"code": "H51.04", "name": "Sở Xây dựng"},
        "executing_organization": {"code": "H51.04.02", "name": "Phòng Quản lý xây dựng"},
        "version": 1,
        "effective_from": "2025-07-01",
        "published_at": item["published_at"],
    }
    shown = datetime.fromisoformat(item["published_at"].replace("Z", "+00:00"))
    assert abs(shown - published_at) < timedelta(milliseconds=1)  # JSON keeps milliseconds


def test_list_filters_and_pages(client: Client, catalogue: dict[str, Procedure]) -> None:
    assert _codes(client.get(URL)) == ["DEMO-XD-01", "DEMO-XD-02", "DEMO-YT-01"]
    assert _codes(client.get(URL, {"field": "YT"})) == ["DEMO-YT-01"]
    assert _codes(client.get(URL, {"organization": "H51.07"})) == ["DEMO-YT-01"]
    assert _codes(client.get(URL, {"service_level": "full_online"})) == ["DEMO-XD-02"]
    assert _codes(client.get(URL, {"q": "co thoi han"})) == []
    first = client.get(URL, {"page_size": 2})
    second = client.get(URL, {"page_size": 2, "page": 2})
    assert (_codes(first), _codes(second)) == (["DEMO-XD-01", "DEMO-XD-02"], ["DEMO-YT-01"])
    assert first.json()["count"] == second.json()["count"] == 3
    assert _codes(client.get(URL, {"page": 9})) == []


def test_a_bad_filter_is_a_problem(client: Client, catalogue: dict[str, Procedure]) -> None:
    response = client.get(URL, {"service_level": "level4"})
    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "validation"


def test_list_query_counts(
    client: Client,
    catalogue: dict[str, Procedure],
    django_assert_num_queries: Callable[..., Any],
) -> None:
    with django_assert_num_queries(3):  # ranked ids, filter, page
        response = client.get(URL, {"q": "cap", "page_size": 100})
    assert response.json()["count"] == 3
    with django_assert_num_queries(2):  # count, page
        response = client.get(URL, {"page_size": 100})
    assert len(response.json()["items"]) == 3


def test_detail_gives_the_published_version_with_everything(
    client: Client, catalogue: dict[str, Procedure], data: dict[str, Any]
) -> None:
    response = client.get(f"{URL}/DEMO-XD-01")
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["code"], body["name"], body["version"]) == ("DEMO-XD-01", BUILDING, 1)
    assert (body["code_note"], body["legacy_level"]) == ("", 3)
    assert body["channels"] == [
        {
            "channel": "counter",
            "time": 20.0,
            "unit": "working_days",
            "fee_note": "",
            "description": "",
        },
        {
            "channel": "online",
            "time": 20.0,
            "unit": "working_days",
            "fee_note": "",
            "description": "",
        },
    ]
    assert body["sequence"] == data["sequence"]
    assert body["documents"][0] == {
        "code": "TP1",
        "name": "Đơn đề nghị cấp giấy phép xây dựng",
        "originals": 1,
        "copies": 0,
        "template": "",
        "template_file": None,
        "mandatory": True,
        "case": "",
    }
    assert [d["code"] for d in body["documents"]] == ["TP1", "TP2"]
    assert body["fees"] == [
        {
            "kind": "charge",
            "name": "Lệ phí cấp giấy phép xây dựng",
            "channel": "",
            "amount": 150000,
            "rule": None,
            "legal_basis": "",
            "note": "",
        },
        {
            "kind": "fee",
            "name": "Phí thẩm định",
            "channel": "",
            "amount": None,
            "rule": {"kind": "percent", "by": "gia_tri", "rate": "0.05", "min": 500000},
            "legal_basis": "",
            "note": "",
        },
    ]
    assert body["legal_bases"] == ["Luật Xây dựng 2014"]
    assert body["subjects"] == ["Chủ đầu tư"]
    assert body["result"] == "Giấy phép xây dựng"
    assert body["eform_schema"] == data["eform_schema"]
    assert [(s["order"], s["working_days"]) for s in body["processing_steps"]] == [
        (1, 0.5),
        (2, 15.0),
        (3, 3.0),
        (4, 1.0),
        (5, 0.5),
    ]
    assert body["processing_steps"][1]["unit"]["code"] == "H51.04.02"
    assert body["processing_steps"][2]["unit"] is None
    assert body["processing_steps"][2]["role"] == "officer"
    assert body["processing_steps"][2]["crosses_organization"] is True


def test_detail_shows_the_published_version_not_a_waiting_revision(
    client: Client, tree: Any, catalogue: dict[str, Procedure], data: dict[str, Any]
) -> None:
    revised = {**copy.deepcopy(data), "name": "Tên chưa công bố", "publish": False}
    services.procedure_revise(
        actor=tree.tree_admin.account, procedure=catalogue["building"], data=revised
    )
    body = client.get(f"{URL}/DEMO-XD-01").json()
    assert (body["name"], body["version"]) == (BUILDING, 1)


@pytest.mark.parametrize("code", ["DEMO-XD-03", "KHONG-CO", "X" * 40])
def test_detail_of_an_unknown_or_unpublished_procedure_is_404(
    client: Client, catalogue: dict[str, Procedure], code: str
) -> None:
    response = client.get(f"{URL}/{code}")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "procedures.not_found"
    assert code in response.json()["detail"]


def test_detail_query_count(
    client: Client,
    catalogue: dict[str, Procedure],
    django_assert_num_queries: Callable[..., Any],
) -> None:
    with django_assert_num_queries(5):  # version with its links, channels, documents, fees, steps
        response = client.get(f"{URL}/DEMO-XD-01")
    assert response.status_code == 200

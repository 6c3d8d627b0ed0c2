"""Life events, online without an account and the fee stage, through every catalogue format;
and the ranking tiers of the search (name matches before mentions)."""

from __future__ import annotations

import json
from io import BytesIO
from typing import Any

import pytest
from openpyxl import load_workbook

from egov.core.text import search_tokens
from egov.directory.demo import demo_seed
from egov.procedures import selectors, services
from egov.procedures.format import content_hash, parse_procedure
from egov.procedures.models import LIFE_EVENTS, FeeStage, Procedure, ServiceLevel
from egov.procedures.selectors import (
    TIER_CODE,
    TIER_MENTION,
    TIER_NAME,
    TIER_PHRASE,
    search_tier,
)
from egov.procedures.spreadsheet import import_document_from_xlsx, workbook_from_dicts

FIELDS = [{"code": "XD", "name": "Hoạt động xây dựng"}]


def _doc(*procedures: dict[str, Any]) -> services.ImportDocument:
    return services.import_document_from_json(
        {"format": "egov.procedures/1", "fields": FIELDS, "procedures": list(procedures)}
    )


def _spec(data: dict[str, Any]) -> Any:
    return parse_procedure(data, field_codes={"XD"}, organizations={}, files={})


def _plain(data: dict[str, Any]) -> dict[str, Any]:
    """The fixture's procedure without organisation codes (parse without the tree)."""
    data["competent_organization"] = {"code": None, "name": "Sở Xây dựng"}
    data["executing_organization"] = {"code": None, "name": "Phòng Quản lý xây dựng"}
    data["steps"] = [s for s in data["steps"] if "unit" not in s]
    return data


def test_import_writes_the_three_fields_and_export_gives_them_back(
    tree: Any, data: dict[str, Any]
) -> None:
    data.update(life_events=["house", "investment"], anonymous_allowed=True, fee_stage="after")
    services.procedures_import(actor=tree.tree_admin.account, document=_doc(data))
    version = Procedure.objects.get(code="DEMO-XD-01").latest_version
    assert version is not None
    assert version.life_events == ["house", "investment"]
    assert version.anonymous_allowed is True
    assert version.fee_stage == FeeStage.AFTER
    exported = selectors.procedures_export()["procedures"][0]
    assert exported["life_events"] == ["house", "investment"]
    assert exported["anonymous_allowed"] is True
    assert exported["fee_stage"] == "after"


def test_defaults_when_the_keys_are_absent(data: dict[str, Any]) -> None:
    spec, problems = _spec(_plain(data))
    assert problems == []
    assert (spec.life_events, spec.anonymous_allowed, spec.fee_stage) == ([], False, "before")


def test_life_events_are_checked_and_kept_once_in_order(data: dict[str, Any]) -> None:
    data = _plain(data)
    data["life_events"] = ["house", "business", "house", " "]
    spec, problems = _spec(data)
    assert problems == []
    assert spec.life_events == ["house", "business"]
    data["life_events"] = ["house", "wedding"]
    spec, problems = _spec(data)
    assert spec is None
    assert [p.path for p in problems] == ["life_events[1]"]
    assert problems[0].message.startswith("wedding is not one of business, house")
    data["life_events"] = "house"
    spec, problems = _spec(data)
    assert problems == []
    assert spec.life_events == ["house"]
    data["life_events"] = [1]
    assert [p.path for p in _spec(data)[1]] == ["life_events"]


def test_anonymous_submission_needs_an_online_service(data: dict[str, Any]) -> None:
    data = _plain(data)
    data.update(service_level="none", anonymous_allowed=True)
    spec, problems = _spec(data)
    assert spec is None
    assert [(p.path, p.message) for p in problems] == [
        (
            "anonymous_allowed",
            "Only an online public service can take dossiers without an account.",
        )
    ]


def test_fee_stage_must_be_before_or_after(data: dict[str, Any]) -> None:
    data = _plain(data)
    data["fee_stage"] = "later"
    spec, problems = _spec(data)
    assert spec is None
    assert [p.path for p in problems] == ["fee_stage"]
    data["fee_stage"] = ""
    assert _spec(data)[0].fee_stage == "before"


def test_content_hash_ignores_the_new_keys_at_their_defaults(data: dict[str, Any]) -> None:
    data = _plain(data)
    before = _spec(data)[0]
    data.update(life_events=[], anonymous_allowed=False, fee_stage="before")
    same = _spec(data)[0]
    assert content_hash(before) == content_hash(same) == before.content_hash
    for change in ({"life_events": ["house"]}, {"anonymous_allowed": True}, {"fee_stage": "after"}):
        assert _spec({**data, **change})[0].content_hash != before.content_hash, change


def test_changing_a_life_event_makes_a_new_version(tree: Any, data: dict[str, Any]) -> None:
    services.procedures_import(actor=tree.tree_admin.account, document=_doc(data))
    again = services.procedures_import(actor=tree.tree_admin.account, document=_doc(data))
    assert again.unchanged == ["DEMO-XD-01"]
    data["life_events"] = ["house"]
    changed = services.procedures_import(actor=tree.tree_admin.account, document=_doc(data))
    assert changed.revised == ["DEMO-XD-01"]
    procedure = Procedure.objects.get(code="DEMO-XD-01")
    assert procedure.versions.count() == 2


def test_xlsx_carries_the_three_fields(tree: Any, data: dict[str, Any]) -> None:
    data.update(life_events=["house", "business"], anonymous_allowed=True, fee_stage="after")
    content = workbook_from_dicts(FIELDS, [data])
    book = load_workbook(BytesIO(content))
    header = [c.value for c in book["procedures"][1]]
    row = [c.value for c in book["procedures"][2]]
    assert row[header.index("life_events")] == "house\nbusiness"
    assert row[header.index("anonymous_allowed")] is True
    assert row[header.index("fee_stage")] == "after"
    document = import_document_from_xlsx(BytesIO(content))
    assert document.procedures[0]["life_events"] == ["house", "business"]
    services.procedures_import(actor=tree.tree_admin.account, document=document)
    version = Procedure.objects.get(code="DEMO-XD-01").latest_version
    assert version is not None
    assert (version.life_events, version.anonymous_allowed, version.fee_stage) == (
        ["house", "business"],
        True,
        "after",
    )


def test_an_older_workbook_without_the_new_columns_still_imports(
    tree: Any, data: dict[str, Any]
) -> None:
    book = load_workbook(BytesIO(workbook_from_dicts(FIELDS, [data])))
    sheet = book["procedures"]
    header = [c.value for c in sheet[1]]
    for name in ("fee_stage", "anonymous_allowed", "life_events"):
        sheet.delete_cols(header.index(name) + 1)
        header.remove(name)
    out = BytesIO()
    book.save(out)
    out.seek(0)
    result = services.procedures_import(
        actor=tree.tree_admin.account, document=import_document_from_xlsx(out)
    )
    assert result.created == ["DEMO-XD-01"]
    version = Procedure.objects.get(code="DEMO-XD-01").latest_version
    assert version is not None
    assert (version.life_events, version.anonymous_allowed, version.fee_stage) == (
        [],
        False,
        "before",
    )


def test_xlsx_problem_of_a_life_event_points_to_its_column(tree: Any, data: dict[str, Any]) -> None:
    data["life_events"] = ["house", "picnic"]
    document = import_document_from_xlsx(BytesIO(workbook_from_dicts(FIELDS, [data])))
    with pytest.raises(services.ImportRefused) as caught:
        services.procedures_import(actor=tree.tree_admin.account, document=document)
    assert [(p.sheet, p.row, p.column) for p in caught.value.problems] == [
        ("procedures", 2, "life_events")
    ]


def test_every_demo_procedure_has_sensible_online_fields() -> None:
    payload = json.loads(services.DEMO_DATA.read_text(encoding="utf-8"))
    online = {ServiceLevel.FULL_ONLINE.value, ServiceLevel.PARTIAL_ONLINE.value}
    anonymous = set()
    for item in payload["procedures"]:
        assert item["life_events"], item["code"]
        assert set(item["life_events"]) <= set(LIFE_EVENTS), item["code"]
        assert item["fee_stage"] in FeeStage.values, item["code"]
        if item["anonymous_allowed"]:
            assert item["service_level"] in online, item["code"]
            anonymous.add(item["code"])
    assert {"1.001193", "1.004194", "DEMO-XD-02"} <= anonymous  # birth, residence, house permit
    assert "2.001610" not in anonymous  # a company is registered from a business account
    used = {key for item in payload["procedures"] for key in item["life_events"]}
    assert used >= {"business", "house", "family", "vehicle", "residence", "complaint"}


def test_demo_seed_writes_the_online_fields(db: None) -> None:
    demo_seed()
    services.procedures_seed_demo()
    version = Procedure.objects.get(code="DEMO-XD-02").published_version
    assert version is not None
    assert version.life_events == ["house"]
    assert version.anonymous_allowed is True
    assert version.fee_stage == "after"
    found = selectors.procedure_search("cap phep xay dung", life_event="house")
    assert {p.code for p in found.items[:2]} == {"DEMO-XD-01", "DEMO-XD-02"}  # name matches
    assert all("house" in p.published_version.life_events for p in found.items)


# --- ranking tiers -------------------------------------------------------------------------------

NAME = "Cấp giấy phép xây dựng nhà ở riêng lẻ"


@pytest.mark.parametrize(
    ("query", "tier"),
    [
        ("1.009994", TIER_CODE),
        ("giay phep xay dung", TIER_PHRASE),
        ("GIẤY PHÉP", TIER_PHRASE),
        ("xay du", TIER_PHRASE),  # the last word as a prefix
        ("cap phep xay dung", TIER_NAME),  # every word, not in a row
        ("rieng le nha", TIER_NAME),
        ("giay phep cong trinh", TIER_MENTION),
        ("xay d nha", TIER_MENTION),  # only the last word is a prefix
    ],
)
def test_search_tier(query: str, tier: int) -> None:
    assert search_tier(search_tokens(query), query, "1.009994", NAME) == tier


def test_search_filters_by_level_and_life_event(tree: Any, data: dict[str, Any]) -> None:
    second = {
        **data,
        "code": "DEMO-XD-02",
        "name": "Cấp giấy phép xây dựng nhà ở riêng lẻ",
        "level": "commune",
        "life_events": ["house"],
        "publish": True,
    }
    data.update(publish=True, life_events=["investment", "business"])
    services.procedures_import(actor=tree.tree_admin.account, document=_doc(data, second))

    def codes(**filters: Any) -> list[str]:
        return [p.code for p in selectors.procedure_search("giay phep", **filters).items]

    assert codes(level="commune") == ["DEMO-XD-02"]
    assert codes(level="province") == ["DEMO-XD-01"]
    assert codes(life_event="house") == ["DEMO-XD-02"]
    assert codes(life_event="business") == ["DEMO-XD-01"]
    assert codes(life_event="family") == []
    assert selectors.procedure_search("", life_event="investment").total == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_bulk_import_refreshes_the_planner_statistics(monkeypatch: pytest.MonkeyPatch) -> None:
    from django.db import connection

    calls: list[str] = []
    real = services._refresh_statistics

    def spy() -> None:
        calls.append("analyze")
        real()

    monkeypatch.setattr(services, "_refresh_statistics", spy)
    monkeypatch.setattr(services, "ANALYZE_AFTER_IMPORT", 1)
    demo_seed()
    services.procedures_seed_demo()
    assert calls == ["analyze"]
    with connection.cursor() as cursor:  # ANALYZE writes the row count into pg_class at once
        cursor.execute(
            "SELECT reltuples::bigint, (SELECT count(*) FROM procedures_procedureversion) "
            "FROM pg_class WHERE relname = 'procedures_procedureversion'"
        )
        estimated, actual = cursor.fetchone()
    assert actual > 0
    assert estimated == actual

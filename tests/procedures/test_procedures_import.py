"""Import and export: JSON and xlsx, all or nothing, every bad row reported, round trips."""

from __future__ import annotations

import copy
import json
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from openpyxl import load_workbook

from egov.core.errors import PermissionDenied
from egov.core.models import AuditEntry
from egov.directory.demo import demo_seed
from egov.procedures import selectors, services
from egov.procedures.models import Field, Procedure, ProcedureVersion
from egov.procedures.spreadsheet import import_document_from_xlsx, workbook_from_dicts

FIELDS = [{"code": "XD", "name": "Hoạt động xây dựng"}, {"code": "HT", "name": "Hộ tịch"}]


def _doc(*procedures: dict[str, Any]) -> services.ImportDocument:
    return services.import_document_from_json(
        {"format": "egov.procedures/1", "fields": FIELDS, "procedures": list(procedures)}
    )


def _second(data: dict[str, Any]) -> dict[str, Any]:
    other = copy.deepcopy(data)
    other.update(code="DEMO-XD-02", name="Cấp giấy phép xây dựng nhà ở riêng lẻ", publish=True)
    return other


def test_json_import_creates_publishes_and_is_idempotent(tree: Any, data: dict[str, Any]) -> None:
    actor = tree.tree_admin.account
    result = services.procedures_import(actor=actor, document=_doc(data, _second(data)))
    assert (result.created, result.published) == (["DEMO-XD-01", "DEMO-XD-02"], ["DEMO-XD-02"])
    assert Field.objects.get(code="HT").name == "Hộ tịch"
    again = services.procedures_import(actor=actor, document=_doc(data, _second(data)))
    assert (again.created, again.revised, again.unchanged) == ([], [], ["DEMO-XD-01", "DEMO-XD-02"])
    assert ProcedureVersion.objects.count() == 2
    second = _second(data)
    data["result"] = "Giấy phép xây dựng (bản điện tử)"
    third = services.procedures_import(actor=actor, document=_doc(data, second))
    assert third.revised == ["DEMO-XD-01"]
    assert Procedure.objects.get(code="DEMO-XD-01").latest_version.number == 2  # type: ignore[union-attr]


def test_a_bad_import_reports_every_bad_row_and_changes_nothing(
    tree: Any, data: dict[str, Any]
) -> None:
    services.procedures_import(actor=tree.tree_admin.account, document=_doc(data))
    entries = AuditEntry.objects.count()
    changed = copy.deepcopy(data)
    changed["name"] = "Tên mới"  # a good change that must not be written either
    bad = _second(data)
    bad["field"] = "KHONG-CO"
    bad["steps"][1]["days"] = 30
    bad["fees"][1]["rule"]["kind"] = "eval"
    duplicate = copy.deepcopy(changed)
    with pytest.raises(services.ImportRefused) as caught:
        services.procedures_import(
            actor=tree.tree_admin.account, document=_doc(changed, bad, duplicate)
        )
    located = [(p.sheet, p.row, p.column) for p in caught.value.problems]
    assert located == [
        ("procedures", 2, "field"),
        ("procedures", 2, "fees[1].rule"),
        ("procedures", 2, "steps"),
        ("procedures", 3, "code"),
    ]
    assert caught.value.code == "procedures.import_refused"
    assert Procedure.objects.get(code="DEMO-XD-01").latest_version.name == data["name"]  # type: ignore[union-attr]
    assert ProcedureVersion.objects.count() == 1
    assert not Procedure.objects.filter(code="DEMO-XD-02").exists()
    assert AuditEntry.objects.count() == entries


def test_import_needs_a_tree_admin(tree: Any, data: dict[str, Any]) -> None:
    with pytest.raises(PermissionDenied):
        services.procedures_import(actor=None, document=_doc(data))
    assert Procedure.objects.count() == 0


def test_a_wrong_top_level_is_refused() -> None:
    with pytest.raises(services.ImportRefused) as caught:
        services.import_document_from_json({"procedures": []})
    assert [(p.sheet, p.row, p.column) for p in caught.value.problems] == [("json", 0, "format")]


def test_xlsx_round_trip_keeps_the_content(tree: Any, data: dict[str, Any]) -> None:
    data["cases"] = [{"code": "A", "name": "Công trình cấp I"}]
    data["documents"][1]["case"] = "A"
    data["channels"][0]["unit"] = "working_days"
    services.procedures_import(actor=tree.tree_admin.account, document=_doc(data, _second(data)))
    exported = selectors.procedures_export()
    content = workbook_from_dicts(exported["fields"], exported["procedures"])
    document = import_document_from_xlsx(BytesIO(content))
    assert [p["code"] for p in document.procedures] == ["DEMO-XD-01", "DEMO-XD-02"]
    assert document.procedures[0]["cases"] == [{"code": "A", "name": "Công trình cấp I"}]
    assert document.procedures[0]["steps"] == exported["procedures"][0]["steps"]
    result = services.procedures_import(actor=tree.tree_admin.account, document=document)
    assert result.unchanged == ["DEMO-XD-01", "DEMO-XD-02"]
    assert result.created == result.revised == []


def test_xlsx_problems_point_to_sheet_row_and_column(tree: Any, data: dict[str, Any]) -> None:
    content = workbook_from_dicts(FIELDS, [data, _second(data)])
    book = load_workbook(BytesIO(content))
    procedures, documents, steps = book["procedures"], book["documents"], book["steps"]
    header = [c.value for c in procedures[1]]
    procedures.cell(row=3, column=header.index("level") + 1, value="huyen")
    doc_header = [c.value for c in documents[1]]
    documents.cell(row=2, column=doc_header.index("copies") + 1, value="hai")
    step_header = [c.value for c in steps[1]]
    steps.cell(row=8, column=step_header.index("days") + 1, value=99)
    steps.append(["KHONG-CO", "Bước lạc", "", "officer", "", 1, False])
    out = BytesIO()
    book.save(out)
    out.seek(0)
    with pytest.raises(services.ImportRefused) as caught:
        services.procedures_import(
            actor=tree.tree_admin.account, document=import_document_from_xlsx(out)
        )
    assert [(p.sheet, p.row, p.column) for p in caught.value.problems] == [
        ("steps", 12, "procedure_code")
    ]
    steps.delete_rows(12)
    out = BytesIO()
    book.save(out)
    out.seek(0)
    with pytest.raises(services.ImportRefused) as caught:
        services.procedures_import(
            actor=tree.tree_admin.account, document=import_document_from_xlsx(out)
        )
    assert [(p.sheet, p.row, p.column) for p in caught.value.problems] == [
        ("documents", 2, "copies"),
        ("procedures", 3, "level"),
        ("steps", 7, "days"),
    ]
    assert "Sheet documents, row 2, column copies: " in str(caught.value.problems[0])
    assert Procedure.objects.count() == 0


def test_the_command_imports_and_exports(
    tree: Any, data: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "in.json"
    source.write_text(
        json.dumps({"format": "egov.procedures/1", "fields": FIELDS, "procedures": [data]}),
        encoding="utf-8",
    )
    call_command("procedures", "import", str(source))
    assert "1 created" in capsys.readouterr().out
    call_command("procedures", "export", "--format", "xlsx", str(tmp_path / "out.xlsx"))
    call_command("procedures", "export", "--format", "json", str(tmp_path / "out.json"))
    exported = json.loads((tmp_path / "out.json").read_text(encoding="utf-8"))
    assert [p["code"] for p in exported["procedures"]] == ["DEMO-XD-01"]
    with (tmp_path / "out.xlsx").open("rb") as stream:
        document = import_document_from_xlsx(stream)
    assert services.procedures_import(actor=None, document=document, as_system=True).unchanged == [
        "DEMO-XD-01"
    ]


def test_the_command_lists_every_problem_and_exits_2(
    tree: Any, data: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data["level"] = "huyen"
    data["legacy_level"] = 7
    source = tmp_path / "in.json"
    source.write_text(
        json.dumps({"format": "egov.procedures/1", "fields": FIELDS, "procedures": [data]}),
        encoding="utf-8",
    )
    with pytest.raises(SystemExit) as caught:
        call_command("procedures", "import", str(source))
    assert caught.value.code == 2
    err = capsys.readouterr().err
    assert "row 1, column level" in err
    assert "row 1, column legacy_level" in err
    assert Procedure.objects.count() == 0


def test_demo_catalogue_loads_real_procedures_and_is_idempotent(db: None) -> None:
    demo_seed()
    first = services.procedures_seed_demo()
    assert len(first.created) >= 40
    assert first.published == first.created
    again = services.procedures_seed_demo()
    assert (again.created, again.revised, again.published) == ([], [], [])
    names = set(Procedure.objects.values_list("latest_version__name", flat=True))
    for wanted in [
        "Đăng ký thành lập doanh nghiệp tư nhân",
        "Cấp Giấy chứng nhận đăng ký đầu tư đối với dự án không thuộc diện chấp thuận "
        "chủ trương đầu tư",
        "Đăng ký hoạt động chi nhánh, văn phòng đại diện, địa điểm kinh doanh",
        "Cấp giấy phép xây dựng mới đối với công trình cấp đặc biệt, cấp I, cấp II",
        "Cấp chứng chỉ hành nghề hoạt động xây dựng hạng II, hạng III",
        "Đăng ký xe lần đầu (xe mô tô, xe gắn máy)",
        "Đăng ký tạm trú",
        "Giải quyết khiếu nại lần đầu tại cấp tỉnh",
        "Giải quyết tố cáo tại cấp tỉnh",
        "Cấp mới giấy phép hành nghề khám bệnh, chữa bệnh đối với chức danh bác sĩ",
        "Cấp Chứng chỉ hành nghề dược",
    ]:
        assert wanted in names
    assert any(n.startswith("Đăng ký đất đai") for n in names)
    business = Procedure.objects.get(code="2.001610").latest_version
    assert business is not None
    assert business.competent_organization.name_vi == "Sở Tài chính"  # type: ignore[union-attr]
    statuses = set(Procedure.objects.values_list("code_status", flat=True))
    assert statuses == {"reported", "unverified"}


def test_the_documented_json_example_imports(tree: Any) -> None:
    doc = Path(__file__).parents[2] / "docs" / "procedures-format.md"
    example = doc.read_text(encoding="utf-8").split("```json\n", 1)[1].split("```", 1)[0]
    result = services.procedures_import(
        actor=tree.tree_admin.account,
        document=services.import_document_from_json(json.loads(example)),
    )
    assert (result.created, result.published) == (["1.009994"], ["1.009994"])
    version = selectors.procedure_published("1.009994")
    assert version is not None
    assert [s.working_days for s in version.steps.all()] == [0.5, 12, 2, 0.5]

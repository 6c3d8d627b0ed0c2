"""Fee rules and e-form validation: pure functions, exact amounts and error codes."""

from __future__ import annotations

from typing import Any

import pytest

from egov.procedures.eforms import eform_schema_problems, eform_validate
from egov.procedures.feerules import FeeRuleError, fee_rule_amount, fee_rule_problems

TIERS = {
    "kind": "tiers",
    "by": "dien_tich",
    "tiers": [
        {"up_to": 100, "amount": 75000},
        {"up_to": 500, "amount": 100000},
        {"up_to": None, "amount": 200000},
    ],
}


@pytest.mark.parametrize(
    ("area", "amount"), [(0, 75000), (100, 75000), (100.5, 100000), (500, 100000), (501, 200000)]
)
def test_tiers_pick_the_first_tier_that_holds_the_value(area: float, amount: int) -> None:
    assert fee_rule_amount(TIERS, {"dien_tich": area}) == amount


def test_per_unit_with_bounds() -> None:
    rule = {"kind": "per_unit", "by": "so_trang", "unit_amount": 2000, "min": 2000, "max": 200000}
    assert fee_rule_amount(rule, {"so_trang": 3}) == 6000
    assert fee_rule_amount(rule, {"so_trang": 0}) == 2000
    assert fee_rule_amount(rule, {"so_trang": 1000}) == 200000


def test_percent_rounds_half_up_to_the_dong() -> None:
    rule = {"kind": "percent", "by": "gia_tri", "rate": "0.5"}
    assert fee_rule_amount(rule, {"gia_tri": 1_000_001}) == 5000  # 5000.005
    assert fee_rule_amount(rule, {"gia_tri": 1_000_100}) == 5001  # 5000.5
    assert fee_rule_amount({**rule, "max": 4000}, {"gia_tri": 1_000_100}) == 4000


def test_fixed_rule_ignores_the_form() -> None:
    assert fee_rule_amount({"kind": "fixed", "amount": 50000}, {}) == 50000


@pytest.mark.parametrize("value", [None, "", "abc", -1, True])
def test_a_missing_or_bad_input_names_the_field(value: Any) -> None:
    with pytest.raises(FeeRuleError) as caught:
        fee_rule_amount(TIERS, {"dien_tich": value})
    assert caught.value.code == "procedures.fee_input"
    assert caught.value.field == "dien_tich"


@pytest.mark.parametrize(
    "rule",
    [
        {"kind": "eval", "expr": "__import__('os')"},
        {"kind": "fixed", "amount": -1},
        {"kind": "fixed", "amount": 1.5},
        {"kind": "tiers", "by": "x", "tiers": [{"up_to": 10, "amount": 1}]},
        {
            "kind": "tiers",
            "by": "x",
            "tiers": [
                {"up_to": 10, "amount": 1},
                {"up_to": 5, "amount": 2},
                {"up_to": None, "amount": 3},
            ],
        },
        {"kind": "percent", "by": "x", "rate": 0.5},
        {"kind": "per_unit", "by": "a b", "unit_amount": 1},
        {"kind": "per_unit", "by": "x", "unit_amount": 1, "min": 5, "max": 1},
        {"kind": "fixed", "amount": 1, "extra": 2},
        "50000",
    ],
)
def test_bad_rules_are_refused(rule: Any) -> None:
    assert fee_rule_problems(rule)
    with pytest.raises(ValueError, match="."):
        fee_rule_amount(rule, {"x": 1})


SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "ho_ten": {"type": "string", "title": "Họ và tên", "minLength": 2},
        "so_dinh_danh": {"type": "string", "format": "national-id", "title": "Số định danh"},
        "dien_thoai": {"type": "string", "format": "phone", "title": "Số điện thoại"},
        "ma_so_thue": {"type": "string", "format": "tax-code", "title": "Mã số thuế"},
        "ngay_sinh": {"type": "string", "format": "date", "title": "Ngày sinh"},
        "tinh": {"type": "string", "format": "province-code", "title": "Tỉnh"},
        "xa": {"type": "string", "format": "commune-code", "title": "Xã"},
        "so_ban": {"type": "integer", "minimum": 1, "maximum": 10, "title": "Số bản"},
    },
    "required": ["ho_ten", "so_dinh_danh"],
    "additionalProperties": False,
}
GOOD = {
    "ho_ten": "Nguyễn Thị Lan",
    "so_dinh_danh": "051190000123",
    "dien_thoai": "0912 345 678",
    "ma_so_thue": "0312345673-001",  # check digit 3 (egov.directory.identifiers)
    "ngay_sinh": "1990-02-28",
    "tinh": "51",
    "xa": "21211",
    "so_ban": 2,
}


def test_a_good_form_has_no_problems() -> None:
    assert eform_validate(SCHEMA, GOOD) == []
    assert (
        eform_validate(SCHEMA, {**GOOD, "dien_thoai": "+84912345678", "ma_so_thue": "051190000123"})
        == []
    )


@pytest.mark.parametrize(
    ("key", "value", "code"),
    [
        ("so_dinh_danh", "05119000012", "eform.national_id"),
        ("so_dinh_danh", "999190000123", "eform.national_id"),
        ("so_dinh_danh", "05119000012a", "eform.national_id"),
        ("dien_thoai", "0112345678", "eform.phone"),
        ("dien_thoai", "091234567", "eform.phone"),
        ("ma_so_thue", "031234567", "eform.tax_code"),
        ("ma_so_thue", "0312345673-01", "eform.tax_code"),
        ("ma_so_thue", "0312345678", "eform.tax_code"),  # wrong check digit
        ("ma_so_thue", "999190000123", "eform.tax_code"),  # 12 digits but not a national ID
        ("so_dinh_danh", "051399000123", "eform.national_id"),  # born in 2099
        ("dien_thoai", "029238212345", "eform.phone"),  # landline one digit too long
        ("ngay_sinh", "1990-2-28", "eform.date"),
        ("ngay_sinh", "1990-02-30", "eform.date"),
        ("ngay_sinh", "28/02/1990", "eform.date"),
        ("tinh", "02", "eform.province"),
        ("xa", "99999", "eform.commune"),
        ("so_ban", 11, "eform.maximum"),
        ("so_ban", "2", "eform.type"),
        ("ho_ten", "A", "eform.min_length"),
    ],
)
def test_each_bad_value_gives_its_code(key: str, value: Any, code: str) -> None:
    errors = eform_validate(SCHEMA, {**GOOD, key: value})
    assert [(e.path, e.code) for e in errors] == [(key, code)]
    assert SCHEMA["properties"][key]["title"] in errors[0].message


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("dien_thoai", "84912345678"),
        ("dien_thoai", "(+84) 912.345.678"),
        ("dien_thoai", "0292 3821 234"),
        ("dien_thoai", "+842923821234"),
        ("ma_so_thue", "0100233488"),
        ("ma_so_thue", "0314409058-002"),
    ],
)
def test_formats_accept_the_directory_s_forms_and_landlines(key: str, value: str) -> None:
    assert eform_validate(SCHEMA, {**GOOD, key: value}) == []


def test_missing_required_and_unknown_fields_are_reported() -> None:
    errors = eform_validate(SCHEMA, {"dien_thoai": "0912345678", "la": 1})
    assert [(e.path, e.code) for e in errors] == [
        ("ho_ten", "eform.required"),
        ("so_dinh_danh", "eform.required"),
        ("la", "eform.unknown_field"),
    ]


@pytest.mark.parametrize(
    "schema",
    [
        {"type": "array", "items": {"type": "string"}},
        {"type": "object", "properties": {"a": {"type": "string", "format": "cccd"}}},
        {"type": "object", "properties": {"a": {"type": "string", "oneOf": []}}},
        {"type": "object", "properties": {"a": {"type": "string"}}, "required": ["b"]},
        {"type": "object", "properties": {"a": {"type": "string", "pattern": "("}}},
        {"type": "object", "additionalProperties": True},
    ],
)
def test_schemas_with_unsupported_parts_are_refused(schema: dict[str, Any]) -> None:
    assert eform_schema_problems(schema)

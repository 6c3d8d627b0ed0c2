"""Procedures test set-up: a small tree, the people of the permission matrix, a valid record."""

from __future__ import annotations

import copy
import importlib.util
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.utils import translation

_NAME = "directory_factories"
if _NAME not in sys.modules:
    _path = Path(__file__).parent.parent / "directory" / "factories.py"
    _spec = importlib.util.spec_from_file_location(_NAME, _path)
    assert _spec is not None
    assert _spec.loader is not None
    _module = importlib.util.module_from_spec(_spec)
    sys.modules[_NAME] = _module
    _spec.loader.exec_module(_module)

from directory_factories import OfficerFactory, OrganizationFactory  # noqa: E402

from egov.directory.models import Officer, Organization, Role, Scope  # noqa: E402
from egov.procedures.models import Field  # noqa: E402


@dataclass
class Tree:
    root: Organization
    construction: Organization
    construction_unit: Organization
    health: Organization
    tree_admin: Officer
    field: Field


@pytest.fixture
def tree(db: None) -> Tree:
    root = OrganizationFactory(code="H51", committee=True, name_vi="UBND tỉnh")
    construction = OrganizationFactory(code="H51.04", parent=root, name_vi="Sở Xây dựng")
    unit = OrganizationFactory(code="H51.04.02", parent=construction, unit=True)
    health = OrganizationFactory(code="H51.07", parent=root, name_vi="Sở Y tế")
    admin = OfficerFactory(unit=root, roles=[(Role.IT_ADMIN, Scope.SUBTREE)])
    field = Field.objects.create(code="XD", name="Hoạt động xây dựng")
    return Tree(root, construction, unit, health, admin, field)


BASE: dict[str, Any] = {
    "code": "DEMO-XD-01",
    "code_status": "unverified",
    "name": "Cấp giấy phép xây dựng mới đối với công trình cấp I, cấp II",
    "field": "XD",
    "level": "province",
    "effective_from": "2025-07-01",
    "competent_organization": {"code": "H51.04", "name": "Sở Xây dựng"},
    "executing_organization": {"code": "H51.04.02", "name": "Phòng Quản lý xây dựng"},
    "channels": [
        {"channel": "counter", "time": 20, "unit": "working_days"},
        {"channel": "online", "time": 20, "unit": "working_days"},
    ],
    "sequence": ["Bước 1: Nộp hồ sơ.", "Bước 2: Thẩm định.", "Bước 3: Trả kết quả."],
    "documents": [
        {"code": "TP1", "name": "Đơn đề nghị cấp giấy phép xây dựng", "originals": 1, "copies": 0},
        {"code": "TP2", "name": "Bản vẽ thiết kế", "originals": 2, "copies": 0},
    ],
    "fees": [
        {"kind": "charge", "name": "Lệ phí cấp giấy phép xây dựng", "amount": 150000},
        {
            "kind": "fee",
            "name": "Phí thẩm định",
            "rule": {"kind": "percent", "by": "gia_tri", "rate": "0.05", "min": 500000},
        },
    ],
    "result": "Giấy phép xây dựng",
    "legal_bases": ["Luật Xây dựng 2014"],
    "subjects": ["Chủ đầu tư"],
    "service_level": "partial_online",
    "legacy_level": 3,
    "eform_schema": {
        "type": "object",
        "properties": {
            "ho_ten": {"type": "string", "title": "Họ và tên"},
            "so_dinh_danh": {"type": "string", "format": "national-id", "title": "Số định danh"},
            "dien_thoai": {"type": "string", "format": "phone", "title": "Số điện thoại"},
            "ma_so_thue": {"type": "string", "format": "tax-code", "title": "Mã số thuế"},
        },
        "required": ["ho_ten", "so_dinh_danh"],
    },
    "steps": [
        {"name": "Tiếp nhận", "role": "counter", "days": 0.5},
        {"name": "Thẩm định", "unit": "H51.04.02", "days": 15},
        {"name": "Lấy ý kiến", "role": "officer", "days": 3, "crosses_organization": True},
        {"name": "Phê duyệt", "role": "head", "days": 1},
        {"name": "Trả kết quả", "role": "counter", "days": 0.5},
    ],
}


@pytest.fixture
def data() -> dict[str, Any]:
    """A fresh, valid procedure dict (20 working days, a process of exactly 20)."""
    return copy.deepcopy(BASE)


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    """Messages are compared in their source language (the default language is Vietnamese)."""
    with translation.override("en"):
        yield

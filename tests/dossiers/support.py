"""Shared data and helpers of the dossier tests (loaded by conftest as `dossiers_support`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from egov.directory.models import Applicant, Officer, Organization

VN = ZoneInfo("Asia/Ho_Chi_Minh")
PROCEDURE_CODE = "DEMO-XD-09"


def vn(year: int, month: int, day: int, hour: int = 9, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=VN)


@dataclass
class World:
    root: Organization
    centre: Organization
    construction: Organization
    construction_unit: Organization
    environment: Organization
    environment_unit: Organization
    counter: Officer
    reviewer: Officer
    env_officer: Officer
    head: Officer
    outsider_counter: Officer
    centre_officer: Officer
    applicant: Applicant


PROCEDURE: dict[str, Any] = {
    "code": PROCEDURE_CODE,
    "code_status": "unverified",
    "name": "Cấp giấy phép xây dựng nhà ở riêng lẻ",
    "field": "XD",
    "level": "province",
    "effective_from": "2025-07-01",
    "competent_organization": {"code": "H51.04", "name": "Sở Xây dựng"},
    "executing_organization": {"code": "H51.04.02", "name": "Phòng Quản lý xây dựng"},
    "channels": [
        {"channel": "counter", "time": 5, "unit": "working_days"},
        {"channel": "online", "time": 5, "unit": "working_days"},
    ],
    "sequence": ["Nộp hồ sơ.", "Thẩm định.", "Trả kết quả."],
    "documents": [
        {"code": "TP1", "name": "Đơn đề nghị", "originals": 1, "copies": 0},
        {"code": "TP2", "name": "Bản vẽ thiết kế", "originals": 2, "copies": 0},
    ],
    "fees": [
        {"kind": "charge", "name": "Lệ phí cấp giấy phép", "amount": 75000},
        {
            "kind": "fee",
            "name": "Phí thẩm định",
            "rule": {"kind": "percent", "by": "gia_tri", "rate": "0.05", "min": 500000},
        },
    ],
    "result": "Giấy phép xây dựng",
    "legal_bases": ["Luật Xây dựng 2014"],
    "subjects": ["Hộ gia đình"],
    "service_level": "partial_online",
    "eform_schema": {
        "type": "object",
        "properties": {
            "ho_ten": {"type": "string", "title": "Họ và tên"},
            "so_dinh_danh": {"type": "string", "format": "national-id", "title": "Số định danh"},
            "gia_tri": {"type": "number", "title": "Giá trị công trình"},
        },
        "required": ["ho_ten", "so_dinh_danh", "gia_tri"],
    },
    "steps": [
        {"name": "Tiếp nhận hồ sơ", "role": "counter", "days": 0.5},
        {"name": "Thẩm định hồ sơ", "unit": "H51.04.02", "days": 2},
        {"name": "Lấy ý kiến Sở NN&MT", "unit": "H51.08", "days": 1, "crosses_organization": True},
        {"name": "Phê duyệt", "role": "head", "days": 1},
        {"name": "Trả kết quả", "role": "counter", "days": 0.5},
    ],
    "publish": True,
}

FORM = {"ho_ten": "Lê Thị Dân", "so_dinh_danh": "051185000123", "gia_tri": 2_000_000_000}


class Clock:
    def __init__(self) -> None:
        self.value = vn(2026, 2, 12, 9, 0)

    def set(self, moment: datetime) -> None:
        self.value = moment

    def __call__(self) -> datetime:
        return self.value

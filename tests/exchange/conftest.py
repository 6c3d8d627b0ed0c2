"""Exchange test set-up: a sending committee, a recipient department and an issued document."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core.files.base import ContentFile
from django.utils import translation


def _load(name: str, path: Path) -> None:
    if name in sys.modules:
        return
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)


_load("directory_factories", Path(__file__).parent.parent / "directory" / "factories.py")

from directory_factories import OfficerFactory, OrganizationFactory  # noqa: E402

from egov.core.files import file_store  # noqa: E402
from egov.directory.models import Officer, Organization, Role, Scope  # noqa: E402
from egov.documents.doctypes import document_types_ensure  # noqa: E402
from egov.documents.models import (  # noqa: E402
    Direction,
    Document,
    DocumentFile,
    DocumentType,
    State,
    Urgency,
)

VN = ZoneInfo("Asia/Ho_Chi_Minh")
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def pdf(tag: str) -> bytes:
    return PDF + f"% {tag}\n".encode()


@dataclass
class ExchangeWorld:
    committee: Organization
    department: Organization
    clerk: Officer
    signer: Officer


@pytest.fixture
def exworld(db: None) -> ExchangeWorld:
    document_types_ensure()  # a transactional test's flush empties the migration's code list
    root = OrganizationFactory(code="H51", committee=True, name_vi="Tỉnh Quảng Ngãi")
    committee = OrganizationFactory(
        code="H51.01",
        qcvn_code="000.00.01.H51",
        parent=root,
        committee=True,
        name_vi="Ủy ban nhân dân tỉnh",
        abbreviation="UBND",
        email="ubnd@quangngai.gov.vn",
    )
    office = OrganizationFactory(
        code="H51.01.01", parent=committee, unit=True, name_vi="Văn phòng", abbreviation="VP"
    )
    department = OrganizationFactory(
        code="H51.04",
        qcvn_code="000.00.04.H51",
        parent=root,
        name_vi="Sở Xây dựng",
        abbreviation="SXD",
    )
    clerk = OfficerFactory(unit=office, roles=[(Role.CLERK, Scope.ORGANIZATION)])
    signer = OfficerFactory(
        unit=committee, full_name="Trần Phước Hiền", roles=[(Role.HEAD, Scope.ORGANIZATION)]
    )
    return ExchangeWorld(committee=committee, department=department, clerk=clerk, signer=signer)


def issued_document(world: ExchangeWorld, **overrides: Any) -> Document:
    """An issued outgoing document made directly with the ORM, with a main and an appendix."""
    values: dict[str, Any] = {
        "organization": world.committee,
        "direction": Direction.OUTGOING,
        "state": State.ISSUED,
        "channel": Document.Channel.DRAFTED,
        "document_type": DocumentType.objects.get(code="quyet-dinh"),
        "code_number": "15",
        "code_notation": "QĐ-UBND",
        "issued_on": date(2026, 11, 20),
        "issued_at": datetime(2026, 11, 20, 10, 30, tzinfo=VN),
        "issuer": world.committee,
        "issuer_name": world.committee.name_vi,
        "issuer_code": world.committee.qcvn_code,
        "subject": "Phê duyệt kế hoạch chuyển đổi số năm 2027",
        "description": "Phê duyệt kế hoạch và giao nhiệm vụ cho các sở",
        "page_count": 3,
        "signer": world.signer,
        "signer_name": "Trần Phước Hiền",
        "signer_position": "KT. CHỦ TỊCH\nPHÓ CHỦ TỊCH",
        "urgency": Urgency.URGENT,
        "due_on": date(2026, 12, 15),
        "issued_amount": 5,
        "recipients_text": "Sở Xây dựng [H51.04]\nBộ Nội vụ [000.00.00.G12]\nLưu: VT, VP.",
        "created_by": world.clerk.account,
    }
    values.update(overrides)
    document = Document.objects.create(**values)
    for role, name, tag in (
        (DocumentFile.Role.MAIN, "15-QD-UBND.pdf", "main"),
        (DocumentFile.Role.APPENDIX, "phu-luc.pdf", "appendix"),
    ):
        stored = file_store(upload=ContentFile(pdf(tag)), name=name, actor=world.clerk.account)
        DocumentFile.objects.create(
            document=document, role=role, file=stored, added_by=world.clerk.account
        )
    return document


@pytest.fixture
def make_issued(exworld: ExchangeWorld) -> Callable[..., Document]:
    """`make_issued(**overrides)`: an issued outgoing document of the committee."""
    return lambda **overrides: issued_document(exworld, **overrides)


@pytest.fixture(autouse=True)
def _english(settings: Any) -> Iterator[None]:
    """Tests read English messages."""
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield

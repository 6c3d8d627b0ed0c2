"""Demo data of official documents: registers everywhere, keepers, and a live incoming inbox.

`documents_seed_demo()` runs after the directory's demo province (`egov.directory.demo`):

- every organisation (people's committee, department, agency, commune) gets the four usual
  registers (`registers_ensure_default`);
- each demo clerk keeps the confidential registers of their organisation;
- the Department of Home Affairs (Sở Nội vụ, H51.02) gets a handful of realistic incoming
  documents in the states of the incoming flow — registered, presented to the director,
  directed with a lead and a co-operating unit, for information, completed — all written
  through the services, so the events, routes and audit entries are the real ones.

Idempotent: a document already there (same issuer name, number and notation in the
organisation) is left alone; registers and keepers are ensured, never duplicated.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from cryptography.hazmat.primitives import serialization
from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from egov.directory import selectors as directory
from egov.directory.models import Account, Officer, Organization, Role
from egov.documents.doctypes import document_types_ensure
from egov.documents.models import Direction, Document, DocumentType, Register, Route, Urgency
from egov.documents.services.incoming import (
    IncomingFile,
    document_direct,
    document_present,
    document_register_incoming,
    route_complete,
    route_mark_read,
    route_pass_on,
)
from egov.documents.services.registers import registers_ensure_default
from egov.signing import devca
from egov.signing import services as signing
from egov.signing.models import SigningKey

KINDS_WITH_REGISTERS = (
    Organization.Kind.PEOPLE_COMMITTEE,
    Organization.Kind.DEPARTMENT,
    Organization.Kind.AGENCY,
    Organization.Kind.COMMUNE,
)
DEFAULT_CODES = ("den", "den-mat", "di", "di-mat")  # registers_ensure_default's codes
HOME_AFFAIRS = "H51.02"
CLERK = "vanthu.snv"
DIRECTOR = "giamdoc.snv"
UNIT_HEAD = "truongphong.snv"  # Phòng Cải cách hành chính (H51.02.03)
SPECIALIST = "chuyenvien.snv"  # Phòng Công chức, viên chức (H51.02.02)


def demo_pdf(lines: list[str]) -> bytes:
    """A small valid one-page PDF with the given ASCII lines (a stand-in for a scan)."""
    text = "BT /F1 12 Tf 50 780 Td 16 TL " + " ".join(
        "(" + line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)") + ") '"
        for line in lines
    )
    stream = text + " ET"
    objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
        "/Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>",
        f"<< /Length {len(stream)} >>\nstream\n{stream}\nendstream",
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = b"%PDF-1.4\n"
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n{body}\nendobj\n".encode("latin-1")
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
    out += (
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n"
    ).encode()
    return out


@dataclass(frozen=True)
class DemoIncoming:
    key: str  # what the seed does with it after registering
    issuer_code: str  # a demo organisation, or "" with issuer_name typed
    issuer_name: str
    code_number: str
    code_notation: str
    type_code: str
    subject: str
    signer: str
    days_ago: int
    urgency: str = Urgency.NORMAL
    channel: str = "paper"


INCOMING: list[DemoIncoming] = [
    DemoIncoming(
        "registered",
        "H51",
        "",
        "125",
        "UBND-NC",
        "cong-van",
        "V/v triển khai Kế hoạch cải cách hành chính năm 2026",
        "Nguyễn Hữu Phúc",
        0,
        Urgency.URGENT,
    ),
    DemoIncoming(
        "presented",
        "",
        "Bộ Nội vụ",
        "4521",
        "BNV-CCVC",
        "cong-van",
        "V/v hướng dẫn tuyển dụng công chức năm 2026",
        "Trương Hải Long",
        1,
        channel="email",
    ),
    DemoIncoming(
        "in_process",
        "H51.03",
        "",
        "890",
        "STC-QLNS",
        "cong-van",
        "V/v lập dự toán ngân sách nhà nước năm 2027",
        "Tạ Văn Minh",
        3,
        Urgency.VERY_URGENT,
    ),
    DemoIncoming(
        "passed_on",
        "H51.01",
        "",
        "3012",
        "VP-KSTTHC",
        "cong-van",
        "V/v rà soát thủ tục hành chính thuộc thẩm quyền giải quyết của Sở",
        "Lê Thị Thu Hà",
        4,
        Urgency.FLASH,
    ),
    DemoIncoming(
        "for_information",
        "H51",
        "",
        "12",
        "TB-UBND",
        "thong-bao",
        "Thông báo lịch tiếp công dân định kỳ tháng 12 năm 2026",
        "Nguyễn Hữu Phúc",
        5,
    ),
    DemoIncoming(
        "completed",
        "H51.21211",
        "",
        "45",
        "UBND",
        "bao-cao",
        "Báo cáo tình hình tổ chức bộ máy sau sắp xếp đơn vị hành chính",
        "Hồ Văn Sơn",
        9,
    ),
]


def _ensure_registers() -> int:
    """The four usual registers for every organisation that has fewer (units keep none)."""
    complete = set(
        Register.objects.filter(code__in=DEFAULT_CODES)
        .values("organization_id")
        .annotate(n=Count("pk"))
        .filter(n=len(DEFAULT_CODES))
        .values_list("organization_id", flat=True)
    )
    count = 0
    for organization in Organization.objects.filter(kind__in=KINDS_WITH_REGISTERS).exclude(
        pk__in=complete
    ):
        registers_ensure_default(organization)
        count += 1
    return count


def _ensure_keepers() -> int:
    """Each demo clerk keeps the confidential registers of their own organisation."""
    clerks = Officer.objects.filter(roles__role=Role.CLERK, is_active=True).select_related("unit")
    added = 0
    for clerk in clerks:
        organization = directory.officer_organization(clerk)
        for register in Register.objects.filter(organization=organization, is_confidential=True):
            if not register.keepers.filter(pk=clerk.pk).exists():
                register.keepers.add(clerk)
                added += 1
    return added


def _account(username: str) -> Account:
    return Account.objects.select_related("officer").get(username=username)


def _route(document: Document, **filters: Any) -> Route:
    return Route.objects.filter(document=document, **filters).order_by("pk")[0]


def _seed_incoming(spec: DemoIncoming, home: Organization) -> Document | None:
    existing = Document.objects.filter(
        organization=home,
        direction=Direction.INCOMING,
        code_number=spec.code_number,
        code_notation=spec.code_notation,
    ).first()
    if existing is not None:
        return None
    clerk = _account(CLERK)
    director = _account(DIRECTOR)
    unit_head = _account(UNIT_HEAD)
    specialist = _account(SPECIALIST)
    issuer = (
        Organization.objects.filter(code=spec.issuer_code).first() if spec.issuer_code else None
    )
    issued_on = timezone.localdate() - timedelta(days=spec.days_ago + 2)
    document = document_register_incoming(
        actor=clerk,
        organization=home,
        document_type=DocumentType.objects.get(code=spec.type_code),
        subject=spec.subject,
        issuer=issuer,
        issuer_name=spec.issuer_name,
        code_number=spec.code_number,
        code_notation=spec.code_notation,
        issued_on=issued_on,
        signer_name=spec.signer,
        page_count=2,
        urgency=spec.urgency,
        channel=spec.channel,
        files=[
            IncomingFile(
                name=f"{spec.code_number}-{spec.code_notation}.pdf",
                upload=demo_pdf([f"So: {spec.code_number}/{spec.code_notation}", "Demo"]),
            )
        ],
        description="Dữ liệu mẫu",
    )
    if spec.key == "registered":
        return document
    document = document_present(
        actor=clerk,
        document=document,
        head=director.officer,
        expected_version=document.version,
    )
    if spec.key == "presented":
        return document
    units = {o.code: o for o in Organization.objects.filter(code__startswith=HOME_AFFAIRS)}
    due = _working_days_ahead(5)
    if spec.key == "for_information":
        return document_direct(
            actor=director,
            document=document,
            direction_text="Các phòng biết, bố trí lịch tiếp công dân.",
            info_units=[units[f"{HOME_AFFAIRS}.02"], units[f"{HOME_AFFAIRS}.03"]],
            expected_version=document.version,
        )
    if spec.key == "passed_on":
        document = document_direct(
            actor=director,
            document=document,
            direction_text="Giao Phòng Cải cách hành chính chủ trì rà soát, báo cáo trước hạn.",
            lead_unit=units[f"{HOME_AFFAIRS}.03"],
            due_on=timezone.localdate() + timedelta(days=1),
            expected_version=document.version,
        )
        route_pass_on(
            actor=unit_head,
            route=_route(document, role=Route.Role.LEAD),
            officer=unit_head.officer,
            note="Tôi trực tiếp xử lý.",
        )
        return document
    document = document_direct(
        actor=director,
        document=document,
        direction_text="Giao đồng chí Khoa chủ trì tham mưu; Phòng CCHC phối hợp.",
        lead_officer=specialist.officer,
        co_units=[units[f"{HOME_AFFAIRS}.03"]],
        due_on=due,
        expected_version=document.version,
    )
    lead = _route(document, role=Route.Role.LEAD)
    route_mark_read(actor=specialist, route=lead)
    if spec.key == "completed":
        route_complete(
            actor=unit_head,
            route=_route(document, role=Route.Role.CO),
            result_note="Đã góp ý nội dung về tổ chức bộ máy.",
        )
        route_complete(
            actor=specialist,
            route=lead,
            result_note="Đã tổng hợp, báo cáo Giám đốc Sở tại cuộc họp giao ban.",
        )
    return document


def _working_days_ahead(days: int) -> date:
    day = timezone.localdate()
    added = 0
    while added < days:
        day += timedelta(days=1)
        if day.weekday() < 5:
            added += 1
    return day


# The demo department's signers: the director (personal key) and its seal, from a development
# CA created once. The key's secret, typed on the signing form, is the demo password.
SIGNERS = ("giamdoc.snv", "phogiamdoc.snv")
SIGNING_SECRET = "QuangNgai@2025"  # noqa: S105 - published demo credential


def _ensure_signing_keys() -> int:
    """Development keys so that drafts can be signed and issued in the demo (idempotent)."""
    home = Organization.objects.filter(code=HOME_AFFAIRS).first()
    officers = list(Officer.objects.filter(account__username__in=SIGNERS).select_related("account"))
    if home is None or not officers:
        return 0
    if SigningKey.objects.filter(organization=home).exists():
        return 0
    ca = devca.build_dev_ca(
        seal_org_code=home.code,
        seal_org_name=home.name_vi,
        officers=[
            devca.OfficerCert(o.account.username, o.full_name, home.name_vi, "") for o in officers
        ],
        password=SIGNING_SECRET,
    )
    signing.trusted_root_add(
        actor=None,
        certificate=ca.root.certificate.public_bytes(serialization.Encoding.PEM),
        name="Open eGov VN demo CA",
    )
    for officer in officers:
        signing.signing_key_import_pkcs12(
            actor=None,
            data=ca.officers[officer.account.username].pkcs12(SIGNING_SECRET),
            password=SIGNING_SECRET,
            officer=officer,
        )
    signing.signing_key_import_pkcs12(
        actor=None, data=ca.seal.pkcs12(SIGNING_SECRET), password=SIGNING_SECRET, organization=home
    )
    return len(officers) + 1


@transaction.atomic
def documents_seed_demo() -> dict[str, int]:
    """Registers, keepers and the Home Affairs inbox of the demo province (idempotent)."""
    document_types_ensure()
    organizations = _ensure_registers()
    signing_keys = _ensure_signing_keys()
    keepers = _ensure_keepers()
    home = Organization.objects.filter(code=HOME_AFFAIRS).first()
    created = 0
    if home is not None and Account.objects.filter(username=CLERK).exists():
        for spec in INCOMING:
            if _seed_incoming(spec, home) is not None:
                created += 1
    return {
        "organizations_given_registers": organizations,
        "keepers_added": keepers,
        "incoming_documents_created": created,
        "signing_keys_created": signing_keys,
    }

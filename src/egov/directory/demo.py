"""The demo province: Quảng Ngãi after the 2025 merger, with people to sign in as.

`demo_seed()` builds (or brings back to its known state) a whole working directory:

- the province people's committee of Quảng Ngãi (administrative unit code 51) with its 96
  communes, wards and special zone taken from the `vietnam-provinces` data (real names and real
  unit codes after 1 July 2025);
- the departments as merged in 2025 and a few of their units; a one-stop centre and an office
  in a few communes;
- for history, the former Kon Tum provincial people's committee (merged into Quảng Ngãi by
  Resolution 202/2025/QH15, succession recorded) and one former district-level committee;
- about twenty officers with known passwords and roles, fixed TOTP secrets for the office of
  the provincial people's committee (which demands a second factor), three citizens and one
  business.

**The organisation codes are illustrative demo codes, not the official ones.** They follow the
shape of Decision 20/2020/QĐ-TTg (`H<nn>` for the province, `.NN` per level) and of QCVN 102
(`AAA.BB.CC.DDD`), but `<nn>` here is simply the administrative unit code (51 for Quảng Ngãi,
62 for Kon Tum): the official `H` numbers are assigned by a separate list we could not verify
(e.g. `H55` is used by Thái Nguyên's public-service portal). Commune codes are `H51.<5-digit
commune code>`. Real installations import their official codes. E-mail addresses use the
reserved `.example` domain and phone numbers are fictitious; names of people are invented.

Running it twice gives the same rows: everything is looked up by its natural key (code, user
name, ID number) and updated in place, and demo accounts get their demo password and TOTP
secret back. It writes in bulk to stay well under two seconds on SQLite.
"""

from __future__ import annotations

import base64
import hashlib
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone
from vietnam_provinces import Province
from vietnam_provinces.lookup import WARD_MAPPING

from egov.core.audit import audit_record
from egov.directory import selectors
from egov.directory.models import (
    Account,
    Applicant,
    Delegation,
    Officer,
    Organization,
    Position,
    Role,
    RoleAssignment,
    Scope,
)

PROVINCE_CODE = 51
PROVINCE_ID = "H51"  # illustrative, see the module docstring
OFFICER_PASSWORD = "QuangNgai@2025"  # noqa: S105 - published demo credential
APPLICANT_PASSWORD = "CongDan@2025"  # noqa: S105 - published demo credential
EMAIL_DOMAIN = "quangngai.egov.example"
MERGER_DAY = date(2025, 7, 1)
RESOLUTION_202 = "Nghị quyết 202/2025/QH15"

Kind = Organization.Kind
Level = Organization.Level


@dataclass(frozen=True)
class OrgSpec:
    code: str
    parent: str | None
    kind: str
    level: str
    name_vi: str
    name_en: str
    abbreviation: str = ""
    qcvn_code: str = ""
    admin_unit_code: str = ""
    email: str = ""
    require_totp: bool = False
    valid_to: date | None = None
    successor: str | None = None
    succession_basis: str = ""


@dataclass(frozen=True)
class OfficerSpec:
    username: str
    full_name: str
    unit: str
    position: str
    roles: tuple[tuple[str, str], ...]
    superuser: bool = False
    totp: bool = False  # a fixed, already confirmed secret


@dataclass(frozen=True)
class DemoLogin:
    username: str
    password: str
    totp_secret: str
    who: str
    where: str


@dataclass
class DemoResult:
    organizations: int = 0
    communes: int = 0
    officers: int = 0
    applicants: int = 0
    logins: list[DemoLogin] = field(default_factory=list)


# --- organisations ---------------------------------------------------------------------------

# (number, Vietnamese name, English name, abbreviation, kind, [(unit number, vi, en)])
_DEPARTMENTS: list[tuple[int, str, str, str, str, list[tuple[int, str, str]]]] = [
    (
        1,
        "Văn phòng Ủy ban nhân dân tỉnh",
        "Office of the Provincial People's Committee",
        "VP",
        Kind.DEPARTMENT,
        [
            (1, "Phòng Hành chính – Tổ chức", "Administration and Organisation Division"),
            (2, "Phòng Tổng hợp", "General Affairs Division"),
            (3, "Phòng Kinh tế", "Economic Division"),
        ],
    ),
    (
        2,
        "Sở Nội vụ",
        "Department of Home Affairs",
        "SNV",
        Kind.DEPARTMENT,
        [
            (1, "Văn phòng Sở", "Department Office"),
            (2, "Phòng Công chức, viên chức", "Civil Servants Division"),
            (3, "Phòng Cải cách hành chính", "Administrative Reform Division"),
        ],
    ),
    (
        3,
        "Sở Tài chính",
        "Department of Finance",
        "STC",
        Kind.DEPARTMENT,
        [
            (1, "Văn phòng Sở", "Department Office"),
            (2, "Phòng Quản lý ngân sách", "Budget Division"),
            (3, "Phòng Đăng ký kinh doanh", "Business Registration Division"),
        ],
    ),
    (
        4,
        "Sở Xây dựng",
        "Department of Construction",
        "SXD",
        Kind.DEPARTMENT,
        [
            (1, "Văn phòng Sở", "Department Office"),
            (2, "Phòng Quản lý xây dựng", "Construction Management Division"),
            (3, "Phòng Quản lý giao thông", "Transport Management Division"),
        ],
    ),
    (
        5,
        "Sở Nông nghiệp và Môi trường",
        "Department of Agriculture and Environment",
        "SNNMT",
        Kind.DEPARTMENT,
        [
            (1, "Văn phòng Sở", "Department Office"),
            (2, "Phòng Quản lý đất đai", "Land Management Division"),
            (3, "Phòng Môi trường", "Environment Division"),
        ],
    ),
    (
        6,
        "Sở Khoa học và Công nghệ",
        "Department of Science and Technology",
        "SKHCN",
        Kind.DEPARTMENT,
        [
            (1, "Văn phòng Sở", "Department Office"),
            (2, "Phòng Chuyển đổi số", "Digital Transformation Division"),
        ],
    ),
    (7, "Sở Y tế", "Department of Health", "SYT", Kind.DEPARTMENT, []),
    (
        8,
        "Sở Giáo dục và Đào tạo",
        "Department of Education and Training",
        "SGDĐT",
        Kind.DEPARTMENT,
        [],
    ),
    (9, "Sở Công Thương", "Department of Industry and Trade", "SCT", Kind.DEPARTMENT, []),
    (
        10,
        "Sở Tư pháp",
        "Department of Justice",
        "STP",
        Kind.DEPARTMENT,
        [
            (1, "Văn phòng Sở", "Department Office"),
            (2, "Phòng Hành chính tư pháp", "Judicial Administration Division"),
        ],
    ),
    (
        11,
        "Sở Văn hóa, Thể thao và Du lịch",
        "Department of Culture, Sports and Tourism",
        "SVHTTDL",
        Kind.DEPARTMENT,
        [],
    ),
    (12, "Thanh tra tỉnh", "Provincial Inspectorate", "TTr", Kind.DEPARTMENT, []),
    (
        13,
        "Sở Dân tộc và Tôn giáo",
        "Department of Ethnic and Religious Affairs",
        "SDTTG",
        Kind.DEPARTMENT,
        [],
    ),
    (
        14,
        "Trung tâm Phục vụ hành chính công tỉnh",
        "Provincial Public Administration Service Centre",
        "TTPVHCC",
        Kind.AGENCY,
        [(1, "Bộ phận Tiếp nhận và Trả kết quả", "Reception and Results Counter")],
    ),
]

# Communes that get units (ward code, short name for user names).
_COMMUNES_WITH_UNITS = {21211: "tinhkhe", 21025: "camthanh", 21548: "lyson", 23473: "mangden"}
_COMMUNE_UNITS = [
    (1, "Trung tâm Phục vụ hành chính công", "Public Administration Service Centre"),
    (2, "Văn phòng HĐND và UBND", "Office of the People's Council and Committee"),
]


def ascii_name(text: str) -> str:
    """`Tịnh Khê` → `Tinh Khe`, for English names."""
    text = text.replace("Đ", "D").replace("đ", "d")
    decomposed = unicodedata.normalize("NFD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


_WARD_KIND_EN = {"xã": "Commune", "phường": "Ward", "đặc khu": "Special Zone"}


def demo_communes() -> list[tuple[int, str, str]]:
    """(code, type, name without type) of the province's communes, by code."""
    rows = []
    for ward in WARD_MAPPING.values():
        if int(ward.province_code) != PROVINCE_CODE:
            continue
        kind = str(ward.division_type.value)
        bare = ward.name[len(kind) :].strip() if ward.name.lower().startswith(kind) else ward.name
        rows.append((int(ward.code), kind, bare))
    return sorted(rows)


def organization_specs() -> list[OrgSpec]:
    """Every demo node, parents before children."""
    province = Province.from_code(PROVINCE_CODE)  # type: ignore[arg-type]
    pc_vi = f"Ủy ban nhân dân tỉnh {province.name}"
    specs = [
        OrgSpec(
            code=PROVINCE_ID,
            parent=None,
            kind=Kind.PEOPLE_COMMITTEE,
            level=Level.PROVINCE,
            name_vi=pc_vi,
            name_en=f"{ascii_name(province.name)} Provincial People's Committee",
            abbreviation="UBND",
            qcvn_code=f"000.00.00.{PROVINCE_ID}",
            admin_unit_code=str(PROVINCE_CODE),
            email=f"ubnd@{EMAIL_DOMAIN}",
        ),
        OrgSpec(
            code="H62",
            parent=None,
            kind=Kind.PEOPLE_COMMITTEE,
            level=Level.PROVINCE,
            name_vi="Ủy ban nhân dân tỉnh Kon Tum",
            name_en="Kon Tum Provincial People's Committee",
            abbreviation="UBND",
            qcvn_code="000.00.00.H62",
            admin_unit_code="62",
            valid_to=MERGER_DAY - timedelta(days=1),
            successor=PROVINCE_ID,
            succession_basis=RESOLUTION_202,
        ),
        OrgSpec(
            code=f"{PROVINCE_ID}.D01",
            parent=PROVINCE_ID,
            kind=Kind.PEOPLE_COMMITTEE,
            level=Level.DISTRICT,
            name_vi="Ủy ban nhân dân thành phố Quảng Ngãi",
            name_en="Quang Ngai City People's Committee (district level, until 30 June 2025)",
            abbreviation="UBND",
            valid_to=MERGER_DAY - timedelta(days=1),
        ),
    ]
    for number, name_vi, name_en, abbreviation, kind, units in _DEPARTMENTS:
        code = f"{PROVINCE_ID}.{number:02d}"
        specs.append(
            OrgSpec(
                code=code,
                parent=PROVINCE_ID,
                kind=kind,
                level=Level.PROVINCE,
                name_vi=name_vi,
                name_en=name_en,
                abbreviation=abbreviation,
                qcvn_code=f"000.00.{number:02d}.{PROVINCE_ID}",
                email=f"{abbreviation.lower().replace('đ', 'd')}@{EMAIL_DOMAIN}",
                require_totp=number == 1,
            )
        )
        for unit_number, unit_vi, unit_en in units:
            specs.append(
                OrgSpec(
                    code=f"{code}.{unit_number:02d}",
                    parent=code,
                    kind=Kind.UNIT,
                    level=Level.PROVINCE,
                    name_vi=unit_vi,
                    name_en=unit_en,
                    abbreviation=_unit_abbreviation(unit_vi),
                    qcvn_code=f"000.{unit_number:02d}.{number:02d}.{PROVINCE_ID}",
                )
            )
    for ward_code, kind, bare in demo_communes():
        code = f"{PROVINCE_ID}.{ward_code:05d}"
        specs.append(
            OrgSpec(
                code=code,
                parent=PROVINCE_ID,
                kind=Kind.PEOPLE_COMMITTEE,
                level=Level.COMMUNE,
                name_vi=f"Ủy ban nhân dân {kind} {bare}",
                name_en=f"People's Committee of {ascii_name(bare)} {_WARD_KIND_EN[kind]}",
                abbreviation="UBND",
                admin_unit_code=f"{ward_code:05d}",
            )
        )
        if ward_code in _COMMUNES_WITH_UNITS:
            for unit_number, unit_vi, unit_en in _COMMUNE_UNITS:
                specs.append(
                    OrgSpec(
                        code=f"{code}.{unit_number:02d}",
                        parent=code,
                        kind=Kind.UNIT,
                        level=Level.COMMUNE,
                        name_vi=unit_vi,
                        name_en=unit_en,
                    )
                )
    return specs


_ORG_FIELDS = [
    "parent",
    "kind",
    "level",
    "name_vi",
    "name_en",
    "abbreviation",
    "qcvn_code",
    "admin_unit_code",
    "email",
    "require_totp",
    "valid_to",
    "succession_basis",
    "path",
    "depth",
]


def _unit_abbreviation(name_vi: str) -> str:
    """The usual abbreviation of a division, as công văn notations print it (UBND-VX).

    "Văn phòng …" is VP; otherwise the initials of the words after "Phòng": "Phòng Cải cách
    hành chính" gives CCHC. Demo data only: real deployments import their own.
    """
    if name_vi.startswith("Văn phòng"):
        return "VP"
    words = name_vi.replace(",", " ").replace("-", " ").split()
    if words and words[0] == "Phòng":
        words = words[1:]
    return "".join(word[0].upper() for word in words)[:10]


def _seed_organizations(specs: list[OrgSpec]) -> dict[str, Organization]:
    existing = {o.code: o for o in Organization.objects.filter(code__in=[s.code for s in specs])}
    nodes: dict[str, Organization] = {}
    levels: dict[int, list[OrgSpec]] = {}
    depth_of: dict[str, int] = {}
    for spec in specs:
        depth_of[spec.code] = 0 if spec.parent is None else depth_of[spec.parent] + 1
        levels.setdefault(depth_of[spec.code], []).append(spec)
    for depth in sorted(levels):
        fresh: list[Organization] = []
        old: list[Organization] = []
        for spec in levels[depth]:
            node = existing.get(spec.code) or Organization(code=spec.code)
            node.parent = nodes[spec.parent] if spec.parent else None
            for name in _ORG_FIELDS[1:-2]:
                setattr(node, name, getattr(spec, name))
            node.depth = depth
            (old if node.pk else fresh).append(node)
            nodes[spec.code] = node
        Organization.objects.bulk_create(fresh)
        for node in fresh + old:
            parent_path = node.parent.path if node.parent else ""
            node.path = parent_path + selectors.path_segment(node.pk)
        Organization.objects.bulk_update(fresh + old, _ORG_FIELDS)
    with_successor = []
    for spec in specs:
        wanted = nodes[spec.successor] if spec.successor else None
        if nodes[spec.code].successor_id != (wanted.pk if wanted else None):
            nodes[spec.code].successor = wanted
            with_successor.append(nodes[spec.code])
    Organization.objects.bulk_update(with_successor, ["successor"])
    return nodes


# --- positions and people -----------------------------------------------------------------------

_POSITIONS = [
    ("chu-tich", "Chủ tịch", "Chairperson", 10),
    ("pho-chu-tich", "Phó Chủ tịch", "Vice Chairperson", 20),
    ("chanh-van-phong", "Chánh Văn phòng", "Chief of Office", 30),
    ("pho-chanh-van-phong", "Phó Chánh Văn phòng", "Deputy Chief of Office", 35),
    ("giam-doc", "Giám đốc", "Director", 30),
    ("pho-giam-doc", "Phó Giám đốc", "Deputy Director", 35),
    ("chanh-thanh-tra", "Chánh Thanh tra", "Chief Inspector", 30),
    ("truong-phong", "Trưởng phòng", "Head of Division", 50),
    ("pho-truong-phong", "Phó Trưởng phòng", "Deputy Head of Division", 55),
    ("chuyen-vien", "Chuyên viên", "Specialist", 80),
    ("cong-chuc", "Công chức", "Civil servant", 85),
    ("van-thu", "Văn thư", "Records clerk", 90),
]

_C = f"{PROVINCE_ID}.21211"  # Tịnh Khê
_P = f"{PROVINCE_ID}.21025"  # Cẩm Thành
OFFICERS: list[OfficerSpec] = [
    OfficerSpec(
        "admin.qni",
        "Trần Minh Quân",
        PROVINCE_ID,
        "chuyen-vien",
        ((Role.IT_ADMIN, Scope.SUBTREE),),
        superuser=True,
    ),
    OfficerSpec(
        "chutich.qni",
        "Nguyễn Hữu Phúc",
        PROVINCE_ID,
        "chu-tich",
        ((Role.HEAD, Scope.ORGANIZATION),),
    ),
    OfficerSpec(
        "chanhvp.vpubnd",
        "Lê Thị Thu Hà",
        f"{PROVINCE_ID}.01",
        "chanh-van-phong",
        ((Role.HEAD, Scope.ORGANIZATION),),
        totp=True,
    ),
    OfficerSpec(
        "phochanhvp.vpubnd",
        "Đỗ Quang Vinh",
        f"{PROVINCE_ID}.01",
        "pho-chanh-van-phong",
        ((Role.HEAD, Scope.UNIT), (Role.OFFICER, Scope.ORGANIZATION)),
    ),
    OfficerSpec(
        "vanthu.vpubnd",
        "Phạm Thị Hồng",
        f"{PROVINCE_ID}.01.01",
        "van-thu",
        ((Role.CLERK, Scope.ORGANIZATION),),
        totp=True,
    ),
    OfficerSpec(
        "chuyenvien.vpubnd",
        "Võ Thành Nam",
        f"{PROVINCE_ID}.01.02",
        "chuyen-vien",
        ((Role.OFFICER, Scope.UNIT),),
        totp=True,
    ),
    OfficerSpec(
        "giamdoc.snv",
        "Huỳnh Văn Tâm",
        f"{PROVINCE_ID}.02",
        "giam-doc",
        ((Role.HEAD, Scope.ORGANIZATION),),
    ),
    OfficerSpec(
        "phogiamdoc.snv",
        "Bùi Thị Mai",
        f"{PROVINCE_ID}.02",
        "pho-giam-doc",
        ((Role.OFFICER, Scope.ORGANIZATION),),
    ),
    OfficerSpec(
        "vanthu.snv",
        "Ngô Thị Lệ",
        f"{PROVINCE_ID}.02.01",
        "van-thu",
        ((Role.CLERK, Scope.ORGANIZATION),),
    ),
    OfficerSpec(
        "chuyenvien.snv",
        "Đặng Minh Khoa",
        f"{PROVINCE_ID}.02.02",
        "chuyen-vien",
        ((Role.OFFICER, Scope.UNIT),),
    ),
    OfficerSpec(
        "truongphong.snv",
        "Trương Công Danh",
        f"{PROVINCE_ID}.02.03",
        "truong-phong",
        ((Role.HEAD, Scope.UNIT), (Role.OFFICER, Scope.UNIT)),
    ),
    OfficerSpec(
        "giamdoc.ttpvhcc",
        "Phan Thị Ngọc Ánh",
        f"{PROVINCE_ID}.14",
        "giam-doc",
        ((Role.HEAD, Scope.ORGANIZATION),),
    ),
    OfficerSpec(
        "motcua.ttpvhcc",
        "Lương Văn Hiếu",
        f"{PROVINCE_ID}.14.01",
        "chuyen-vien",
        ((Role.COUNTER, Scope.ORGANIZATION),),
    ),
    OfficerSpec(
        "chuyenvien.stc",
        "Tạ Thị Kim Oanh",
        f"{PROVINCE_ID}.03.03",
        "chuyen-vien",
        ((Role.OFFICER, Scope.UNIT),),
    ),
    OfficerSpec(
        "chuyenvien.sxd",
        "Châu Văn Lợi",
        f"{PROVINCE_ID}.04.02",
        "chuyen-vien",
        ((Role.OFFICER, Scope.UNIT),),
    ),
    OfficerSpec(
        "chuyenvien.snnmt",
        "Mai Xuân Trường",
        f"{PROVINCE_ID}.05.02",
        "chuyen-vien",
        ((Role.OFFICER, Scope.UNIT),),
    ),
    OfficerSpec(
        "chutich.tinhkhe", "Hồ Văn Sơn", _C, "chu-tich", ((Role.HEAD, Scope.ORGANIZATION),)
    ),
    OfficerSpec(
        "motcua.tinhkhe",
        "Nguyễn Thị Bích",
        f"{_C}.01",
        "cong-chuc",
        ((Role.COUNTER, Scope.ORGANIZATION),),
    ),
    OfficerSpec(
        "vanthu.tinhkhe", "Lê Văn Tùng", f"{_C}.02", "van-thu", ((Role.CLERK, Scope.ORGANIZATION),)
    ),
    OfficerSpec(
        "congchuc.tinhkhe", "Trần Thị Yến", f"{_C}.02", "cong-chuc", ((Role.OFFICER, Scope.UNIT),)
    ),
    OfficerSpec(
        "admin.tinhkhe", "Phạm Quốc Bảo", _C, "cong-chuc", ((Role.IT_ADMIN, Scope.ORGANIZATION),)
    ),
    OfficerSpec(
        "motcua.camthanh",
        "Võ Thị Thanh Tâm",
        f"{_P}.01",
        "cong-chuc",
        ((Role.COUNTER, Scope.ORGANIZATION),),
    ),
]

# (full name, 12-digit ID number, mobile, e-mail)
CITIZENS = [
    ("Nguyễn Thị Lan", "051185000123", "0900000001", "lan.nguyen@congdan.example"),
    ("Trần Văn Bình", "051090001234", "0900000002", "binh.tran@congdan.example"),
    ("Phạm Minh Châu", "062301004567", "0900000003", "chau.pham@congdan.example"),
]
# (name, tax code with a valid check digit, mobile, e-mail) — an invented number
BUSINESSES = [
    (
        "Công ty TNHH Dịch vụ Mẫu Quảng Ngãi",
        "4300123458",
        "0900000009",
        "lienhe@doanhnghiep.example",
    ),
]


def demo_totp_secret(username: str) -> str:
    """A fixed base32 secret per demo user name, so the demo logins can be published."""
    digest = hashlib.sha256(f"open-egov-vn demo totp {username}".encode()).digest()[:20]
    return base64.b32encode(digest).decode("ascii")


def _role_label(roles: tuple[tuple[str, str], ...]) -> str:
    return ", ".join(f"{Role(role).label} ({Scope(scope).label})" for role, scope in roles)


def _seed_accounts(
    specs: list[tuple[str, dict[str, object]]], password_hash: str
) -> dict[str, Account]:
    existing = {a.username: a for a in Account.objects.filter(username__in=[u for u, _ in specs])}
    fresh: list[Account] = []
    old: list[Account] = []
    fields = [
        "password",
        "kind",
        "email",
        "first_name",
        "last_name",
        "is_staff",
        "is_superuser",
        "is_active",
        "failed_logins",
        "locked_until",
        "totp_secret",
        "totp_confirmed",
        "totp_last_step",
    ]
    now = timezone.now()
    for username, values in specs:
        account = existing.get(username) or Account(username=username, password_changed_at=now)
        account.password = password_hash
        account.is_active = True
        account.failed_logins = 0
        account.locked_until = None
        account.totp_last_step = 0
        for name, value in values.items():
            setattr(account, name, value)
        (old if account.pk else fresh).append(account)
    Account.objects.bulk_create(fresh)
    Account.objects.bulk_update(old, fields)
    return {a.username: a for a in fresh + old}


def _seed_officers(nodes: dict[str, Organization]) -> list[DemoLogin]:
    positions = {p.code: p for p in Position.objects.all()}
    account_specs = []
    for spec in OFFICERS:
        given, family = spec.full_name.split()[-1], " ".join(spec.full_name.split()[:-1])
        secret = demo_totp_secret(spec.username) if spec.totp else ""
        account_specs.append(
            (
                spec.username,
                {
                    "kind": Account.Kind.OFFICER,
                    "email": f"{spec.username}@{EMAIL_DOMAIN}",
                    "first_name": given,
                    "last_name": family,
                    "is_staff": spec.superuser,
                    "is_superuser": spec.superuser,
                    "totp_secret": secret,
                    "totp_confirmed": spec.totp,
                },
            )
        )
    accounts = _seed_accounts(account_specs, make_password(OFFICER_PASSWORD))
    existing = {
        o.account_id: o
        for o in Officer.objects.filter(account_id__in=[a.pk for a in accounts.values()])
    }
    fresh: list[Officer] = []
    old: list[Officer] = []
    for spec in OFFICERS:
        account = accounts[spec.username]
        officer = existing.get(account.pk) or Officer(account=account)
        officer.full_name = spec.full_name
        officer.unit = nodes[spec.unit]
        officer.position = positions[spec.position]
        officer.email = account.email
        officer.is_active = True
        (old if officer.pk else fresh).append(officer)
    Officer.objects.bulk_create(fresh)
    Officer.objects.bulk_update(old, ["full_name", "unit", "position", "email", "is_active"])
    officers = {o.account_id: o for o in fresh + old}

    wanted = {
        (officers[accounts[s.username].pk].pk, role): scope
        for s in OFFICERS
        for role, scope in s.roles
    }
    current = {
        (ra.officer_id, ra.role): ra
        for ra in RoleAssignment.objects.filter(officer_id__in=[o.pk for o in officers.values()])
    }
    RoleAssignment.objects.filter(
        pk__in=[ra.pk for k, ra in current.items() if k not in wanted]
    ).delete()
    changed = []
    for key, scope in wanted.items():
        if key in current and current[key].scope != scope:
            current[key].scope = scope
            changed.append(current[key])
    RoleAssignment.objects.bulk_update(changed, ["scope"])
    RoleAssignment.objects.bulk_create(
        [
            RoleAssignment(officer_id=k[0], role=k[1], scope=s)
            for k, s in wanted.items()
            if k not in current
        ]
    )

    _seed_delegation(officers[accounts["giamdoc.snv"].pk], officers[accounts["phogiamdoc.snv"].pk])
    return [
        DemoLogin(
            username=s.username,
            password=OFFICER_PASSWORD,
            totp_secret=accounts[s.username].totp_secret,
            who=_role_label(s.roles) + (" + superuser" if s.superuser else ""),
            where=_where(nodes[s.unit]),
        )
        for s in OFFICERS
    ]


def _where(node: Organization) -> str:
    if node.kind == Kind.UNIT and node.parent is not None:
        return f"{node.name_vi}, {node.parent.name_vi}"
    return node.name_vi


def _seed_delegation(head: Officer, deputy: Officer) -> None:
    """The director of Home Affairs lets the deputy sign for four weeks from this Monday."""
    today = timezone.localdate()
    monday = today - timedelta(days=today.weekday())
    starts_at = timezone.make_aware(datetime.combine(monday, time(0, 0)))
    ends_at = starts_at + timedelta(weeks=4)
    delegation = Delegation.objects.filter(
        delegator=head, deputy=deputy, power=Delegation.Power.SIGN
    ).first()
    if delegation is None:
        Delegation.objects.create(
            delegator=head,
            deputy=deputy,
            power=Delegation.Power.SIGN,
            starts_at=starts_at,
            ends_at=ends_at,
            reason="Đi công tác (dữ liệu mẫu)",
        )
    else:
        delegation.starts_at, delegation.ends_at, delegation.revoked_at = starts_at, ends_at, None
        delegation.save(update_fields=["starts_at", "ends_at", "revoked_at"])


def _seed_applicants() -> list[DemoLogin]:
    rows = [(n, nid, "", p, e, Applicant.Kind.PERSON) for n, nid, p, e in CITIZENS]
    rows += [(n, "", tax, p, e, Applicant.Kind.BUSINESS) for n, tax, p, e in BUSINESSES]
    accounts = _seed_accounts(
        [
            (
                nid or tax,
                {
                    "kind": Account.Kind.APPLICANT,
                    "email": email,
                    "first_name": name.split()[-1] if kind == Applicant.Kind.PERSON else "",
                    "last_name": " ".join(name.split()[:-1])
                    if kind == Applicant.Kind.PERSON
                    else name,
                    "is_staff": False,
                    "is_superuser": False,
                    "totp_secret": "",
                    "totp_confirmed": False,
                },
            )
            for name, nid, tax, _phone, email, kind in rows
        ],
        make_password(APPLICANT_PASSWORD),
    )
    existing = {a.account_id: a for a in Applicant.objects.filter(account__in=accounts.values())}
    fresh: list[Applicant] = []
    old: list[Applicant] = []
    for name, nid, tax, phone, email, kind in rows:
        account = accounts[nid or tax]
        applicant = existing.get(account.pk) or Applicant(account=account)
        applicant.kind, applicant.full_name = kind, name
        applicant.national_id, applicant.tax_code = nid, tax
        applicant.phone, applicant.email = phone, email
        applicant.ward_code = "21211"
        (old if applicant.pk else fresh).append(applicant)
    Applicant.objects.bulk_create(fresh)
    Applicant.objects.bulk_update(
        old, ["kind", "full_name", "national_id", "tax_code", "phone", "email", "ward_code"]
    )
    return [
        DemoLogin(
            username=nid or tax,
            password=APPLICANT_PASSWORD,
            totp_secret="",
            who="Citizen" if kind == Applicant.Kind.PERSON else "Business",
            where=name,
        )
        for name, nid, tax, _phone, _email, kind in rows
    ]


@transaction.atomic
def demo_seed() -> DemoResult:
    """Build or restore the demo province (idempotent). Returns what to print."""
    specs = organization_specs()
    nodes = _seed_organizations(specs)
    existing_positions = {p.code: p for p in Position.objects.all()}
    fresh_positions: list[Position] = []
    old_positions: list[Position] = []
    for code, name_vi, name_en, rank in _POSITIONS:
        position = existing_positions.get(code) or Position(code=code)
        position.name_vi, position.name_en, position.rank = name_vi, name_en, rank
        (old_positions if position.pk else fresh_positions).append(position)
    Position.objects.bulk_create(fresh_positions)
    Position.objects.bulk_update(old_positions, ["name_vi", "name_en", "rank"])
    result = DemoResult(
        organizations=len(specs),
        communes=sum(1 for s in specs if s.level == Level.COMMUNE and s.kind != Kind.UNIT),
    )
    result.logins = _seed_officers(nodes) + _seed_applicants()
    result.officers = len(OFFICERS)
    result.applicants = len(CITIZENS) + len(BUSINESSES)
    audit_record(
        actor=None,
        action="directory.demo_seed",
        obj=nodes[PROVINCE_ID],
        after={
            "organizations": result.organizations,
            "officers": result.officers,
            "applicants": result.applicants,
        },
    )
    return result

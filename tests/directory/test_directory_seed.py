"""The demo province: idempotent, real communes, working demo sign-ins."""

from __future__ import annotations

from io import StringIO

import pyotp
import pytest
from django.core.management import call_command

from egov.core.models import AuditEntry
from egov.directory import demo, policy, selectors, services
from egov.directory.models import (
    Account,
    Applicant,
    Delegation,
    Officer,
    Organization,
    Position,
    Role,
    RoleAssignment,
)

MODELS = [Organization, Position, Account, Officer, RoleAssignment, Applicant, Delegation]


def _counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in MODELS}


def _snapshot() -> dict[str, list[tuple[object, ...]]]:
    return {
        "orgs": list(Organization.objects.values_list("pk", "code", "path", "depth", "parent_id")),
        "roles": list(
            RoleAssignment.objects.order_by("pk").values_list("pk", "officer_id", "role", "scope")
        ),
        "officers": list(Officer.objects.order_by("pk").values_list("pk", "account_id", "unit_id")),
    }


def test_seed_twice_gives_the_same_rows(db: None) -> None:
    first = demo.demo_seed()
    counts, snapshot = _counts(), _snapshot()
    second = demo.demo_seed()
    assert _counts() == counts
    assert _snapshot() == snapshot
    assert first.logins == second.logins
    assert counts["Officer"] == len(demo.OFFICERS) >= 20
    assert counts["Applicant"] == 4
    assert counts["Delegation"] == 1


def test_seed_builds_the_real_communes_of_quang_ngai(db: None) -> None:
    demo.demo_seed()
    province = Organization.objects.get(code=demo.PROVINCE_ID)
    communes = Organization.objects.filter(
        parent=province,
        kind=Organization.Kind.PEOPLE_COMMITTEE,
        level=Organization.Level.COMMUNE,
    )
    assert communes.count() == 96
    assert communes.filter(admin_unit_code="21211", name_vi="Ủy ban nhân dân xã Tịnh Khê").exists()
    assert communes.filter(name_vi="Ủy ban nhân dân đặc khu Lý Sơn").exists()
    assert communes.filter(name_vi__startswith="Ủy ban nhân dân phường").count() == 9
    assert province.name_vi == "Ủy ban nhân dân tỉnh Quảng Ngãi"
    # Every node's path agrees with its parent's.
    for node in Organization.objects.select_related("parent"):
        expected = (node.parent.path if node.parent else "") + selectors.path_segment(node.pk)
        assert node.path == expected
        assert node.depth == (node.parent.depth + 1 if node.parent else 0)


def test_seed_keeps_history_and_departments(db: None) -> None:
    demo.demo_seed()
    kon_tum = Organization.objects.get(code="H62")
    assert kon_tum.successor == Organization.objects.get(code=demo.PROVINCE_ID)
    assert str(kon_tum.valid_to) == "2025-06-30"
    assert Organization.objects.get(code="H51.D01").level == Organization.Level.DISTRICT
    names = set(
        Organization.objects.filter(kind=Organization.Kind.DEPARTMENT).values_list(
            "name_vi", flat=True
        )
    )
    assert {"Sở Nông nghiệp và Môi trường", "Sở Khoa học và Công nghệ", "Sở Nội vụ"} <= names
    assert Organization.objects.get(code="H51.01").require_totp is True


def test_seed_restores_changed_demo_accounts(db: None) -> None:
    demo.demo_seed()
    account = Account.objects.get(username="vanthu.snv")
    account.set_password("Something-else-1")
    account.failed_logins, account.is_active = 4, False
    account.save()
    RoleAssignment.objects.filter(officer__account=account).delete()
    demo.demo_seed()
    account.refresh_from_db()
    assert account.check_password(demo.OFFICER_PASSWORD)
    assert (account.failed_logins, account.is_active) == (0, True)
    assert list(account.officer.roles.values_list("role", flat=True)) == [Role.CLERK]


def test_demo_logins_work(db: None) -> None:
    result = demo.demo_seed()
    logins = {x.username: x for x in result.logins}

    admin = services.account_authenticate(username="admin.qni", password=demo.OFFICER_PASSWORD)
    assert admin.is_superuser
    assert admin.is_staff
    assert policy.can(admin, "directory.calendar.manage")

    head = services.account_authenticate(username="chanhvp.vpubnd", password=demo.OFFICER_PASSWORD)
    assert services.account_totp_required(head)
    secret = logins["chanhvp.vpubnd"].totp_secret
    assert secret == demo.demo_totp_secret("chanhvp.vpubnd")
    services.account_totp_verify(account=head, code=pyotp.TOTP(secret).now())

    enrolling = Account.objects.get(username="phochanhvp.vpubnd")
    assert services.account_totp_required(enrolling)
    assert not enrolling.totp_confirmed

    citizen = services.account_authenticate(
        username="051185000123", password=demo.APPLICANT_PASSWORD, kind=Account.Kind.APPLICANT
    )
    assert citizen.applicant.national_id == "051185000123"

    roles = {role for spec in demo.OFFICERS for role, _scope in spec.roles}
    assert roles == set(Role)
    deputy = Officer.objects.get(account__username="phogiamdoc.snv")
    department = Organization.objects.get(code="H51.02")
    assert policy.may_exercise(deputy, Delegation.Power.SIGN, department)


def test_seed_command_prints_the_sign_ins(db: None) -> None:
    out = StringIO()
    call_command("seed_demo", stdout=out)
    text = out.getvalue()
    assert "96 communes" in text
    assert "admin.qni" in text
    assert demo.OFFICER_PASSWORD in text
    assert demo.demo_totp_secret("chanhvp.vpubnd") in text
    assert "051185000123" in text
    quiet = StringIO()
    call_command("seed_demo", "--quiet", stdout=quiet)
    assert "admin.qni" not in quiet.getvalue()
    assert AuditEntry.objects.filter(action="directory.demo_seed").count() == 2


@pytest.mark.parametrize(
    ("name", "ascii"),
    [("Tịnh Khê", "Tinh Khe"), ("Đăk Rơ Wa", "Dak Ro Wa"), ("Lý Sơn", "Ly Son")],
)
def test_ascii_names(name: str, ascii: str) -> None:
    assert demo.ascii_name(name) == ascii

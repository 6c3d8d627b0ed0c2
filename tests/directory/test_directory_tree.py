"""The organisation tree: paths, moves, cycles, succession, and what each write audits."""

from __future__ import annotations

import datetime as dt

import pytest
from directory_factories import AccountFactory, OfficerFactory, OrganizationFactory

from egov.core.errors import PermissionDenied, ValidationFailed
from egov.core.models import AuditEntry
from egov.directory import selectors, services
from egov.directory.models import Account, Organization, Role, Scope

Kind = Organization.Kind
Level = Organization.Level


@pytest.fixture
def root_admin(db: None) -> Account:
    return Account.objects.create_superuser("goc", "goc@test.example", "Thu-nghiem-2025")


def _create(
    actor: Account, parent: Organization | None, code: str, **extra: object
) -> Organization:
    fields: dict[str, object] = {
        "kind": Kind.DEPARTMENT if parent else Kind.PEOPLE_COMMITTEE,
        "level": Level.PROVINCE,
        "name_vi": f"Cơ quan {code}",
    }
    fields.update(extra)
    return services.organization_create(actor=actor, parent=parent, code=code, **fields)  # type: ignore[arg-type]


def test_create_gives_each_node_its_path_and_depth(root_admin: Account) -> None:
    province = _create(root_admin, None, "H51")
    department = _create(root_admin, province, "H51.01")
    unit = _create(root_admin, department, "H51.01.01", kind=Kind.UNIT)

    assert province.path == f"{province.pk:08d}/"
    assert department.path == f"{province.pk:08d}/{department.pk:08d}/"
    assert unit.path == f"{province.pk:08d}/{department.pk:08d}/{unit.pk:08d}/"
    assert [province.depth, department.depth, unit.depth] == [0, 1, 2]
    unit.refresh_from_db()
    assert unit.path == f"{province.pk:08d}/{department.pk:08d}/{unit.pk:08d}/"


def test_create_writes_an_audit_entry(root_admin: Account) -> None:
    province = _create(root_admin, None, "H51")
    entry = AuditEntry.objects.get(action="directory.organization.create")
    assert entry.object_type == "directory.organization"
    assert entry.object_id == str(province.pk)
    assert entry.actor_id == root_admin.pk
    assert entry.summary["after"]["code"] == "H51"


def test_subtree_and_ancestors_follow_the_paths(root_admin: Account) -> None:
    province = _create(root_admin, None, "H51")
    dept_a = _create(root_admin, province, "A")
    dept_b = _create(root_admin, province, "B")
    unit_a = _create(root_admin, dept_a, "A.1", kind=Kind.UNIT)

    assert list(selectors.organization_subtree(dept_a)) == [dept_a, unit_a]
    assert list(selectors.organization_subtree(dept_a, include_self=False)) == [unit_a]
    assert list(selectors.organization_subtree(province)) == [province, dept_a, unit_a, dept_b]
    assert list(selectors.organization_ancestors(unit_a)) == [province, dept_a]
    assert list(selectors.organization_ancestors(unit_a, include_self=True)) == [
        province,
        dept_a,
        unit_a,
    ]


def test_organization_of_a_unit_is_its_nearest_non_unit_ancestor(root_admin: Account) -> None:
    province = _create(root_admin, None, "H51")
    department = _create(root_admin, province, "D")
    unit = _create(root_admin, department, "D.1", kind=Kind.UNIT)
    team = _create(root_admin, unit, "D.1.1", kind=Kind.UNIT)

    assert selectors.organization_of(team) == department
    assert selectors.organization_of(unit) == department
    assert selectors.organization_of(department) == department


def test_organization_members_are_the_own_units_not_the_departments_below(
    root_admin: Account,
) -> None:
    province = _create(root_admin, None, "H51")
    office = _create(root_admin, province, "P.1", kind=Kind.UNIT)
    department = _create(root_admin, province, "D")
    dept_unit = _create(root_admin, department, "D.1", kind=Kind.UNIT)

    assert sorted(selectors.organization_members(province)) == sorted([province.pk, office.pk])
    assert sorted(selectors.organization_members(department)) == sorted(
        [department.pk, dept_unit.pk]
    )


def test_a_unit_needs_a_parent(root_admin: Account) -> None:
    with pytest.raises(ValidationFailed) as exc:
        _create(root_admin, None, "U", kind=Kind.UNIT)
    assert exc.value.code == "organization.unit_without_parent"
    assert not Organization.objects.exists()


def test_a_code_is_used_once(root_admin: Account) -> None:
    province = _create(root_admin, None, "H51")
    with pytest.raises(ValidationFailed) as exc:
        _create(root_admin, province, "H51")
    assert exc.value.code == "organization.code_taken"
    assert Organization.objects.count() == 1


def test_move_rewrites_the_whole_subtree(root_admin: Account) -> None:
    province = _create(root_admin, None, "H51")
    old_parent = _create(root_admin, province, "OLD")
    new_parent = _create(root_admin, province, "NEW")
    moved = _create(root_admin, old_parent, "M", kind=Kind.UNIT)
    child = _create(root_admin, moved, "M.1", kind=Kind.UNIT)
    grandchild = _create(root_admin, child, "M.1.1", kind=Kind.UNIT)
    bystander = _create(root_admin, old_parent, "STAY", kind=Kind.UNIT)

    services.organization_move(actor=root_admin, organization=moved, new_parent=new_parent)

    for node in (moved, child, grandchild, bystander):
        node.refresh_from_db()
    assert moved.parent == new_parent
    assert moved.path == new_parent.path + f"{moved.pk:08d}/"
    assert child.path == moved.path + f"{child.pk:08d}/"
    assert grandchild.path == child.path + f"{grandchild.pk:08d}/"
    assert [moved.depth, child.depth, grandchild.depth] == [2, 3, 4]
    assert bystander.path == old_parent.path + f"{bystander.pk:08d}/"
    assert list(selectors.organization_subtree(old_parent)) == [old_parent, bystander]
    entry = AuditEntry.objects.get(action="directory.organization.move")
    assert entry.summary["before"]["parent"] == old_parent.pk
    assert entry.summary["after"]["parent"] == new_parent.pk


def test_move_to_the_top_and_deeper_shifts_depths(root_admin: Account) -> None:
    province = _create(root_admin, None, "H51")
    department = _create(root_admin, province, "D")
    unit = _create(root_admin, department, "D.1", kind=Kind.UNIT)

    services.organization_move(actor=root_admin, organization=department, new_parent=None)
    department.refresh_from_db()
    unit.refresh_from_db()
    assert (department.depth, unit.depth) == (0, 1)
    assert department.path == f"{department.pk:08d}/"
    assert unit.path == f"{department.pk:08d}/{unit.pk:08d}/"


@pytest.mark.parametrize("target", ["self", "child", "grandchild"])
def test_move_under_itself_or_a_descendant_is_refused(root_admin: Account, target: str) -> None:
    province = _create(root_admin, None, "H51")
    department = _create(root_admin, province, "D")
    child = _create(root_admin, department, "D.1", kind=Kind.UNIT)
    grandchild = _create(root_admin, child, "D.1.1", kind=Kind.UNIT)
    new_parent = {"self": department, "child": child, "grandchild": grandchild}[target]
    paths_before = dict(Organization.objects.values_list("pk", "path"))

    with pytest.raises(ValidationFailed) as exc:
        services.organization_move(actor=root_admin, organization=department, new_parent=new_parent)

    assert exc.value.code == "organization.cycle"
    assert dict(Organization.objects.values_list("pk", "path")) == paths_before
    assert not AuditEntry.objects.filter(action="directory.organization.move").exists()


def test_moving_a_unit_to_the_top_is_refused(root_admin: Account) -> None:
    province = _create(root_admin, None, "H51")
    unit = _create(root_admin, province, "U", kind=Kind.UNIT)
    with pytest.raises(ValidationFailed) as exc:
        services.organization_move(actor=root_admin, organization=unit, new_parent=None)
    assert exc.value.code == "organization.unit_without_parent"


def test_update_changes_fields_and_audits_only_the_difference(root_admin: Account) -> None:
    province = _create(root_admin, None, "H51", phone="0255 1")
    services.organization_update(
        actor=root_admin, organization=province, phone="0255 2", require_totp=True
    )
    province.refresh_from_db()
    assert (province.phone, province.require_totp) == ("0255 2", True)
    entry = AuditEntry.objects.get(action="directory.organization.update")
    assert entry.summary == {
        "before": {"phone": "0255 1", "require_totp": False},
        "after": {"phone": "0255 2", "require_totp": True},
    }


def test_update_refuses_fields_that_belong_to_other_services(root_admin: Account) -> None:
    province = _create(root_admin, None, "H51")
    with pytest.raises(TypeError):
        services.organization_update(actor=root_admin, organization=province, path="x/")


def test_update_refuses_an_invalid_e_mail(root_admin: Account) -> None:
    province = _create(root_admin, None, "H51")
    with pytest.raises(ValidationFailed) as exc:
        services.organization_update(actor=root_admin, organization=province, email="not-mail")
    assert exc.value.field == "email"
    province.refresh_from_db()
    assert province.email == ""


def test_district_level_is_kept_for_history(root_admin: Account) -> None:
    province = _create(root_admin, None, "H51")
    district = _create(
        root_admin,
        province,
        "H51.D01",
        kind=Kind.PEOPLE_COMMITTEE,
        level=Level.DISTRICT,
        valid_from=dt.date(2000, 1, 1),
    )
    commune = _create(root_admin, province, "H51.21211", level=Level.COMMUNE)
    services.organization_succeed(
        actor=root_admin,
        organization=district,
        successor=commune,
        effective_on=dt.date(2025, 7, 1),
        basis="Luật 72/2025/QH15",
    )
    district.refresh_from_db()
    assert district.level == Level.DISTRICT
    assert district.successor == commune
    assert district.valid_to == dt.date(2025, 6, 30)
    assert district.succession_basis == "Luật 72/2025/QH15"
    assert not district.is_active
    assert list(commune.predecessors.all()) == [district]
    entry = AuditEntry.objects.get(action="directory.organization.succeed")
    assert entry.summary["after"]["valid_to"] == "2025-06-30"


@pytest.mark.parametrize(
    ("case", "code"),
    [
        ("self", "organization.succession_invalid"),
        ("ended_successor", "organization.succession_invalid"),
        ("no_basis", "organization.succession_basis_required"),
        ("before_start", "organization.succession_invalid"),
        ("twice", "organization.already_succeeded"),
    ],
)
def test_bad_successions_are_refused(root_admin: Account, case: str, code: str) -> None:
    old = _create(root_admin, None, "OLD", valid_from=dt.date(2020, 1, 1))
    new = _create(root_admin, None, "NEW")
    ended = _create(root_admin, None, "ENDED", valid_from=dt.date(2010, 1, 1))
    services.organization_succeed(
        actor=root_admin,
        organization=ended,
        successor=new,
        effective_on=dt.date(2024, 1, 1),
        basis="NQ 1",
    )
    if case == "twice":
        services.organization_succeed(
            actor=root_admin,
            organization=old,
            successor=new,
            effective_on=dt.date(2025, 7, 1),
            basis="NQ 2",
        )
    old.refresh_from_db()
    state_before = (old.successor_id, old.valid_to)
    kwargs = {
        "self": {"successor": old},
        "ended_successor": {"successor": ended},
        "no_basis": {"basis": "  "},
        "before_start": {"effective_on": dt.date(2019, 1, 1)},
        "twice": {},
    }[case]
    call = {
        "organization": old,
        "successor": new,
        "effective_on": dt.date(2025, 7, 1),
        "basis": "NQ 3",
        **kwargs,
    }

    with pytest.raises(ValidationFailed) as exc:
        services.organization_succeed(actor=root_admin, **call)  # type: ignore[arg-type]

    assert exc.value.code == code
    old.refresh_from_db()
    assert (old.successor_id, old.valid_to) == state_before


def test_it_admin_manages_only_inside_their_reach(db: None) -> None:
    province = OrganizationFactory(committee=True)
    department = OrganizationFactory(parent=province)
    other = OrganizationFactory(parent=province)
    admin = OfficerFactory(unit=department, roles=[(Role.IT_ADMIN, Scope.SUBTREE)])

    unit = services.organization_create(
        actor=admin.account,
        parent=department,
        code="D.9",
        kind=Kind.UNIT,
        level=Level.PROVINCE,
        name_vi="Phòng mới",
    )
    assert unit.parent == department
    with pytest.raises(PermissionDenied):
        services.organization_create(
            actor=admin.account,
            parent=other,
            code="O.9",
            kind=Kind.UNIT,
            level=Level.PROVINCE,
            name_vi="Phòng lạ",
        )
    with pytest.raises(PermissionDenied):
        services.organization_move(actor=admin.account, organization=unit, new_parent=other)
    with pytest.raises(PermissionDenied):
        services.organization_create(
            actor=admin.account,
            parent=None,
            code="ROOT2",
            kind=Kind.PEOPLE_COMMITTEE,
            level=Level.PROVINCE,
            name_vi="Gốc mới",
        )
    assert set(Organization.objects.values_list("code", flat=True)) == {
        province.code,
        department.code,
        other.code,
        "D.9",
    }


def test_anonymous_cannot_write_the_tree(db: None) -> None:
    with pytest.raises(PermissionDenied) as exc:
        services.organization_create(
            actor=None,
            parent=None,
            code="X",
            kind=Kind.PEOPLE_COMMITTEE,
            level=Level.PROVINCE,
            name_vi="X",
        )
    assert exc.value.code == "permission_denied"
    assert not Organization.objects.exists()
    assert not AuditEntry.objects.exists()


def test_position_save_creates_then_updates(root_admin: Account) -> None:
    position = services.position_save(actor=root_admin, code="chuyen-vien", name_vi="Chuyên viên")
    again = services.position_save(
        actor=root_admin, code="chuyen-vien", name_vi="Chuyên viên chính", rank=70
    )
    assert again.pk == position.pk
    assert (again.name_vi, again.rank) == ("Chuyên viên chính", 70)
    assert AuditEntry.objects.filter(action="directory.position.save").count() == 2
    plain = AccountFactory()
    with pytest.raises(PermissionDenied):
        services.position_save(actor=plain, code="x", name_vi="X")

"""Creating, revising and publishing procedures: versions, invariants, permissions, audit."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from directory_factories import AccountFactory, OfficerFactory
from django.db import IntegrityError

from egov.core.errors import PermissionDenied, ValidationFailed
from egov.core.models import AuditEntry
from egov.directory.models import Role, Scope
from egov.procedures import services
from egov.procedures.models import (
    Fee,
    Procedure,
    ProcedureStep,
    ProcedureVersion,
    ProcedureVersionImmutable,
)


def _create(tree: Any, data: dict[str, Any]) -> Procedure:
    return services.procedure_create(actor=tree.tree_admin.account, data=data)


def test_create_writes_the_first_version_with_all_its_rows(tree: Any, data: dict[str, Any]) -> None:
    procedure = _create(tree, data)
    version = procedure.latest_version
    assert version is not None
    assert (version.number, version.name, version.field.code) == (1, data["name"], "XD")
    assert version.competent_organization == tree.construction
    assert version.executing_organization == tree.construction_unit
    assert [c.channel for c in version.channels.order_by("channel")] == ["counter", "online"]
    assert [d.code for d in version.documents.all()] == ["TP1", "TP2"]
    fees = list(version.fees.all())
    assert (fees[0].amount, fees[0].rule) == (150000, None)
    assert fees[1].amount is None
    assert fees[1].rule == {"kind": "percent", "by": "gia_tri", "rate": "0.05", "min": 500000}
    steps = list(version.steps.all())
    assert [s.working_days for s in steps] == [
        Decimal("0.5"),
        Decimal("15.0"),
        Decimal("3.0"),
        Decimal("1.0"),
        Decimal("0.5"),
    ]
    assert steps[1].responsible_unit == tree.construction_unit
    assert steps[2].crosses_organization is True
    assert procedure.published_version is None
    entry = AuditEntry.objects.get(action="procedures.procedure.create")
    assert entry.object_id == str(procedure.pk)
    assert entry.summary["after"]["version"] == 1


def test_a_process_longer_than_the_legal_time_is_refused_and_nothing_written(
    tree: Any, data: dict[str, Any]
) -> None:
    data["steps"][1]["days"] = 15.5
    with pytest.raises(ValidationFailed) as caught:
        _create(tree, data)
    assert caught.value.code == "procedures.invalid"
    assert caught.value.field == "steps"
    assert "20.5" in str(caught.value.message)
    assert Procedure.objects.count() == 0
    assert ProcedureVersion.objects.count() == 0
    assert AuditEntry.objects.count() == 0


def test_the_shortest_channel_is_the_legal_time(tree: Any, data: dict[str, Any]) -> None:
    data["channels"].append({"channel": "post", "time": 19, "unit": "working_days"})
    with pytest.raises(ValidationFailed) as caught:
        _create(tree, data)
    assert caught.value.field == "steps"


def test_hours_count_eight_to_a_working_day(tree: Any, data: dict[str, Any]) -> None:
    data["channels"] = [{"channel": "counter", "time": 16, "unit": "hours"}]
    data["service_level"] = "none"
    data["steps"] = [
        {"name": "Tiếp nhận", "role": "counter", "days": 0.5},
        {"name": "Giải quyết", "role": "officer", "days": 1.5},
    ]
    assert _create(tree, data).latest_version.steps.count() == 2  # type: ignore[union-attr]
    data["code"] = "DEMO-XD-02"
    data["steps"][1]["days"] = 1.6
    with pytest.raises(ValidationFailed):
        _create(tree, data)


def test_every_problem_of_a_record_is_reported_at_once(tree: Any, data: dict[str, Any]) -> None:
    data["level"] = "district"
    data["documents"][0]["originals"] = 0
    data["fees"][0]["rule"] = {"kind": "fixed", "amount": 1}
    data["steps"][0]["role"] = ""
    data["competent_organization"]["code"] = "H99"
    with pytest.raises(ValidationFailed) as caught:
        _create(tree, data)
    paths = [e["path"] for e in caught.value.details["errors"]]
    assert paths == [
        "competent_organization.code",
        "level",
        "documents[0].originals",
        "fees[0].amount",
        "steps[0].unit",
    ]


def test_revise_adds_a_version_and_leaves_the_old_one_untouched(
    tree: Any, data: dict[str, Any]
) -> None:
    procedure = _create(tree, data)
    first = procedure.latest_version
    assert first is not None
    services.procedure_publish(actor=tree.tree_admin.account, procedure=procedure)
    data["name"] = "Cấp giấy phép xây dựng (sửa đổi)"
    data["fees"][0]["amount"] = 200000
    second = services.procedure_revise(
        actor=tree.tree_admin.account, procedure=procedure, data=data
    )
    procedure.refresh_from_db()
    assert second.number == 2
    assert procedure.latest_version == second
    assert procedure.published_version == first  # the public keeps the published version
    first.refresh_from_db()
    assert first.name == BASE_NAME
    assert Fee.objects.get(version=first, order=1).amount == 150000
    assert Fee.objects.get(version=second, order=1).amount == 200000
    assert ProcedureStep.objects.filter(version=first).count() == 5
    entry = AuditEntry.objects.filter(action="procedures.procedure.revise").get()
    assert entry.summary["before"]["version"] == 1
    assert entry.summary["after"]["version"] == 2


BASE_NAME = "Cấp giấy phép xây dựng mới đối với công trình cấp I, cấp II"


def test_revise_with_the_same_content_is_refused(tree: Any, data: dict[str, Any]) -> None:
    procedure = _create(tree, data)
    with pytest.raises(ValidationFailed) as caught:
        services.procedure_revise(actor=tree.tree_admin.account, procedure=procedure, data=data)
    assert caught.value.code == "procedures.unchanged"
    assert ProcedureVersion.objects.count() == 1


def test_revise_cannot_change_the_code(tree: Any, data: dict[str, Any]) -> None:
    procedure = _create(tree, data)
    data["code"] = "DEMO-XD-09"
    with pytest.raises(ValidationFailed) as caught:
        services.procedure_revise(actor=tree.tree_admin.account, procedure=procedure, data=data)
    assert caught.value.code == "procedures.code_mismatch"


def test_a_written_version_cannot_be_saved_or_deleted(tree: Any, data: dict[str, Any]) -> None:
    version = _create(tree, data).latest_version
    assert version is not None
    version.name = "khác"
    with pytest.raises(ProcedureVersionImmutable):
        version.save()
    with pytest.raises(ProcedureVersionImmutable):
        version.delete()


def test_the_database_refuses_a_fee_with_both_amount_and_rule(
    tree: Any, data: dict[str, Any]
) -> None:
    version = _create(tree, data).latest_version
    with pytest.raises(IntegrityError):
        Fee.objects.create(
            version=version, order=9, kind="fee", name="x", amount=1, rule={"kind": "fixed"}
        )


def test_the_database_refuses_a_step_without_anyone_responsible(
    tree: Any, data: dict[str, Any]
) -> None:
    version = _create(tree, data).latest_version
    with pytest.raises(IntegrityError):
        ProcedureStep.objects.create(version=version, order=9, name="x", working_days=1)


def test_publish_and_unpublish(tree: Any, data: dict[str, Any]) -> None:
    procedure = _create(tree, data)
    services.procedure_publish(actor=tree.tree_admin.account, procedure=procedure)
    procedure.refresh_from_db()
    assert procedure.published_version == procedure.latest_version
    assert procedure.published_at is not None
    services.procedure_unpublish(actor=tree.tree_admin.account, procedure=procedure)
    procedure.refresh_from_db()
    assert (procedure.published_version, procedure.published_at) == (None, None)
    actions = list(AuditEntry.objects.values_list("action", flat=True))
    assert actions == [
        "procedures.procedure.create",
        "procedures.procedure.publish",
        "procedures.procedure.unpublish",
    ]


def test_a_taken_code_is_refused(tree: Any, data: dict[str, Any]) -> None:
    _create(tree, data)
    with pytest.raises(ValidationFailed) as caught:
        _create(tree, data)
    assert caught.value.code == "procedures.code_taken"


def test_field_save_creates_and_renames(tree: Any) -> None:
    field = services.field_save(actor=tree.tree_admin.account, code="HT", name="Hộ tịch")
    services.field_save(actor=tree.tree_admin.account, code="HT", name="Hộ  tịch và quốc tịch")
    field.refresh_from_db()
    assert field.name == "Hộ tịch và quốc tịch"
    assert AuditEntry.objects.filter(action="procedures.field.save").count() == 2


def _actor(kind: str, tree: Any) -> Any:
    if kind == "anonymous":
        return None
    if kind == "citizen":
        return AccountFactory(applicant=True)
    if kind == "officer_elsewhere_head":
        return OfficerFactory(unit=tree.health, roles=[(Role.HEAD, Scope.ORGANIZATION)]).account
    if kind == "officer_without_role":
        return OfficerFactory(
            unit=tree.construction, roles=[(Role.OFFICER, Scope.ORGANIZATION)]
        ).account
    if kind == "head_of_the_department":
        return OfficerFactory(
            unit=tree.construction, roles=[(Role.HEAD, Scope.ORGANIZATION)]
        ).account
    if kind == "it_admin_of_the_department":
        return OfficerFactory(
            unit=tree.construction, roles=[(Role.IT_ADMIN, Scope.SUBTREE)]
        ).account
    return tree.tree_admin.account


@pytest.mark.parametrize(
    ("kind", "allowed"),
    [
        ("anonymous", False),
        ("citizen", False),
        ("officer_elsewhere_head", False),
        ("officer_without_role", False),
        ("head_of_the_department", True),
        ("it_admin_of_the_department", True),
        ("tree_admin", True),
    ],
)
def test_procedure_create_permission_matrix(
    tree: Any, data: dict[str, Any], kind: str, allowed: bool
) -> None:
    actor = _actor(kind, tree)
    if allowed:
        services.procedure_create(actor=actor, data=data)
        assert Procedure.objects.count() == 1
    else:
        with pytest.raises(PermissionDenied):
            services.procedure_create(actor=actor, data=data)
        assert Procedure.objects.count() == 0
        assert AuditEntry.objects.count() == 0


def test_a_procedure_outside_the_tree_needs_a_tree_admin(tree: Any, data: dict[str, Any]) -> None:
    data["competent_organization"] = {"code": None, "name": "Công an cấp xã"}
    head = _actor("head_of_the_department", tree)
    with pytest.raises(PermissionDenied):
        services.procedure_create(actor=head, data=data)
    services.procedure_create(actor=tree.tree_admin.account, data=data)

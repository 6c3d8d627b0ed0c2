"""factory_boy factories for the directory (state set-up for tests; services are under test)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import factory
from django.utils import timezone

from egov.directory import selectors
from egov.directory.models import (
    Account,
    ApiKey,
    Applicant,
    Delegation,
    Officer,
    Organization,
    Position,
    RoleAssignment,
)

PASSWORD = "Thu-nghiem-2025"


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization

    code = factory.Sequence(lambda n: f"T{n:04d}")
    kind = Organization.Kind.DEPARTMENT
    level = Organization.Level.PROVINCE
    name_vi = factory.Sequence(lambda n: f"Cơ quan {n}")
    name_en = factory.Sequence(lambda n: f"Agency {n}")
    parent = None

    class Params:
        unit = factory.Trait(
            kind=Organization.Kind.UNIT, name_vi=factory.Sequence(lambda n: f"Phòng {n}")
        )
        committee = factory.Trait(kind=Organization.Kind.PEOPLE_COMMITTEE)

    @classmethod
    def _create(cls, model_class: type[Organization], *args: Any, **kwargs: Any) -> Organization:
        parent = kwargs.get("parent")
        kwargs["depth"] = 0 if parent is None else parent.depth + 1
        node = model_class(*args, **kwargs)
        node.save()
        node.path = (parent.path if parent else "") + selectors.path_segment(node.pk)
        node.save(update_fields=["path"])
        return node


class PositionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Position
        django_get_or_create = ("code",)

    code = "chuyen-vien"
    name_vi = "Chuyên viên"


class AccountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Account
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@test.example")
    kind = Account.Kind.OFFICER
    password = factory.django.Password(PASSWORD)

    class Params:
        applicant = factory.Trait(kind=Account.Kind.APPLICANT)
        locked = factory.Trait(
            failed_logins=5,
            locked_until=factory.LazyFunction(lambda: timezone.now() + timedelta(minutes=10)),
        )


class OfficerFactory(factory.django.DjangoModelFactory):
    """An officer; `roles=[(role, scope), …]` adds role assignments."""

    class Meta:
        model = Officer
        skip_postgeneration_save = True

    account = factory.SubFactory(AccountFactory)
    full_name = factory.Sequence(lambda n: f"Nguyễn Văn {n}")
    unit = factory.SubFactory(OrganizationFactory)
    position = factory.SubFactory(PositionFactory)

    @factory.post_generation
    def roles(self, create: bool, extracted: Any, **kwargs: Any) -> None:
        for role, scope in extracted or ():
            RoleAssignment.objects.create(officer=self, role=role, scope=scope)


class DelegationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Delegation

    delegator = factory.SubFactory(OfficerFactory)
    deputy = factory.SubFactory(OfficerFactory, unit=factory.SelfAttribute("..delegator.unit"))
    power = Delegation.Power.SIGN
    starts_at = factory.LazyFunction(lambda: timezone.now() - timedelta(days=1))
    ends_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=7))


class ApplicantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Applicant

    account = factory.SubFactory(
        AccountFactory, applicant=True, username=factory.SelfAttribute("..national_id")
    )
    kind = Applicant.Kind.PERSON
    full_name = "Lê Thị Dân"
    national_id = factory.Sequence(lambda n: f"0511850{n:05d}")
    phone = "0900000001"
    email = "dan@test.example"


class ApiKeyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ApiKey

    name = "Hệ thống thử"
    organization = factory.SubFactory(OrganizationFactory)
    prefix = factory.Sequence(lambda n: f"p{n:09d}")
    key_hash = "0" * 64

"""The documents demo seed: registers everywhere, keepers, the Home Affairs inbox; idempotent."""

from __future__ import annotations

import pytest
from django.db.models import Q

from egov.directory.demo import demo_seed
from egov.directory.models import Organization
from egov.documents.demo import HOME_AFFAIRS, documents_seed_demo
from egov.documents.models import Document, Register, Route, State
from egov.signing.models import SigningKey


@pytest.mark.django_db
def test_documents_demo_seed_is_complete_and_idempotent() -> None:
    demo_seed()
    first = documents_seed_demo()
    organizations = Organization.objects.exclude(kind=Organization.Kind.UNIT).count()
    assert first["organizations_given_registers"] == organizations
    assert first["incoming_documents_created"] == 6
    assert first["signing_keys_created"] == 3  # director, deputy director, the seal
    keys = SigningKey.objects.filter(
        Q(officer__account__username__in=["giamdoc.snv", "phogiamdoc.snv"])
        | Q(organization__code=HOME_AFFAIRS)
    )
    assert keys.count() == 3
    assert Register.objects.count() == 4 * organizations
    home = Organization.objects.get(code=HOME_AFFAIRS)
    states = sorted(Document.objects.filter(organization=home).values_list("state", flat=True))
    assert states == sorted(
        [
            State.REGISTERED,
            State.PRESENTED,
            State.IN_PROCESS,
            State.IN_PROCESS,
            State.FOR_INFORMATION,
            State.COMPLETED,
        ]
    )
    secret = Register.objects.get(organization=home, code="den-mat")
    assert [k.account.username for k in secret.keepers.all()] == ["vanthu.snv"]
    assert Route.objects.filter(parent__isnull=False).count() == 1  # the passed-on route

    before = (Document.objects.count(), Route.objects.count(), Register.objects.count())
    again = documents_seed_demo()
    assert again == {
        "organizations_given_registers": 0,
        "keepers_added": 0,
        "incoming_documents_created": 0,
        "signing_keys_created": 0,
    }
    assert (Document.objects.count(), Route.objects.count(), Register.objects.count()) == before

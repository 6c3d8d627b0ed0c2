"""IT staff set approval chains and registers' keepers through services (checked, audited)."""

from __future__ import annotations

import pytest
from directory_factories import AccountFactory
from django.test import Client
from django.urls import reverse
from documents_support import DocWorld

from egov.core.audit import AuditEntry
from egov.core.errors import PermissionDenied, ValidationFailed
from egov.documents.models import ApprovalChain
from egov.documents.selectors.outgoing import approval_chain_for
from egov.documents.services.chains import approval_chain_set, register_update


def test_a_head_sets_the_chain_of_a_type_and_drafts_follow_it(docworld: DocWorld) -> None:
    decision = docworld.doc_type("quyet-dinh")
    approval_chain_set(
        actor=docworld.head.account,
        organization=docworld.committee,
        document_type=decision,
        steps=["review", "format", "sign"],
    )
    assert approval_chain_for(docworld.committee, decision) == ["review", "format", "sign"]
    assert approval_chain_for(docworld.committee, docworld.doc_type("cong-van")) == [
        "review",
        "sign",
    ]
    entry = AuditEntry.objects.filter(action="document.chain_set").get()
    assert entry.summary["after"]["steps"] == ["review", "format", "sign"]


@pytest.mark.parametrize(
    "steps", [["review"], ["sign", "review"], ["review", "review", "sign"], ["approve", "sign"], []]
)
def test_a_chain_must_list_known_steps_once_and_end_with_sign(
    docworld: DocWorld, steps: list[str]
) -> None:
    with pytest.raises(ValidationFailed) as caught:
        approval_chain_set(
            actor=docworld.head.account,
            organization=docworld.committee,
            document_type=None,
            steps=steps,
        )
    assert caught.value.code == "document.bad_chain"
    assert ApprovalChain.objects.count() == 0


def test_an_officer_cannot_set_chains(docworld: DocWorld) -> None:
    with pytest.raises(PermissionDenied):
        approval_chain_set(
            actor=docworld.economy_officer.account,
            organization=docworld.committee,
            document_type=None,
            steps=["sign"],
        )


def test_keepers_of_a_register_work_for_its_organisation(docworld: DocWorld) -> None:
    register = docworld.incoming_secret
    with pytest.raises(ValidationFailed) as caught:
        register_update(
            actor=docworld.clerk.account, register=register, keepers=[docworld.dept_clerk]
        )
    assert caught.value.code == "document.keeper_outside"
    assert list(register.keepers.all()) == [docworld.secret_clerk]
    register_update(
        actor=docworld.clerk.account,
        register=register,
        keepers=[docworld.secret_clerk, docworld.clerk],
    )
    assert set(register.keepers.all()) == {docworld.secret_clerk, docworld.clerk}
    entry = AuditEntry.objects.filter(action="document.register_update").get()
    assert sorted(entry.summary["after"]["keepers"]) == sorted(
        [docworld.secret_clerk.pk, docworld.clerk.pk]
    )


def test_the_admin_lists_registers_and_adds_a_chain_through_the_service(
    docworld: DocWorld,
) -> None:
    client = Client()
    client.force_login(AccountFactory(is_staff=True, is_superuser=True))
    assert client.get(reverse("admin:documents_register_changelist")).status_code == 200
    assert client.get(reverse("admin:documents_documenttype_changelist")).status_code == 200
    answer = client.post(
        reverse("admin:documents_approvalchain_add"),
        {
            "organization": docworld.committee.pk,
            "document_type": docworld.doc_type("to-trinh").pk,
            "steps_text": "review, sign",
        },
    )
    assert answer.status_code == 302
    chain = ApprovalChain.objects.get()
    assert chain.steps == ["review", "sign"]
    assert AuditEntry.objects.filter(action="document.chain_set").count() == 1
    refused = client.post(
        reverse("admin:documents_approvalchain_add"),
        {
            "organization": docworld.committee.pk,
            "document_type": "",
            "steps_text": "sign, review",
        },
    )
    assert refused.status_code in (200, 302)
    assert ApprovalChain.objects.count() == 1

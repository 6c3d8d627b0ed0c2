"""Who may draft, approve, sign, issue and recall outgoing documents, and keep case files.

Rules answer "may this person act on this object?"; the services check the document's state
themselves (with a clearer error), except `document.draft_edit`, which by the decree's flow only
exists while the draft is with its drafter (DRAFT or RETURNED). Reading is `document.read`
(rules_read.py).
"""

from __future__ import annotations

from typing import Any

from egov.directory import policy
from egov.directory import selectors as directory
from egov.directory.models import Account, Delegation, Officer, Organization, Role
from egov.documents.models import (
    ApprovalStep,
    CaseFile,
    Direction,
    Document,
    Register,
    State,
)

EDITABLE_STATES = frozenset({State.DRAFT, State.RETURNED})
COMMENTABLE_STATES = frozenset({State.DRAFT, State.IN_REVIEW, State.RETURNED})


def _home(officer: Officer) -> Organization:
    return directory.officer_organization(officer)


def works_for(officer: Officer | None, organization: Organization | None) -> bool:
    """True when the officer's organisation (the nearest non-unit node above their unit) is
    `organization`."""
    if officer is None or organization is None or not officer.is_active:
        return False
    return _home(officer).pk == organization.pk


def _is_outgoing(obj: Any) -> bool:
    return isinstance(obj, Document) and obj.direction == Direction.OUTGOING


def is_drafter(officer: Officer | None, document: Document) -> bool:
    """The officer who created the draft, or a head of its drafting unit."""
    if officer is None:
        return False
    if document.created_by_id == officer.account_id:
        return True
    unit = document.drafting_unit or document.organization
    return policy.has_role(officer, Role.HEAD, over=unit)


def acting_for(officer: Officer | None, step: ApprovalStep) -> Officer | None:
    """The approver whose step the officer may decide: themselves, or the approver who
    delegated the power to them (approve; for the signing step, sign or approve)."""
    if officer is None or not officer.is_active:
        return None
    if officer.pk == step.approver_id:
        return step.approver
    powers = [Delegation.Power.APPROVE]
    if step.kind == ApprovalStep.Kind.SIGN:
        powers.insert(0, Delegation.Power.SIGN)
    for power in powers:
        for delegation in directory.delegations_active(officer, power):
            if delegation.delegator_id == step.approver_id:
                return delegation.delegator
    return None


def sign_step(document: Document) -> ApprovalStep | None:
    """The approved "sign" step of the document's last round (who signs it)."""
    return (
        ApprovalStep.objects.select_related("approver__account", "approver__position")
        .filter(document=document, kind=ApprovalStep.Kind.SIGN)
        .order_by("-round", "-order")
        .first()
    )


def may_sign(officer: Officer | None, document: Document) -> Officer | None:
    """The head whose signing power the officer uses for this document, or None."""
    step = sign_step(document)
    if step is None or step.outcome != ApprovalStep.Outcome.APPROVED:
        return None
    if officer is not None and officer.pk == step.approver_id:
        return step.approver
    if officer is None or not officer.is_active:
        return None
    for delegation in directory.delegations_active(officer, Delegation.Power.SIGN):
        if delegation.delegator_id == step.approver_id:
            return delegation.delegator
    return None


def is_issuing_clerk(officer: Officer | None, document: Document) -> bool:
    """A clerk of the document's organisation; for a confidential document, a keeper of the
    confidential outgoing register when that register names its keepers."""
    if not policy.has_role(officer, Role.CLERK, over=document.organization):
        return False
    if not document.is_confidential:
        return True
    assert officer is not None
    registers = Register.objects.filter(
        organization=document.organization,
        direction=Direction.OUTGOING,
        is_confidential=True,
        is_active=True,
    )
    kept = registers.filter(keepers__isnull=False).distinct()
    if not kept.exists():
        return True
    return kept.filter(keepers=officer).exists()


@policy.rule("document.draft")
def _draft(actor: Account, obj: Any) -> bool:
    """Start a draft for `obj` (an organisation): any officer working for it."""
    return works_for(policy.officer_of(actor), policy.target_organization(obj))


@policy.rule("document.draft_edit")
def _draft_edit(actor: Account, obj: Any) -> bool:
    """Change the draft (new version): the drafter or a head of the drafting unit, while the
    draft is with them (DRAFT or RETURNED)."""
    if not _is_outgoing(obj) or obj.state not in EDITABLE_STATES:
        return False
    return is_drafter(policy.officer_of(actor), obj)


@policy.rule("document.comment")
def _comment(actor: Account, obj: Any) -> bool:
    """Comment on a draft (góp ý): officers of the organisation while it is being prepared."""
    if not _is_outgoing(obj) or obj.state not in COMMENTABLE_STATES:
        return False
    return works_for(policy.officer_of(actor), obj.organization)


@policy.rule("document.submit")
def _submit(actor: Account, obj: Any) -> bool:
    """Send the draft up the approval chain: the drafter or a head of the drafting unit."""
    if not _is_outgoing(obj):
        return False
    return is_drafter(policy.officer_of(actor), obj)


@policy.rule("approval.decide")
def _decide(actor: Account, obj: Any) -> bool:
    """Approve or return one step (`obj`: the ApprovalStep): its approver or their deputy."""
    if not isinstance(obj, ApprovalStep):
        return False
    return acting_for(policy.officer_of(actor), obj) is not None


@policy.rule("document.sign")
def _sign(actor: Account, obj: Any) -> bool:
    """Sign the approved document: the approver of the sign step or the deputy they
    delegated the power to sign."""
    if not _is_outgoing(obj):
        return False
    return may_sign(policy.officer_of(actor), obj) is not None


@policy.rule("document.issue")
def _issue(actor: Account, obj: Any) -> bool:
    """Number, seal and dispatch: a clerk of the issuing organisation."""
    return _is_outgoing(obj) and is_issuing_clerk(policy.officer_of(actor), obj)


@policy.rule("document.recall")
def _recall(actor: Account, obj: Any) -> bool:
    """Recall an issued document: a clerk of the issuing organisation."""
    return _is_outgoing(obj) and is_issuing_clerk(policy.officer_of(actor), obj)


@policy.rule("casefile.manage")
def _casefile_manage(actor: Account, obj: Any) -> bool:
    """Open a case file (`obj`: the organisation) — any of its officers; change one (`obj`:
    the CaseFile) — its creator, or a clerk or head of the organisation."""
    officer = policy.officer_of(actor)
    if isinstance(obj, CaseFile):
        if officer is None or not works_for(officer, obj.organization):
            return False
        if obj.owner_id == officer.pk:
            return True
        return policy.has_role(officer, Role.CLERK, over=obj.organization) or policy.has_role(
            officer, Role.HEAD, over=obj.organization
        )
    return works_for(officer, policy.target_organization(obj))


@policy.rule("document.chain_manage")
def _chain_manage(actor: Account, obj: Any) -> bool:
    """Set approval chains (`obj`: the organisation): an IT admin or a head over it."""
    organization = policy.target_organization(obj)
    officer = policy.officer_of(actor)
    return policy.has_role(officer, Role.IT_ADMIN, over=organization) or policy.has_role(
        officer, Role.HEAD, over=organization
    )

"""The signing actions in the directory's policy registry (imported by SigningConfig.ready)."""

from __future__ import annotations

from typing import Any

from egov.directory import policy
from egov.directory.models import Account, Delegation, Role
from egov.signing.models import SigningKey


@policy.rule("signing.sign_as_person")
def _sign_as_person(actor: Account, obj: Any) -> bool:
    """Sign with a personal key (`obj`: the SigningKey): only its owner, and only a head of
    their organisation or a deputy the head delegated the power to sign."""
    officer = policy.officer_of(actor)
    if not isinstance(obj, SigningKey) or officer is None or obj.officer_id != officer.pk:
        return False
    return policy.may_exercise(
        officer, Delegation.Power.SIGN, policy.selectors.officer_organization(officer)
    )


@policy.rule("signing.sign_as_organization")
def _sign_as_organization(actor: Account, obj: Any) -> bool:
    """Apply the organisation's seal signature (`obj`: its SigningKey): its clerks only."""
    if not isinstance(obj, SigningKey) or obj.organization is None:
        return False
    return policy.has_role(policy.officer_of(actor), Role.CLERK, over=obj.organization)


@policy.rule("signing.key.manage")
def _key_manage(actor: Account, obj: Any) -> bool:
    """Import or revoke a key (`obj`: its officer or organisation): IT admins over it."""
    return policy.is_it_admin_over(actor, obj)


@policy.rule("signing.trust.manage")
def _trust_manage(actor: Account, obj: Any) -> bool:
    """Trusted roots and the timestamp authority serve the whole province."""
    return policy.is_tree_admin(actor)

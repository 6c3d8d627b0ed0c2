"""Who may act on a dossier (registered with egov.directory.policy by DossiersConfig.ready).

- `dossiers.receive` (`obj`: the receiving organisation): the one-stop counter role reaching it.
- `dossiers.submit_online` (`obj`: the Applicant): the applicant's own account. Integrating
  systems submit with an API key, checked by the service (`api_key.organization` must reach
  the receiving organisation).
- `dossiers.counter` (`obj`: the dossier): completeness check (accept, supplement, refuse),
  resubmission, result return, cash payment — counter role reaching the receiving organisation.
- `dossiers.step.work` (`obj`: the DossierStep): an officer or head reaching the step's unit, or
  the counter role for a step the counter owns.
- `dossiers.decide` (`obj`: the dossier): a head (or a deputy with the power to approve)
  reaching the competent organisation.
- `dossiers.apologize` (`obj`: the dossier): officers and heads of the competent organisation,
  or the counter of the receiving organisation.
- `dossiers.withdraw` (`obj`: the dossier): the applicant's own account, or the counter acting on
  a written request.
- `dossiers.cancel` (`obj`: the dossier): a head reaching the receiving or competent organisation.
- `dossiers.view` (`obj`: the dossier): anyone whose role reaches the receiving organisation, the
  competent organisation or one of its steps' units; the applicant.
"""

from __future__ import annotations

from typing import Any

from egov.directory import policy
from egov.directory.models import Account, Applicant, Delegation, Organization, Role
from egov.dossiers.models import Dossier, DossierStep
from egov.dossiers.selectors import dossiers_visible_to


def _is_applicant(actor: Account, applicant: Any) -> bool:
    return isinstance(applicant, Applicant) and applicant.account_id == actor.pk


@policy.rule("dossiers.receive")
def _receive(actor: Account, obj: Any) -> bool:
    return policy.has_role(policy.officer_of(actor), Role.COUNTER, over=obj)


@policy.rule("dossiers.submit_online")
def _submit_online(actor: Account, obj: Any) -> bool:
    return _is_applicant(actor, obj)


@policy.rule("dossiers.counter")
def _counter(actor: Account, obj: Any) -> bool:
    if not isinstance(obj, Dossier):
        return False
    return policy.has_role(policy.officer_of(actor), Role.COUNTER, over=obj.receiving_organization)


@policy.rule("dossiers.step.work")
def _step_work(actor: Account, obj: Any) -> bool:
    if not isinstance(obj, DossierStep):
        return False
    officer = policy.officer_of(actor)
    unit = obj.responsible_unit
    roles = [Role.OFFICER, Role.HEAD]
    if obj.responsible_role == Role.COUNTER:
        roles.append(Role.COUNTER)
    return any(policy.has_role(officer, role, over=unit) for role in roles)


@policy.rule("dossiers.decide")
def _decide(actor: Account, obj: Any) -> bool:
    if not isinstance(obj, Dossier):
        return False
    return policy.may_exercise(
        policy.officer_of(actor), Delegation.Power.APPROVE, obj.competent_organization
    )


@policy.rule("dossiers.apologize")
def _apologize(actor: Account, obj: Any) -> bool:
    if not isinstance(obj, Dossier):
        return False
    officer = policy.officer_of(actor)
    return (
        policy.has_role(officer, Role.OFFICER, over=obj.competent_organization)
        or policy.has_role(officer, Role.HEAD, over=obj.competent_organization)
        or policy.has_role(officer, Role.COUNTER, over=obj.receiving_organization)
    )


@policy.rule("dossiers.withdraw")
def _withdraw(actor: Account, obj: Any) -> bool:
    if not isinstance(obj, Dossier):
        return False
    return _is_applicant(actor, obj.applicant) or _counter(actor, obj)


@policy.rule("dossiers.cancel")
def _cancel(actor: Account, obj: Any) -> bool:
    if not isinstance(obj, Dossier):
        return False
    officer = policy.officer_of(actor)
    return policy.has_role(officer, Role.HEAD, over=obj.receiving_organization) or (
        policy.has_role(officer, Role.HEAD, over=obj.competent_organization)
    )


@policy.rule("dossiers.view")
def _view(actor: Account, obj: Any) -> bool:
    if not isinstance(obj, Dossier):
        return False
    if _is_applicant(actor, obj.applicant):
        return True
    return dossiers_visible_to(actor).filter(pk=obj.pk).exists()


@policy.rule("dossiers.log.export")
def _log_export(actor: Account, obj: Any) -> bool:
    """The dossier log (Mẫu 06) of an organisation (`obj`): counter staff, officers and heads
    whose role reaches it."""
    if not isinstance(obj, Organization):
        return False
    officer = policy.officer_of(actor)
    return any(
        policy.has_role(officer, role, over=obj) for role in (Role.COUNTER, Role.OFFICER, Role.HEAD)
    )


@policy.rule("dossiers.board")
def _board(actor: Account, obj: Any) -> bool:
    """The live board of an organisation's dossiers: heads of that organisation."""
    officer = policy.officer_of(actor)
    if isinstance(obj, Organization):
        return policy.has_role(officer, Role.HEAD, over=obj)
    return policy.holds_role(officer, Role.HEAD)

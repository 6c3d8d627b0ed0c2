"""Who may pay (registered with egov.directory.policy by PaymentsConfig.ready).

- `payments.start` (`obj`: the dossier): the applicant's own account. Without an account the
  payment views let through whoever proved the dossier code plus the applicant's phone or ID
  number (egov.payments.access), and pass `second_factor_proven=True` to the service.
- `payments.receipt` (`obj`: the payment): the applicant's own account (the session proof as
  above is checked by the view).
"""

from __future__ import annotations

from typing import Any

from egov.directory import policy
from egov.directory.models import Account
from egov.dossiers.models import Dossier
from egov.payments.models import Payment


def _is_applicant(actor: Account, dossier: Dossier) -> bool:
    return dossier.applicant.account_id is not None and dossier.applicant.account_id == actor.pk


@policy.rule("payments.start")
def _start(actor: Account, obj: Any) -> bool:
    return isinstance(obj, Dossier) and _is_applicant(actor, obj)


@policy.rule("payments.receipt")
def _receipt(actor: Account, obj: Any) -> bool:
    return isinstance(obj, Payment) and _is_applicant(actor, obj.dossier)

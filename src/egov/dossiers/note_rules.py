"""Who may write notes between officers on a dossier (registered by DossiersConfig.ready).

- `dossiers.note.add` (`obj`: the dossier): staff who may see the dossier — an officer whose
  role reaches its receiving organisation, its competent organisation or one of its steps'
  units. Unlike `dossiers.view`, the applicant may not: notes are internal.
"""

from __future__ import annotations

from typing import Any

from egov.directory import policy
from egov.directory.models import Account
from egov.dossiers.models import Dossier
from egov.dossiers.selectors import dossiers_visible_to


@policy.rule("dossiers.note.add")
def _note_add(actor: Account, obj: Any) -> bool:
    if not isinstance(obj, Dossier) or policy.officer_of(actor) is None:
        return False
    return dossiers_visible_to(actor).filter(pk=obj.pk).exists()

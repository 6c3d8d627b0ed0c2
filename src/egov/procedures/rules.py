"""Who may change the catalogue of procedures (registered with egov.directory.policy).

- `procedures.manage` (`obj`: the procedure's competent organisation, or None): an IT
  administrator whose scope reaches that organisation, or a head (lãnh đạo) whose scope reaches
  it — the department that owns a procedure keeps its own record up to date. A procedure with
  no organisation in the tree (commune-level procedures shared by every commune, procedures of
  the police or of central agencies) can only be changed by an IT administrator of the whole
  tree: nobody below the province may speak for all of them.
- `procedures.field.manage` (`obj`: None): the list of fields is shared by the whole province,
  so only IT administrators of the whole tree change it.
- `procedures.import` (`obj`: None): a bulk import touches many organisations at once: IT
  administrators of the whole tree.

Active superusers pass every rule (policy's break-glass rule).
"""

from __future__ import annotations

from typing import Any

from egov.directory import policy
from egov.directory.models import Account, Organization, Role


@policy.rule("procedures.manage")
def _procedure_manage(actor: Account, obj: Any) -> bool:
    if not isinstance(obj, Organization):
        return policy.is_tree_admin(actor)
    officer = policy.officer_of(actor)
    return policy.has_role(officer, Role.IT_ADMIN, over=obj) or policy.has_role(
        officer, Role.HEAD, over=obj
    )


@policy.rule("procedures.field.manage")
def _field_manage(actor: Account, obj: Any) -> bool:
    return policy.is_tree_admin(actor)


@policy.rule("procedures.import")
def _import(actor: Account, obj: Any) -> bool:
    return policy.is_tree_admin(actor)

"""Who may read documents, download their files and keep or export the registers.

Reading is decided in one place, `selectors.visibility` (lists and search filter with
`documents_visible_to`, single documents ask `document_readable`); these rules expose the same
answer to `policy.can` so that screens, the API and other apps ask the registry as usual.
"""

from __future__ import annotations

from typing import Any

from egov.directory import policy
from egov.directory.models import Organization, Role
from egov.documents.models import Document, DocumentFile, Register
from egov.documents.selectors.visibility import document_readable


def _register_organization(obj: Any) -> Organization | None:
    if isinstance(obj, Register):
        return obj.organization
    if isinstance(obj, Organization):
        return obj
    return None


@policy.rule("document.read")
def _read(actor: Any, obj: Any) -> bool:
    """Read a document's page, metadata and extracted text (`obj`: the document)."""
    return isinstance(obj, Document) and document_readable(actor, obj)


@policy.rule("document.file_read")
def _file_read(actor: Any, obj: Any) -> bool:
    """Download a file of a document (`obj`: the DocumentFile or the document): whoever may
    read the document. Confidential downloads are audited by the view that serves them."""
    if isinstance(obj, DocumentFile):
        obj = obj.document
    return isinstance(obj, Document) and document_readable(actor, obj)


@policy.rule("document.register_manage")
def _register_manage(actor: Any, obj: Any) -> bool:
    """Create and change registers (`obj`: the register or its organisation): an IT admin whose
    scope reaches the organisation, or a clerk of the organisation."""
    organization = _register_organization(obj)
    officer = policy.officer_of(actor)
    return policy.has_role(officer, Role.IT_ADMIN, over=organization) or policy.has_role(
        officer, Role.CLERK, over=organization
    )


@policy.rule("document.register_export")
def _register_export(actor: Any, obj: Any) -> bool:
    """Print or export a register (`obj`: the register). An ordinary register: the clerks and
    heads of its organisation; a confidential one: only its keepers."""
    if not isinstance(obj, Register):
        return False
    officer = policy.officer_of(actor)
    if officer is None:
        return False
    if obj.is_confidential:
        return obj.keepers.filter(pk=officer.pk).exists()
    return policy.has_role(officer, Role.CLERK, over=obj.organization) or policy.has_role(
        officer, Role.HEAD, over=obj.organization
    )

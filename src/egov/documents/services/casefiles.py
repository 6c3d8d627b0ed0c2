"""Case files (hồ sơ công việc): the documents of one matter, closed and archived together.

Decree 30/2020 wants each organisation to keep a yearly case-file index and, per file, the
list of its documents; `case_file_index` and `case_file_documents` answer those two reports.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from egov.core.audit import audit_record
from egov.core.errors import Conflict, ValidationFailed
from egov.directory import policy
from egov.directory import selectors as directory
from egov.directory.models import Organization
from egov.documents.models import CaseFile, Document
from egov.documents.selectors.outgoing import CaseFileRow, case_file_documents, case_file_index
from egov.documents.services._common import event, now, require_officer

__all__ = [
    "CaseFileConflict",
    "CaseFileRow",
    "case_file_add_document",
    "case_file_archive",
    "case_file_close",
    "case_file_create",
    "case_file_documents",
    "case_file_index",
    "case_file_remove_document",
]


class CaseFileConflict(Conflict):
    code = "casefile.conflict"
    default_message = _("Someone else changed this case file in the meantime. Reload it.")


class CaseFileState(Conflict):
    code = "casefile.state"
    default_message = _("This action is not allowed in the case file's current state.")


def _locked(case_file: CaseFile, expected_version: int | None) -> CaseFile:
    fresh = CaseFile.objects.select_for_update().select_related("organization").get(pk=case_file.pk)
    expected = case_file.version if expected_version is None else expected_version
    if fresh.version != expected:
        raise CaseFileConflict(details={"expected": expected, "current": fresh.version})
    return fresh


def _bump(case_file: CaseFile, fields: list[str]) -> None:
    case_file.version += 1
    case_file.save(update_fields=[*fields, "version"])


def _audit(actor: Any, action: str, case_file: CaseFile, before: str, **after: Any) -> None:
    audit_record(
        actor=actor,
        action=action,
        obj=case_file,
        before={"state": before},
        after={"state": case_file.state, "version": case_file.version, **after},
    )


def _require_state(case_file: CaseFile, state: str) -> None:
    if case_file.state != state:
        raise CaseFileState(
            gettext("The case file is %(state)s: this action is not allowed now.")
            % {"state": CaseFile.State(case_file.state).label},
            details={"state": case_file.state},
        )


@transaction.atomic
def case_file_create(
    *,
    actor: Any,
    organization: Organization | None = None,
    code: str,
    title: str,
    year: int | None = None,
    retention: str = "",
    description: str = "",
    opened_on: date | None = None,
) -> CaseFile:
    """Open a case file of the officer's organisation (FileCode: OrganId.year.notation)."""
    officer = require_officer(actor)
    organization = organization or directory.officer_organization(officer)
    policy.require(actor, "casefile.manage", organization)
    code, title = code.strip(), title.strip()
    if not code:
        raise ValidationFailed(
            gettext("This field is required."), code="casefile.required", field="code"
        )
    if not title:
        raise ValidationFailed(
            gettext("This field is required."), code="casefile.required", field="title"
        )
    opened_on = opened_on or timezone.localdate()
    year = year or opened_on.year
    if CaseFile.objects.filter(organization=organization, year=year, code=code).exists():
        raise ValidationFailed(
            gettext("A case file with the code %(code)s already exists for %(year)s.")
            % {"code": code, "year": year},
            code="casefile.code_taken",
            field="code",
        )
    case_file = CaseFile.objects.create(
        organization=organization,
        code=code[:50],
        year=year,
        title=title[:500],
        retention=retention.strip()[:50],
        description=description.strip()[:500],
        owner=officer,
        opened_on=opened_on,
    )
    _audit(actor, "casefile.create", case_file, "", code=case_file.code, year=year)
    return case_file


@transaction.atomic
def case_file_add_document(
    *, actor: Any, case_file: CaseFile, document: Document, expected_version: int | None = None
) -> CaseFile:
    """Put a document of the organisation into an open case file (one file per document)."""
    require_officer(actor)
    fresh = _locked(case_file, expected_version)
    policy.require(actor, "casefile.manage", fresh)
    _require_state(fresh, CaseFile.State.OPEN)
    row = Document.objects.select_for_update().get(pk=document.pk)
    if row.organization_id != fresh.organization_id:
        raise ValidationFailed(
            gettext("Only documents of the same organisation go into its case files."),
            code="casefile.other_organization",
            field="document",
        )
    if row.case_file_id == fresh.pk:
        raise ValidationFailed(
            gettext("The document is already in this case file."),
            code="casefile.already_in",
            field="document",
        )
    row.case_file = fresh
    row.save(update_fields=["case_file", "updated_at"])
    _bump(fresh, [])
    event(row, action="case_file_add", actor=actor, at=now(), note=fresh.code)
    _audit(actor, "casefile.add_document", fresh, fresh.state, document=row.pk)
    document.case_file = fresh
    case_file.version = fresh.version
    return fresh


@transaction.atomic
def case_file_remove_document(
    *, actor: Any, case_file: CaseFile, document: Document, expected_version: int | None = None
) -> CaseFile:
    """Take a document out of an open case file."""
    require_officer(actor)
    fresh = _locked(case_file, expected_version)
    policy.require(actor, "casefile.manage", fresh)
    _require_state(fresh, CaseFile.State.OPEN)
    row = Document.objects.select_for_update().get(pk=document.pk)
    if row.case_file_id != fresh.pk:
        raise ValidationFailed(
            gettext("The document is not in this case file."),
            code="casefile.not_in",
            field="document",
        )
    row.case_file = None
    row.save(update_fields=["case_file", "updated_at"])
    _bump(fresh, [])
    event(row, action="case_file_remove", actor=actor, at=now(), note=fresh.code)
    _audit(actor, "casefile.remove_document", fresh, fresh.state, document=row.pk)
    document.case_file = None
    case_file.version = fresh.version
    return fresh


@transaction.atomic
def case_file_close(
    *, actor: Any, case_file: CaseFile, expected_version: int, closed_on: date | None = None
) -> CaseFile:
    """Close the file when the matter is finished (EndDate)."""
    require_officer(actor)
    fresh = _locked(case_file, expected_version)
    policy.require(actor, "casefile.manage", fresh)
    _require_state(fresh, CaseFile.State.OPEN)
    before = fresh.state
    fresh.state = CaseFile.State.CLOSED
    fresh.closed_on = closed_on or timezone.localdate()
    _bump(fresh, ["state", "closed_on"])
    _audit(actor, "casefile.close", fresh, before)
    case_file.state, case_file.version = fresh.state, fresh.version
    return fresh


@transaction.atomic
def case_file_archive(*, actor: Any, case_file: CaseFile, expected_version: int) -> CaseFile:
    """Hand a closed file over to the archive: nothing changes in it afterwards."""
    require_officer(actor)
    fresh = _locked(case_file, expected_version)
    policy.require(actor, "casefile.manage", fresh)
    _require_state(fresh, CaseFile.State.CLOSED)
    before = fresh.state
    fresh.state = CaseFile.State.ARCHIVED
    fresh.archived_at = now()
    _bump(fresh, ["state", "archived_at"])
    _audit(actor, "casefile.archive", fresh, before)
    case_file.state, case_file.version = fresh.state, fresh.version
    return fresh

"""Every write on the catalogue of procedures, one function per use case (STYLE.md §1).

Content always arrives as a procedure dict in the documented format (egov.procedures.format)
and is checked completely before anything is written. Editing never changes a version: it adds
the next one. `as_system=True` is for trusted operators' paths only (the `egov procedures`
command and the demo seed run by someone with shell access): it skips the policy check and
records the system as the actor.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext

from egov.core.audit import audit_record
from egov.core.errors import NotFound, ValidationFailed
from egov.core.models import SearchEntry, StoredFile
from egov.core.search import search_index
from egov.directory import policy
from egov.directory.models import Account, Organization
from egov.procedures import selectors
from egov.procedures.format import Problem, ProcedureSpec, parse_procedure
from egov.procedures.models import (
    Fee,
    Field,
    Procedure,
    ProcedureChannel,
    ProcedureStep,
    ProcedureVersion,
    RequiredDocument,
)

DEMO_DATA = Path(__file__).resolve().parent / "data" / "demo_procedures.json"

__all__ = [
    "ImportDocument",
    "ImportProblem",
    "ImportRefused",
    "ImportResult",
    "field_save",
    "procedure_create",
    "procedure_publish",
    "procedure_revise",
    "procedure_unpublish",
    "procedures_import",
    "procedures_seed_demo",
]


# --- shared ------------------------------------------------------------------------------------


def _require(actor: Account | None, action: str, obj: Any, *, as_system: bool) -> None:
    if not as_system:
        policy.require(actor, action, obj)


def _refuse(problems: list[Problem]) -> ValidationFailed:
    first = problems[0]
    return ValidationFailed(
        f"{first.path}: {first.message}" if first.path else first.message,
        code="procedures.invalid",
        field=first.path or None,
        details={"errors": [asdict(p) for p in problems]},
    )


def _lookups(items: list[Any]) -> tuple[dict[str, Organization], dict[str, StoredFile]]:
    """Organisations and stored files named anywhere in the procedure dicts: two queries."""
    org_codes: set[str] = set()
    file_ids: set[str] = set()
    for data in items:
        if not isinstance(data, Mapping):
            continue
        for key in ("competent_organization", "executing_organization"):
            value = data.get(key)
            if isinstance(value, Mapping) and isinstance(value.get("code"), str):
                org_codes.add(value["code"])
        for step in data.get("steps") or []:
            if isinstance(step, Mapping) and isinstance(step.get("unit"), str):
                org_codes.add(step["unit"])
        for doc in data.get("documents") or []:
            if isinstance(doc, Mapping) and doc.get("template_file"):
                file_ids.add(str(doc["template_file"]))
    files: dict[str, StoredFile] = {}
    if file_ids:
        valid = []
        for raw in file_ids:
            try:
                valid.append(str(StoredFile._meta.pk.to_python(raw)))
            except Exception:  # noqa: BLE001, S112 - a malformed id is simply "not found"
                continue
        files = {str(f.pk): f for f in StoredFile.objects.filter(pk__in=valid)}
    return selectors.organization_lookup(org_codes), files


def _parse_one(data: Mapping[str, Any]) -> ProcedureSpec:
    organizations, files = _lookups([data])
    field_codes = set(Field.objects.values_list("code", flat=True))
    spec, problems = parse_procedure(
        data, field_codes=field_codes, organizations=organizations, files=files
    )
    if spec is None:
        raise _refuse(problems)
    return spec


def _write_version(
    procedure: Procedure, spec: ProcedureSpec, fields: Mapping[str, Field], actor: Account | None
) -> ProcedureVersion:
    """Write the next version of `procedure` with all its rows and point the procedure to it."""
    last = procedure.latest_version.number if procedure.latest_version else 0
    version = ProcedureVersion(
        procedure=procedure,
        number=last + 1,
        effective_from=spec.effective_from,
        name=spec.name,
        field=fields[spec.field_code],
        level=spec.level,
        competent_organization=spec.competent,
        competent_text=spec.competent_text,
        executing_organization=spec.executing,
        executing_text=spec.executing_text,
        cases=spec.cases,
        sequence=spec.sequence,
        result=spec.result,
        legal_bases=spec.legal_bases,
        conditions=spec.conditions,
        subjects=spec.subjects,
        service_level=spec.service_level,
        legacy_level=spec.legacy_level,
        eform_schema=spec.eform_schema,
        publishing_decision=spec.publishing_decision,
        life_events=spec.life_events,
        anonymous_allowed=spec.anonymous_allowed,
        fee_stage=spec.fee_stage,
        note=spec.note,
        content_hash=spec.content_hash,
        created_by_id=getattr(actor, "pk", None),
    )
    version.save()
    ProcedureChannel.objects.bulk_create(
        ProcedureChannel(version=version, **asdict(c)) for c in spec.channels
    )
    RequiredDocument.objects.bulk_create(
        RequiredDocument(
            version=version,
            order=index,
            code=d.code,
            name=d.name,
            originals=d.originals,
            copies=d.copies,
            template=d.template,
            template_name=d.template_name,
            mandatory=d.mandatory,
            case=d.case,
        )
        for index, d in enumerate(spec.documents, start=1)
    )
    Fee.objects.bulk_create(
        Fee(
            version=version,
            order=index,
            kind=f.kind,
            name=f.name,
            channel=f.channel,
            amount=f.amount,
            rule=f.rule,
            legal_basis=f.legal_basis,
            note=f.note,
        )
        for index, f in enumerate(spec.fees, start=1)
    )
    ProcedureStep.objects.bulk_create(
        ProcedureStep(
            version=version,
            order=index,
            name=s.name,
            responsible_unit=s.unit,
            responsible_role=s.role,
            responsible_text=s.responsible,
            working_days=s.working_days,
            crosses_organization=s.crosses_organization,
        )
        for index, s in enumerate(spec.steps, start=1)
    )
    procedure.latest_version = version
    procedure.code_status = spec.code_status
    procedure.code_note = spec.code_note
    procedure.save(update_fields=["latest_version", "code_status", "code_note"])
    return version


def _publish(procedure: Procedure, version: ProcedureVersion) -> None:
    procedure.published_version = version
    procedure.published_at = timezone.now()
    procedure.save(update_fields=["published_version", "published_at"])


def _version_summary(version: ProcedureVersion) -> dict[str, Any]:
    return {
        "version": version.number,
        "name": version.name,
        "effective_from": version.effective_from,
        "content_hash": version.content_hash,
    }


def _locked(procedure: Procedure) -> Procedure:
    return (
        Procedure.objects.select_for_update(of=("self",))
        .select_related("latest_version")
        .get(pk=procedure.pk)
    )


# --- fields --------------------------------------------------------------------------------------


@transaction.atomic
def field_save(*, actor: Account | None, code: str, name: str, as_system: bool = False) -> Field:
    """Create a field of procedures, or rename the one with this code."""
    _require(actor, "procedures.field.manage", None, as_system=as_system)
    code, name = code.strip(), " ".join(name.split())
    if not code or not name or len(code) > 30 or len(name) > 255:
        raise ValidationFailed(
            gettext("A field needs a code of at most 30 characters and a name."),
            code="procedures.field_invalid",
            field="code" if not code or len(code) > 30 else "name",
        )
    found = Field.objects.select_for_update().filter(code=code).first()
    before = {"code": found.code, "name": found.name} if found else None
    if found is None:
        found = Field.objects.create(code=code, name=name)
    elif found.name != name:
        found.name = name
        found.save(update_fields=["name", "updated_at"])
    else:
        return found
    audit_record(
        actor=actor,
        action="procedures.field.save",
        obj=found,
        before=before,
        after={"code": code, "name": name},
    )
    return found


# --- procedures ----------------------------------------------------------------------------------


@transaction.atomic
def procedure_create(
    *, actor: Account | None, data: Mapping[str, Any], as_system: bool = False
) -> Procedure:
    """Add a procedure to the catalogue with its first version (published when `publish`)."""
    spec = _parse_one(data)
    _require(actor, "procedures.manage", spec.competent, as_system=as_system)
    if Procedure.objects.filter(code=spec.code).exists():
        raise ValidationFailed(
            gettext("A procedure with the code %(code)s already exists.") % {"code": spec.code},
            code="procedures.code_taken",
            field="code",
        )
    procedure = Procedure.objects.create(code=spec.code, code_status=spec.code_status)
    fields = {spec.field_code: Field.objects.get(code=spec.field_code)}
    version = _write_version(procedure, spec, fields, actor)
    if spec.publish:
        _publish(procedure, version)
    search_index(procedure)
    audit_record(
        actor=actor,
        action="procedures.procedure.create",
        obj=procedure,
        after={**_version_summary(version), "published": spec.publish},
    )
    return procedure


@transaction.atomic
def procedure_revise(
    *,
    actor: Account | None,
    procedure: Procedure,
    data: Mapping[str, Any],
    as_system: bool = False,
) -> ProcedureVersion:
    """Record a change of a procedure as its next version; earlier versions stay as they were.

    The new version is published at once only when `data["publish"]` is true; otherwise the
    public keeps seeing the version published before.
    """
    procedure = _locked(procedure)
    current = procedure.latest_version
    _require(
        actor,
        "procedures.manage",
        current.competent_organization if current else None,
        as_system=as_system,
    )
    spec = _parse_one(data)
    if spec.code != procedure.code:
        raise ValidationFailed(
            gettext("The code cannot change; create a new procedure instead."),
            code="procedures.code_mismatch",
            field="code",
        )
    _require(actor, "procedures.manage", spec.competent, as_system=as_system)
    if current is not None and current.content_hash == spec.content_hash:
        raise ValidationFailed(
            gettext("Nothing changed: the latest version already has this content."),
            code="procedures.unchanged",
        )
    fields = {spec.field_code: Field.objects.get(code=spec.field_code)}
    version = _write_version(procedure, spec, fields, actor)
    if spec.publish:
        _publish(procedure, version)
    search_index(procedure)
    audit_record(
        actor=actor,
        action="procedures.procedure.revise",
        obj=procedure,
        before=_version_summary(current) if current else None,
        after=_version_summary(version),
    )
    return version


@transaction.atomic
def procedure_publish(
    *,
    actor: Account | None,
    procedure: Procedure,
    version: ProcedureVersion | None = None,
    as_system: bool = False,
) -> Procedure:
    """Make `version` (default: the latest) the one the public sees."""
    procedure = _locked(procedure)
    version = version or procedure.latest_version
    if version is None or version.procedure_id != procedure.pk:
        raise NotFound(
            gettext("This version does not belong to the procedure."),
            code="procedures.version_not_found",
        )
    _require(actor, "procedures.manage", version.competent_organization, as_system=as_system)
    before = {"published_version": procedure.published_version_id}
    _publish(procedure, version)
    search_index(procedure)
    audit_record(
        actor=actor,
        action="procedures.procedure.publish",
        obj=procedure,
        before=before,
        after={"published_version": version.pk, "version": version.number},
    )
    return procedure


@transaction.atomic
def procedure_unpublish(
    *, actor: Account | None, procedure: Procedure, as_system: bool = False
) -> Procedure:
    """Take a procedure off the public catalogue (its versions stay for the dossiers)."""
    procedure = _locked(procedure)
    current = procedure.latest_version
    _require(
        actor,
        "procedures.manage",
        current.competent_organization if current else None,
        as_system=as_system,
    )
    if procedure.published_version_id is None:
        return procedure
    before = {"published_version": procedure.published_version_id}
    procedure.published_version = None
    procedure.published_at = None
    procedure.save(update_fields=["published_version", "published_at"])
    search_index(procedure)
    audit_record(
        actor=actor,
        action="procedures.procedure.unpublish",
        obj=procedure,
        before=before,
        after={"published_version": None},
    )
    return procedure


# --- import --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ImportProblem:
    """One bad cell or row of an import: where it is and why, in the user's language."""

    sheet: str
    row: int
    column: str
    message: str

    def __str__(self) -> str:
        return gettext("Sheet %(sheet)s, row %(row)d, column %(column)s: %(reason)s") % {
            "sheet": self.sheet,
            "row": self.row,
            "column": self.column or "-",
            "reason": self.message,
        }


class ImportRefused(ValidationFailed):
    """Some rows are bad: nothing was written. `problems` lists every one of them."""

    code = "procedures.import_refused"

    def __init__(self, problems: list[ImportProblem]) -> None:
        self.problems = problems
        super().__init__(
            gettext("The import was refused: %(n)d problems; nothing was changed.")
            % {"n": len(problems)},
            details={"problems": [asdict(p) for p in problems]},
        )


# (part, index in its list, path inside the item) -> (sheet, row, column)
Locator = Callable[[str, int, str], tuple[str, int, str]]


def json_locator(part: str, index: int, path: str) -> tuple[str, int, str]:
    """Where a problem sits in the JSON format: the list, the item's number, the key path."""
    return part, index + 1, path


@dataclass
class ImportDocument:
    """What an import file holds, whatever its format, and how to point back into the file."""

    fields: list[Any]
    procedures: list[Any]
    locate: Locator = json_locator


@dataclass
class ImportResult:
    created: list[str] = field(default_factory=list)
    revised: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    published: list[str] = field(default_factory=list)


def import_document_from_json(payload: Any) -> ImportDocument:
    """Read the JSON format's top level; a wrong shape is one problem at row 0."""
    if not isinstance(payload, Mapping):
        raise ImportRefused([ImportProblem("json", 0, "", gettext("Expected a JSON object."))])
    fmt = payload.get("format")
    fields, procedures = payload.get("fields", []), payload.get("procedures", [])
    if (
        fmt != "egov.procedures/1"
        or not isinstance(fields, list)
        or not isinstance(procedures, list)
    ):
        raise ImportRefused(
            [
                ImportProblem(
                    "json",
                    0,
                    "format",
                    gettext(
                        'Expected "format": "egov.procedures/1" with the lists "fields" and '
                        '"procedures".'
                    ),
                )
            ]
        )
    return ImportDocument(fields=fields, procedures=procedures)


def _check_fields(document: ImportDocument, problems: list[ImportProblem]) -> dict[str, str]:
    named: dict[str, str] = {}
    for index, item in enumerate(document.fields):
        code = item.get("code") if isinstance(item, Mapping) else None
        name = item.get("name") if isinstance(item, Mapping) else None
        if not isinstance(code, str) or not code.strip() or len(code.strip()) > 30:
            problems.append(
                ImportProblem(
                    *document.locate("fields", index, "code"),
                    gettext("A field needs a code of at most 30 characters."),
                )
            )
            continue
        if not isinstance(name, str) or not name.strip() or len(name) > 255:
            problems.append(
                ImportProblem(
                    *document.locate("fields", index, "name"), gettext("A field needs a name.")
                )
            )
            continue
        if code.strip() in named:
            problems.append(
                ImportProblem(
                    *document.locate("fields", index, "code"),
                    gettext("The field %(code)s is listed twice.") % {"code": code},
                )
            )
        named[code.strip()] = " ".join(name.split())
    return named


def _check_procedures(
    document: ImportDocument, field_codes: set[str], problems: list[ImportProblem]
) -> list[ProcedureSpec]:
    organizations, files = _lookups(document.procedures)
    specs: list[ProcedureSpec] = []
    first_row: dict[str, int] = {}
    for index, data in enumerate(document.procedures):
        spec, found = parse_procedure(
            data, field_codes=field_codes, organizations=organizations, files=files
        )
        problems.extend(
            ImportProblem(*document.locate("procedures", index, p.path), p.message) for p in found
        )
        if spec is None:
            continue
        if spec.code in first_row:
            problems.append(
                ImportProblem(
                    *document.locate("procedures", index, "code"),
                    gettext("The code %(code)s appears twice in the file.") % {"code": spec.code},
                )
            )
        first_row.setdefault(spec.code, index)
        specs.append(spec)
    return specs


def procedures_import(
    *, actor: Account | None, document: ImportDocument, as_system: bool = False
) -> ImportResult:
    """Check the whole file first, then write it in one transaction, or write nothing.

    A procedure whose content equals its latest version is left alone (re-running an import
    is harmless); a changed one gets a new version; `publish: true` publishes what was written.
    Raises ImportRefused listing every bad row.
    """
    _require(actor, "procedures.import", None, as_system=as_system)
    problems: list[ImportProblem] = []
    named_fields = _check_fields(document, problems)
    field_codes = set(Field.objects.values_list("code", flat=True)) | set(named_fields)
    specs = _check_procedures(document, field_codes, problems)
    if problems:
        raise ImportRefused(problems)
    with transaction.atomic():
        result = _write_import(actor, named_fields, specs)
        if len(result.created) + len(result.revised) >= ANALYZE_AFTER_IMPORT:
            transaction.on_commit(_refresh_statistics)
        return result


# A bulk import changes the catalogue's tables enough that PostgreSQL's statistics mislead the
# search's planner until autovacuum catches up (measured: 30x slower); refresh them at once.
ANALYZE_AFTER_IMPORT = 100


def _refresh_statistics() -> None:
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for model in (Procedure, ProcedureVersion, SearchEntry):
            cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")


def _write_import(
    actor: Account | None, named_fields: dict[str, str], specs: list[ProcedureSpec]
) -> ImportResult:
    result = ImportResult()
    audits: list[dict[str, Any]] = []
    existing_fields = {f.code: f for f in Field.objects.select_for_update()}
    for code, name in named_fields.items():
        found = existing_fields.get(code)
        if found is None:
            existing_fields[code] = Field.objects.create(code=code, name=name)
        elif found.name != name:
            found.name = name
            found.save(update_fields=["name", "updated_at"])
    existing = {
        p.code: p
        for p in Procedure.objects.select_for_update(of=("self",))
        .select_related("latest_version")
        .filter(code__in=[s.code for s in specs])
    }
    touched: dict[int, Procedure] = {}  # to re-index: written or newly published
    for spec in specs:
        procedure = existing.get(spec.code)
        latest = procedure.latest_version if procedure else None
        if (
            procedure is not None
            and latest is not None
            and latest.content_hash == spec.content_hash
        ):
            result.unchanged.append(spec.code)
            version = latest
        else:
            if procedure is None:
                procedure = Procedure.objects.create(code=spec.code, code_status=spec.code_status)
                result.created.append(spec.code)
            else:
                result.revised.append(spec.code)
            version = _write_version(procedure, spec, existing_fields, actor)
            touched[procedure.pk] = procedure
            audits.append(
                {
                    "action": "procedures.procedure.import",
                    "obj": procedure,
                    "before": _version_summary(latest) if latest else None,
                    "after": _version_summary(version),
                }
            )
        if spec.publish and procedure.published_version_id != version.pk:
            _publish(procedure, version)
            touched[procedure.pk] = procedure
            result.published.append(spec.code)
            audits.append(
                {
                    "action": "procedures.procedure.publish",
                    "obj": procedure,
                    "before": None,
                    "after": {"published_version": version.pk, "version": version.number},
                }
            )
    for procedure in touched.values():
        search_index(procedure)
    for entry in audits:  # the audit chain's lock is taken last (egov.core.audit)
        audit_record(actor=actor, **entry)
    return result


def procedures_seed_demo() -> ImportResult:
    """Load the demo catalogue (data/demo_procedures.json); running it again changes nothing.

    Needs the demo province (egov.directory.demo.demo_seed) first: the procedures name its
    departments and units by code.
    """
    payload = json.loads(DEMO_DATA.read_text(encoding="utf-8"))
    return procedures_import(
        actor=None, document=import_document_from_json(payload), as_system=True
    )

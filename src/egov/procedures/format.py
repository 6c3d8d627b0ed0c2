"""The documented exchange format of procedures (docs/procedures-format.md).

One procedure is a plain dict; `parse_procedure` checks it completely and returns either a
`ProcedureSpec` (what the services write) or every problem found, each with its path inside
the dict (`documents[2].copies`). Services, the JSON and the xlsx import and the demo data all
go through this one function, so a rule (such as "the internal process must fit the legal
time") cannot be checked in one path and forgotten in another.

Nothing here writes to the database; look-ups of fields, organisations and files are given by
the caller (one query each for a whole import).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext

from egov.core.models import StoredFile
from egov.directory.models import Organization, Role
from egov.procedures.eforms import eform_schema_problems
from egov.procedures.feerules import MAX_AMOUNT, fee_rule_problems
from egov.procedures.models import (
    CODE_REGEX,
    LIFE_EVENTS,
    Channel,
    Fee,
    FeeStage,
    Level,
    Procedure,
    ServiceLevel,
    TimeUnit,
)

FORMAT_ID = "egov.procedures/1"
_CODE = re.compile(CODE_REGEX)
_FIELD_CODE = re.compile(r"^[0-9A-Za-z][0-9A-Za-z._\-]{0,29}$")
_DOC_CODE = re.compile(r"^[0-9A-Za-z._\-]{1,30}$")
HOURS_PER_DAY = Decimal(8)


@dataclass(frozen=True)
class Problem:
    """One reason why the input is refused, at a path inside one procedure's dict."""

    path: str
    message: str


@dataclass
class ChannelSpec:
    channel: str
    time_value: Decimal
    time_unit: str
    fee_note: str = ""
    description: str = ""


@dataclass
class DocumentSpec:
    code: str
    name: str
    originals: int
    copies: int
    mandatory: bool
    case: str
    template_name: str
    template: StoredFile | None


@dataclass
class FeeSpec:
    kind: str
    name: str
    channel: str
    amount: int | None
    rule: dict[str, Any] | None
    legal_basis: str
    note: str


@dataclass
class StepSpec:
    name: str
    unit: Organization | None
    role: str
    responsible: str
    working_days: Decimal
    crosses_organization: bool


@dataclass
class ProcedureSpec:
    """A fully checked procedure, ready to be written as a new version."""

    code: str
    code_status: str
    code_note: str
    name: str
    field_code: str
    level: str
    effective_from: date
    competent: Organization | None
    competent_text: str
    executing: Organization | None
    executing_text: str
    cases: list[dict[str, str]]
    sequence: list[str]
    result: str
    legal_bases: list[str]
    conditions: str
    subjects: list[str]
    service_level: str
    legacy_level: int | None
    eform_schema: dict[str, Any]
    publishing_decision: str
    publish: bool
    note: str
    life_events: list[str] = field(default_factory=list)
    anonymous_allowed: bool = False
    fee_stage: str = FeeStage.BEFORE.value
    channels: list[ChannelSpec] = field(default_factory=list)
    documents: list[DocumentSpec] = field(default_factory=list)
    fees: list[FeeSpec] = field(default_factory=list)
    steps: list[StepSpec] = field(default_factory=list)
    content_hash: str = ""


def working_day_equivalent(value: Decimal, unit: str) -> Decimal:
    """The most working days a legal time may hold, to compare with the internal process.

    Working days count as they are; calendar days are an upper bound of the working days they
    contain (so the check is never stricter than the law); hours count 8 to a working day;
    "within the day" is one working day.
    """
    if unit == TimeUnit.HOURS:
        return value / HOURS_PER_DAY
    if unit == TimeUnit.WITHIN_DAY:
        return Decimal(1)
    return value


def _org_code(org: Organization | None) -> str | None:
    return org.code if org is not None else None


def spec_to_dict(spec: ProcedureSpec) -> dict[str, Any]:
    """The normalised procedure dict of a checked spec (what an export writes back)."""
    return {
        "code": spec.code,
        "code_status": spec.code_status,
        "code_note": spec.code_note,
        "name": spec.name,
        "field": spec.field_code,
        "level": spec.level,
        "effective_from": spec.effective_from.isoformat(),
        "competent_organization": {"code": _org_code(spec.competent), "name": spec.competent_text},
        "executing_organization": {"code": _org_code(spec.executing), "name": spec.executing_text},
        "channels": [
            {
                "channel": c.channel,
                "time": _number(c.time_value),
                "unit": c.time_unit,
                "fee_note": c.fee_note,
                "description": c.description,
            }
            for c in sorted(spec.channels, key=lambda c: c.channel)
        ],
        "cases": spec.cases,
        "sequence": spec.sequence,
        "documents": [
            {
                "code": d.code,
                "name": d.name,
                "originals": d.originals,
                "copies": d.copies,
                "template": d.template_name,
                "template_file": str(d.template.pk) if d.template else "",
                "mandatory": d.mandatory,
                "case": d.case,
            }
            for d in spec.documents
        ],
        "fees": [
            {
                "kind": f.kind,
                "name": f.name,
                "channel": f.channel,
                **({"amount": f.amount} if f.rule is None else {"rule": f.rule}),
                "legal_basis": f.legal_basis,
                "note": f.note,
            }
            for f in spec.fees
        ],
        "result": spec.result,
        "legal_bases": spec.legal_bases,
        "conditions": spec.conditions,
        "subjects": spec.subjects,
        "service_level": spec.service_level,
        "legacy_level": spec.legacy_level,
        "eform_schema": spec.eform_schema,
        "publishing_decision": spec.publishing_decision,
        "life_events": spec.life_events,
        "anonymous_allowed": spec.anonymous_allowed,
        "fee_stage": spec.fee_stage,
        "publish": spec.publish,
        "steps": [
            {
                "name": s.name,
                "unit": _org_code(s.unit),
                "role": s.role,
                "responsible": s.responsible,
                "days": _number(s.working_days),
                "crosses_organization": s.crosses_organization,
            }
            for s in spec.steps
        ],
        "note": spec.note,
    }


def _number(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


# Keys added after the format's first release, with the value that means "not said": left out
# of the hash at that value, so the content of a file written before they existed keeps its
# hash and re-importing it does not create a new version of every procedure.
_LATER_KEYS_DEFAULT: dict[str, Any] = {
    "life_events": [],
    "anonymous_allowed": False,
    "fee_stage": FeeStage.BEFORE.value,
}


def content_hash(spec: ProcedureSpec) -> str:
    """SHA-256 of the canonical JSON of the normalised content, without the publish switch.

    The same content gives the same hash whatever the file it came from (JSON, xlsx, an
    export), so re-running an import or the demo seed does not create a new version.
    """
    body = {
        k: v
        for k, v in spec_to_dict(spec).items()
        if k != "publish" and not (k in _LATER_KEYS_DEFAULT and v == _LATER_KEYS_DEFAULT[k])
    }
    canonical = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def version_to_dict(version: Any, *, published: bool) -> dict[str, Any]:
    """A written version in the exchange format (load it with `version_details` first)."""
    procedure = version.procedure
    return {
        "code": procedure.code,
        "code_status": procedure.code_status,
        "code_note": procedure.code_note,
        "name": version.name,
        "field": version.field.code,
        "level": version.level,
        "effective_from": version.effective_from.isoformat(),
        "competent_organization": {
            "code": _org_code(version.competent_organization),
            "name": version.competent_text,
        },
        "executing_organization": {
            "code": _org_code(version.executing_organization),
            "name": version.executing_text,
        },
        "channels": [
            {
                "channel": c.channel,
                "time": _number(c.time_value),
                "unit": c.time_unit,
                "fee_note": c.fee_note,
                "description": c.description,
            }
            for c in sorted(version.channels.all(), key=lambda c: c.channel)
        ],
        "cases": version.cases,
        "sequence": version.sequence,
        "documents": [
            {
                "code": d.code,
                "name": d.name,
                "originals": d.originals,
                "copies": d.copies,
                "template": d.template_name,
                "template_file": str(d.template_id) if d.template_id else "",
                "mandatory": d.mandatory,
                "case": d.case,
            }
            for d in version.documents.all()
        ],
        "fees": [
            {
                "kind": f.kind,
                "name": f.name,
                "channel": f.channel,
                **({"amount": f.amount} if f.rule is None else {"rule": f.rule}),
                "legal_basis": f.legal_basis,
                "note": f.note,
            }
            for f in version.fees.all()
        ],
        "result": version.result,
        "legal_bases": version.legal_bases,
        "conditions": version.conditions,
        "subjects": version.subjects,
        "service_level": version.service_level,
        "legacy_level": version.legacy_level,
        "eform_schema": version.eform_schema,
        "publishing_decision": version.publishing_decision,
        "life_events": list(version.life_events),
        "anonymous_allowed": version.anonymous_allowed,
        "fee_stage": version.fee_stage,
        "publish": published,
        "steps": [
            {
                "name": s.name,
                "unit": _org_code(s.responsible_unit),
                "role": s.responsible_role,
                "responsible": s.responsible_text,
                "days": _number(s.working_days),
                "crosses_organization": s.crosses_organization,
            }
            for s in version.steps.all()
        ],
        "note": version.note,
    }


class _Reader:
    """Reads typed values out of one procedure dict, collecting problems instead of raising."""

    def __init__(self, data: Mapping[str, Any]) -> None:
        self.data = data
        self.problems: list[Problem] = []

    def fail(self, path: str, message: str) -> None:
        self.problems.append(Problem(path, message))

    def text(
        self, obj: Mapping[str, Any], key: str, path: str, *, required: bool, max_length: int
    ) -> str:
        value = obj.get(key)
        if value is None or value == "":
            if required:
                self.fail(path, gettext("This value is required."))
            return ""
        if not isinstance(value, str):
            self.fail(path, gettext("Expected text."))
            return ""
        value = " ".join(value.split()) if "\n" not in value else value.strip()
        if len(value) > max_length:
            self.fail(path, gettext("At most %(n)d characters.") % {"n": max_length})
        return value

    def choice(
        self, obj: Mapping[str, Any], key: str, path: str, choices: list[str], *, default: str = ""
    ) -> str:
        value = obj.get(key, default)
        if value in (None, "") and default == "":
            value = ""
        if value not in choices:
            self.fail(
                path,
                gettext("%(value)s is not one of %(choices)s.")
                % {"value": value, "choices": ", ".join(c for c in choices if c)},
            )
            return choices[0]
        return str(value)

    def integer(
        self, obj: Mapping[str, Any], key: str, path: str, *, default: int, low: int, high: int
    ) -> int:
        value = obj.get(key, default)
        if value is None or value == "":
            value = default
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, str) and value.strip().isdigit():
            value = int(value.strip())
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            self.fail(
                path,
                gettext("Expected a whole number from %(low)d to %(high)d.")
                % {"low": low, "high": high},
            )
            return default
        return value

    def decimal(self, obj: Mapping[str, Any], key: str, path: str, *, high: int) -> Decimal:
        value = obj.get(key)
        try:
            if isinstance(value, bool) or value is None or value == "":
                raise InvalidOperation
            number = Decimal(str(value).strip().replace(",", "."))
        except InvalidOperation:
            self.fail(path, gettext("Expected a number."))
            return Decimal(0)
        if not number.is_finite() or not 0 <= number <= high:
            self.fail(path, gettext("Expected a number from 0 to %(high)d.") % {"high": high})
            return Decimal(0)
        rounded = number.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
        if rounded != number:
            self.fail(path, gettext("At most one decimal place."))
        return rounded

    def boolean(self, obj: Mapping[str, Any], key: str, path: str, *, default: bool) -> bool:
        value = obj.get(key, default)
        if value is None or value == "":
            return default
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in {
            "true",
            "có",
            "co",
            "x",
            "1",
            "yes",
        }:
            return True
        if isinstance(value, str) and value.strip().lower() in {
            "false",
            "không",
            "khong",
            "0",
            "no",
        }:
            return False
        if isinstance(value, int) and value in (0, 1):
            return bool(value)
        self.fail(path, gettext("Expected true or false."))
        return default

    def texts(self, obj: Mapping[str, Any], key: str, path: str, *, max_length: int) -> list[str]:
        value = obj.get(key, [])
        if value is None:
            return []
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.fail(path, gettext("Expected a list of texts."))
            return []
        out = [v.strip() for v in value if v.strip()]
        for index, item in enumerate(out):
            if len(item) > max_length:
                self.fail(
                    f"{path}[{index}]", gettext("At most %(n)d characters.") % {"n": max_length}
                )
        return out

    def items(self, obj: Mapping[str, Any], key: str, path: str) -> list[Mapping[str, Any]]:
        value = obj.get(key, [])
        if value is None:
            return []
        if not isinstance(value, list) or not all(isinstance(v, Mapping) for v in value):
            self.fail(path, gettext("Expected a list of objects."))
            return []
        return value


def parse_procedure(
    data: Any,
    *,
    field_codes: set[str],
    organizations: Mapping[str, Organization],
    files: Mapping[str, StoredFile],
) -> tuple[ProcedureSpec | None, list[Problem]]:
    """Check one procedure dict completely; return its spec, or None and every problem."""
    if not isinstance(data, Mapping):
        return None, [Problem("", gettext("A procedure must be an object."))]
    r = _Reader(data)
    code = r.text(data, "code", "code", required=True, max_length=30)
    if code and not _CODE.match(code):
        r.fail("code", gettext("A procedure code has 3 to 30 letters, digits, dots or dashes."))
    code_status = r.choice(
        data, "code_status", "code_status", list(Procedure.CodeStatus.values), default="confirmed"
    )
    field_code = r.text(data, "field", "field", required=True, max_length=30)
    if field_code and field_code not in field_codes:
        r.fail("field", gettext("Unknown field %(code)s.") % {"code": field_code})
    effective_raw = data.get("effective_from")
    effective_from = date(1970, 1, 1)
    try:
        if isinstance(effective_raw, date):
            effective_from = effective_raw
        else:
            effective_from = date.fromisoformat(str(effective_raw))
    except ValueError:
        r.fail("effective_from", gettext("Expected a date written as YYYY-MM-DD."))

    def organization(key: str) -> tuple[Organization | None, str]:
        value = data.get(key)
        if not isinstance(value, Mapping):
            r.fail(key, gettext("Expected an object with the organisation's code and name."))
            return None, ""
        name = r.text(value, "name", f"{key}.name", required=True, max_length=500)
        org_code = value.get("code") or ""
        if not isinstance(org_code, str):
            r.fail(f"{key}.code", gettext("Expected text."))
            return None, name
        if org_code and org_code not in organizations:
            r.fail(
                f"{key}.code",
                gettext("No organisation has the code %(code)s.") % {"code": org_code},
            )
        return organizations.get(org_code) if org_code else None, name

    competent, competent_text = organization("competent_organization")
    executing, executing_text = organization("executing_organization")

    cases: list[dict[str, str]] = []
    for index, case in enumerate(r.items(data, "cases", "cases")):
        case_code = r.text(case, "code", f"cases[{index}].code", required=True, max_length=30)
        case_name = r.text(case, "name", f"cases[{index}].name", required=True, max_length=500)
        cases.append({"code": case_code, "name": case_name})
    case_codes = {c["code"] for c in cases}
    if len(case_codes) != len(cases):
        r.fail("cases", gettext("Two cases have the same code."))

    legacy_raw = data.get("legacy_level")
    legacy_level = (
        None
        if legacy_raw in (None, "")
        else r.integer(data, "legacy_level", "legacy_level", default=1, low=1, high=4)
    )
    eform_schema = data.get("eform_schema") or {}
    for message in eform_schema_problems(eform_schema):
        r.fail("eform_schema", message)

    spec = ProcedureSpec(
        code=code,
        code_status=code_status,
        code_note=r.text(data, "code_note", "code_note", required=False, max_length=500),
        name=r.text(data, "name", "name", required=True, max_length=500),
        field_code=field_code,
        level=r.choice(data, "level", "level", list(Level.values)),
        effective_from=effective_from,
        competent=competent,
        competent_text=competent_text,
        executing=executing,
        executing_text=executing_text,
        cases=cases,
        sequence=r.texts(data, "sequence", "sequence", max_length=4000),
        result=r.text(data, "result", "result", required=True, max_length=1000),
        legal_bases=r.texts(data, "legal_bases", "legal_bases", max_length=1000),
        conditions=r.text(data, "conditions", "conditions", required=False, max_length=20000),
        subjects=r.texts(data, "subjects", "subjects", max_length=300),
        service_level=r.choice(data, "service_level", "service_level", list(ServiceLevel.values)),
        legacy_level=legacy_level,
        eform_schema=dict(eform_schema) if isinstance(eform_schema, Mapping) else {},
        publishing_decision=r.text(
            data, "publishing_decision", "publishing_decision", required=False, max_length=300
        ),
        publish=r.boolean(data, "publish", "publish", default=False),
        note=r.text(data, "note", "note", required=False, max_length=5000),
        life_events=_parse_life_events(r, data),
        anonymous_allowed=r.boolean(data, "anonymous_allowed", "anonymous_allowed", default=False),
        fee_stage=r.choice(
            {"fee_stage": data.get("fee_stage") or FeeStage.BEFORE.value},
            "fee_stage",
            "fee_stage",
            list(FeeStage.values),
        ),
    )
    _parse_channels(r, data, spec)
    _parse_documents(r, data, spec, case_codes, files)
    _parse_fees(r, data, spec)
    _parse_steps(r, data, spec, organizations)
    if spec.service_level == ServiceLevel.FULL_ONLINE and not any(
        c.channel == Channel.ONLINE for c in spec.channels
    ):
        r.fail("service_level", gettext("A full online service must have the online channel."))
    if spec.anonymous_allowed and spec.service_level == ServiceLevel.NONE:
        r.fail(
            "anonymous_allowed",
            gettext("Only an online public service can take dossiers without an account."),
        )
    _check_process_fits(r, spec)
    if r.problems:
        return None, r.problems
    spec.content_hash = content_hash(spec)
    return spec, []


def _parse_life_events(r: _Reader, data: Mapping[str, Any]) -> list[str]:
    """Keys of LIFE_EVENTS, in the given order, each once; a list or a comma-separated text."""
    value = data.get("life_events", [])
    if isinstance(value, str):
        value = [part for line in value.splitlines() for part in line.split(",")]
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        r.fail("life_events", gettext("Expected a list of texts."))
        return []
    out: list[str] = []
    for index, raw in enumerate(value):
        key = raw.strip()
        if not key:
            continue
        if key not in LIFE_EVENTS:
            r.fail(
                f"life_events[{index}]",
                gettext("%(value)s is not one of %(choices)s.")
                % {"value": key, "choices": ", ".join(LIFE_EVENTS)},
            )
        elif key not in out:
            out.append(key)
    return out


def _parse_channels(r: _Reader, data: Mapping[str, Any], spec: ProcedureSpec) -> None:
    seen: set[str] = set()
    rows = r.items(data, "channels", "channels")
    if not rows and "channels" not in {p.path for p in r.problems}:
        r.fail("channels", gettext("Give at least one channel (counter, online or post)."))
    for index, row in enumerate(rows):
        path = f"channels[{index}]"
        channel = r.choice(row, "channel", f"{path}.channel", list(Channel.values))
        if channel in seen:
            r.fail(
                f"{path}.channel", gettext("The channel %(c)s is listed twice.") % {"c": channel}
            )
        seen.add(channel)
        unit = r.choice(row, "unit", f"{path}.unit", list(TimeUnit.values))
        value = (
            Decimal(0)
            if unit == TimeUnit.WITHIN_DAY and row.get("time") in (None, "")
            else r.decimal(row, "time", f"{path}.time", high=3650)
        )
        spec.channels.append(
            ChannelSpec(
                channel=channel,
                time_value=value,
                time_unit=unit,
                fee_note=r.text(
                    row, "fee_note", f"{path}.fee_note", required=False, max_length=1000
                ),
                description=r.text(
                    row, "description", f"{path}.description", required=False, max_length=1000
                ),
            )
        )


def _parse_documents(
    r: _Reader,
    data: Mapping[str, Any],
    spec: ProcedureSpec,
    case_codes: set[str],
    files: Mapping[str, StoredFile],
) -> None:
    seen: set[str] = set()
    for index, row in enumerate(r.items(data, "documents", "documents")):
        path = f"documents[{index}]"
        code = r.text(row, "code", f"{path}.code", required=True, max_length=30)
        if code and not _DOC_CODE.match(code):
            r.fail(f"{path}.code", gettext("Letters, digits, dots, dashes or underscores only."))
        if code in seen:
            r.fail(
                f"{path}.code",
                gettext("The document code %(code)s is used twice.") % {"code": code},
            )
        seen.add(code)
        originals = r.integer(row, "originals", f"{path}.originals", default=0, low=0, high=99)
        copies = r.integer(row, "copies", f"{path}.copies", default=0, low=0, high=99)
        if originals == 0 and copies == 0:
            r.fail(f"{path}.originals", gettext("Give the number of originals or of copies."))
        case = r.text(row, "case", f"{path}.case", required=False, max_length=30)
        if case and case not in case_codes:
            r.fail(f"{path}.case", gettext("Unknown case %(code)s.") % {"code": case})
        template_id = row.get("template_file") or ""
        template = files.get(str(template_id)) if template_id else None
        if template_id and template is None:
            r.fail(f"{path}.template_file", gettext("No stored file has this id."))
        spec.documents.append(
            DocumentSpec(
                code=code,
                name=r.text(row, "name", f"{path}.name", required=True, max_length=1000),
                originals=originals,
                copies=copies,
                mandatory=r.boolean(row, "mandatory", f"{path}.mandatory", default=True),
                case=case,
                template_name=r.text(
                    row, "template", f"{path}.template", required=False, max_length=300
                ),
                template=template,
            )
        )


def _parse_fees(r: _Reader, data: Mapping[str, Any], spec: ProcedureSpec) -> None:
    for index, row in enumerate(r.items(data, "fees", "fees")):
        path = f"fees[{index}]"
        amount_raw = row.get("amount")
        rule = row.get("rule")
        amount: int | None = None
        if (amount_raw in (None, "")) == (rule in (None, "", {})):
            r.fail(f"{path}.amount", gettext("Give either a fixed amount or a rule, not both."))
        elif rule in (None, "", {}):
            amount = r.integer(row, "amount", f"{path}.amount", default=0, low=0, high=MAX_AMOUNT)
        else:
            if isinstance(rule, str):
                try:
                    rule = json.loads(rule)
                except ValueError:
                    rule = None
            for message in fee_rule_problems(rule):
                r.fail(f"{path}.rule", message)
        spec.fees.append(
            FeeSpec(
                kind=r.choice(row, "kind", f"{path}.kind", list(Fee.Kind.values)),
                name=r.text(row, "name", f"{path}.name", required=True, max_length=500),
                channel=r.choice(row, "channel", f"{path}.channel", ["", *Channel.values]),
                amount=amount,
                rule=dict(rule) if isinstance(rule, Mapping) else None,
                legal_basis=r.text(
                    row, "legal_basis", f"{path}.legal_basis", required=False, max_length=500
                ),
                note=r.text(row, "note", f"{path}.note", required=False, max_length=1000),
            )
        )


def _parse_steps(
    r: _Reader,
    data: Mapping[str, Any],
    spec: ProcedureSpec,
    organizations: Mapping[str, Organization],
) -> None:
    for index, row in enumerate(r.items(data, "steps", "steps")):
        path = f"steps[{index}]"
        unit_code = row.get("unit") or ""
        unit = None
        if unit_code:
            unit = organizations.get(str(unit_code))
            if unit is None:
                r.fail(
                    f"{path}.unit",
                    gettext("No organisation has the code %(code)s.") % {"code": unit_code},
                )
        role = r.choice(row, "role", f"{path}.role", ["", *Role.values])
        if not unit_code and not role:
            r.fail(f"{path}.unit", gettext("Give the responsible unit or a role."))
        spec.steps.append(
            StepSpec(
                name=r.text(row, "name", f"{path}.name", required=True, max_length=500),
                unit=unit,
                role=role,
                responsible=r.text(
                    row, "responsible", f"{path}.responsible", required=False, max_length=300
                ),
                working_days=r.decimal(row, "days", f"{path}.days", high=3650),
                crosses_organization=r.boolean(
                    row, "crosses_organization", f"{path}.crosses_organization", default=False
                ),
            )
        )


def _check_process_fits(r: _Reader, spec: ProcedureSpec) -> None:
    if not spec.steps or not spec.channels:
        return
    legal = min(working_day_equivalent(c.time_value, c.time_unit) for c in spec.channels)
    total = sum((s.working_days for s in spec.steps), Decimal(0))
    if total > legal:
        r.fail(
            "steps",
            gettext(
                "The internal process takes %(total)s working days, more than the legal time "
                "of %(legal)s working days."
            )
            % {"total": _plain(total), "legal": _plain(legal)},
        )


def _plain(value: Decimal) -> str:
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return text or "0"

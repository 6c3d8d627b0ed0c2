"""The xlsx layout provinces keep (docs/procedures-format.md), read into and written from the
JSON format's procedure dicts, so one checker (egov.procedures.format) serves both.

Sheets, each with a header row of column keys: `fields`, `procedures` (one row per procedure,
channels as `<channel>_time` / `<channel>_unit` columns), `documents`, `steps` and `fees`
(rows keyed by `procedure_code`, in order). Lists go one item per line inside a cell; cases as
`code | name` lines; the e-form schema and fee rules as JSON text.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterable, Mapping
from datetime import datetime
from io import BytesIO
from typing import Any, BinaryIO

from django.utils.translation import gettext
from openpyxl import Workbook, load_workbook

from egov.procedures.services import ImportDocument, ImportProblem, ImportRefused

CHANNELS = ("counter", "online", "post")
FIELD_COLUMNS = ["code", "name"]
PROCEDURE_COLUMNS = [
    "code",
    "code_status",
    "code_note",
    "name",
    "field",
    "level",
    "effective_from",
    "competent_code",
    "competent_name",
    "executing_code",
    "executing_name",
    *[f"{c}_{part}" for c in CHANNELS for part in ("time", "unit", "fee_note", "description")],
    "result",
    "legal_bases",
    "conditions",
    "subjects",
    "sequence",
    "cases",
    "service_level",
    "legacy_level",
    "publishing_decision",
    "publish",
    "note",
    "eform_schema",
    "life_events",
    "anonymous_allowed",
    "fee_stage",
]
# Columns added after the layout's first release: a workbook without them is still read (the
# values then take their defaults: no life event, an account needed, fees paid when submitting).
OPTIONAL_COLUMNS = {"life_events", "anonymous_allowed", "fee_stage"}
DOCUMENT_COLUMNS = [
    "procedure_code",
    "code",
    "name",
    "originals",
    "copies",
    "template",
    "template_file",
    "mandatory",
    "case",
]
STEP_COLUMNS = [
    "procedure_code",
    "name",
    "unit",
    "role",
    "responsible",
    "days",
    "crosses_organization",
]
FEE_COLUMNS = [
    "procedure_code",
    "kind",
    "name",
    "channel",
    "amount",
    "rule",
    "legal_basis",
    "note",
]
SHEETS = {
    "fields": FIELD_COLUMNS,
    "procedures": PROCEDURE_COLUMNS,
    "documents": DOCUMENT_COLUMNS,
    "steps": STEP_COLUMNS,
    "fees": FEE_COLUMNS,
}
_TOP_COLUMN = {
    "competent_organization.code": "competent_code",
    "competent_organization.name": "competent_name",
    "competent_organization": "competent_code",
    "executing_organization.code": "executing_code",
    "executing_organization.name": "executing_name",
    "executing_organization": "executing_code",
}
_CHILD_SHEET = {"documents": "documents", "steps": "steps", "fees": "fees"}


# --- writing -------------------------------------------------------------------------------------


def _lines(values: Iterable[str]) -> str:
    return "\n".join(values)


def workbook_from_dicts(
    fields: list[Mapping[str, Any]], procedures: list[Mapping[str, Any]]
) -> bytes:
    """An xlsx file of the given fields and procedure dicts (the JSON format's items)."""
    book = Workbook()
    sheets = {}
    for index, (name, columns) in enumerate(SHEETS.items()):
        sheet = book.active if index == 0 else book.create_sheet()
        assert sheet is not None
        sheet.title = name
        sheet.append(columns)
        sheets[name] = sheet
    for item in fields:
        sheets["fields"].append([item["code"], item["name"]])
    for p in procedures:
        channels = {c["channel"]: c for c in p.get("channels", [])}
        row: dict[str, Any] = {
            **{k: p.get(k) for k in PROCEDURE_COLUMNS if k in p},
            "competent_code": p["competent_organization"].get("code") or "",
            "competent_name": p["competent_organization"]["name"],
            "executing_code": p["executing_organization"].get("code") or "",
            "executing_name": p["executing_organization"]["name"],
            "legal_bases": _lines(p.get("legal_bases", [])),
            "subjects": _lines(p.get("subjects", [])),
            "sequence": _lines(p.get("sequence", [])),
            "cases": _lines(f"{c['code']} | {c['name']}" for c in p.get("cases", [])),
            "publish": bool(p.get("publish")),
            "life_events": _lines(p.get("life_events", [])),
            "anonymous_allowed": bool(p.get("anonymous_allowed")),
            "fee_stage": p.get("fee_stage") or "before",
            "eform_schema": json.dumps(p.get("eform_schema") or {}, ensure_ascii=False)
            if p.get("eform_schema")
            else "",
        }
        for channel in CHANNELS:
            found = channels.get(channel)
            if found:
                row[f"{channel}_time"] = found.get("time")
                row[f"{channel}_unit"] = found.get("unit")
                row[f"{channel}_fee_note"] = found.get("fee_note") or ""
                row[f"{channel}_description"] = found.get("description") or ""
        sheets["procedures"].append([_cell(row.get(c)) for c in PROCEDURE_COLUMNS])
        for doc in p.get("documents", []):
            values = {**doc, "procedure_code": p["code"]}
            sheets["documents"].append([_cell(values.get(c)) for c in DOCUMENT_COLUMNS])
        for step in p.get("steps", []):
            values = {**step, "procedure_code": p["code"]}
            sheets["steps"].append([_cell(values.get(c)) for c in STEP_COLUMNS])
        for fee in p.get("fees", []):
            values = {**fee, "procedure_code": p["code"]}
            if values.get("rule") is not None:
                values["rule"] = json.dumps(values["rule"], ensure_ascii=False)
            sheets["fees"].append([_cell(values.get(c)) for c in FEE_COLUMNS])
    out = BytesIO()
    book.save(out)
    return out.getvalue()


def _cell(value: Any) -> Any:
    return "" if value is None else value


# --- reading -------------------------------------------------------------------------------------


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _split_lines(value: Any) -> list[str]:
    return [line.strip() for line in _text(value).splitlines() if line.strip()]


def _blank_to_none(value: Any) -> Any:
    return None if value is None or (isinstance(value, str) and not value.strip()) else value


def import_document_from_xlsx(stream: BinaryIO) -> ImportDocument:
    """Read the workbook into procedure dicts plus a map back to sheet / row / column."""
    try:
        book = load_workbook(stream, read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - any unreadable file is one clear problem
        raise ImportRefused(
            [ImportProblem("", 0, "", gettext("The file is not a readable xlsx workbook."))]
        ) from exc
    problems: list[ImportProblem] = []
    rows: dict[str, list[tuple[int, dict[str, Any]]]] = {}
    for name, columns in SHEETS.items():
        if name not in book.sheetnames:
            problems.append(ImportProblem(name, 0, "", gettext("The sheet is missing.")))
            rows[name] = []
            continue
        iterator = book[name].iter_rows(values_only=True)
        header = [_text(v) for v in next(iterator, ())]
        missing = [c for c in columns if c not in header and c not in OPTIONAL_COLUMNS]
        if missing:
            problems.append(ImportProblem(name, 1, ", ".join(missing), gettext("Missing columns.")))
        found: list[tuple[int, dict[str, Any]]] = []
        for number, values in enumerate(iterator, start=2):
            record = {header[i]: v for i, v in enumerate(values) if i < len(header) and header[i]}
            if any(_blank_to_none(v) is not None for v in record.values()):
                found.append((number, record))
        rows[name] = found
    if problems:
        raise ImportRefused(problems)

    origin: dict[tuple[str, int], dict[str, tuple[str, int, str]]] = {}
    fields = []
    for index, (number, record) in enumerate(rows["fields"]):
        fields.append({"code": _text(record.get("code")), "name": _text(record.get("name"))})
        origin[("fields", index)] = {"": ("fields", number, "")}
    procedures: list[dict[str, Any]] = []
    by_code: dict[str, dict[str, Any]] = {}
    for index, (number, record) in enumerate(rows["procedures"]):
        item = _procedure_from_row(record)
        procedures.append(item)
        by_code.setdefault(item["code"], item)
        where = {"": ("procedures", number, "")}
        for position, channel in enumerate(c["channel"] for c in item["channels"]):
            where[f"channels[{position}]"] = ("procedures", number, f"{channel}_time")
        origin[("procedures", index)] = where
        item["_index"] = index
    for sheet in ("documents", "steps", "fees"):
        for number, record in rows[sheet]:
            code = _text(record.get("procedure_code"))
            parent = by_code.get(code)
            if parent is None:
                problems.append(
                    ImportProblem(
                        sheet,
                        number,
                        "procedure_code",
                        gettext("No procedure with the code %(code)s on the procedures sheet.")
                        % {"code": code},
                    )
                )
                continue
            child = _child_from_row(sheet, record)
            position = len(parent[sheet])
            parent[sheet].append(child)
            origin[("procedures", parent["_index"])][f"{sheet}[{position}]"] = (sheet, number, "")
    if problems:
        raise ImportRefused(problems)
    for item in procedures:
        item.pop("_index")

    def locate(part: str, index: int, path: str) -> tuple[str, int, str]:
        where = origin[(part, index)]
        head = path.split(".", 1)
        if head[0] in where:
            sheet, number, column = where[head[0]]
            if column:
                return sheet, number, column
            return sheet, number, head[1] if len(head) > 1 else ""
        sheet, number, _ = where[""]
        if head[0] in _CHILD_SHEET:  # e.g. "steps": the process as a whole
            first = where.get(f"{head[0]}[0]")
            if first:
                return first[0], first[1], "days" if head[0] == "steps" else ""
        if head[0].startswith("life_events["):  # one cell holds the whole list
            return sheet, number, "life_events"
        return sheet, number, _TOP_COLUMN.get(path, head[0])

    return ImportDocument(fields=fields, procedures=procedures, locate=locate)


def _procedure_from_row(record: Mapping[str, Any]) -> dict[str, Any]:
    channels = []
    for channel in CHANNELS:
        unit = _text(record.get(f"{channel}_unit"))
        time = _blank_to_none(record.get(f"{channel}_time"))
        if unit or time is not None:
            channels.append(
                {
                    "channel": channel,
                    "time": time,
                    "unit": unit,
                    "fee_note": _text(record.get(f"{channel}_fee_note")),
                    "description": _text(record.get(f"{channel}_description")),
                }
            )
    cases = []
    for line in _split_lines(record.get("cases")):
        code, _, name = line.partition("|")
        cases.append({"code": code.strip(), "name": name.strip()})
    schema_text = _text(record.get("eform_schema"))
    try:
        schema = json.loads(schema_text) if schema_text else {}
    except ValueError:
        schema = schema_text  # the checker reports "a schema must be an object"
    effective = record.get("effective_from")
    return {
        "code": _text(record.get("code")),
        "code_status": _text(record.get("code_status")) or "confirmed",
        "code_note": _text(record.get("code_note")),
        "name": _text(record.get("name")),
        "field": _text(record.get("field")),
        "level": _text(record.get("level")),
        "effective_from": effective.date().isoformat()
        if isinstance(effective, datetime)
        else _text(effective),
        "competent_organization": {
            "code": _text(record.get("competent_code")) or None,
            "name": _text(record.get("competent_name")),
        },
        "executing_organization": {
            "code": _text(record.get("executing_code")) or None,
            "name": _text(record.get("executing_name")),
        },
        "channels": channels,
        "cases": cases,
        "sequence": _split_lines(record.get("sequence")),
        "documents": [],
        "fees": [],
        "result": _text(record.get("result")),
        "legal_bases": _split_lines(record.get("legal_bases")),
        "conditions": _text(record.get("conditions")),
        "subjects": _split_lines(record.get("subjects")),
        "service_level": _text(record.get("service_level")),
        "legacy_level": _blank_to_none(record.get("legacy_level")),
        "eform_schema": schema,
        "publishing_decision": _text(record.get("publishing_decision")),
        "publish": _blank_to_none(record.get("publish")) or False,
        "life_events": [
            part.strip()
            for line in _split_lines(record.get("life_events"))
            for part in line.split(",")
            if part.strip()
        ],
        "anonymous_allowed": _blank_to_none(record.get("anonymous_allowed")) or False,
        "fee_stage": _text(record.get("fee_stage")) or "before",
        "steps": [],
        "note": _text(record.get("note")),
    }


def _child_from_row(sheet: str, record: Mapping[str, Any]) -> dict[str, Any]:
    columns = SHEETS[sheet]
    child = {c: _blank_to_none(record.get(c)) for c in columns if c != "procedure_code"}
    for key in ("code", "name", "template", "case", "responsible", "role", "kind"):
        if key in child:
            child[key] = _text(child[key])
    if "unit" in child:
        child["unit"] = _text(child["unit"]) or None
    for key in ("channel", "legal_basis", "note", "template_file"):
        if key in child:
            child[key] = _text(child[key])
    if sheet == "fees" and isinstance(child.get("rule"), str):
        with contextlib.suppress(ValueError):  # the checker reports a bad rule at its cell
            child["rule"] = json.loads(child["rule"])
    return child

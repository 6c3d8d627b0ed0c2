"""E-form schemas: a small, checked subset of JSON Schema with Vietnamese formats.

Each procedure version carries the JSON Schema of its e-form (tờ khai điện tử). The counter
screen renders it now and the citizen portal later; the server validates every submission with
`eform_validate`, so a form never depends on the browser's checks. Supported keywords:

    type (object, string, integer, number, boolean, array), title, description, properties,
    required, additionalProperties (false only), items, enum, minLength, maxLength, pattern,
    minimum, maximum, format, default, x-order

Formats of our own (docs/procedures-format.md). The identity checks are the directory's
(egov.directory.identifiers), so a number the counter accepts is one the directory accepts:

    national-id    12-digit personal identification number (CCCD): province-of-birth code,
                   century/sex digit and a birth year not in the future (`national_id_is_valid`)
    phone          Vietnamese mobile (03/05/07/08/09 + 8 digits, `normalize_mobile`, also
                   written +84 / 84) or landline (02 + 9 digits, also written +84)
    tax-code       10 digits with a valid check digit, optionally "-" + 3 digits for a branch
                   (`normalize_tax_code`), or a valid 12-digit national ID (a person's tax code
                   since 1 July 2025)
    date           yyyy-mm-dd, a real calendar day
    email          an e-mail address (`email_is_valid`, Django's validator)
    province-code  a province code of the current administrative-unit data (two-level, 2025)
    commune-code   a commune / ward / special-zone code of the same data

We wrote this validator (≈200 lines) instead of adding the `jsonschema` package: we need
stable error codes per format and Vietnamese messages naming the field, and we refuse any
keyword we do not validate (a schema that silently ignores a rule is worse than none).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.utils.translation import gettext
from vietnam_provinces import Province
from vietnam_provinces.lookup import WARD_MAPPING

from egov.directory.identifiers import (
    email_is_valid,
    national_id_is_valid,
    normalize_mobile,
    normalize_tax_code,
)

__all__ = ["FORMATS", "EformError", "eform_schema_problems", "eform_validate"]

# Landlines (02x area code + 7 or 8 digits = 10 digits after the 0); mobiles are checked by
# egov.directory.identifiers, which has no landline rule (a form may take an office phone).
_LANDLINE = re.compile(r"^(?:0|\+84)2[0-9]{9}$")
_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")

_PROVINCES = frozenset(f"{int(p.code):02d}" for p in Province.iter_all())
_COMMUNES = frozenset(f"{int(code):05d}" for code in WARD_MAPPING)


def _national_id(value: str) -> bool:
    return national_id_is_valid(value)


def _phone(value: str) -> bool:
    if normalize_mobile(value) is not None:
        return True
    return bool(_LANDLINE.match(re.sub(r"[\s.\-()]", "", value)))


def _tax_code(value: str) -> bool:
    # A person's 12-digit national ID serves as their tax code since 1 July 2025.
    return normalize_tax_code(value) is not None or national_id_is_valid(value)


def _real_date(value: str) -> bool:
    if not _DATE.match(value):
        return False
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True


FORMATS: dict[str, Callable[[str], bool]] = {
    "national-id": _national_id,
    "phone": _phone,
    "tax-code": _tax_code,
    "date": _real_date,
    "email": email_is_valid,
    "province-code": lambda v: v in _PROVINCES,
    "commune-code": lambda v: v in _COMMUNES,
}
_FORMAT_CODES = {
    "national-id": "eform.national_id",
    "phone": "eform.phone",
    "tax-code": "eform.tax_code",
    "date": "eform.date",
    "email": "eform.email",
    "province-code": "eform.province",
    "commune-code": "eform.commune",
}
_TYPES = {"object", "string", "integer", "number", "boolean", "array"}
_KEYWORDS = {
    "type",
    "title",
    "description",
    "properties",
    "required",
    "additionalProperties",
    "items",
    "enum",
    "minLength",
    "maxLength",
    "pattern",
    "minimum",
    "maximum",
    "format",
    "default",
    "x-order",
    "$schema",
}


@dataclass(frozen=True)
class EformError:
    """One refusal: where (a dotted path), a stable code, and a sentence naming the field."""

    path: str
    code: str
    message: str


def _label(schema: Mapping[str, Any], path: str) -> str:
    title = schema.get("title")
    return str(title) if isinstance(title, str) and title else path or gettext("the form")


def eform_schema_problems(schema: Any, path: str = "") -> list[str]:
    """Why `schema` is not a usable e-form schema (empty list when it is).

    An empty object means "no e-form yet" and is accepted.
    """
    if path == "" and schema == {}:
        return []
    where = path or "/"
    if not isinstance(schema, Mapping):
        return [gettext("%(path)s: a schema must be an object.") % {"path": where}]
    problems: list[str] = []
    unknown = sorted(set(schema) - _KEYWORDS)
    if unknown:
        problems.append(
            gettext("%(path)s: unsupported keywords %(keys)s.") % {"path": where, "keys": unknown}
        )
    kind = schema.get("type")
    if kind not in _TYPES:
        problems.append(gettext("%(path)s: unknown type %(type)s.") % {"path": where, "type": kind})
    if path == "" and kind != "object":
        problems.append(gettext("The e-form schema must describe an object."))
    fmt = schema.get("format")
    if fmt is not None and (kind != "string" or fmt not in FORMATS):
        problems.append(
            gettext("%(path)s: unknown format %(format)s.") % {"path": where, "format": fmt}
        )
    if "pattern" in schema:
        try:
            re.compile(str(schema["pattern"]))
        except re.error:
            problems.append(gettext("%(path)s: the pattern is not valid.") % {"path": where})
    if schema.get("additionalProperties", False) is not False:
        problems.append(
            gettext("%(path)s: additionalProperties may only be false.") % {"path": where}
        )
    if "enum" in schema and (not isinstance(schema["enum"], list) or not schema["enum"]):
        problems.append(gettext("%(path)s: enum must be a non-empty list.") % {"path": where})
    if kind == "object":
        properties = schema.get("properties", {})
        if not isinstance(properties, Mapping):
            return [*problems, gettext("%(path)s: properties must be an object.") % {"path": where}]
        for name, sub in properties.items():
            problems.extend(eform_schema_problems(sub, f"{path}.{name}" if path else str(name)))
        required = schema.get("required", [])
        if not isinstance(required, list) or any(r not in properties for r in required):
            problems.append(
                gettext("%(path)s: required names fields that do not exist.") % {"path": where}
            )
    if kind == "array":
        problems.extend(eform_schema_problems(schema.get("items"), f"{path}[]"))
    return problems


def _type_ok(kind: str, value: Any) -> bool:
    if kind == "string":
        return isinstance(value, str)
    if kind == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "number":
        return isinstance(value, int | float) and not isinstance(value, bool)
    if kind == "boolean":
        return isinstance(value, bool)
    if kind == "object":
        return isinstance(value, Mapping)
    return isinstance(value, list)


def _walk(schema: Mapping[str, Any], value: Any, path: str, out: list[EformError]) -> None:
    label = _label(schema, path)
    kind = schema["type"]
    if not _type_ok(kind, value):
        out.append(
            EformError(
                path, "eform.type", gettext("%(field)s: wrong kind of value.") % {"field": label}
            )
        )
        return
    if "enum" in schema and value not in schema["enum"]:
        out.append(
            EformError(
                path,
                "eform.enum",
                gettext("%(field)s: choose one of the options.") % {"field": label},
            )
        )
    if kind == "string":
        text = value.strip()
        if "minLength" in schema and len(text) < schema["minLength"]:
            out.append(
                EformError(
                    path,
                    "eform.min_length",
                    gettext("%(field)s: at least %(n)d characters.")
                    % {"field": label, "n": schema["minLength"]},
                )
            )
        if "maxLength" in schema and len(text) > schema["maxLength"]:
            out.append(
                EformError(
                    path,
                    "eform.max_length",
                    gettext("%(field)s: at most %(n)d characters.")
                    % {"field": label, "n": schema["maxLength"]},
                )
            )
        if "pattern" in schema and not re.search(schema["pattern"], text):
            out.append(
                EformError(
                    path,
                    "eform.pattern",
                    gettext("%(field)s: not in the expected form.") % {"field": label},
                )
            )
        fmt = schema.get("format")
        if fmt and not FORMATS[fmt](text):
            out.append(EformError(path, _FORMAT_CODES[fmt], _format_message(fmt, label)))
    elif kind in {"integer", "number"}:
        if "minimum" in schema and value < schema["minimum"]:
            out.append(
                EformError(
                    path,
                    "eform.minimum",
                    gettext("%(field)s: must be at least %(n)s.")
                    % {"field": label, "n": schema["minimum"]},
                )
            )
        if "maximum" in schema and value > schema["maximum"]:
            out.append(
                EformError(
                    path,
                    "eform.maximum",
                    gettext("%(field)s: must be at most %(n)s.")
                    % {"field": label, "n": schema["maximum"]},
                )
            )
    elif kind == "object":
        properties: Mapping[str, Any] = schema.get("properties", {})
        for name in schema.get("required", []):
            present = value.get(name)
            if present is None or (isinstance(present, str) and not present.strip()):
                sub_label = _label(properties[name], name)
                out.append(
                    EformError(
                        _join(path, name),
                        "eform.required",
                        gettext("%(field)s: this field is required.") % {"field": sub_label},
                    )
                )
        for name, sub_value in value.items():
            if name not in properties:
                out.append(
                    EformError(
                        _join(path, str(name)),
                        "eform.unknown_field",
                        gettext("%(field)s: the form has no such field.") % {"field": name},
                    )
                )
                continue
            if sub_value is None or (isinstance(sub_value, str) and not sub_value.strip()):
                continue  # empty optional field; `required` reported it if needed
            _walk(properties[name], sub_value, _join(path, str(name)), out)
    elif kind == "array":
        for index, item in enumerate(value):
            _walk(schema["items"], item, f"{path}[{index}]", out)


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def _format_message(fmt: str, label: str) -> str:
    messages = {
        "national-id": gettext("%(field)s: a national ID number has 12 digits (check the number)."),
        "phone": gettext("%(field)s: enter a Vietnamese phone number, e.g. 0912345678."),
        "tax-code": gettext(
            "%(field)s: a tax code has 10 digits, or 10 digits, a dash and 3 (check the number)."
        ),
        "date": gettext("%(field)s: enter a real date."),
        "email": gettext("%(field)s: enter an e-mail address."),
        "province-code": gettext("%(field)s: choose a province from the list."),
        "commune-code": gettext("%(field)s: choose a commune or ward from the list."),
    }
    return messages[fmt] % {"field": label}


def eform_validate(schema: Mapping[str, Any], data: Any) -> list[EformError]:
    """Every problem of `data` against the e-form `schema`, in document order (empty = valid)."""
    if not schema:
        return []
    problems = eform_schema_problems(schema)
    if problems:
        raise ValueError(problems[0])
    out: list[EformError] = []
    _walk(schema, data, "", out)
    return out

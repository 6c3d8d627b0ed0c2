"""The citizen's e-form, generated from the procedure's JSON Schema (egov.procedures.eforms).

One schema, one set of rules: the server validates with `eform_validate` (the same call the
intake service makes), and the page carries the same rules to the browser as HTML attributes
(`required`, `maxlength`, `minlength`, `min`, `max`, `type`, `inputmode`, and `pattern` only
where the server's check is exactly a full match) plus a `data-rules` JSON for what HTML cannot
express (the national-ID province and birth-year check, the tax-code check digit, phone
numbers written with spaces or +84, real dates, custom patterns searched like Python's
`re.search`). The error messages in `data-rules` are produced by running the server's own
validator on a value that breaks each rule, so the browser shows the server's sentence word
for word. The browser's checks are a convenience; the server stays the authority.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext
from vietnam_provinces import Province, Ward

from egov.directory.identifiers import BIRTH_PROVINCE_CODES
from egov.directory.models import Applicant
from egov.procedures.eforms import EformError, eform_validate

FIELD_PREFIX = "f_"
APPLICANT_PREFIX = "a_"


# --- administrative units ----------------------------------------------------------------------


def provinces() -> list[tuple[str, str]]:
    """(two-digit code, name) of the provinces of the current (2025) data, by name."""
    return sorted(((f"{int(p.code):02d}", p.name) for p in Province.iter_all()), key=lambda c: c[1])


def communes(province_code: str) -> list[tuple[str, str]]:
    """(five-digit code, name) of the communes and wards of one province, by name."""
    try:
        number = int(province_code)
    except (TypeError, ValueError):
        return []
    try:
        found = list(Ward.iter_by_province(number))  # type: ignore[arg-type]
    except (KeyError, ValueError):
        return []
    return sorted(((f"{int(w.code):05d}", w.name) for w in found), key=lambda c: c[1])


def province_of_commune(commune_code: str) -> str:
    try:
        ward = Ward.from_code(int(commune_code))  # type: ignore[arg-type]
    except (TypeError, ValueError, KeyError):
        return ""
    return f"{int(ward.province_code):02d}"


# --- rules and messages ------------------------------------------------------------------------


def _order(schema: Mapping[str, Any]) -> list[tuple[str, Mapping[str, Any]]]:
    properties = schema.get("properties") or {}
    order = schema.get("x-order") or list(properties)
    names = [n for n in order if n in properties] + [n for n in properties if n not in order]
    # PostgreSQL's jsonb does not keep the keys' order: without x-order, at least put each
    # commune picker right after the province picker it depends on.
    province = next((n for n in names if properties[n].get("format") == "province-code"), None)
    if province is not None and not schema.get("x-order"):
        communes_ = [n for n in names if properties[n].get("format") == "commune-code"]
        names = [n for n in names if n not in communes_]
        at = names.index(province) + 1
        names[at:at] = communes_
    return [(name, properties[name]) for name in names]


def _probe_schema(name: str, sub: Mapping[str, Any], value: Any, required: bool) -> dict[str, str]:
    """The server's messages for `value` in field `name`, by error code."""
    schema = {
        "type": "object",
        "properties": {name: dict(sub)},
        "required": [name] if required else [],
    }
    data = {} if value is None else {name: value}
    return {e.code: e.message for e in eform_validate(schema, data)}


def _pattern_breaker(pattern: str) -> str | None:
    for candidate in ("\u0001", "x", "0", "x" * 300, "-"):
        if not re.search(pattern, candidate):
            return candidate
    return None


def field_rules(name: str, sub: Mapping[str, Any], required: bool) -> dict[str, Any]:
    """The client-side rules of one property, with the server's messages."""
    titled = {"title": sub["title"]} if sub.get("title") else {}

    def _probe(name: str, part: Mapping[str, Any], value: Any, required: bool) -> dict[str, str]:
        return _probe_schema(name, {**part, **titled}, value, required)

    rules: dict[str, Any] = {"label": str(sub.get("title") or name)}
    messages: dict[str, str] = {}
    kind = sub.get("type")
    if required:
        rules["required"] = True
        messages.update(_probe(name, sub, None, True))
    if kind == "string":
        fmt = sub.get("format")
        if fmt:
            rules["format"] = fmt
            messages.update(_probe(name, {"type": "string", "format": fmt}, "x", False))
        if "minLength" in sub and int(sub["minLength"]) > 1:
            rules["minLength"] = int(sub["minLength"])
            messages.update(
                _probe(name, {"type": "string", "minLength": sub["minLength"]}, "a", False)
            )
        if "maxLength" in sub:
            rules["maxLength"] = int(sub["maxLength"])
            messages.update(
                _probe(
                    name,
                    {"type": "string", "maxLength": sub["maxLength"]},
                    "a" * (int(sub["maxLength"]) + 1),
                    False,
                )
            )
        if "pattern" in sub:
            rules["pattern"] = str(sub["pattern"])
            breaker = _pattern_breaker(str(sub["pattern"]))
            if breaker is not None:
                messages.update(
                    _probe(name, {"type": "string", "pattern": sub["pattern"]}, breaker, False)
                )
    elif kind in ("integer", "number"):
        rules["number"] = kind
        messages.update(_probe(name, {"type": kind}, "x", False))
        if "minimum" in sub:
            rules["minimum"] = sub["minimum"]
            messages.update(
                _probe(name, {"type": kind, "minimum": sub["minimum"]}, sub["minimum"] - 1, False)
            )
        if "maximum" in sub:
            rules["maximum"] = sub["maximum"]
            messages.update(
                _probe(name, {"type": kind, "maximum": sub["maximum"]}, sub["maximum"] + 1, False)
            )
    if "enum" in sub:
        messages.update(
            _probe(name, {"type": kind or "string", "enum": sub["enum"]}, "\u0001", False)
        )
    rules["messages"] = messages
    return rules


# --- the fields as the template draws them ------------------------------------------------------


@dataclass
class FormField:
    """One input of the page: what the template needs, nothing Django-form specific."""

    name: str  # the schema's property name (or the applicant field)
    input_name: str
    label: str
    widget: str  # text, select, checkbox
    value: str = ""
    checked: bool = False
    help: str = ""
    error: str = ""
    required: bool = False
    attrs: dict[str, str] = field(default_factory=dict)
    choices: list[tuple[str, str]] = field(default_factory=list)
    rules: dict[str, Any] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return f"id_{self.input_name}"

    @property
    def rules_json(self) -> str:
        return json.dumps(self.rules, ensure_ascii=False)

    @property
    def describedby(self) -> str:
        ids = []
        if self.help:
            ids.append(f"{self.id}_help")
        ids.append(f"{self.id}_error")
        return " ".join(ids)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else ""
    return str(value)


def _attrs_for(sub: Mapping[str, Any], required: bool) -> tuple[str, dict[str, str]]:
    kind = sub.get("type")
    fmt = sub.get("format")
    attrs: dict[str, str] = {}
    widget = "text"
    if "enum" in sub or fmt in ("province-code", "commune-code"):
        widget = "select"
    elif kind == "boolean":
        widget = "checkbox"
    elif kind == "integer":
        attrs.update({"type": "number", "step": "1", "inputmode": "numeric"})
    elif kind == "number":
        attrs.update({"type": "number", "step": "any", "inputmode": "decimal"})
    elif fmt == "national-id":
        # The server's check starts with exactly twelve digits: a full match, so HTML can say it.
        attrs.update(
            {"type": "text", "inputmode": "numeric", "pattern": "[0-9]{12}", "maxlength": "12"}
        )
        attrs["autocomplete"] = "off"
    elif fmt == "tax-code":
        attrs.update({"type": "text", "inputmode": "numeric", "autocomplete": "off"})
    elif fmt == "phone":
        attrs.update({"type": "tel", "inputmode": "tel", "autocomplete": "tel"})
    elif fmt == "email":
        attrs.update({"type": "email", "autocomplete": "email"})
    elif fmt == "date":
        attrs.update({"type": "date"})
    else:
        attrs.update({"type": "text"})
    if kind in ("integer", "number"):
        if "minimum" in sub:
            attrs["min"] = str(sub["minimum"])
        if "maximum" in sub:
            attrs["max"] = str(sub["maximum"])
    if kind == "string" and widget == "text":
        if "maxLength" in sub and "maxlength" not in attrs:
            attrs["maxlength"] = str(sub["maxLength"])
        if "minLength" in sub and int(sub["minLength"]) > 1:
            attrs["minlength"] = str(sub["minLength"])
    if required and widget != "checkbox":
        attrs["required"] = "required"
    return widget, attrs


def eform_fields(
    schema: Mapping[str, Any], data: Mapping[str, Any], errors: Mapping[str, str]
) -> list[FormField]:
    """The inputs of the e-form in display order, filled with `data`, with their errors.
    Nested objects and arrays are not drawn (the API takes them); the server still checks."""
    required = set(schema.get("required") or [])
    province_value = ""
    for name, sub in _order(schema):
        if sub.get("format") == "province-code":
            province_value = _text(data.get(name))
            break
    out = []
    for name, sub in _order(schema):
        if sub.get("type") in ("object", "array"):
            continue
        is_required = name in required
        widget, attrs = _attrs_for(sub, is_required)
        value = _text(data.get(name))
        choices: list[tuple[str, str]] = []
        fmt = sub.get("format")
        if "enum" in sub:
            choices = [(str(v), str(v)) for v in sub["enum"]]
        elif fmt == "province-code":
            choices = provinces()
            attrs["data-province"] = "1"
        elif fmt == "commune-code":
            province = province_value or province_of_commune(value)
            choices = communes(province)
            attrs["data-commune"] = "1"
        out.append(
            FormField(
                name=name,
                input_name=FIELD_PREFIX + name,
                label=str(sub.get("title") or name),
                widget=widget,
                value=value,
                checked=bool(data.get(name)) if widget == "checkbox" else False,
                help=str(sub.get("description") or ""),
                error=errors.get(name, ""),
                required=is_required,
                attrs=attrs,
                choices=choices,
                rules=field_rules(name, sub, is_required),
            )
        )
    return out


def _number(kind: str, raw: str) -> Any:
    text = raw.strip().replace(",", ".")
    try:
        number = Decimal(text)
    except InvalidOperation:
        return raw  # the server reports "wrong kind of value", naming the field
    if not number.is_finite():
        return raw
    if kind == "integer":
        return int(number) if number == number.to_integral_value() else raw
    return int(number) if number == number.to_integral_value() else float(number)


def eform_data_from_post(schema: Mapping[str, Any], post: Mapping[str, Any]) -> dict[str, Any]:
    """The e-form values posted by the page, typed as the schema wants them; empty inputs are
    left out (the server reports a required one)."""
    out: dict[str, Any] = {}
    for name, sub in _order(schema):
        kind = sub.get("type")
        if kind in ("object", "array"):
            continue
        raw = post.get(FIELD_PREFIX + name)
        if kind == "boolean":
            if raw:
                out[name] = True
            continue
        if raw is None:
            continue
        text = str(raw)
        if not text.strip():
            continue
        if kind in ("integer", "number"):
            out[name] = _number(kind, text)
        else:
            out[name] = text.strip()
    return out


def eform_prefill(schema: Mapping[str, Any], applicant: Applicant | None) -> dict[str, Any]:
    """Start values taken from the citizen's record: their ID number, phone, e-mail, name,
    address and commune go into the fields whose format (or name) asks for them."""
    if applicant is None:
        return {}
    out: dict[str, Any] = {}
    province = province_of_commune(applicant.ward_code) if applicant.ward_code else ""
    by_format = {
        "national-id": applicant.national_id,
        "tax-code": applicant.tax_code,
        "phone": applicant.phone,
        "email": applicant.email,
        "province-code": province,
        "commune-code": applicant.ward_code,
    }
    name_fields = {"ho_ten", "ten_doanh_nghiep", "full_name"}
    address_fields = {"dia_chi", "address"}
    taken: set[str] = set()
    for name, sub in _order(schema):
        if sub.get("type") != "string":
            continue
        fmt = sub.get("format")
        value = ""
        if fmt in by_format and fmt not in taken:
            value = by_format[fmt] or ""
            taken.add(fmt)
        elif name in name_fields:
            value = applicant.full_name
        elif name in address_fields:
            value = applicant.address
        if value:
            out[name] = value
    return out


def errors_by_field(errors: Sequence[EformError]) -> dict[str, str]:
    """The first message per field path (the page shows one message per input)."""
    out: dict[str, str] = {}
    for error in errors:
        out.setdefault(error.path, error.message)
    return out


# --- the account-less applicant ------------------------------------------------------------------


def applicant_fields(data: Mapping[str, Any], errors: Mapping[str, str]) -> list[FormField]:
    """Name, ID number or tax code, phone, e-mail, address of an applicant without an account;
    checked by the same rules as the e-form formats (see online_services._applicant_problems)."""
    province = str(data.get("province") or "") or province_of_commune(
        str(data.get("commune") or "")
    )
    rows: list[tuple[str, str, str, dict[str, str], bool, str]] = [
        ("full_name", gettext("Full name or business name"), "text",
         {"type": "text", "maxlength": "255", "autocomplete": "name"}, True, "name"),
        ("identifier", gettext("National ID number or tax code"), "text",
         {"type": "text", "inputmode": "numeric", "maxlength": "14", "autocomplete": "off"},
         True, "identifier"),
        ("phone", gettext("Mobile phone"), "text",
         {"type": "tel", "inputmode": "tel", "autocomplete": "tel"}, True, "phone"),
        ("email", gettext("E-mail"), "text",
         {"type": "email", "autocomplete": "email"}, False, "email"),
        ("province", gettext("Province or city"), "select", {"data-province": "1"}, False, ""),
        ("commune", gettext("Commune, ward or special zone"), "select",
         {"data-commune": "1"}, False, ""),
        ("address", gettext("House number, street, village"), "text",
         {"type": "text", "maxlength": "300", "autocomplete": "street-address"}, False, ""),
    ]  # fmt: skip
    out = []
    for name, label, widget, attrs, required, fmt in rows:
        rule_format = {"identifier": "national-id-or-tax-code", "phone": "mobile"}.get(fmt, fmt)
        rules: dict[str, Any] = {"label": label, "messages": _applicant_messages(label, fmt)}
        if required:
            rules["required"] = True
            attrs = {**attrs, "required": "required"}
        if rule_format and rule_format != "name":
            rules["format"] = rule_format
        choices: list[tuple[str, str]] = []
        if name == "province":
            choices = provinces()
        elif name == "commune":
            choices = communes(province)
        out.append(
            FormField(
                name=name,
                input_name=APPLICANT_PREFIX + name,
                label=label,
                widget=widget,
                value=_text(data.get(name)),
                error=errors.get(f"applicant.{name}", ""),
                required=required,
                attrs=attrs,
                choices=choices,
                rules=rules,
                help=gettext("12 digits for a citizen; 10 (or 10-3) for a business.")
                if name == "identifier"
                else "",
            )
        )
    return out


def _applicant_messages(label: str, fmt: str) -> dict[str, str]:
    messages = {"eform.required": gettext("%(field)s: this field is required.") % {"field": label}}
    if fmt == "identifier":
        messages["eform.national_id"] = gettext(
            "%(field)s: a national ID number has 12 digits (check the number)."
        ) % {"field": label}
        messages["eform.tax_code"] = gettext(
            "%(field)s: a tax code has 10 digits, or 10 digits, a dash and 3 (check the number)."
        ) % {"field": label}
    elif fmt == "phone":
        messages["eform.phone"] = gettext(
            "%(field)s: enter a Vietnamese phone number, e.g. 0912345678."
        ) % {"field": label}
    elif fmt == "email":
        messages["eform.email"] = gettext("%(field)s: enter an e-mail address.") % {"field": label}
    return messages


def applicant_data_from_post(post: Mapping[str, Any]) -> dict[str, str]:
    names = ("full_name", "identifier", "phone", "email", "province", "commune", "address")
    return {name: str(post.get(APPLICANT_PREFIX + name) or "").strip() for name in names}


def client_constants() -> str:
    """Constants the browser's national-ID check needs (the birth-province codes)."""
    return json.dumps({"provinces": sorted(BIRTH_PROVINCE_CODES)})

"""Fee rules: small JSON data, checked on import and evaluated without `eval`.

A fee is either a fixed amount (the `Fee.amount` column) or one of these rules, all amounts
in whole VND (docs/procedures-format.md):

    {"kind": "fixed", "amount": 50000}
    {"kind": "tiers", "by": "area_m2",
     "tiers": [{"up_to": 100, "amount": 75000}, {"up_to": null, "amount": 150000}]}
    {"kind": "per_unit", "by": "pages", "unit_amount": 2000, "min": 2000, "max": 200000}
    {"kind": "percent", "by": "value", "rate": "0.5", "min": 0, "max": 500000}

`by` names a field of the dossier's e-form; `tiers` picks the first tier whose `up_to` is at
least the value (`null` = no upper bound; the last tier must be open); `percent` rounds half
up to the whole dong. Rates are strings so that no binary float ever enters a legal amount.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext

from egov.core.errors import ValidationFailed

__all__ = ["FeeRuleError", "fee_rule_amount", "fee_rule_problems"]

MAX_AMOUNT = 10**13  # 10,000 billion VND: far above any fee; catches typos of extra zeros
_KINDS = {"fixed", "tiers", "per_unit", "percent"}


class FeeRuleError(ValidationFailed):
    code = "procedures.fee_input"


def _is_amount(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_AMOUNT


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and value >= 0


def _decimal(value: Any) -> Decimal | None:
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        return None
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def fee_rule_problems(rule: Any) -> list[str]:
    """Every reason why `rule` is not a valid fee rule (none when valid), in the active language."""
    if not isinstance(rule, Mapping):
        return [gettext("A fee rule must be an object.")]
    kind = rule.get("kind")
    if kind not in _KINDS:
        return [gettext("Unknown fee rule kind %(kind)s.") % {"kind": kind}]
    problems: list[str] = []
    allowed = {
        "fixed": {"kind", "amount"},
        "tiers": {"kind", "by", "tiers"},
        "per_unit": {"kind", "by", "unit_amount", "min", "max"},
        "percent": {"kind", "by", "rate", "min", "max"},
    }[kind]
    extra = sorted(set(rule) - allowed)
    if extra:
        problems.append(gettext("Unknown keys in the fee rule: %(keys)s.") % {"keys": extra})
    if kind == "fixed":
        if not _is_amount(rule.get("amount")):
            problems.append(gettext("The amount must be a whole number of dong."))
        return problems
    by = rule.get("by")
    if not isinstance(by, str) or not by.isidentifier():
        problems.append(gettext("The rule must name the form field it depends on (by)."))
    if kind == "tiers":
        tiers = rule.get("tiers")
        if not isinstance(tiers, list) or not tiers:
            return [*problems, gettext("A tiered fee needs at least one tier.")]
        last: float | None = None
        for index, tier in enumerate(tiers, start=1):
            up_to = tier.get("up_to") if isinstance(tier, Mapping) else None
            amount = tier.get("amount") if isinstance(tier, Mapping) else None
            if not _is_amount(amount):
                problems.append(gettext("Tier %(n)d: the amount is not valid.") % {"n": index})
            if up_to is None:
                if index != len(tiers):
                    problems.append(gettext("Only the last tier may be open-ended."))
            elif not _is_number(up_to) or (last is not None and up_to <= last):
                problems.append(gettext("Tier %(n)d: limits must increase.") % {"n": index})
            else:
                last = float(up_to)
        if isinstance(tiers[-1], Mapping) and tiers[-1].get("up_to") is not None:
            problems.append(gettext("The last tier must be open-ended (up_to: null)."))
    elif kind == "per_unit":
        if not _is_amount(rule.get("unit_amount")):
            problems.append(gettext("The amount per unit is not valid."))
    elif kind == "percent":
        rate = _decimal(rule.get("rate"))
        if not isinstance(rule.get("rate"), str) or rate is None or not 0 <= rate <= 100:
            problems.append(gettext('The rate must be a percentage written as text, e.g. "0.5".'))
    if kind in {"per_unit", "percent"}:
        problems.extend(
            gettext("The bound %(bound)s is not valid.") % {"bound": bound}
            for bound in ("min", "max")
            if bound in rule and not _is_amount(rule[bound])
        )
        if (
            _is_amount(rule.get("min"))
            and _is_amount(rule.get("max"))
            and rule["min"] > rule["max"]
        ):
            problems.append(gettext("The minimum is above the maximum."))
    return problems


def _input(rule: Mapping[str, Any], form: Mapping[str, Any]) -> Decimal:
    by = rule["by"]
    value = _decimal(form.get(by))
    if value is None or value < 0:
        raise FeeRuleError(
            gettext("The fee depends on %(field)s: enter a number of zero or more.")
            % {"field": by},
            field=by,
        )
    return value


def _bounded(amount: int, rule: Mapping[str, Any]) -> int:
    if "min" in rule:
        amount = max(amount, int(rule["min"]))
    if "max" in rule:
        amount = min(amount, int(rule["max"]))
    return amount


def fee_rule_amount(rule: Mapping[str, Any], form: Mapping[str, Any]) -> int:
    """The amount in VND that `rule` gives for the e-form data `form`.

    Raises FeeRuleError (code `procedures.fee_input`) when the form lacks the number the
    rule needs, and ValueError for a rule that `fee_rule_problems` would refuse.
    """
    problems = fee_rule_problems(rule)
    if problems:
        raise ValueError(problems[0])
    kind = rule["kind"]
    if kind == "fixed":
        return int(rule["amount"])
    value = _input(rule, form)
    if kind == "tiers":
        for tier in rule["tiers"]:
            if tier["up_to"] is None or value <= Decimal(str(tier["up_to"])):
                return int(tier["amount"])
        raise AssertionError("unreachable: the last tier is open")  # pragma: no cover
    if kind == "per_unit":
        units = value.to_integral_value(rounding=ROUND_HALF_UP)
        return _bounded(int(units * int(rule["unit_amount"])), rule)
    rate = Decimal(rule["rate"])
    amount = (value * rate / Decimal(100)).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return _bounded(int(amount), rule)

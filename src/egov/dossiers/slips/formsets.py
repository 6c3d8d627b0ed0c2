"""Which set of official forms a slip follows: dated configuration, never constants in code.

The sets live in `data/form_sets.json` (or the file named by EGOV_DOSSIER_SLIP_FORM_SETS_FILE):
key, instrument, effective dates, and per form its number and title. Circular 01/2018/TT-VPCP
is in force by default. Its reported 2025 successor is recorded but marked `to_check`
(STANDARDS-VN.md §4): such a set is used only when EGOV_DOSSIER_SLIP_FORM_SET names it
explicitly, never picked by its date.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

DEFAULT_FILE = Path(__file__).with_name("data") / "form_sets.json"


@dataclass(frozen=True)
class FormInfo:
    number: str
    title: str


@dataclass(frozen=True)
class FormSet:
    key: str
    instrument: str
    effective_from: date
    effective_to: date | None
    to_check: bool
    forms: dict[str, FormInfo]

    def form(self, form: str) -> FormInfo:
        try:
            return self.forms[form]
        except KeyError:
            raise ImproperlyConfigured(f"form set {self.key} has no form {form}") from None

    def in_force(self, day: date) -> bool:
        return self.effective_from <= day and (
            self.effective_to is None or day <= self.effective_to
        )


def _parse(entry: dict[str, Any]) -> FormSet:
    return FormSet(
        key=str(entry["key"]),
        instrument=str(entry["instrument"]),
        effective_from=date.fromisoformat(entry["effective_from"]),
        effective_to=date.fromisoformat(entry["effective_to"])
        if entry.get("effective_to")
        else None,
        to_check=bool(entry.get("to_check", False)),
        forms={
            number: FormInfo(number=str(info["number"]), title=str(info["title"]))
            for number, info in entry["forms"].items()
        },
    )


@lru_cache(maxsize=4)
def _load(path: str) -> tuple[FormSet, ...]:
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    return tuple(_parse(entry) for entry in data["sets"])


def form_sets() -> tuple[FormSet, ...]:
    path = getattr(settings, "EGOV_DOSSIER_SLIP_FORM_SETS_FILE", "") or str(DEFAULT_FILE)
    return _load(str(path))


def form_set_for(day: date) -> FormSet:
    """The set to print with on `day`: the one EGOV_DOSSIER_SLIP_FORM_SET names, otherwise
    the latest confirmed set in force that day."""
    sets = form_sets()
    chosen = str(getattr(settings, "EGOV_DOSSIER_SLIP_FORM_SET", "") or "")
    if chosen:
        for candidate in sets:
            if candidate.key == chosen:
                return candidate
        raise ImproperlyConfigured(f"EGOV_DOSSIER_SLIP_FORM_SET: unknown form set {chosen!r}")
    usable = [s for s in sets if not s.to_check and s.in_force(day)]
    if not usable:
        raise ImproperlyConfigured(f"no confirmed form set of the one-stop slips in force on {day}")
    return max(usable, key=lambda s: s.effective_from)


def form_set_by_key(key: str) -> FormSet:
    for candidate in form_sets():
        if candidate.key == key:
            return candidate
    raise ImproperlyConfigured(f"unknown form set {key!r}")

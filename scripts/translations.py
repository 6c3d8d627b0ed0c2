"""Fill locale/vi from translation fragments and report what is still untranslated.

`python scripts/translations.py merge FRAGMENT.po …` copies msgstr values into
locale/vi/LC_MESSAGES/django.po for msgids that are empty there; `check` exits 1 listing every
msgid without a Vietnamese translation (or marked fuzzy).
"""

from __future__ import annotations

import sys
from pathlib import Path

import polib

ROOT = Path(__file__).resolve().parent.parent
VI = ROOT / "locale" / "vi" / "LC_MESSAGES" / "django.po"


def untranslated(po: polib.POFile) -> list[str]:
    return [
        e.msgid
        for e in po
        if not e.obsolete
        and (
            "fuzzy" in e.flags
            or (e.msgid_plural and not all(e.msgstr_plural.values()))
            or (not e.msgid_plural and not e.msgstr)
        )
    ]


def merge(fragments: list[str], *, force: bool = False) -> int:
    """Fill empty entries from the fragments; with force, the fragments' text wins."""
    po = polib.pofile(str(VI))
    known: dict[str, polib.POEntry] = {}
    for path in fragments:
        for entry in polib.pofile(path):
            if entry.msgstr or entry.msgstr_plural:
                known[entry.msgid] = entry
    filled = 0
    for entry in po:
        source = known.get(entry.msgid)
        if source is None:
            continue
        if entry.msgid_plural:
            if source.msgstr_plural and not all(entry.msgstr_plural.values()):
                entry.msgstr_plural = dict(source.msgstr_plural)
                filled += 1
        elif force or not entry.msgstr or "fuzzy" in entry.flags:
            entry.msgstr = source.msgstr or source.msgstr_plural.get(0, "")
            filled += 1
        if "fuzzy" in entry.flags:
            entry.flags.remove("fuzzy")
    po.save(str(VI))
    print(f"filled {filled} entries; {len(untranslated(po))} still untranslated")
    return 0


def check() -> int:
    missing = untranslated(polib.pofile(str(VI)))
    for msgid in missing:
        print(f"untranslated: {msgid!r}")
    return 1 if missing else 0


if __name__ == "__main__":
    if len(sys.argv) >= 2 and sys.argv[1] == "merge":
        force = "--force" in sys.argv
        sys.exit(merge([a for a in sys.argv[2:] if a != "--force"], force=force))
    if len(sys.argv) == 2 and sys.argv[1] == "check":
        sys.exit(check())
    print(__doc__)
    sys.exit(2)

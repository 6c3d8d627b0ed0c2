"""Write or check the committed OpenAPI document docs/api/openapi.json.

    python scripts/openapi.py --write   regenerate the file from the code
    python scripts/openapi.py --check   exit 1 with a summary when the file is out of date

The document is the API's contract: clients are generated from it and reviewers read its diff.
Generation is deterministic (English, no server-specific values, stable key order, trailing
newline), so the same code always gives the same bytes.
"""

from __future__ import annotations

import argparse
import difflib
import json
import os
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
TARGET = ROOT / "docs" / "api" / "openapi.json"
MAX_DIFF_LINES = 60


def _setup_django() -> None:
    sys.path.insert(0, str(ROOT / "src"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "egov.settings")
    os.environ.setdefault("EGOV_ENV", "test")
    import django

    django.setup()


def generate() -> str:
    """The OpenAPI document as the text that is committed."""
    from django.utils import translation

    from egov.api.api import api

    with translation.override("en"):
        schema = api.get_openapi_schema(path_prefix="/api/v1/")
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


def _paths(text: str) -> dict[str, set[str]]:
    try:
        document: dict[str, Any] = json.loads(text)
    except ValueError:
        return {}
    return {path: set(methods) for path, methods in document.get("paths", {}).items()}


def compare(current: str, expected: str) -> list[str]:
    """Human summary of how the committed text `current` differs from `expected` ([] if equal)."""
    if current == expected:
        return []
    old, new = _paths(current), _paths(expected)
    lines = [f"  + path {p} ({', '.join(sorted(new[p]))})" for p in sorted(new.keys() - old.keys())]
    lines += [
        f"  - path {p} ({', '.join(sorted(old[p]))})" for p in sorted(old.keys() - new.keys())
    ]
    lines += [
        f"  ~ path {p}: {sorted(old[p])} -> {sorted(new[p])}"
        for p in sorted(old.keys() & new.keys())
        if old[p] != new[p]
    ]
    diff = list(
        difflib.unified_diff(
            current.splitlines(),
            expected.splitlines(),
            fromfile="docs/api/openapi.json (committed)",
            tofile="docs/api/openapi.json (generated)",
            lineterm="",
            n=2,
        )
    )
    lines.append(f"  {len(diff)} lines of unified diff; first {min(len(diff), MAX_DIFF_LINES)}:")
    lines.extend(diff[:MAX_DIFF_LINES])
    return lines


def check(target: Path = TARGET) -> tuple[bool, list[str]]:
    """(up to date?, summary lines) for the file at `target`."""
    expected = generate()
    if not target.exists():
        return False, [f"{target} is missing; run: make openapi"]
    problems = compare(target.read_text(encoding="utf-8"), expected)
    if problems:
        return False, [f"{target} is out of date; run: make openapi", *problems]
    return True, []


def write(target: Path = TARGET) -> bool:
    """Regenerate the file; True when its content changed."""
    text = generate()
    target.parent.mkdir(parents=True, exist_ok=True)
    changed = not target.exists() or target.read_text(encoding="utf-8") != text
    if changed:
        target.write_text(text, encoding="utf-8")
    return changed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--write", action="store_true", help="regenerate the committed document")
    mode.add_argument("--check", action="store_true", help="fail when it is out of date")
    parser.add_argument("--file", type=Path, default=TARGET, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    _setup_django()
    if args.write:
        changed = write(args.file)
        print(f"{args.file}: {'updated' if changed else 'unchanged'}")  # noqa: T201
        return 0
    ok, lines = check(args.file)
    for line in lines:
        print(line, file=sys.stderr)  # noqa: T201
    if ok:
        print(f"{args.file}: up to date")  # noqa: T201
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

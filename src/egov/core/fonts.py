"""TrueType fonts with the Vietnamese letters, for every PDF the platform draws.

Official papers are set in a Times-compatible face (Decree 30/2020). Liberation Serif 2 (Debian
`fonts-liberation2`, installed by `scripts/system-deps.sh fonts`) has Times' metrics and the
Vietnamese glyphs; version 1 (`fonts-liberation`) lacks them, so every candidate is checked
glyph by glyph before use. Signature stamps (egov.signing.stamps) and the one-stop slips
(egov.dossiers.slips) both find their font here.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

from reportlab.lib.fonts import addMapping
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

SERIF_CANDIDATES = (
    "/usr/share/fonts/truetype/liberation2/LiberationSerif-Regular.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSerif-Regular.ttf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf",
)
VIETNAMESE_SAMPLE = (
    "ĐđƠơƯưẠạẢảẤấẦầẨẩẪẫẬậẮắẰằẲẳẴẵẶặẸẹẺẻẼẽẾếỀềỂểỄễỆệ"
    "ỈỉỊịỌọỎỏỐốỒồỔổỖỗỘộỚớỜờỞởỠỡỢợỤụỦủỨứỪừỬửỮữỰựỲỳỴỵỶỷỸỹ"
)
_lock = threading.Lock()
_registered: dict[str, FontFamily] = {}


class FontMissing(RuntimeError):
    """No candidate font has every Vietnamese letter (install fonts-liberation2)."""


@dataclass(frozen=True)
class FontFamily:
    """ReportLab names of one registered family; `bold` etc. fall back to `regular`."""

    regular: str
    bold: str
    italic: str
    bold_italic: str
    path: str


def has_vietnamese(font: TTFont) -> bool:
    return all(ord(ch) in font.face.charToGlyph for ch in VIETNAMESE_SAMPLE)


def vietnamese_font_path(
    configured: str = "", candidates: tuple[str, ...] = SERIF_CANDIDATES
) -> str:
    """The first of `configured` and `candidates` that exists and has every Vietnamese letter."""
    for candidate in (configured, *candidates):
        if not candidate or not Path(candidate).is_file():
            continue
        if has_vietnamese(TTFont("_probe", candidate)):
            return candidate
    raise FontMissing(
        "no TrueType font with the Vietnamese letters found: install fonts-liberation2 "
        "(scripts/system-deps.sh fonts) or configure a font file"
    )


def _style_path(regular: str, suffix: str) -> str | None:
    """Another face next to `regular`: LiberationSerif-Bold.ttf, DejaVuSerif-Bold.ttf."""
    path = Path(regular)
    stem = path.stem.removesuffix("-Regular")
    candidate = path.with_name(f"{stem}-{suffix}{path.suffix}")
    return str(candidate) if candidate.is_file() else None


def register_vietnamese_family(name: str, configured: str = "") -> FontFamily:
    """Register (once per process, thread-safe) a serif family with Vietnamese letters under
    `name`, `name`-Bold, `name`-Italic, `name`-BoldItalic; a face the family lacks is the
    regular one (or is refused when it lacks the Vietnamese letters)."""
    family = _registered.get(name)
    if family is not None:
        return family
    with _lock:
        family = _registered.get(name)
        if family is not None:
            return family
        regular = vietnamese_font_path(configured)
        pdfmetrics.registerFont(TTFont(name, regular))
        names = {"regular": name}
        for style, suffix in (
            ("bold", "Bold"),
            ("italic", "Italic"),
            ("bold_italic", "BoldItalic"),
        ):
            path = _style_path(regular, suffix)
            font = TTFont(f"{name}-{suffix}", path) if path else None
            if font is not None and has_vietnamese(font):
                pdfmetrics.registerFont(font)
                names[style] = f"{name}-{suffix}"
            else:
                names[style] = name
        addMapping(name, 0, 0, names["regular"])
        addMapping(name, 1, 0, names["bold"])
        addMapping(name, 0, 1, names["italic"])
        addMapping(name, 1, 1, names["bold_italic"])
        family = FontFamily(
            regular=names["regular"],
            bold=names["bold"],
            italic=names["italic"],
            bold_italic=names["bold_italic"],
            path=regular,
        )
        _registered[name] = family
        return family

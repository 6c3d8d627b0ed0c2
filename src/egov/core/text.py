"""Vietnamese accent folding: people type "cap phep xay dung" for "Cấp giấy phép xây dựng".

`fold` runs on every indexed text and every search query, so it is one `str.lower`, one
`str.translate` with a precomputed table and one whitespace split: no per-character Python loop
and no NFD pass over the whole text.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["fold", "search_tokens", "search_text"]


def _build_table() -> dict[int, int | None]:
    """Map every precomposed Latin letter with marks to its bare base letter, drop bare marks."""
    table: dict[int, int | None] = {}
    ranges = [(0x00C0, 0x0250), (0x1E00, 0x1F00)]  # Latin-1 Supplement … Latin Extended Additional
    for start, stop in ranges:
        for code in range(start, stop):
            char = chr(code)
            base = unicodedata.normalize("NFD", char)[0].lower()
            if base != char and base.isascii():
                table[code] = ord(base)
    # Combining marks (text that arrives already decomposed, NFD) simply disappear.
    for code in range(0x0300, 0x0370):
        table[code] = None
    for code in range(0x1AB0, 0x1B00):
        table[code] = None
    for code in range(0x1DC0, 0x1E00):
        table[code] = None
    # The letters NFD does not decompose: đ/Đ above all, and a few look-alikes.
    table[ord("đ")] = ord("d")
    table[ord("Đ")] = ord("d")
    table[ord("ð")] = ord("d")
    table[ord("Ð")] = ord("d")
    table[ord("ɖ")] = ord("d")
    table[ord("ı")] = ord("i")
    table[ord("ł")] = ord("l")
    table[ord("Ł")] = ord("l")
    table[ord("ø")] = ord("o")
    table[ord("Ø")] = ord("o")
    return table


_TABLE = _build_table()
_TOKEN = re.compile(r"[^\W_]+")


def fold(text: str) -> str:
    """Lower-case, strip diacritics (đ/Đ → d) and collapse whitespace: the form we compare."""
    lowered = text.lower()
    if not lowered.isascii():  # accent-free queries skip the table entirely
        lowered = lowered.translate(_TABLE)
    return " ".join(lowered.split())


def search_tokens(text: str) -> list[str]:
    """The words of `text` after folding, without punctuation: what the full-text index holds."""
    return _TOKEN.findall(fold(text))


def search_text(text: str) -> str:
    """Folded words joined by single spaces.

    Both SQLite's unicode61 tokenizer and PostgreSQL's `simple` parser then see the same plain
    words (PostgreSQL would otherwise read "12/2024/nd-cp" as one file-path token).
    """
    return " ".join(search_tokens(text))


def format_vnd(amount: int, language: str | None = None) -> str:
    """An amount of đồng as people read it: "150.000 đồng" in Vietnamese (dots group the
    thousands), "150,000 VND" in English. One rule for screens, slips and receipts."""
    from django.utils.translation import get_language

    grouped = f"{int(amount):,}"
    if (language or get_language() or "vi").startswith("vi"):
        return grouped.replace(",", ".") + " đồng"
    return f"{grouped} VND"

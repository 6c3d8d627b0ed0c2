"""A small HTML inspector for the page tests (standard library only)."""

from __future__ import annotations

from html.parser import HTMLParser


class Page(HTMLParser):
    """Collects what the tests look at: tags with their attributes, and the text."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.inline_scripts = 0
        self.style_elements = 0
        self._in_script_without_src = False
        self.text_parts: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        self.tags.append((tag, values))
        if tag == "script" and "src" not in values:
            self._in_script_without_src = values.get("type") not in {"application/json"}
        if tag == "style":
            self.style_elements += 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script_without_src = False

    def handle_data(self, data: str) -> None:
        if self._in_script_without_src and data.strip():
            self.inline_scripts += 1
        self.text_parts.append(data)

    @property
    def text(self) -> str:
        return " ".join(" ".join(self.text_parts).split())

    def find(self, tag: str, **attrs: str) -> list[dict[str, str]]:
        wanted = {key.rstrip("_").replace("_", "-"): value for key, value in attrs.items()}
        return [
            values
            for name, values in self.tags
            if name == tag and all(values.get(k) == v for k, v in wanted.items())
        ]

    def with_attribute(self, attribute: str) -> list[tuple[str, dict[str, str]]]:
        return [(name, values) for name, values in self.tags if attribute in values]

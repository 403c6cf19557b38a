"""Reading a leaflet's HTML back for tests: its visible text, headings, tags and options."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser

#: text inside these is not shown on the page
_HIDDEN = {"head", "style", "script", "title", "template"}
_BLOCKS = {"p", "li", "h1", "h2", "h3", "h4", "h5", "h6", "div", "section", "br", "ul", "ol"}
_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source"}


@dataclass
class Page:
    """What a leaflet's HTML holds, as a reader and a browser see it."""

    tags: list[tuple[str, dict[str, str | None]]] = field(default_factory=list)
    headings: list[tuple[int, str]] = field(default_factory=list)
    option_ids: list[str] = field(default_factory=list)
    #: option id -> the class of the section it sits in
    option_sections: dict[str, str] = field(default_factory=dict)
    chunks: list[str] = field(default_factory=list)
    title: str = ""
    style: str = ""

    @property
    def text(self) -> str:
        """The visible text, whitespace squeezed to single spaces."""
        return " ".join("".join(self.chunks).split())


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.page = Page()
        self.open: list[str] = []
        self.section = ""
        self.heading: tuple[int, list[str]] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        self.page.tags.append((tag, found))
        if tag == "section":
            self.section = found.get("class") or ""
        if found.get("data-option-id"):
            option_id = str(found["data-option-id"])
            self.page.option_ids.append(option_id)
            self.page.option_sections[option_id] = self.section
        if len(tag) == 2 and tag[0] == "h" and tag[1].isdigit():
            self.heading = (int(tag[1]), [])
        if tag in _BLOCKS:
            self.page.chunks.append("\n")
        if tag not in _VOID:
            self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if self.heading and tag == f"h{self.heading[0]}":
            self.page.headings.append((self.heading[0], " ".join("".join(self.heading[1]).split())))
            self.heading = None
        while self.open and self.open.pop() != tag:
            pass
        if tag in _BLOCKS:
            self.page.chunks.append("\n")

    def handle_data(self, data: str) -> None:
        if "style" in self.open:
            self.page.style += data
        if "title" in self.open:
            self.page.title += data
        if _HIDDEN & set(self.open):
            return
        self.page.chunks.append(data)
        if self.heading:
            self.heading[1].append(data)


def read_page(html: str) -> Page:
    reader = _Reader()
    reader.feed(html)
    reader.close()
    return reader.page

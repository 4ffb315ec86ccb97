"""Visible text of an HTML page in one pass, linear in its size however deep the nesting.

A tree builder (BeautifulSoup) plus per-element edits to mark block boundaries costs time
quadratic in the number of elements: 20,000 `<div>`s took over a minute. The standard
library's event parser keeps no tree; this handler only counts how deep it is inside markup
whose text is not shown and writes a line break at block boundaries.
"""

from __future__ import annotations

from html.parser import HTMLParser

HIDDEN = frozenset({"script", "style", "noscript", "template", "head", "svg", "iframe", "form", "nav",
                    "object", "select", "button"})
"""Elements whose text a reader of the page does not see as posting text."""

BLOCKS = frozenset({"p", "div", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "section", "article", "ul", "ol",
                    "table", "header", "footer", "main", "aside", "blockquote", "pre", "dd", "dt", "dl", "hr",
                    "address", "figure", "figcaption", "details", "summary", "body"})
VOID = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source",
                  "track", "wbr"})
TITLE_TAGS = ("h1", "title")


class _Extractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hidden: dict[str, int] = {}  # open hidden elements by tag
        self.hidden_depth = 0
        self.titles: dict[str, list[str]] = {}
        self.capturing: str | None = None  # the first h1/title being read

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "body" and self.hidden.get("head"):  # an unclosed <head> ends where the body starts
            self.hidden_depth -= self.hidden.pop("head")
        if tag in HIDDEN and tag not in VOID:
            self.hidden[tag] = self.hidden.get(tag, 0) + 1
            self.hidden_depth += 1
        if (tag in TITLE_TAGS and tag not in self.titles and self.capturing is None
                and (tag == "title" or not self.hidden_depth)):
            self.capturing = tag
            self.titles[tag] = []
        if tag == "br":
            self.parts.append("\n")
        elif tag in BLOCKS:
            self.parts.append("\n")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "br" or tag in BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if self.hidden.get(tag):
            self.hidden[tag] -= 1
            self.hidden_depth -= 1
            if not self.hidden[tag]:
                del self.hidden[tag]
        if tag == self.capturing:
            self.capturing = None
        if tag in BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if self.capturing is not None:
            self.titles[self.capturing].append(data)
        if not self.hidden_depth:
            self.parts.append(data)

    def title(self) -> str:
        for tag in TITLE_TAGS:
            text = " ".join("".join(self.titles.get(tag, [])).split())
            if text:
                return text
        return ""


def html_to_text(markup: str) -> tuple[str, str]:
    """(visible text with line breaks at block boundaries, the first h1 or else the <title>)."""
    parser = _Extractor()
    parser.feed(markup)
    parser.close()
    return "".join(parser.parts), parser.title()

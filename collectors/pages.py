"""Documentation pages as text, whatever their rendering: HTML, markdown, or markdown with
HTML tables inside (how docs crawlers store Google's pages). Every docs-page parser reads
pages through here, so a body is decoded (with a typed error) and turned into text one way.

Parsers of prose pages read text instead of markup, so one parser covers the live HTML page
and its markdown or plain-text rendering. Table cells become lines of their own (or, for a
parser that reads tables as markdown, `| a | b |` rows), list items keep a "- " prefix and
headings a "# " prefix, so a parser can still tell them apart.
"""

from __future__ import annotations

import re

from bs4 import BeautifulSoup, CData, NavigableString, Tag

from pricewatch.collectors.base import ParseError

_MARKUP = re.compile(r"<(?:html|body|table|tr|td|th|p|div|li|br|h[1-6]|ul|section)\b",
                     re.IGNORECASE)
_BLOCKS = ("p", "div", "section", "article", "tr", "table", "ul", "ol", "dl", "dt", "dd",
           "pre", "blockquote", "header", "footer", "main", "nav", "aside", "caption")
_TABLE_SEPARATOR = re.compile(r"^\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?$")
BREAK = "\x00"  # stands for <br> while whitespace is collapsed


def decode(body: bytes, source: str) -> str:
    """A body as UTF-8 text, or a ParseError naming the source and the offending byte."""
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ParseError(source, f"body is not UTF-8 ({error.reason} at byte {error.start})") \
            from None


def is_markup(text: str) -> bool:
    return bool(_MARKUP.search(text[:200_000]))


def soup(text: str) -> BeautifulSoup:
    return BeautifulSoup(text, "lxml")


def cell_lines(cell: Tag) -> list[str]:
    """A cell's text split at <br> and block boundaries; source newlines are only spaces."""
    for br in cell.find_all("br"):
        br.replace_with(BREAK)
    for block in cell.find_all(["p", "li", "div"]):
        block.insert_before(BREAK)
        block.insert_after(BREAK)
    text = re.sub(r"\s+", " ", cell.get_text(""))
    return [line.strip() for line in text.split(BREAK) if line.strip()]


def page_text(body: bytes, source: str, *, markdown_rows: bool = False) -> str:
    """A page's visible text in reading order: markup rendered (see the module docstring),
    markdown and plain text as they are. `markdown_rows` renders each table row as one
    `| a | b |` line, for parsers that read tables the way they read markdown."""
    text = decode(body, source)
    return _markup_text(text, markdown_rows) if is_markup(text) else text


def document_lines(body: bytes, source: str) -> list[str]:
    """Every non-empty line of a page in reading order, each table cell a line of its own."""
    text = page_text(body, source)
    lines = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or _TABLE_SEPARATOR.match(line):
            continue
        if line.startswith("|") or line.endswith("|"):  # a markdown table row
            lines.extend(c.strip() for c in line.strip("|").split("|") if c.strip())
            continue
        lines.append(line)
    return lines


def _markup_text(text: str, markdown_rows: bool = False) -> str:
    """The page's text with the line structure the module docstring describes, produced in
    one walk of the tree (inserting marker strings into it cost a search of each parent's
    children per insert: quadratic in a page with many siblings)."""
    return _render(soup(text), markdown_rows)


_DROPPED = {"script", "style", "noscript", "template", "svg"}
_WRAPS = {**{f"h{n}": ("\n# ", "\n") for n in range(1, 7)}, "li": ("\n- ", "\n"),
          "td": ("\n", "\n"), "th": ("\n", "\n"),
          **{name: ("\n", "\n") for name in _BLOCKS}}


def _render(root: Tag, markdown_rows: bool) -> str:
    out: list[str] = []
    stack: list[object] = [root]  # tags and strings to read, and separators (plain str)
    while stack:
        item = stack.pop()
        if isinstance(item, NavigableString):
            if type(item) in (NavigableString, CData):  # as get_text: no comments
                out.append(str(item))
            continue
        if isinstance(item, str):
            out.append(item)
            continue
        if not isinstance(item, Tag) or item.name in _DROPPED:
            continue
        if item.name == "br":
            out.append("\n")
            continue
        if markdown_rows and item.name == "tr":
            cells = [c.get_text(" ", strip=True) for c in item.find_all(["th", "td"])]
            out.append("\n| " + " | ".join(cells) + " |\n")
            continue
        before, after = _WRAPS.get(item.name, ("", ""))
        stack.append(after)
        stack.extend(reversed(list(item.children)))
        stack.append(before)
    return "".join(out)

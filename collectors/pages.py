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

from bs4 import BeautifulSoup, Tag

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
    page = soup(text)
    for dropped in page.find_all(["script", "style", "noscript", "template", "svg"]):
        dropped.decompose()
    if markdown_rows:
        for row in page.find_all("tr"):
            cells = [c.get_text(" ", strip=True) for c in row.find_all(["th", "td"])]
            row.replace_with(page.new_string("\n| " + " | ".join(cells) + " |\n"))
    for br in page.find_all("br"):
        br.replace_with("\n")
    for heading in page.find_all(["h1", "h2", "h3", "h4", "h5", "h6"]):
        heading.insert_before("\n# ")
        heading.insert_after("\n")
    for item in page.find_all("li"):
        item.insert_before("\n- ")
        item.insert_after("\n")
    for cell in page.find_all(["td", "th"]):
        cell.insert_before("\n")
        cell.insert_after("\n")
    for block in page.find_all(_BLOCKS):
        block.insert_before("\n")
        block.insert_after("\n")
    # Markup pages wrap lines in their source; only the inserted breaks and markdown lines
    # in text nodes (a markdown page with an HTML table) are real.
    return page.get_text("")

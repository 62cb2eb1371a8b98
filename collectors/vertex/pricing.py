"""Vertex AI's generative-AI pricing page: HTML tables read by what their cells mean.

Google has changed this page's layout many times, so nothing here depends on a column's
position or a table's order. A table is a price table when its cells hold dollar amounts;
its header texts say which columns are prices, for which context band (`<= 200K`,
`=< 100K`, `> 200K`), for cached input, for which service tier ("with Priority") and in
which unit. A row's model comes from the first label column (a `rowspan` cell, or an empty
cell that repeats the row above), its price type from the type column ("Input (audio)",
"Text output ...", "Batch Input", or lines paired with lines in the legacy table), and a
cell may hold several entries: `$1.50 (Global)<br><br>$1.65 (Non-global)*`, labelled lines
(`Input: $3.00<br>Output: $15.00 ...`), `Batch: $0.075 (Global)`. Footnote marks tie an
entry to its footnote's effective date; "Starting January 1, 2027" in an entry, a row or a
table heading dates a future price.

What is not understood is reported, never guessed: a row or table whose shape is not
recognised is named in the run's messages and counted, and a page where most price tables
are unrecognised is suspect (it writes no history). The partner model pages that state a
preview model is free ("no charges during the Preview period") are read by the same parser:
such a model is priced 0 with status preview, never with a price borrowed from another row.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from bs4 import NavigableString, Tag

from pricewatch.collectors import pages
from pricewatch.collectors.base import (
    ParseError,
    ParseOutput,
    PlanContext,
    Source,
    UnreadLog,
    merge_by_key,
)
from pricewatch.collectors.fetch import Request
from pricewatch.collectors.vertex.names import (
    DATE,
    PROVIDER,
    display_name,
    first_date,
    model_slug,
    parse_date,
    tokens,
)
from pricewatch.collectors.vertex.settings import VertexSettings
from pricewatch.errors import InputError
from pricewatch.records import AnyRecord, OfferRecord, PriceRecord, validate_record

PRICING = "vertex.pricing"

_MONEY = re.compile(r"\$\s?\d")
_ENTRY = re.compile(r"^(?:(?P<label>[A-Za-z0-9][^:$]{0,60}?)\s*:\s*)?(?:US)?\$\s?"
                    r"(?P<amount>\d[\d,]*(?:\.\d+)?)(?P<rest>.*)$")
_NOT_OFFERED = re.compile(r"^(?:n/?a|not available|not offered|not supported|[-\u2013\u2014])"
                          r"\*?$", re.IGNORECASE)
_FREE = re.compile(r"^(?:free|no charge|free of charge)\b", re.IGNORECASE)
_ROUTE = re.compile(r"\(\s*(global|non[- ]?global|regional)\s*\)", re.IGNORECASE)
_MARK = re.compile(r"(\*+|\u2020+|\u2021)")
_STARTS = re.compile(r"\b(?:starting|from|effective|beginning|begins)\s+(?:on\s+)?$",
                     re.IGNORECASE)
_ABOVE = re.compile(r"(?:>=?|\u2265|above|over|greater than|more than|longer than|"
                    r"superior a|exceeding)\s*(\d[\d,.]*)\s*([km])?\b", re.IGNORECASE)
_BELOW = re.compile(r"(?:<=|=<|<|\u2264|up to|under|less than|hasta)\s*\d", re.IGNORECASE)
_LONG_RULE = re.compile(r"longer than (?:or equal to )?(\d[\d,.]*)\s*([km])\b",
                        re.IGNORECASE)
_BAND_PHRASE = re.compile(r"(?:<=|=<|<|>=|>|\u2264|\u2265)?\s*\d[\d,.]*\s*[km]?\s*"
                          r"(?:cached\s+)?(?:input\s+)?(?:tokens?|context)\b", re.IGNORECASE)
_UNITS: tuple[tuple[re.Pattern[str], str, Decimal], ...] = (
    (re.compile(r"(?:/|per)\s*(?:1\s?m|million|1,000,000)\s*(?:input |output )?tokens?|"
                r"per\s+(?:1\s?m|million)\b|/\s*1\s?m\b", re.IGNORECASE),
     "per_1m_tokens", Decimal(1)),
    (re.compile(r"(?:/|per)\s*(?:1\s?k|1,000|thousand)\s*tokens?", re.IGNORECASE),
     "per_1m_tokens", Decimal(1000)),
    (re.compile(r"(?:1\s?k|1[,.]000)\s*(?:characters|caracteres|chars)", re.IGNORECASE),
     "per_1k_characters", Decimal(1)),
    (re.compile(r"(?:/|per|por)\s*(?:image|imagen)", re.IGNORECASE), "per_image", Decimal(1)),
    (re.compile(r"(?:/|per|por)\s*(?:second|segundo|sec)\b", re.IGNORECASE), "per_second",
     Decimal(1)),
    (re.compile(r"(?:/|per|por)\s*minute", re.IGNORECASE), "per_minute", Decimal(1)),
    (re.compile(r"(?:/|per)\s*(?:1\s?k|1,000)\s*(?:grounded prompts|requests|queries|"
                r"searches)", re.IGNORECASE), "per_1k_searches", Decimal(1)),
    (re.compile(r"(?:/|per)\s*(?:request|call)\b", re.IGNORECASE), "per_request", Decimal(1)),
)
# A price type's words -> component; first match wins, so specific rules come first.
_COMPONENTS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern, re.IGNORECASE), component) for pattern, component in (
        (r"\b1\s?h(?:our)?\b.*cache (?:write|creation)|cache (?:write|creation).*\b1\s?h",
         "cache_write_1h"),
        (r"cache (?:write|creation)", "cache_write"),
        (r"cache (?:hit|read)|cached", "cache_read"),
        (r"input\s*\(\s*audio\s*\)|audio input|input audio", "audio_input"),
        (r"image input|input\s*\(\s*image\s*\)", "image_input"),
        (r"video input|input\s*\(\s*video\s*\)", "video_input"),
        (r"\binput\b", "input"),
        (r"image output|output\s*\(\s*image|image generation|generated images?",
         "image_output"),
        (r"audio output|output\s*\(\s*audio", "audio_output"),
        (r"video output|video generation|generated video", "video_output"),
        (r"\boutput\b", "output"),
        (r"grounding|google search|web search", "web_search"),
        (r"embeddings?\b", "input"),
    ))
_CACHED = {"input": "cache_read", "audio_input": "audio_cache_read",
           "image_input": "cache_read", "video_input": "cache_read",
           "cache_read": "cache_read"}
_PREVIEW_FREE = re.compile(r"no charges? (?:during|for) the preview|preview (?:models? )?"
                           r"(?:is|are) (?:free|not charged)", re.IGNORECASE)
_GA = re.compile(r"^(.*?)\s+(?:is|are)\s+generally available", re.IGNORECASE)
_MAAS_ID = re.compile(r"\b[a-z][a-z0-9.-]*-maas\b")
_FAMILY = re.compile(r"^#*\s*([A-Z][A-Za-z]+ \d+(?:\.\d+)?)\s*$")


_OTHER_LABEL = re.compile(r"\btype\b|\btipo\b|region|endpoint|location|attribute|atributo|"
                          r"modality", re.IGNORECASE)


class _Unreadable(InputError, ValueError):
    """A row or entry whose meaning is not certain; reported, never guessed."""


@dataclass(frozen=True)
class Column:
    index: int
    header: str
    threshold: int | None  # None: the header names no context band
    cached: bool
    tiers: tuple[str, ...]
    unit: tuple[str, Decimal] | None
    component: str | None  # simple tables: "Input price", "Output price"


@dataclass
class Entry:
    label: str
    amount: Decimal
    route: str
    marker: str
    unit: tuple[str, Decimal] | None
    effective_from: date | None


@dataclass
class Page:
    """Facts of the whole page a table needs: footnotes and the long-context rule."""

    footnotes: list[str] = field(default_factory=list)
    long_context: int | None = None
    default_unit: tuple[str, Decimal] | None = None
    # every element with an id, looked up once: a tab panel names its button by id, and a
    # search of the whole page per table made parsing quadratic in the page's size
    ids: dict[str, Tag] = field(default_factory=dict)


@dataclass
class Report:
    recognised: int = 0
    unrecognised: list[str] = field(default_factory=list)  # table names
    rows: list[str] = field(default_factory=list)  # row problems
    unplaced: list[str] = field(default_factory=list)  # rows read as a labelled row again
    columns: list[str] = field(default_factory=list)  # label columns of no known meaning
    names: dict[str, str] = field(default_factory=dict)  # model id -> name on the page


# --- cells -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Cell:
    lines: tuple[str, ...]
    header: bool
    origin: int  # id of the <td>, to tell a rowspan copy from a new cell

    @property
    def text(self) -> str:
        return " ".join(self.lines)


def table_grid(table: Tag) -> list[list[Cell]]:
    """The table as a grid, rowspan and colspan cells repeated where they cover."""
    grid: list[list[Cell]] = []
    pending: dict[int, tuple[Cell, int]] = {}
    group = None
    for tr in _rows(table):
        if tr.parent is not group:  # a rowspan ends with its row group (HTML's rule)
            group, pending = tr.parent, {}
        row: list[Cell] = []
        for td in tr.find_all(["td", "th"], recursive=False):
            _fill_spanned(row, pending)
            cell = Cell(tuple(pages.cell_lines(td)), td.name == "th", id(td))
            for _ in range(_span(td, "colspan")):
                rows_left = _span(td, "rowspan")
                if rows_left > 1:
                    pending[len(row)] = (cell, rows_left - 1)
                row.append(cell)
        _fill_spanned(row, pending)
        grid.append(row)
    return grid


def _fill_spanned(row: list[Cell], pending: dict[int, tuple[Cell, int]]) -> None:
    """Put the cells that rowspans above carry into this row's next positions."""
    while len(row) in pending:
        cell, left = pending.pop(len(row))
        if left > 1:
            pending[len(row)] = (cell, left - 1)
        row.append(cell)


def _rows(table: Tag) -> list[Tag]:
    return [tr for tr in table.find_all("tr") if tr.find_parent("table") is table]


def _span(td: Tag, name: str) -> int:
    try:
        return max(1, min(int(str(td.get(name, "1")).strip() or 1), 50))
    except ValueError:
        return 1


# --- the page ---------------------------------------------------------------------------


def parse_pricing(body: bytes, observed_at: datetime,
                  options: VertexSettings | None = None) -> ParseOutput:
    """Price records from the pricing page, or preview facts from a partner model page."""
    text = pages.decode(body, PRICING)
    lines = pages.document_lines(body, PRICING)
    if not pages.is_markup(text):
        records = preview_records(lines)
        if not records and not is_partner_page(lines):
            raise ParseError(PRICING, "neither an HTML pricing page nor a partner model page")
        return ParseOutput(records, [])
    document = pages.soup(text)
    page = _page_facts(document)
    page.ids = element_ids(document)
    report = Report()
    entries: list[AnyRecord] = []
    for number, table in enumerate(document.find_all("table"), start=1):
        entries.extend(_read_table(table, number, page, report))
    entries.extend(preview_records(lines))
    if not entries and not report.unrecognised:
        if is_partner_page(lines):  # read fine; it just names no free preview (2026 pages)
            return ParseOutput([], [])
        raise ParseError(PRICING, "no price table and no statement that preview models are "
                                  "free: not a pricing or partner model page")
    records, conflicts = _deduplicated(entries)
    warnings = [f"{PRICING}: {message}" for message in report.rows + report.unplaced
                + conflicts]
    unread = UnreadLog()
    for path, items in (
            ("price table row without a type label, repeating a labelled row", report.unplaced),
            ("price table not recognised", report.unrecognised),
            ("price table row not recognised", report.rows),
            ("price table column of no known meaning", report.columns)):
        for item in items:
            unread.note(path, item)
    if report.unrecognised:
        warnings.insert(0, f"{PRICING}: {len(report.unrecognised)} of "
                           f"{len(report.unrecognised) + report.recognised} price tables not "
                           f"recognised: {'; '.join(report.unrecognised)}")
    suspect = None
    if report.recognised == 0 and not records:
        suspect = f"{PRICING}: no price table recognised on the page"
    elif len(report.unrecognised) > report.recognised:
        suspect = (f"{PRICING}: most price tables not recognised ({len(report.unrecognised)} "
                   f"of {len(report.unrecognised) + report.recognised})")
    return ParseOutput(_with_offers(records, report.names), warnings, suspect, unread.items())


def _page_facts(document: Tag) -> Page:
    lines = [" ".join(line.split()) for line in document.get_text("\n").splitlines()]
    page = Page()
    for line in lines:
        for part in re.split(r"(?=(?:^|\s)(?:\*+|\u2020|\u2021)\s)", line):
            part = part.strip()
            if _MARK.match(part):
                page.footnotes.append(part)
        rule = _LONG_RULE.search(line)
        if rule and page.long_context is None and "long context" in line.lower():
            page.long_context = tokens(rule.group(1), rule.group(2))
    whole = " ".join(lines)
    if re.search(r"/\s*1M tokens|per (?:1M|million) tokens|million tokens", whole,
                 re.IGNORECASE):
        page.default_unit = ("per_1m_tokens", Decimal(1))
    return page


def _heading(table: Tag) -> str:
    caption = table.find("caption")
    if caption is not None and caption.get_text(strip=True):
        return " ".join(caption.get_text(" ").split())
    heading = table.find_previous(["h1", "h2", "h3", "h4", "h5"])
    return " ".join(heading.get_text(" ").split()) if heading is not None else ""


def _tiers(text: str) -> tuple[str, ...]:
    lowered = text.lower()
    return tuple(t for t in ("batch", "flex", "priority") if re.search(rf"\b{t}\b", lowered))


# --- devsite tabs, preambles and dated model names ---------------------------------------

_REGION_ID = re.compile(r"^[a-z]+(?:-[a-z]+)+\d+$")  # us-east5, europe-west1, asia-southeast1
_TIER_LABEL = re.compile(r"^(?:standard(?: model)?|priority|flex|batch|flex\s*/\s*batch|"
                         r"batch\s*/\s*flex)$", re.IGNORECASE)


@dataclass(frozen=True)
class Tab:
    """What the devsite tabs around a table say of every price in it."""

    tiers: tuple[str, ...] = ()  # from a tier tab (Standard, Priority, Flex/Batch, Batch)
    route: str = ""              # from a route tab (Global, Non-global, us-east5)
    labels: tuple[str, ...] = ()


def tab_context(table: Tag, ids: dict[str, Tag] | None = None) -> Tab:
    """The labels of the tab panels that hold the table, outermost first. A panel is a
    `role="tabpanel"` element whose `aria-labelledby` names its tab button; the label is
    the button's `track-metadata-eventdetail` or its text. A tier label sets the service
    tier, a region-class or region label the route; other labels only name the table."""
    tiers: tuple[str, ...] = ()
    route = ""
    labels = []
    for panel in reversed(list(table.find_parents(attrs={"role": "tabpanel"}))):
        label = _tab_label(panel, ids)
        if not label:
            continue
        labels.append(label)
        if _TIER_LABEL.match(label):
            tiers = _tiers(label) or ("standard",)
        elif re.match(r"^(?:global|non[- ]?global|regional)\b", label, re.IGNORECASE) \
                or _REGION_ID.match(label.lower()):
            route = _route_name(label)
    return Tab(tiers, route, tuple(labels))


def _tab_label(panel: Tag, ids: dict[str, Tag] | None = None) -> str:
    if ids is None:
        root = panel
        while root.parent is not None:
            root = root.parent
        ids = element_ids(root)
    for label_id in str(panel.get("aria-labelledby") or "").split():
        button = ids.get(label_id)
        if button is not None:
            text = button.get("track-metadata-eventdetail") or button.get_text(" ")
            return " ".join(str(text).split())
    return " ".join(str(panel.get("aria-label") or "").split())


def element_ids(root: Tag) -> dict[str, Tag]:
    """Every element with an id, the first of each id (as `find(id=...)` would find it)."""
    found: dict[str, Tag] = {}
    for tag in root.find_all(id=True):
        found.setdefault(str(tag["id"]), tag)
    return found


def _preamble(table: Tag) -> str:
    """The text between the table and the heading before it (a note such as "Starting
    January 1, 2027, these prices apply"): it dates the table like a heading does. Read
    backwards lazily: the walk stops at a heading, a table or 600 characters."""
    parts = []
    for node in table.previous_elements:
        if not isinstance(node, NavigableString):
            continue
        parent = node.parent
        if parent is not None and parent.name in ("h1", "h2", "h3", "h4", "h5"):
            break
        if parent is not None and parent.find_parent("table") is not None:
            break  # the text of an earlier table is not a note on this one
        parts.append(str(node))
        if sum(map(len, parts)) > 600:
            break
    return " ".join(" ".join(reversed(parts)).split())


_CURRENT_WORDS = ("through", "until", "till", "to", "before", "ending")
_PERIOD_WORD = re.compile(r"\b(through|until|till|to|before|ending|starting|from|effective|"
                          r"beginning|begins|after|as of)\s*(?:on\s*)?[,:]?\s*$", re.IGNORECASE)


def model_period(text: str) -> tuple[str, bool, date | None]:
    """A model cell's name and the period it states: "Gemini X* through March 31, 2027" is
    (Gemini X, dated, None: current until then); "Gemini X Starting April 1, 2027" is
    (Gemini X, dated, 2027-04-01: a future price). A cell without a period is (text, False,
    None). The name never keeps the date, the period word or a footnote mark."""
    for match in DATE.finditer(text):
        word = _PERIOD_WORD.search(text[:match.start()])
        if word is None:
            continue
        name = text[:word.start()].strip(" ,:*\u2020\u2021-\u2013\u2014")
        when = parse_date(match)
        current = word.group(1).lower() in _CURRENT_WORDS
        return name, True, None if current else when
    return text, False, None


# --- one table --------------------------------------------------------------------------


def _read_table(table: Tag, number: int, page: Page, report: Report) -> list[AnyRecord]:
    grid = table_grid(table)
    if not any(_MONEY.search(cell.text) for row in grid for cell in row):
        return []  # not a price table
    heading = _heading(table)
    tab = tab_context(table, page.ids)
    label = " / ".join(tab.labels)
    name = f"table {number}" + (f" ('{heading}'" + (f", tab {label}" if label else "") + ")"
                                 if heading or label else "")
    try:
        records = _table_records(grid, heading, name, page, report, tab,
                                 _effective(_preamble(table)))
    except _Unreadable as error:
        report.unrecognised.append(f"{name}: {error}")
        return []
    if not records:
        report.unrecognised.append(f"{name}: no row recognised")
        return []
    report.recognised += 1
    return records


def _header_rows(grid: list[list[Cell]]) -> int:
    count = 0
    for row in grid:
        if row and all(cell.header for cell in row) and not any(
                _MONEY.search(cell.text) for cell in row):
            count += 1
        else:
            break
    if count == 0 and grid and not any(_MONEY.search(c.text) for c in grid[0]) and re.search(
            r"\bmodel|price", " ".join(c.text for c in grid[0]), re.IGNORECASE):
        count = 1
    return count


def _table_records(grid: list[list[Cell]], heading: str, name: str, page: Page,
                   report: Report, tab: Tab | None = None,
                   preamble_date: date | None = None) -> list[AnyRecord]:
    head = _header_rows(grid)
    if head == 0:
        raise _Unreadable("no header row")
    body = [row for row in grid[head:] if row]
    width = max(len(row) for row in grid)
    headers = [" ".join(dict.fromkeys(row[i].text for row in grid[:head] if i < len(row)))
               for i in range(width)]
    prices = [i for i in range(width) if _is_price_column(i, headers[i], body)]
    labels = [i for i in range(width) if i not in prices]
    if not prices or not labels:
        raise _Unreadable("no price column" if not prices else "no model column")
    # The model column says so ("Model", or the typo'd "ModelPrice ..."), else it is the
    # first label column that is not a known other one: a table that lost it is not read.
    model_col = next((i for i in labels if re.match(r"\s*model", headers[i], re.I)), None)
    if model_col is None:
        model_col = next((i for i in labels if not _OTHER_LABEL.search(headers[i])), None)
    if model_col is None:
        raise _Unreadable("no model column")
    report.columns += [f"{name} column '{headers[i]}'" for i in labels if i != model_col
                       and not _OTHER_LABEL.search(headers[i])]
    type_col = next((i for i in labels if i != model_col
                     and re.search(r"\btype\b|\btipo\b", headers[i], re.I)), None)
    region_col = next((i for i in labels if re.search(r"region|endpoint|location", headers[i],
                                                      re.I)), None)
    tab = tab or Tab()
    table_tiers = tab.tiers or (_tiers(heading) if len(heading) < 40 else ())
    table_date = _effective(heading) or preamble_date
    columns = [_column(i, headers[i], page) for i in prices]
    table_unit = next((c.unit for c in columns if c.unit), None)
    read: list[tuple[list[AnyRecord], bool, str]] = []  # (records, own label, where)
    labels_seen: set[int] = set()
    model = kind = ""
    row_date = table_date
    for row in body:
        named = _cell(row, model_col)
        if named:  # a new model (or a rowspan copy): its period, if it states one
            name_only, dated, starts = model_period(named)
            model = display_name(name_only) or model
            row_date = starts if dated else table_date
        kind_lines = _lines(row, type_col)
        kind = " ".join(kind_lines) or kind
        own = type_col is None or (type_col < len(row) and bool(kind_lines)
                                   and row[type_col].origin not in labels_seen)
        if type_col is not None and type_col < len(row):
            labels_seen.add(row[type_col].origin)
        if not any(_MONEY.search(_cell(row, c.index)) for c in columns):
            continue  # a rowspan'd name row, or a row of N/A
        where = f"{name} row '{model}" + (f" / {kind}'" if kind else "'")
        report.names.setdefault(model_slug(model), model)
        region = _region(row, region_col)
        found, problems = _row_records(row, columns, model, kind_lines or [kind],
                                       region if region[0] else (tab.route, region[1]),
                                       table_tiers or ("standard",), row_date,
                                       table_unit or page.default_unit, page)
        read.append((found, own, where))
        report.rows += [f"{where} not recognised: {problem}" for problem in problems]
    return _placed(read, report)


def _placed(read: list[tuple[list[AnyRecord], bool, str]], report: Report) -> list[AnyRecord]:
    """The records of every row, except a row without a type label of its own (the label
    carried from a row above) that prices a key a labelled row already prices otherwise: a
    real tabbed table repeats an Input/Output pair after a model's batch and cache rows.
    The labelled reading is kept and the repeated row recorded as unplaced (unread), so
    neither figure is lost to a conflict."""
    labelled = {r.series: r.price for found, own, _ in read if own for r in found
                if isinstance(r, PriceRecord)}
    records: list[AnyRecord] = []
    for found, own, where in read:
        clash = [r for r in found if isinstance(r, PriceRecord) and r.series in labelled
                 and labelled[r.series] != r.price]
        if not own and clash:
            shown = ", ".join(f"{r.component} {r.price}" for r in clash)
            report.unplaced.append(f"{where}: {shown} (no type label of its own; the "
                                   "labelled row's price is kept)")
            continue
        records += found
    return records


def _is_price_column(index: int, header: str, body: list[list[Cell]]) -> bool:
    cells = [row[index].text for row in body if index < len(row)]
    if any(_MONEY.search(text) for text in cells):
        return True
    return bool(re.search(r"price|precio|\$|/\s*1M", header, re.I)) and any(
        _NOT_OFFERED.match(text) for text in cells) and index > 0


def _column(index: int, header: str, page: Page) -> Column:
    above = _ABOVE.search(header)
    if above:
        threshold: int | None = tokens(above.group(1), above.group(2) or "")
    elif re.search(r"long[- ]context", header, re.I) and page.long_context:
        threshold = page.long_context
    else:
        threshold = 0 if _BELOW.search(header) else None
    rest = _BAND_PHRASE.sub(" ", header)
    component = _component(rest) if re.search(r"\b(input|output)\b", rest, re.I) else None
    return Column(index, header, threshold, bool(re.search(r"\bcached?\b", header, re.I)),
                  _tiers(header), _unit(header), component)


def _cell(row: list[Cell], index: int | None) -> str:
    return row[index].text if index is not None and index < len(row) else ""


def _lines(row: list[Cell], index: int | None) -> list[str]:
    return list(row[index].lines) if index is not None and index < len(row) else []


def _region(row: list[Cell], index: int | None) -> tuple[str, str]:
    text = _cell(row, index)
    if not text:
        return "", ""
    mark = _MARK.search(text)
    return _route_name(text.replace("*", "")), mark.group(1) if mark else ""


def _route_name(text: str) -> str:
    lowered = text.strip().lower()
    if re.match(r"non[- ]?global|regional", lowered):
        return "non-global"
    return "global" if lowered.startswith("global") else model_slug(lowered)


# --- one row ----------------------------------------------------------------------------


def _row_records(row: list[Cell], columns: list[Column], model: str, kinds: list[str],
                 region: tuple[str, str], tiers: tuple[str, ...], table_date: date | None,
                 table_unit: tuple[str, Decimal] | None, page: Page
                 ) -> tuple[list[AnyRecord], list[str]]:
    """The row's records, and what could not be read, cell by cell."""
    if not model:
        return [], ["no model name"]
    records: list[AnyRecord] = []
    problems: list[str] = []
    for column in columns:
        cell = row[column.index] if column.index < len(row) else None
        if cell is None:
            continue
        try:
            records += _cell_records(cell, column, model, kinds, region, tiers, table_date,
                                     table_unit, page)
        except _Unreadable as error:
            problems.append(f"{error} (column '{column.header or column.index + 1}')")
    return records, problems


def _cell_records(cell: Cell, column: Column, model: str, kinds: list[str],
                  region: tuple[str, str], tiers: tuple[str, ...], table_date: date | None,
                  table_unit: tuple[str, Decimal] | None, page: Page) -> list[AnyRecord]:
    """All of a cell or nothing of it: a cell half understood is not understood."""
    entries = _entries(cell.lines, page)
    for entry in entries:  # a Region cell ("Non-global*") speaks for the row's prices
        entry.route = entry.route or region[0]
        if not entry.marker and region[1]:
            entry.marker = region[1]
            entry.effective_from = entry.effective_from or _footnote_date(
                page, entry.marker, entry.route)
    paired = len(kinds) > 1
    if paired and len(entries) != len(kinds):
        raise _Unreadable(f"{len(kinds)} price types but {len(entries)} prices")
    records: list[AnyRecord] = []
    for position, entry in enumerate(entries):
        kind = kinds[position] if paired else kinds[0]
        records += _entry_records(entry, column, model, kind, region, tiers, table_date,
                                  table_unit)
    return records


def _entries(lines: Iterable[str], page: Page) -> list[Entry]:
    entries: list[Entry] = []
    carried = ""
    for line in lines:
        if _NOT_OFFERED.match(line):
            continue
        if _FREE.match(line):
            entries.append(Entry(carried, Decimal(0), "", "", None, None))
            continue
        match = _ENTRY.match(line)
        if match is None:
            if line.endswith(":") and len(line) < 60:
                carried = line[:-1].strip()
                continue
            if re.search(r"\d", line):
                raise _Unreadable(f"cannot read {line!r}")
            continue
        entries.append(_entry(match, carried))
        carried = ""
    _check_mixed_labels(entries)
    return _global_before_start(entries, page)


def _entry(match: re.Match[str], carried: str) -> Entry:
    rest = match.group("rest")
    route = _ROUTE.search(rest)
    mark = _MARK.search(_ROUTE.sub(" ", rest))
    try:
        amount = Decimal(match.group("amount").replace(",", ""))
    except InvalidOperation:
        raise _Unreadable(f"{match.group(0)!r} is not an amount") from None
    return Entry((match.group("label") or carried).strip(), amount,
                 _route_name(route.group(1)) if route else "",
                 mark.group(1) if mark else "", _unit(rest), _effective(rest))


def _check_mixed_labels(entries: list[Entry]) -> None:
    """`Batch: $0.075 (Global)`, `Flex: $0.08 (Global)`, `$0.0825 (Non-global)*`: the last
    line belongs to one of the labels, the cell does not say which."""
    labelled = {e.label for e in entries if e.label}
    if labelled and any(not e.label for e in entries) and all(
            _component(label) is None for label in labelled):
        unlabelled = next(e for e in entries if not e.label)
        raise _Unreadable(f"${unlabelled.amount} has no label in a cell whose other prices "
                          f"are labelled {', '.join(sorted(labelled))}")


def _effective(text: str) -> date | None:
    """The start date of "Starting January 1, 2027"; "through ..." dates a current price."""
    for match in DATE.finditer(text):
        if _STARTS.search(text[:match.start()]):
            return parse_date(match)
    return None


def _unit(text: str) -> tuple[str, Decimal] | None:
    return next(((unit, scale) for pattern, unit, scale in _UNITS if pattern.search(text)),
                None)


def _component(label: str) -> str | None:
    return next((component for pattern, component in _COMPONENTS if pattern.search(label)),
                None)


def _footnote_date(page: Page, marker: str, route: str) -> date | None:
    for note in page.footnotes:
        if not note.startswith(marker) or note[len(marker):len(marker) + 1] in "*\u2020":
            continue
        lowered = note.lower()
        if "non-global" in lowered and route != "non-global":
            continue
        if re.search(r"effect|effective|starting|start|apply|applies", lowered):
            found = first_date(note)
            if found is not None:
                return found
    return None


def _global_before_start(entries: list[Entry], page: Page) -> list[Entry]:
    """A dated non-global price whose footnote says global pricing applies before that date
    also gets the global figure, undated: what non-global endpoints cost until then."""
    extra = []
    for entry in entries:
        if entry.route != "non-global" or not entry.marker:
            continue
        entry.effective_from = entry.effective_from or _footnote_date(page, entry.marker,
                                                                      entry.route)
        note = next((n for n in page.footnotes if n.startswith(entry.marker)
                     and re.search(r"global endpoint pricing applies", n, re.I)), None)
        twin = next((e for e in entries if e.route == "global" and e.label == entry.label), None)
        if entry.effective_from and note and twin:
            extra.append(Entry(entry.label, twin.amount, "non-global", "", twin.unit, None))
    for entry in entries:
        if entry.marker and entry.effective_from is None:
            entry.effective_from = _footnote_date(page, entry.marker, entry.route)
    return entries + extra


def _entry_records(entry: Entry, column: Column, model: str, kind: str,
                   region: tuple[str, str], tiers: tuple[str, ...], table_date: date | None,
                   table_unit: tuple[str, Decimal] | None) -> list[AnyRecord]:
    label_tiers = _tiers(entry.label)
    label_component = _component(entry.label) if entry.label else None
    if entry.label and label_component is None and not label_tiers:
        raise _Unreadable(f"unknown price label {entry.label!r}")
    component = label_component or _component(kind) or column.component
    if component is None:
        raise _Unreadable(f"price type {kind!r} not known" if kind else "no price type")
    if column.cached and label_component is None:
        if component not in _CACHED:
            raise _Unreadable(f"a cached-input price for {component}")
        component = _CACHED[component]
    unit = entry.unit or _unit(kind) or column.unit or table_unit
    if unit is None:
        raise _Unreadable("no unit for the price")
    if component == "web_search" and unit[0] == "per_1m_tokens":
        raise _Unreadable("a search price under a token-price header: its unit is not stated")
    route = entry.route or region[0]
    effective = entry.effective_from or _effective(kind) or table_date
    chosen = label_tiers or _tiers(kind) or column.tiers or tiers
    return [validate_record({
        "kind": "price", "source": PRICING, "provider": PROVIDER, "model": model_slug(model),
        "route": route, "component": component, "service_tier": tier,
        "context_threshold": column.threshold or 0, "unit": unit[0],
        "price": entry.amount * unit[1], "effective_from": effective}, PRICING)
        for tier in chosen]


# --- partner pages: free previews -------------------------------------------------------


_PARTNER_PAGE = re.compile(r"\bmanaged\b.{0,40}\bAPIs?\b|\bmodel garden\b|\bpartner models?\b",
                           re.IGNORECASE)


def is_partner_page(lines: list[str]) -> bool:
    """A partner model page (Llama, Claude, ... "as managed APIs", "Model Garden"), whether or
    not it states free previews: one that states none is read fine, not a failure."""
    return any(_PARTNER_PAGE.search(line) for line in lines)


def preview_records(lines: list[str]) -> list[AnyRecord]:
    """Models a partner page says are free in preview: price 0, status preview.

    The statement sits under a family heading ("Llama 3.2"); its models are the `-maas`
    ids of that family on the page, less those the page calls generally available. Each keeps
    the page's own id (`llama-3.2-90b-vision-instruct-maas`), and takes images when the page
    says so next to the id ("if you include an image in your prompt").
    """
    ids = sorted({m for line in lines for m in _MAAS_ID.findall(line)})
    general = {model_slug(m.group(1)) for line in lines for m in [_GA.search(line)] if m}
    images = {m for line in lines if re.search(r"\bimages?\b", line, re.IGNORECASE)
              for m in _MAAS_ID.findall(line)}
    family = ""
    free: set[str] = set()
    for line in lines:
        heading = _FAMILY.match(line.lstrip("#- ").strip())
        if heading:
            family = model_slug(heading.group(1))
        elif family and _PREVIEW_FREE.search(line):
            free |= {i for i in ids if model_slug(i).startswith(family + "-")
                     and not any(model_slug(i).startswith(g) for g in general)}
    records: list[AnyRecord] = []
    for model in sorted(free):
        inputs = ["image", "text"] if model in images else None
        records.append(validate_record({
            "kind": "offer", "source": PRICING, "provider": PROVIDER, "model": model,
            "status": "preview", "input_modalities": inputs,
            "capabilities": ["image_input"] if inputs else None}, PRICING))
        records += [validate_record({
            "kind": "price", "source": PRICING, "provider": PROVIDER, "model": model,
            "component": component, "unit": "per_1m_tokens", "price": Decimal(0)}, PRICING)
            for component in ("input", "output")]
    return records


# --- assembly ---------------------------------------------------------------------------


def _deduplicated(records: list[AnyRecord]) -> tuple[list[AnyRecord], list[str]]:
    """One record per key. The same price twice is one; two prices for one key are both
    left out and reported: the page contradicts itself and neither can be trusted. Of an
    offer seen twice (pricing page and partner page), the preview statement wins."""
    kept, conflicts = merge_by_key(
        records,
        key=lambda r: r.series if isinstance(r, PriceRecord) else (r.kind, r.model, r.route),
        value=lambda r: r.price if isinstance(r, PriceRecord) else None,
        prefer=lambda r: getattr(r, "status", None) == "preview")
    return kept, [_conflict(group) for group in conflicts]


def _conflict(group: list[AnyRecord]) -> str:
    first = group[0]
    assert isinstance(first, PriceRecord)
    shown = ", ".join(sorted({str(r.price) for r in group if isinstance(r, PriceRecord)}))
    return (f"{first.model} {first.component} ({first.service_tier}, route "
            f"{first.route or 'default'}, threshold {first.context_threshold}) has "
            f"conflicting prices {shown}: left out")


def merge(records: list[AnyRecord]) -> tuple[list[AnyRecord], list[str]]:
    """The pricing page and the partner pages as one snapshot."""
    kept, conflicts = _deduplicated(records)
    return kept, [f"{PRICING}: {message}" for message in conflicts]


def _with_offers(records: list[AnyRecord], names: dict[str, str]) -> list[AnyRecord]:
    """An offer for every (model, route) priced on the page; preview when its name says so."""
    offers = {(r.model, r.route): r for r in records if isinstance(r, OfferRecord)}
    for record in records:
        if isinstance(record, PriceRecord) and (record.model, record.route) not in offers:
            status = "preview" if "preview" in record.model else "available"
            offers[(record.model, record.route)] = validate_record({
                "kind": "offer", "source": PRICING, "provider": PROVIDER,
                "model": record.model, "route": record.route, "status": status,
                "display_name": names.get(record.model)}, PRICING)
    prices = [r for r in records if r.kind != "offer"]
    return [*offers.values(), *prices]


def plan_pricing(options: VertexSettings, context: PlanContext) -> list[Request]:
    """The pricing page and the partner pages: pages of one snapshot. The page's 2026 move
    (to .../gemini-enterprise-agent-platform/...) is followed as a redirect within
    allowed_hosts."""
    return [Request(PRICING, url, frozenset(options.allowed_hosts))
            for url in (options.pricing_page_url, *options.partner_page_urls)]


SOURCE = Source(PRICING, "vertex", "generative-AI pricing page (HTML tables), and the partner "
                "model pages that say which preview models are free", parse_pricing,
                plan_pricing, schedule=6 * 3600, merge_pages=merge)

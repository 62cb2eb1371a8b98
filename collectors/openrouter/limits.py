"""OpenRouter's Limits docs page: the `:free` model request limits and their conditions.

The page has been seen as plain prose (2024: "20 requests per minute and 200 requests per
day"), as prose with a credit condition (2025: "less than 10 credits ... 50 ... per day"),
and as MDX whose figures are `export const` values substituted into a table (2026). The
`llms-full.txt` rendering carries the placeholders unrendered (`{FREE_MODEL_RATE_LIMIT_RPM}`):
that is "no figure" — a warning and a record without a value, never a number.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from pricewatch.collectors import pages
from pricewatch.collectors.base import ParseError, ParseOutput, PlanContext, Source
from pricewatch.collectors.fetch import Request
from pricewatch.collectors.openrouter.api import allowed
from pricewatch.collectors.openrouter.settings import OpenRouterSettings
from pricewatch.records import AnyRecord, validate_record

LIMITS = "openrouter.limits"
SCOPE = ":free models"
METRICS = {"minute": "requests_per_minute", "day": "requests_per_day"}

_CONST = re.compile(r"^\s*export\s+const\s+([A-Za-z_]\w*)\s*=\s*(['\"]?)([^'\";\n]*)\2\s*;?",
                    re.MULTILINE)
_PLACEHOLDER = re.compile(r"\{\s*([A-Za-z_][\w.]*)\s*\}")
_UNRESOLVED = "\x00{}\x00"  # marks a placeholder that no definition filled
_FIGURE = r"(\d[\d,]*|\x00[\w.]+\x00)"
_SENTENCE_LIMIT = re.compile(
    _FIGURE + r"\s+(?:(?:`?:?free`?|model|api)\s+){0,3}requests?\s+(?:per|a|each)\s+"
    r"(minute|day)", re.IGNORECASE)
_CREDITS = re.compile(r"(less than|fewer than|under|at least|more than|over)\s+"
                      + _FIGURE + r"\s+credits", re.IGNORECASE)
_OPERATORS = {"less than": "<", "fewer than": "<", "under": "<", "at least": ">=",
              "more than": ">", "over": ">"}


@dataclass(frozen=True)
class _Limit:
    metric: str
    figure: str  # digits, or an unresolved placeholder
    condition: str


def _substitute(text: str) -> tuple[str, list[str]]:
    """Fill `{NAME}` from `export const NAME = ...`; mark the ones nothing defines."""
    constants = {name: value for name, _, value in _CONST.findall(text)}
    constants.update({"sep": ":", "Variant.Free": "free"})
    unresolved: list[str] = []

    def fill(match: re.Match[str]) -> str:
        name = match[1]
        if name in constants:
            return constants[name]
        if name.isupper() or "_" in name:
            unresolved.append(name)
            return _UNRESOLVED.format(name)
        return match[0]

    text = _CONST.sub("", text)
    text = re.sub(r"</?(code|strong|em|b|i|span)\b[^>]*>", "", text)  # inline MDX/HTML tags
    return _PLACEHOLDER.sub(fill, text), sorted(set(unresolved))


# Where the :free limits are stated, most specific first (the Limits section's own
# heading), then any passage about free model variants.
_SECTION_STARTS = (
    re.compile(r"free (usage )?limits?\W{0,4}:", re.IGNORECASE),
    re.compile(r"free model variant|:free", re.IGNORECASE),
)


def _free_sections(text: str) -> list[str]:
    """Candidate passages, each from a mention of free limits to the next topic."""
    sections = []
    for pattern in _SECTION_STARTS:
        for match in pattern.finditer(text):
            rest = text[match.start():]
            end = re.search(r"DDoS|^#{1,3} ", rest[1:], re.MULTILINE)
            sections.append(rest[: end.start() + 1 if end else 4000])
    if not sections:
        raise ParseError(LIMITS, "no statement about :free model limits found")
    return sections


def _condition(clause: str) -> str:
    found = _CREDITS.search(clause)
    if not found:
        return ""
    figure = re.sub("\x00([\\w.]+)\x00", r"{\1}", found[2])
    return f"credits purchased {_OPERATORS[found[1].lower()]} {figure}"


def _from_table(section: str) -> list[_Limit]:
    """| Credits purchased | Requests per minute | Requests per day | rows."""
    rows = [[c.strip() for c in line.strip().strip("|").split("|")]
            for line in section.splitlines() if line.strip().startswith("|")]
    header = next((r for r in rows if any("per minute" in c.lower() or "per day" in c.lower()
                                          for c in r)), None)
    if header is None:
        return []
    columns = {i: METRICS[m[1].lower()] for i, c in enumerate(header)
               if (m := re.search(r"per (minute|day)", c, re.IGNORECASE))}
    limits = []
    for row in rows[rows.index(header) + 1:]:
        if all(set(c) <= set("-: ") for c in row):
            continue  # the |---|---| rule
        condition = _condition(f"{row[0]} credits") if row else ""
        for index, metric in columns.items():
            if index < len(row) and (figure := re.fullmatch(_FIGURE, row[index].strip())):
                limits.append(_Limit(metric, figure[1], condition))
    return limits


def _from_prose(section: str) -> list[_Limit]:
    limits = []
    for clause in re.split(r"(?<=[.;])\s+|\n\s*[-*\d.]+\s+", section):
        condition = _condition(clause)
        for figure, unit in _SENTENCE_LIMIT.findall(clause):
            limits.append(_Limit(METRICS[unit.lower()], figure, condition))
    return limits


def _collapse(limits: list[_Limit]) -> list[_Limit]:
    """A metric with the same figure under every condition has no condition."""
    out: list[_Limit] = []
    for metric in METRICS.values():
        mine = list(dict.fromkeys(x for x in limits if x.metric == metric))
        figures = {x.figure for x in mine}
        if len(figures) == 1 and len(mine) > 1:
            out.append(_Limit(metric, figures.pop(), ""))
        else:
            out.extend(mine)
    return out


def parse_limits(body: bytes, observed_at: datetime,
                 options: OpenRouterSettings | None = None) -> ParseOutput:
    text, unresolved = _substitute(pages.page_text(body, LIMITS, markdown_rows=True))
    for section in _free_sections(text):
        limits = _collapse(_from_table(section) or _from_prose(section))
        if limits:
            break
    else:
        raise ParseError(LIMITS, "found passages about :free models but no request limits")
    warnings = [f"{LIMITS}: template placeholder {{{name}}} is unrendered: no figure"
                for name in unresolved if _UNRESOLVED.format(name) in section]
    records: list[AnyRecord] = []
    for limit in limits:
        data = {"kind": "rate_limit", "source": LIMITS, "provider": "openrouter",
                "scope": SCOPE, "metric": limit.metric, "condition": limit.condition}
        if limit.figure.startswith("\x00"):
            name = limit.figure.strip("\x00")
            data |= {"value": None, "note": f"no figure: placeholder {{{name}}} unrendered"}
        else:
            data["value"] = Decimal(limit.figure.replace(",", ""))
        records.append(validate_record(data, LIMITS))
    return ParseOutput(records, warnings)


def plan_limits(options: OpenRouterSettings, context: PlanContext) -> list[Request]:
    """The markdown rendering first (plainer), then the HTML page: first good one wins."""
    page = options.limits_page_url
    return [Request(LIMITS, page.rstrip("/") + ".md", allowed(options)),
            Request(LIMITS, page, allowed(options))]


SOURCE = Source(LIMITS, "openrouter", ":free model rate limits, the Limits docs page (HTML or "
                "its markdown rendering, page URL + .md)", parse_limits, plan_limits,
                schedule=24 * 3600)

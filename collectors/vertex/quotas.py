"""Vertex AI rate limits from three kinds of documentation page.

- The quotas page: models under Dynamic Shared Quota have no fixed per-model quota. That is
  a fact stored as such (metric `fixed_quota`, not enforced), not an absence.
- The Standard PayGo page: usage tiers by 30-day organisation spend, each with a baseline
  tokens-per-minute per model family, and a system limit in requests per minute per model
  per region.
- Partner and open model pages: per-model, per-region QPM / TPM tables ("QPM: 90",
  "Up to 55 QPM, 500,000 TPM") and "Fixed quota: Not supported". A row's region can be a
  region id, the `global` endpoint or a multi-region endpoint (`Multi-region (us)`): each
  is its own condition (`region us-east5`, `region global`, `multi-region us`).
- Base-model rate limits (`base_model: gemini-embedding-001 | 5,000,000 TPM`), as the
  generative-AI quotas pages list them (in 2026 only embedding models).

Each record carries the condition it depends on (usage tier, region). The pages are read
as text lines (collectors.pages), so the live HTML and a markdown rendering parse alike.
"""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal

from pricewatch.collectors import pages
from pricewatch.collectors.base import ParseError, ParseOutput, PlanContext, Source, merge_by_key
from pricewatch.collectors.fetch import Request
from pricewatch.collectors.vertex.names import PROVIDER, model_slug
from pricewatch.collectors.vertex.settings import VertexSettings
from pricewatch.records import AnyRecord, validate_record

QUOTAS = "vertex.quotas"
DSQ_NOTE = "dynamic shared quota, no fixed per-model quota"

_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_REGION = re.compile(r"^((?:us|europe|asia|australia|northamerica|southamerica|me|africa)"
                     r"-[a-z]+\d+|global)(?:\s+endpoints?)?(?:\s*\([^)]*\))?\s*:?$",
                     re.IGNORECASE)
# A multi-region endpoint: "Multi-region (us)", "multi-region: eu", "US multi-region",
# "us (multi-region)", "Multi-region endpoint", "Multi-region".
_MULTI_REGION = re.compile(
    r"^(?:multi-?region(?:al)?(?:\s+endpoints?)?\s*(?:\(([a-z]{2,4})\)|:\s*([a-z]{2,4}))?"
    r"|([a-z]{2,4})\s*(?:\(\s*multi-?region(?:al)?\s*\)|multi-?region(?:al)?)(?:\s+endpoints?)?)"
    r"\s*:?$", re.IGNORECASE)
_BASE_MODEL = re.compile(r"\bbase_model\s*:\s*([a-z0-9][a-z0-9._@-]*)", re.IGNORECASE)
_LIMIT = re.compile(r"^(?:up to\s+)?(\d[\d,.]*)\s*([kmb])?\s*(?:\((\d[\d,]*)\))?\s*"
                    r"(rpm|tpm|qpm|requests per minute|tokens per minute)?$", re.IGNORECASE)
_LIMIT_HEADERS = {"rpm": "requests_per_minute", "qpm": "requests_per_minute",
                  "requests per minute": "requests_per_minute",
                  "tpm": "tokens_per_minute", "tokens per minute": "tokens_per_minute"}
_ESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!<>|$~])")
_FIGURE = re.compile(r"(?:\b(input |output )?(QPM|RPM|TPM)\s*:\s*(\d[\d,]*))|"
                     r"(?:\b(\d[\d,]*)\s*(input |output )?(QPM|RPM|TPM)\b)", re.IGNORECASE)
_METRICS = {"qpm": "requests_per_minute", "rpm": "requests_per_minute",
            "tpm": "tokens_per_minute", "input tpm": "input_tokens_per_minute",
            "output tpm": "output_tokens_per_minute"}
_HEADER_WORDS = {"model", "region", "quotas", "quota", "context length",
                 "supported context length", "model id", "quota limits"}
_TIER = re.compile(r"^tier\s+(\d+)$", re.IGNORECASE)
_FAMILY = re.compile(r"^gemini\b.*\bmodels?$", re.IGNORECASE)
_SYSTEM = re.compile(r"system limit of (\d[\d,]*)\s*(?:RPM|requests per minute)\s+"
                     r"(per model per region|per model|per region)", re.IGNORECASE)


def plain(line: str) -> str:
    """A line without markdown: list marks, heading marks, emphasis, code ticks, links and
    backslash escapes (`30-day spend \\> $2000` is `30-day spend > $2000`)."""
    text = _LINK.sub(r"\1", _ESCAPE.sub(r"\1", line))
    text = re.sub(r"^\s*(?:#+|>(?!\s*[$\d])|[-*\u2022]|\d+\.)\s+", "", text)
    text = text.replace("**", "").replace("`", "")
    return " ".join(text.split())


def _record(scope: str, metric: str, value: Decimal | None, condition: str = "",
            note: str | None = None, enforced: bool = True) -> AnyRecord:
    return validate_record({
        "kind": "rate_limit", "source": QUOTAS, "provider": PROVIDER, "scope": scope,
        "metric": metric, "value": value, "condition": condition, "note": note,
        "enforced": enforced}, QUOTAS)


def parse_quotas(body: bytes, observed_at: datetime,
                 options: VertexSettings | None = None) -> ParseOutput:
    lines = pages.document_lines(body, QUOTAS)
    records = (dsq_records(lines) + paygo_records(lines) + region_quota_records(lines)
               + fixed_quota_records(lines) + base_model_records(lines))
    if not records:
        raise ParseError(QUOTAS, "no quota facts found: no dynamic shared quota list, usage "
                                 "tiers, per-region QPM/TPM table, base-model limit or "
                                 "fixed-quota statement")
    kept, conflicts = merge(records)
    return ParseOutput(kept, conflicts)


def dsq_records(lines: list[str]) -> list[AnyRecord]:
    """The models listed as using Dynamic Shared Quota, on a page that says DSQ has no
    quotas."""
    text = " ".join(lines).lower()
    if "dynamic shared quota" not in text or not re.search(
            r"no quotas with dsq|no (?:fixed )?(?:per-model )?quotas?\b", text):
        return []
    names: list[str] = []
    collecting = False
    previous = ""
    for raw in lines:
        line = plain(raw)
        joined = f"{previous} {line}"
        previous = line
        if line.endswith(":") and re.search(r"\bsupports?\b.*\b(?:dsq|dynamic shared quota)",
                                            joined, re.IGNORECASE):
            collecting = True
            continue
        if collecting and re.match(r"^\s*[-*\u2022]\s", raw):
            names.append(line)
            continue
        collecting = False
    return [_record(model_slug(name), "fixed_quota", None, "pay-as-you-go", DSQ_NOTE,
                    enforced=False) for name in dict.fromkeys(names)]


def paygo_records(lines: list[str]) -> list[AnyRecord]:
    """Usage tiers (family, tier, 30-day spend, baseline TPM) and the system RPM limit."""
    if not any("usage tier" in line.lower() for line in lines):
        return []
    records: list[AnyRecord] = []
    family, tier, spend = "", "", ""
    for line in map(plain, lines):
        if _FAMILY.match(line):
            family, tier, spend = line, "", ""
        elif _TIER.match(line):
            tier, spend = _TIER.match(line).group(1), ""  # type: ignore[union-attr]
        elif tier and not spend and "$" in line:
            spend = line
        elif tier and spend and family and re.fullmatch(r"\d[\d,]*", line):
            records.append(_record(
                family, "tokens_per_minute", Decimal(line.replace(",", "")),
                f"standard paygo usage tier {tier}: 30-day spend {spend}",
                "baseline throughput per model, organisation level; bursts above it are "
                "best effort"))
            tier, spend = "", ""
    system = _SYSTEM.search(" ".join(map(plain, lines)))
    if system and records:
        records.append(_record("standard paygo models", "requests_per_minute",
                               Decimal(system.group(1).replace(",", "")),
                               system.group(2).lower(), "system limit"))
    return records


def _is_model_name(line: str) -> bool:
    words = line.split()
    return (0 < len(words) <= 8 and len(line) <= 60 and line[0].isupper()
            and not line.endswith((".", ":", "?")) and "_" not in line
            and line.lower() not in _HEADER_WORDS and not _FIGURE.search(line)
            and not re.match(r"^[\d,]+\b", line) and region_of(line) is None)


def region_of(line: str) -> str | None:
    """The condition a region cell names: `region us-east5`, `region global`,
    `multi-region us` (`multi-region` when the cell does not say which); None otherwise."""
    match = _REGION.match(line)
    if match:
        return f"region {match.group(1).lower()}"
    match = _MULTI_REGION.match(line)
    if match:
        where = next((g for g in match.groups() if g), "")
        return f"multi-region {where.lower()}".strip()
    return None


def region_quota_records(lines: list[str]) -> list[AnyRecord]:
    """Per-model, per-region QPM/TPM in a "... quotas ..." section: a heading or a table
    cell names the model, a region cell the condition, quota cells the figures."""
    records: list[AnyRecord] = []
    in_section = False
    model = region = ""
    for raw in lines:
        line = plain(raw)
        if raw.lstrip().startswith("#"):
            if "quota" in line.lower():
                in_section, model, region = True, "", ""
            elif in_section and _is_model_name(line):
                model, region = line, ""
            else:
                in_section = False
            continue
        if not in_section:
            continue
        named = region_of(line)
        if named:
            region = named
            continue
        figures = list(_FIGURE.finditer(line))
        if figures and model and region:
            for figure in figures:
                side = (figure.group(1) or figure.group(5) or "").strip().lower()
                unit = (figure.group(2) or figure.group(6)).lower()
                value = figure.group(3) or figure.group(4)
                records.append(_record(model_slug(model),
                                       _METRICS[f"{side} {unit}".strip()],
                                       Decimal(value.replace(",", "")), region,
                                       f"{model}, {region}"))
        elif not figures and _is_model_name(line):
            model, region = line, ""
    return records


def fixed_quota_records(lines: list[str]) -> list[AnyRecord]:
    """A model page's "Fixed quota" listed as not supported: only shared PayGo capacity."""
    texts = [plain(line) for line in lines]
    model = next((texts[i + 1] for i, text in enumerate(texts[:-1])
                  if text.lower() == "model id"), "")
    if not model or " " in model:
        return []
    for index, text in enumerate(texts):
        if not text.lower().startswith("fixed quota"):
            continue
        state = text.lower().removeprefix("fixed quota").strip(" :")
        if not state and index + 1 < len(texts):
            state = texts[index + 1].lower()
        if state not in ("supported", "not supported"):
            state = next((t.lower() for t in reversed(texts[:index])
                          if t.lower() in ("supported", "not supported")), "")
        if state == "not supported":
            return [_record(model_slug(model), "fixed_quota", None, "",
                            "fixed quota not supported: Standard PayGo (shared capacity) "
                            "only", enforced=False)]
    return []


def base_model_records(lines: list[str]) -> list[AnyRecord]:
    """`base_model: ID` cells with their limit: `1,500 RPM`, `5,000,000 TPM`, or a bare
    figure (`4M (4,000,000)`) under a "Tokens per minute" / "Requests per minute" header.
    A following cell naming the metric ("... per minute per region per base_model") is
    kept as the note, and "per region" as the condition."""
    records: list[AnyRecord] = []
    header = None
    texts = [plain(line) for line in lines]
    for index, text in enumerate(texts):
        lowered = text.lower()
        if lowered in _LIMIT_HEADERS:
            header = _LIMIT_HEADERS[lowered]
            continue
        model = _BASE_MODEL.search(text)
        if not model:
            continue
        for cell in texts[index + 1:index + 3]:
            limit = _LIMIT.match(cell)
            if not limit:
                continue
            metric = _LIMIT_HEADERS.get((limit.group(4) or "").lower()) or header
            if metric is None:
                break
            value = _limit_value(limit)
            after = texts[index + 2] if index + 2 < len(texts) and cell != texts[index + 2] \
                else ""
            described = after if "per minute" in after.lower() else None
            condition = "per region" if described and "per region" in described.lower() \
                else ""
            records.append(_record(model_slug(model.group(1)), metric, value, condition,
                                   described))
            break
    return records


def _limit_value(match: re.Match[str]) -> Decimal:
    """`1,500` -> 1500; `4M (4,000,000)` -> 4000000 (the written-out figure wins)."""
    if match.group(3):
        return Decimal(match.group(3).replace(",", ""))
    scale = {"k": 1000, "m": 1_000_000, "b": 1_000_000_000}.get((match.group(2) or "").lower(),
                                                                1)
    return Decimal(match.group(1).replace(",", "")) * scale


def merge(records: list[AnyRecord]) -> tuple[list[AnyRecord], list[str]]:
    """One record per (scope, metric, condition); contradicting figures are left out."""
    kept, conflicts = merge_by_key(
        records, key=lambda r: (r.scope, r.metric, r.condition),  # type: ignore[union-attr]
        value=lambda r: (r.value, r.enforced))  # type: ignore[union-attr]
    return kept, [f"{QUOTAS}: {g[0].scope} {g[0].metric} "  # type: ignore[union-attr]
                  f"({g[0].condition or 'no condition'}) has conflicting values; "  # type: ignore[union-attr]
                  "left out" for g in conflicts]


def plan_quotas(options: VertexSettings, context: PlanContext) -> list[Request]:
    return [Request(QUOTAS, url, frozenset(options.allowed_hosts))
            for url in options.quota_page_urls]


SOURCE = Source(QUOTAS, "vertex", "quota pages: dynamic shared quota, Standard PayGo usage "
                "tiers, partner and open model quota tables (HTML or markdown)", parse_quotas,
                plan_quotas, schedule=24 * 3600, merge_pages=merge)

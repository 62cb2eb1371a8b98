"""What the report shows, read from the warehouse in one read-only connection: each section
as plain rows and chart series, no HTML. Only the offers shown are read from the history
(queries/commands/report_*.sql), so the cost follows the page, not the warehouse's size."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from itertools import zip_longest
from typing import Any

import duckdb

from pricewatch import queries
from pricewatch.money import monthly_cost
from pricewatch.outputs.report.svg import Point, Series, Step
from pricewatch.text import decimal_text

FAILING = ("failed", "suspect")
COMPONENT_ORDER = ("input", "output", "cache_read", "cache_write", "reasoning")
MOVERS_EACH = 5      # drops and rises shown
CHEAPEST_RANKS = 3   # offers per capability
DEFAULT_MODELS = 8   # price histories drawn when no --model is given
DRAWN_MARGIN = 0.04  # charts run this share of the window past its end
MAX_SERIES = 10      # lines on one chart (one colour each): the cheapest at the window's end
QUALITY_CHARTS = 4   # price-against-score charts: the benchmarks with the most offers scored


@dataclass(frozen=True)
class Options:
    """What the report is asked for; the defaults are those of `pricewatch report`."""

    since: datetime | None = None
    models: tuple[str, ...] = ()          # canonical ids, resolved by the caller
    capabilities: tuple[str, ...] = ()
    tokens_in: Decimal = Decimal(10_000_000)
    tokens_out: Decimal = Decimal(5_000_000)
    window_days: int = 30
    recent_days: int = 30  # a window over 3x this long also draws its last days (0: never)


@dataclass
class Chart:
    """One step chart: a component of one canonical model (or one mover's series)."""

    title: str
    unit: str
    series: list[Series]
    rows: list[dict[str, Any]]  # the figures drawn, for the table under the chart
    left_out: int = 0  # offers not drawn: a chart shows at most MAX_SERIES


@dataclass
class QualityChart:
    """Paid offers of one benchmark and metric: blended price against score, the front."""

    benchmark: str
    metric: str
    points: list[Point]
    front: list[dict[str, Any]]  # the front's rows, cheapest first
    sources: list[str]  # attribution (licence) of the scores drawn


@dataclass
class ReportData:
    generated_at: datetime
    start: datetime
    end: datetime
    empty: bool
    through_run: int = 0  # the newest run the data holds (written into the page)
    blend: str = ""
    workload: str = ""
    freshness: list[dict[str, Any]] = field(default_factory=list)
    cheapest: list[dict[str, Any]] = field(default_factory=list)
    cheapest_seen: datetime | None = None
    movers: list[dict[str, Any]] = field(default_factory=list)
    histories: dict[str, list[Chart]] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)  # canonical id -> display name
    more_models: int = 0
    costs: list[dict[str, Any]] = field(default_factory=list)
    upcoming: list[dict[str, Any]] = field(default_factory=list)
    quality: list[QualityChart] = field(default_factory=list)
    recent_start: datetime | None = None  # set when the window is long: see moved_recently
    recent_days: int = 0  # the days from recent_start to the end

    @property
    def drawn_until(self) -> datetime:
        """The right edge of the charts: a little past the window's end, so that a price
        first seen at the last observation shows as a step, not as a point."""
        return self.end + (self.end - self.start) * DRAWN_MARGIN

    @property
    def recent_until(self) -> datetime:
        """The right edge of the recent charts, as `drawn_until` is of the others."""
        return self.end + timedelta(days=self.recent_days) * DRAWN_MARGIN

    def moved_recently(self, chart: Chart) -> bool:
        """Whether a chart of a long window needs its recent days drawn again: some price
        on it starts or ends in them, a move a long window squeezes into a few pixels."""
        if self.recent_start is None:
            return False
        return any(self.recent_start < edge <= self.end for one in chart.series
                   for step in one.steps for edge in (step.start, step.end)
                   if edge is not None)


def gather(con: duckdb.DuckDBPyConnection, options: Options, *, now: datetime,
           mix: tuple[Decimal, Decimal], cache_share: Decimal) -> ReportData:
    """Every section's data. The window ends at the last good observation of prices (a
    warehouse filled from old captures is drawn up to its last capture, not up to today,
    and a later run of a source without prices, a limits page, does not move it)."""
    window = queries.named(con, "report_window_end")[1][0]
    last = window["last_price_observation"]
    end = last or now
    start = options.since or end - timedelta(days=options.window_days)
    data = ReportData(generated_at=now, start=start, end=end, empty=last is None,
                      through_run=window["through_run"])
    recent = timedelta(days=options.recent_days)
    if options.recent_days > 0 and end - start > 3 * recent:
        data.recent_start, data.recent_days = end - recent, options.recent_days
    _, data.freshness = queries.named(con, "status")
    for row in data.freshness:
        row["failing"] = row["last_status"] in FAILING or bool(row["failing_runs"])
    if data.empty:
        return data
    data.blend = (f"{_number(mix[0])}:{_number(mix[1])} input:output"
                  + (f", {_number(cache_share * 100)}% of input from cache"
                     if cache_share else ""))
    data.workload = (f"{_tokens(options.tokens_in)} input + {_tokens(options.tokens_out)} "
                     "output tokens a month")
    _cheapest(con, data, options, mix, cache_share)
    data.quality = _quality(con, data.end, mix)
    _movers(con, data)
    chosen = list(options.models) or _default_models(data)
    if not options.models and len(chosen) > DEFAULT_MODELS:
        data.more_models = len(chosen) - DEFAULT_MODELS
        chosen = chosen[:DEFAULT_MODELS]
    data.names = _names(con, chosen)
    data.histories = _histories(con, chosen, start, end, data.names)
    data.costs = _costs(con, chosen, options)
    _, data.upcoming = queries.named(con, "report_upcoming")
    return data


def _cheapest(con: duckdb.DuckDBPyConnection, data: ReportData, options: Options,
              mix: tuple[Decimal, Decimal], cache_share: Decimal) -> None:
    """The cheapest paid offers per capability now, with a sparkline of each one's blended
    price over the window (the blend computed per interval as the view does)."""
    _, rows = queries.named(con, "report_cheapest",
        {"at": data.end, "mi": mix[0], "mo": mix[1], "share": cache_share,
         "n": CHEAPEST_RANKS, "caps": list(options.capabilities)})
    keys = sorted({_key(r, c) for r in rows for c in ("input", "output", "cache_read")})
    series = _series_rows(con, [], keys, data.start, data.end)
    by_offer: dict[tuple[str, str, str], dict[str, list[Step]]] = defaultdict(dict)
    for row in series:
        offer = (row["provider"], row["model"], row["route"])
        by_offer[offer].setdefault(row["component"], []).append(_step(row))
    for row in rows:
        parts = by_offer.get((row["provider"], row["model"], row["route"]), {})
        row["steps"] = tuple(blended_steps(parts, mix, cache_share))
    data.cheapest = rows
    data.cheapest_seen = max((r["observed_at"] for r in rows if r["observed_at"]),
                             default=None)


def _quality(con: duckdb.DuckDBPyConnection, at: datetime,
             mix: tuple[Decimal, Decimal]) -> list[QualityChart]:
    """Price against score for the benchmarks with the most paid offers scored at `at`."""
    _, rows = queries.named(con, "report_quality",
                            {"at": at, "mi": mix[0], "mo": mix[1], "n": QUALITY_CHARTS})
    charts: dict[tuple[str, str], QualityChart] = {}
    for row in rows:
        chart = charts.setdefault((row["benchmark"], row["metric"]), QualityChart(
            row["benchmark"], row["metric"], [], [], []))
        label = f"{row['provider']} · {row['model']}" + (
            f" ({row['route']})" if row["route"] else "")
        chart.points.append(Point(label, row["blended_price"], row["score"],
                                  row["front_rank"] is not None))
        if row["front_rank"] is not None:
            chart.front.append(row)
        source = f"{row['attribution']} ({row['licence']})"
        if source not in chart.sources:
            chart.sources.append(source)
    return list(charts.values())


def blended_steps(parts: dict[str, list[Step]], mix: tuple[Decimal, Decimal],
                  cache_share: Decimal) -> list[Step]:
    """The blended price of one offer as steps: a new step wherever its input, output or
    cache-read price changes, blended as queries/cheapest_as_of.sql blends (12 places)."""
    edges = sorted({t for steps in parts.values() for s in steps
                    for t in (s.start, s.end) if t is not None})
    out: list[Step] = []
    for index, at in enumerate(edges):
        until = edges[index + 1] if index + 1 < len(edges) else None
        price = {name: next((s.price for s in steps if s.start <= at
                             and (s.end is None or s.end > at)), None)
                 for name, steps in parts.items()}
        if price.get("input") is None or price.get("output") is None:
            continue
        inp = (1 - cache_share) * price["input"] + cache_share * (
            price.get("cache_read") if price.get("cache_read") is not None else price["input"])
        blend = round((mix[0] * inp + mix[1] * price["output"]) / (mix[0] + mix[1]), 12)
        if out and out[-1].price == blend and out[-1].end == at:
            out[-1] = Step(out[-1].start, until, blend)
        else:
            out.append(Step(at, until, blend))
    return out


def _movers(con: duckdb.DuckDBPyConnection, data: ReportData) -> None:
    _, rows = queries.named(con, "report_movers", {"since": data.start, "until": data.end,
                                                   "n": MOVERS_EACH})
    keys = sorted({_key(r, r["component"]) for r in rows})
    series = defaultdict(list)
    for row in _series_rows(con, [], keys, data.start, data.end):
        series[_key(row, row["component"])].append(row)
    for row in rows:
        history = series[_key(row, row["component"])]
        label = _offer_label(row)
        row["chart"] = Chart(title=f"{label} {row['component']}", unit=row["unit"],
                             series=[Series(label, tuple(_step(h) for h in history),
                                            _key(row, row["component"]))],
                             rows=history)
    data.movers = rows


def _default_models(data: ReportData) -> list[str]:
    """The cheapest offers' models (rank 1 first) and the movers', taken in turn, each
    once: the top of both lists comes first."""
    cheapest = [r["canonical_model"] for r in sorted(data.cheapest, key=lambda r: r["rank"])]
    movers = [r["canonical_model"] for r in data.movers]
    turns = [name for pair in zip_longest(cheapest, movers) for name in pair if name]
    return list(dict.fromkeys(turns))


def _names(con: duckdb.DuckDBPyConnection, models: list[str]) -> dict[str, str]:
    """A display name per canonical id: the shortest its offers give, a `(free)` variant's
    only when there is no other (a canonical id such as `gpt4o-mini` is a join key,
    not a name to read)."""
    if not models:
        return {}
    _, rows = queries.named(con, "report_names", {"models": models})
    return {r["canonical_model"]: r["display_name"] for r in rows if r["display_name"]}


def _histories(con: duckdb.DuckDBPyConnection, models: list[str], start: datetime,
               end: datetime, names: dict[str, str]) -> dict[str, list[Chart]]:
    """Per canonical model, one chart per component and unit, one series per offer (and
    source, where two sources price one offer)."""
    grouped: dict[str, dict[tuple[str, str], dict[str, list[dict[str, Any]]]]] = {
        model: defaultdict(lambda: defaultdict(list)) for model in models}
    sources = defaultdict(set)
    rows = _series_rows(con, models, [], start, end)
    for row in rows:
        sources[_key(row, row["component"])].add(row["source"])
    for row in rows:
        label = _offer_label(row)
        if len(sources[_key(row, row["component"])]) > 1:
            label += f" [{row['source']}]"
        series_key = f"{_key(row, row['component'])}|{row['source']}"
        grouped[row["canonical_model"]][(row["component"], row["unit"])][
            (label, series_key)].append(row)
    charts: dict[str, list[Chart]] = {}
    for model in models:
        ordered = sorted(grouped[model].items(), key=lambda item: (
            _component_rank(item[0][0]), item[0][0], item[0][1]))
        charts[model] = [_chart(f"{names.get(model, model)} {component}", unit, by_label)
                         for (component, unit), by_label in ordered]
    return charts


def _chart(title: str, unit: str, by_label: dict[tuple[str, str], list[dict[str, Any]]]
           ) -> Chart:
    """A chart of the series SQL kept (at most MAX_SERIES: those priced lowest at the
    window's end), in label order, saying how many it left out."""
    drawn = sorted(by_label)
    total = max((rows[0]["series_in_chart"] for rows in by_label.values()), default=0)
    return Chart(title=title, unit=unit,
                 series=[Series(label, tuple(_step(r) for r in by_label[(label, key)]), key)
                         for label, key in drawn],
                 rows=[r for label in drawn for r in by_label[label]],
                 left_out=total - len(drawn))


def _costs(con: duckdb.DuckDBPyConnection, models: list[str],
           options: Options) -> list[dict[str, Any]]:
    """The workload's exact monthly cost at every current offer of the chosen models."""
    if not models:
        return []
    _, rows = queries.named(con, "budget", {"models": models})
    for row in rows:
        row["monthly_cost"] = monthly_cost(row["input_price"], row["output_price"],
                                           row["cache_read_price"], options.tokens_in,
                                           options.tokens_out)
    return sorted((r for r in rows if r["monthly_cost"] is not None),
                  key=lambda r: (r["monthly_cost"], r["provider"], r["model"], r["route"]))


def _series_rows(con: duckdb.DuckDBPyConnection, models: list[str], keys: list[str],
                 start: datetime, end: datetime) -> list[dict[str, Any]]:
    if not models and not keys:
        return []
    return queries.named(con, "report_series", {"models": models, "keys": keys,
                                                "since": start, "until": end,
                                                "max_series": MAX_SERIES})[1]


def _key(row: dict[str, Any], component: str) -> str:
    return "|".join((row["provider"], row["model"], row["route"], component,
                     row.get("unit") or row.get("price_unit") or "per_1m_tokens"))


def _step(row: dict[str, Any]) -> Step:
    return Step(row["valid_from"], row["valid_to"], row["price"])


def _offer_label(row: dict[str, Any]) -> str:
    return f"{row['provider']} {row['model']}" + (f" ({row['route']})" if row["route"] else "")


def _component_rank(component: str) -> int:
    return COMPONENT_ORDER.index(component) if component in COMPONENT_ORDER else 99


def _number(value: Decimal) -> str:
    return decimal_text(value) or "0"


def _tokens(amount: Decimal) -> str:
    for suffix, size in (("B", 10**9), ("M", 10**6), ("k", 10**3)):
        if amount >= size and amount % size == 0:
            return f"{amount // size}{suffix}"
    return _number(amount)

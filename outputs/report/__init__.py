"""`pricewatch report`: one self-contained HTML file of the warehouse's prices: freshness,
the cheapest offer per capability, the window's movers, step charts of price history, a
workload's cost and upcoming prices. Nothing is fetched when it is opened: the styles are
inline and the charts are inline SVG (report/svg.py), every chart with its figures in a
table. The data comes from report/data.py on one read-only connection."""

from __future__ import annotations

import os
import re
import tempfile
from datetime import UTC, datetime
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

import pricewatch
from pricewatch import queries
from pricewatch.outputs.report.data import Chart, Options, ReportData, gather
from pricewatch.outputs.report.svg import (
    colour,
    legend_notes,
    scatter_chart,
    sparkline,
    stamp,
    step_chart,
    unit_words,
)
from pricewatch.settings import Settings
from pricewatch.text import ago, decimal_text
from pricewatch.warehouse.target import label_of

__all__ = ["Options", "ReportData", "build", "made_through", "refresh", "render", "write"]


def build(settings: Settings, options: Options, now: datetime | None = None) -> ReportData:
    """The report's data from the configured warehouse, read-only."""
    with queries.open_gold(settings) as con:
        return _gather(con, settings, options, now)


def _gather(con: Any, settings: Settings, options: Options,
            now: datetime | None = None) -> ReportData:
    views = settings.views
    return gather(con, options, now=now or datetime.now(UTC),
                  mix=(Decimal(str(views.mix_input)), Decimal(str(views.mix_output))),
                  cache_share=Decimal(str(views.cache_share)))


def write(settings: Settings, out: Path, options: Options | None = None) -> ReportData:
    """Build the report and put it at `out` atomically (a temporary file in the same
    folder, renamed over it), so a browser or a web server never sees half a page."""
    options = options or Options()
    data = build(settings, options)
    _put(out, render(data, db=label_of(settings, short=True),
                     capabilities=options.capabilities))
    return data


def refresh(settings: Settings, out: Path) -> ReportData | None:
    """The daemon's report: made again when a run after the one the page at `out` was made
    through changed a price or failed (its freshness section shows failures), when there
    is no page, or when the page is of another warehouse (made through a run this one does
    not have); None when the page stands. What it was made through is read from the page,
    what came since from `runs`: nothing is remembered between passes."""
    made = made_through(out)
    options = Options()
    with queries.open_gold(settings) as con:
        if made is not None and not queries.named(
                con, "report_runs_after", {"since": made})[1][0]["wanted"]:
            return None
        data = _gather(con, settings, options)
    _put(out, render(data, db=label_of(settings, short=True)))
    return data


_THROUGH_RUN = re.compile(rb'<meta name="pricewatch-through-run" content="(\d+)">')


def made_through(page: Path) -> int | None:
    """The newest run the report at `page` was made through (None: no such page, one that
    does not say, or one another pricewatch version made: it is made again)."""
    try:
        with page.open("rb") as file:
            head = file.read(4096)
    except OSError:
        return None
    found = _THROUGH_RUN.search(head)
    made_here = f'<meta name="generator" content="pricewatch {pricewatch.__version__}">'
    return int(found[1]) if found and made_here.encode() in head else None


def _put(out: Path, page: str) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            file.write(page)
        os.chmod(temporary, 0o644)
        os.replace(temporary, out)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def render(data: ReportData, *, db: str = "", capabilities: tuple[str, ...] = ()) -> str:
    """The HTML page of `data`."""
    folder = resources.files("pricewatch.outputs.report")
    environment = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined,
                                     trim_blocks=True, lstrip_blocks=True)
    template = environment.from_string(folder.joinpath("report.html.j2").read_text("utf-8"))
    return template.render(
        data=data, db=db, capabilities=capabilities, version=pricewatch.__version__,
        css=Markup(folder.joinpath("report.css").read_text("utf-8")),
        stamp=_stamp, age=lambda t: ago(t, data.generated_at), price=_price, pct=_pct,
        reading=_reading,
        scatter=lambda chart: Markup(scatter_chart(
            chart.points, title=f"{chart.benchmark} {chart.metric} against blended price",
            score_label=f"{chart.benchmark} {chart.metric}")),
        unit=unit_words, offer=_offer, unique_offers=_unique_offers,
        spark=lambda steps, label, unit, key="": Markup(sparkline(
            steps, start=data.start, end=data.drawn_until, label=label, unit=unit, key=key)),
        step_chart=lambda chart: Markup(step_chart(
            chart.series, start=data.start, end=data.drawn_until, unit=chart.unit,
            title=f"{chart.title}, USD {unit_words(chart.unit)}")),
        recent_chart=lambda chart: Markup(step_chart(
            chart.series, start=data.recent_start, end=data.recent_until, unit=chart.unit,
            title=f"{chart.title}, last {data.recent_days} days, "
                  f"USD {unit_words(chart.unit)}")),
        swatch=_swatch, figures=lambda charts: Markup(_figures(charts, environment)),
        notes=lambda chart: legend_notes(chart.series, data.start, data.drawn_until))


def _stamp(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return stamp(value)
    return str(value)


def _price(value: Decimal | None) -> str:
    return "" if value is None else decimal_text(value)


def _reading(value: float | None) -> str:
    """A speed reading (ms, tokens per second) to the unit: medians of readings, not money."""
    return "" if value is None else f"{value:,.0f}"


def _pct(value: Decimal | None) -> str:
    return "" if value is None else f"{value:+.1f}%"


def _offer(row: dict[str, Any]) -> str:
    route = f" ({row['route']})" if row.get("route") else ""
    return f"{row['provider']} · {row['model']}{route}"


def _unique_offers(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    seen: dict[tuple[str, str, str], dict[str, Any]] = {}
    for row in rows:
        seen.setdefault((row["provider"], row["model"], row["route"]), row)
    return list(seen.values())


def _swatch(index: int) -> str:
    stroke, dash = colour(index)
    return f"border-top-color: {stroke}" + ("; border-top-style: dashed" if dash else "")


_FIGURES = """<table class="figures">
<thead><tr><th>series</th><th class="num">price</th><th>from</th><th>to</th></tr></thead>
<tbody>{% for chart in charts %}{% for one in chart.series %}{% for step in one.steps %}
<tr><td>{{ one.label }}{% if charts|length > 1 %} {{ chart.title.split(' ')[-1] }}{% endif %}</td>
<td class="num">{{ price(step.price) }}</td><td>{{ stamp(step.start) }}</td>
<td>{{ stamp(step.end) if step.end else 'current' }}</td></tr>
{% endfor %}{% endfor %}{% endfor %}</tbody></table>"""


def _figures(charts: list[Chart], environment: jinja2.Environment) -> str:
    """The figures a chart draws, exactly, for reading and copying."""
    return environment.from_string(_FIGURES).render(charts=charts, price=_price, stamp=_stamp)



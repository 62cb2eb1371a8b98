"""Step charts and sparklines as inline SVG, drawn here rather than by a charting library
(bench/README.md has the measurement): a price holds for an interval, so each interval is
one horizontal step exactly as long as it held, with its exact decimal and its interval in
a `<title>` tooltip and in `data-` attributes that tests and scripts read back."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from html import escape

from pricewatch import text

# Okabe-Ito, then Tableau: told apart by most colour-blind readers; dashes after ten
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000",
           "#8C564B", "#7F7F7F", "#BCBD22")
DASHES = ("", "6 3", "2 2")
FAR_FUTURE = datetime(9999, 1, 1, tzinfo=UTC)  # an open step runs to the right edge


@dataclass(frozen=True)
class Step:
    """One interval of one price: from `start` until `end` (None: still current)."""

    start: datetime
    end: datetime | None
    price: Decimal


@dataclass(frozen=True)
class Series:
    """One line: its legend label, its steps, and a key that names what it draws (for
    history charts `provider|model|route|component|unit|source`), kept as `data-key`."""

    label: str
    steps: tuple[Step, ...]
    key: str = ""


def colour(index: int) -> tuple[str, str]:
    """The stroke colour and dash pattern of the series at `index`."""
    return PALETTE[index % len(PALETTE)], DASHES[index // len(PALETTE) % len(DASHES)]


def stamp(value: datetime | None) -> str:
    """An edge of a step: the open end of the newest is "now"."""
    return "now" if value is None else text.stamp(value)


def iso(value: datetime | None) -> str:
    return "" if value is None else text.iso_utc(value)


def visible(steps: tuple[Step, ...], start: datetime, end: datetime) -> list[Step]:
    """The steps that hold for part of [start, end)."""
    return [s for s in steps if s.start < end and (s.end is None or s.end > start)]


def y_top(prices: list[Decimal]) -> float:
    """The top of the y axis: a round figure just above the highest price."""
    highest = float(max(prices, default=Decimal(0)))
    step = 10.0 ** _exponent(highest)
    for factor in (1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10):
        if factor * step >= highest * 1.05:
            return factor * step
    return 10 * step


def y_labels(top: float) -> list[str]:
    """The five tick labels from 0 to `top`."""
    return [_axis_number(top * i / 4) for i in range(5)]


def _exponent(value: float) -> int:
    if value <= 0:
        return 0
    exponent = 0
    while value >= 10:
        value, exponent = value / 10, exponent + 1
    while value < 1:
        value, exponent = value * 10, exponent - 1
    return exponent


# tick spacing in days and the label of a tick; months and years fall on their first day
TICKS = ((1, "%m-%d"), (2, "%m-%d"), (7, "%m-%d"), (14, "%m-%d"), (30, "%Y-%m"), (61, "%Y-%m"),
         (91, "%Y-%m"), (182, "%Y-%m"), (365, "%Y"), (730, "%Y"), (1825, "%Y"))


def _time_ticks(start: datetime, end: datetime) -> list[tuple[datetime, str]]:
    """Four to eight ticks on round dates (days, weeks, months, quarters or years)."""
    span = (end - start).total_seconds() / 86400
    days, label = next((tick for tick in TICKS if span / tick[0] <= 8), TICKS[-1])
    ticks = []
    tick = start.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    months = round(days / 30.4) if days >= 30 else 0
    if months:
        tick = tick.replace(day=1)
        if months >= 12:
            tick = tick.replace(month=1)
    while tick <= end:
        if tick >= start:
            ticks.append((tick, tick.strftime(label)))
        if months:
            month = tick.month - 1 + months
            tick = tick.replace(year=tick.year + month // 12, month=month % 12 + 1)
        else:
            tick += timedelta(days=days)
    return ticks


def step_chart(series: list[Series], *, start: datetime, end: datetime, unit: str,
               title: str, width: int = 560, height: int = 230) -> str:
    """A chart of price steps over [start, end): x is time (every interval as long as it
    held), y the price from 0 in `unit`, one line per series."""
    shown = [(i, s, visible(s.steps, start, end)) for i, s in enumerate(series)]
    ymax = y_top([step.price for _, _, steps in shown for step in steps])
    labels = y_labels(ymax)
    left = 14 + 7 * max(len(label) for label in labels)  # room for the longest tick label
    right, top, bottom = 14, 22, 36
    plot_w, plot_h = width - left - right, height - top - bottom
    span = (end - start).total_seconds() or 1.0

    def x(t: datetime) -> float:
        return left + plot_w * min(max((t - start).total_seconds() / span, 0.0), 1.0)

    def y(p: Decimal) -> float:
        return top + plot_h * (1 - float(p) / ymax)

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" width="{width}" '
             f'height="{height}" viewBox="0 0 {width} {height}" role="img" '
             f'aria-label="{escape(title)}" data-unit="{escape(unit)}" '
             f'data-start="{iso(start)}" data-end="{iso(end)}">',
             f'<title>{escape(title)}</title>']
    for i, label in enumerate(labels):  # y grid and labels
        at = top + plot_h * (1 - i / 4)
        parts.append(f'<line class="grid" x1="{left}" y1="{at:.1f}" x2="{left + plot_w}" '
                     f'y2="{at:.1f}"/>')
        parts.append(f'<text class="tick" x="{left - 6}" y="{at + 4:.1f}" '
                     f'text-anchor="end">{label}</text>')
    for tick, label in _time_ticks(start, end):
        at = x(tick)
        parts.append(f'<line class="axis" x1="{at:.1f}" y1="{top + plot_h}" x2="{at:.1f}" '
                     f'y2="{top + plot_h + 4}"/>')
        parts.append(f'<text class="tick" x="{at:.1f}" y="{top + plot_h + 16}" '
                     f'text-anchor="middle">{label}</text>')
    parts.append(f'<line class="axis" x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" '
                 f'y2="{top + plot_h}"/>')
    parts.append(f'<text class="axis-label" x="{left + plot_w / 2:.1f}" y="{height - 4}" '
                 f'text-anchor="middle">time (UTC)</text>')
    parts.append(f'<text class="axis-label" x="{left - 6}" y="{top - 9}" '
                 f'text-anchor="start">USD {escape(unit_words(unit))}</text>')
    for index, one, steps in reversed(shown):  # the first series on top, the others wider
        parts.append(_series(index, one, steps, x, y, unit, under=index))
    parts.append("</svg>")
    return "\n".join(parts)


def legend_notes(series: list[Series], start: datetime, end: datetime) -> list[str]:
    """What the legend must say of each series a reader could not see: one priced 0 all
    along lies on the axis; one with exactly the prices of a series before it is drawn
    under that one (as the band around it)."""
    notes = []
    seen: dict[tuple, str] = {}
    for one in series:
        steps = tuple((s.start, s.end, s.price) for s in visible(one.steps, start, end))
        same = seen.get(steps) if steps else None
        if same is not None:
            notes.append(f"same prices as {same}: the band around it")
        elif steps and all(price == 0 for _, _, price in steps):
            notes.append("0 all along: on the axis")
        else:
            notes.append("")
        seen.setdefault(steps, one.label)
    return notes


def _series(index: int, one: Series, steps: list[Step], x, y, unit: str,
            under: int = 0) -> str:
    """One series' steps and risers. A series drawn under `under` others is wider, so two
    offers at the same price show as a line inside a band, not as one line."""
    stroke, dash = colour(index)
    dashed = f' stroke-dasharray="{dash}"' if dash else ""
    wide = f' style="stroke-width: {2.2 + 1.8 * min(under, 3):.1f}px"' if under else ""
    out = [f'<g class="series" data-series="{escape(one.label)}" '
           f'data-key="{escape(one.key)}" stroke="{stroke}"{dashed}{wide}>']
    previous: Step | None = None
    for step in steps:
        x1 = x(step.start)
        x2 = x(step.end) if step.end else x(FAR_FUTURE)
        at = y(step.price)
        if previous is not None and previous.end == step.start:  # the rise or fall
            out.append(f'<line class="riser" x1="{x1:.1f}" y1="{y(previous.price):.1f}" '
                       f'x2="{x1:.1f}" y2="{at:.1f}"/>')
        tip = (f"{one.label}: {text.decimal_text(step.price)} USD {unit_words(unit)}, "
               f"{stamp(step.start)} → {stamp(step.end)}")
        out.append(f'<g class="step" data-price="{text.decimal_text(step.price)}" '
                   f'data-from="{iso(step.start)}" data-to="{iso(step.end)}">'
                   f'<title>{escape(tip)}</title>'
                   f'<line x1="{x1:.1f}" y1="{at:.1f}" x2="{x2:.1f}" y2="{at:.1f}"/>'
                   f'<line class="hit" x1="{x1:.1f}" y1="{at:.1f}" x2="{x2:.1f}" '
                   f'y2="{at:.1f}"/></g>')
        previous = step
    out.append("</g>")
    return "".join(out)


def sparkline(steps: tuple[Step, ...], *, start: datetime, end: datetime, label: str,
              unit: str, key: str = "", width: int = 180, height: int = 32) -> str:
    """A small step line of one price over the window with its scale: the highest and the
    lowest price of the window written at the right, level with the line's top and bottom
    (one figure, centred, when the price held all along), to four significant digits like
    a chart's ticks; each step's tooltip has its exact price."""
    one = Series(label, steps, key)
    shown = visible(steps, start, end)
    prices = [s.price for s in shown]
    low, high = min(prices, default=Decimal(0)), max(prices, default=Decimal(0))
    scale = [_axis_number(float(high))] + ([_axis_number(float(low))] if high > low else [])
    # ~7 px a character at 11 px; room for eight whatever the figures, so that the lines of
    # a table's rows share one time axis
    room = 8 + 7 * max(8, *(len(figure) for figure in scale))
    plot = width - room
    span = (end - start).total_seconds() or 1.0
    spread = float(high - low)

    def x(t: datetime) -> float:
        return 2 + (plot - 4) * min(max((t - start).total_seconds() / span, 0.0), 1.0)

    def y(p: Decimal) -> float:  # low to high fills the height: the shape, not the level
        return height - 6 - (height - 12) * (float(p - low) / spread if spread else 0.5)

    labels = "".join(
        f'<text class="scale" x="{width - 1}" y="{at + 4:.1f}" text-anchor="end">{figure}</text>'
        for figure, at in zip(scale, (y(high), y(low)), strict=False))
    body = _series(0, one, shown, x, y, unit)
    return (f'<svg xmlns="http://www.w3.org/2000/svg" class="spark" width="{width}" '
            f'height="{height}" viewBox="0 0 {width} {height}" role="img" '
            f'aria-label="{escape(label)}" data-unit="{escape(unit)}" '
            f'data-start="{iso(start)}" data-end="{iso(end)}" '
            f'data-low="{text.decimal_text(low)}" data-high="{text.decimal_text(high)}">'
            f'{body}{labels}</svg>')


def unit_words(unit: str) -> str:
    """`per_1m_tokens` as `per 1M tokens`: axis labels name the unit in words."""
    return unit.replace("_1m_", " 1M ").replace("_1k_", " 1K ").replace("_", " ")


def _axis_number(value: float) -> str:
    """A tick label to four significant digits, never in exponent form (`0.000025`)."""
    return text.decimal_text(Decimal(f"{value:.4g}")) if value else "0"


@dataclass(frozen=True)
class Point:
    """One offer on a price-against-score chart."""

    label: str
    price: Decimal  # blended, USD per 1M tokens
    score: Decimal
    front: bool  # on the Pareto front: nothing cheaper scores as well


def _log_range(prices: list[Decimal]) -> tuple[int, int]:
    """The powers of ten around the prices (a log axis: prices span orders of magnitude)."""
    positive = [float(p) for p in prices if p > 0] or [1.0]
    low, high = _exponent(min(positive)), _exponent(max(positive)) + 1
    return low, max(high, low + 1)


def scatter_chart(points: list[Point], *, title: str, score_label: str, width: int = 560,
                  height: int = 260) -> str:
    """Offers as points, x their blended price on a log scale, y their score from 0; the
    front's points filled and joined by the steps of the best score a price buys."""
    low, high = _log_range([p.price for p in points])
    ymax = y_top([p.score for p in points])
    labels = y_labels(ymax)
    left = 14 + 7 * max(len(label) for label in labels)
    right, top, bottom = 14, 22, 36
    plot_w, plot_h = width - left - right, height - top - bottom

    def x(price: Decimal) -> float:
        exponent = math.log10(float(price)) if price > 0 else low
        return left + plot_w * min(max((exponent - low) / (high - low), 0.0), 1.0)

    def y(score: Decimal) -> float:
        return top + plot_h * (1 - float(score) / ymax)

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="chart scatter" width="{width}" '
             f'height="{height}" viewBox="0 0 {width} {height}" role="img" '
             f'aria-label="{escape(title)}">', f'<title>{escape(title)}</title>']
    for i, label in enumerate(labels):
        at = top + plot_h * (1 - i / 4)
        parts.append(f'<line class="grid" x1="{left}" y1="{at:.1f}" x2="{left + plot_w}" '
                     f'y2="{at:.1f}"/><text class="tick" x="{left - 6}" y="{at + 4:.1f}" '
                     f'text-anchor="end">{label}</text>')
    for exponent in range(low, high + 1):
        at = x(Decimal(10) ** exponent)
        parts.append(f'<line class="axis" x1="{at:.1f}" y1="{top + plot_h}" x2="{at:.1f}" '
                     f'y2="{top + plot_h + 4}"/><text class="tick" x="{at:.1f}" '
                     f'y="{top + plot_h + 16}" text-anchor="middle">'
                     f'{_axis_number(10.0 ** exponent)}</text>')
    parts.append(f'<line class="axis" x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" '
                 f'y2="{top + plot_h}"/>')
    parts.append(f'<text class="axis-label" x="{left + plot_w / 2:.1f}" y="{height - 4}" '
                 f'text-anchor="middle">blended USD per 1M tokens (log scale)</text>')
    parts.append(f'<text class="axis-label" x="{left - 6}" y="{top - 9}" '
                 f'text-anchor="start">{escape(score_label)}</text>')
    front = sorted((p for p in points if p.front), key=lambda p: (p.price, p.score))
    if front:  # the best score each price buys: flat until the next point of the front
        path = f"M{x(front[0].price):.1f},{y(front[0].score):.1f}"
        for point in front[1:]:
            path += f" H{x(point.price):.1f} V{y(point.score):.1f}"
        path += f" H{left + plot_w}"
        parts.append(f'<path class="front" d="{path}" fill="none"/>')
    for point in sorted(points, key=lambda p: p.front):  # the front's points on top
        tip = (f"{point.label}: {text.decimal_text(point.price)} USD per 1M tokens, "
               f"score {text.decimal_text(point.score)}"
               + (" (on the front)" if point.front else ""))
        parts.append(f'<circle class="point{" front" if point.front else ""}" '
                     f'cx="{x(point.price):.1f}" cy="{y(point.score):.1f}" '
                     f'r="{4.5 if point.front else 3}" '
                     f'data-price="{text.decimal_text(point.price)}" '
                     f'data-score="{text.decimal_text(point.score)}">'
                     f'<title>{escape(tip)}</title></circle>')
    parts.append("</svg>")
    return "\n".join(parts)

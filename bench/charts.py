"""Chart library benchmark: the report's own SVG step charts (outputs/report/svg.py) against pygal,
the pure-Python SVG library, on the same 100 charts (5 series of 12 price intervals each,
over a year), in one run.

Measured for each: the time to render the 100 charts (median of 5), the output size, and
the install size (the files the distribution and its dependencies put in site-packages; the
report's module is one file and needs nothing installed). pygal draws steps as an XY line
through each interval's two ends; its tooltips need its JavaScript, from the network by
default, so here it renders without them (what a self-contained page would get).

    pip install '.[bench]' && python -m bench.charts
"""

from __future__ import annotations

import json
import statistics
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from importlib import metadata
from pathlib import Path

from pricewatch.outputs.report import svg

CHARTS, SERIES, STEPS = 100, 5, 12
START = datetime(2026, 1, 1, tzinfo=UTC)
END = START + timedelta(days=365)


def data() -> list[list[svg.Series]]:
    """CHARTS charts of SERIES series, each STEPS contiguous intervals of a month or so."""
    charts = []
    for c in range(CHARTS):
        series = []
        for s in range(SERIES):
            length = (END - START) / STEPS
            steps = tuple(svg.Step(START + i * length,
                                   START + (i + 1) * length if i + 1 < STEPS else None,
                                   Decimal((c * 31 + s * 7 + i * 13) % 97 + 3) / 100)
                          for i in range(STEPS))
            series.append(svg.Series(f"provider{s} model-{c}", steps, f"k{c}.{s}"))
        charts.append(series)
    return charts


def own(charts: list[list[svg.Series]]) -> list[str]:
    return [svg.step_chart(series, start=START, end=END, unit="per_1m_tokens",
                           title=f"chart {n}") for n, series in enumerate(charts)]


def pygal_charts(charts: list[list[svg.Series]]) -> list[str]:
    import pygal

    out = []
    for n, series in enumerate(charts):
        chart = pygal.DateTimeLine(width=560, height=230, js=[], disable_xml_declaration=True,
                                   show_dots=False, title=f"chart {n}",
                                   y_title="USD per 1M tokens", x_title="time (UTC)")
        for one in series:
            points = []
            for step in one.steps:  # a step: both ends of its interval at its price
                points += [(step.start, float(step.price)), (step.end or END, float(step.price))]
            chart.add(one.label, points)
        out.append(chart.render(is_unicode=True))
    return out


def install_kb(distribution: str) -> float:
    """Bytes the distribution and what it requires put on disk, in KB."""
    seen: set[str] = set()
    todo, total = [distribution], 0
    while todo:
        name = todo.pop()
        if name.lower() in seen:
            continue
        seen.add(name.lower())
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            continue
        total += sum(Path(dist.locate_file(f)).stat().st_size for f in dist.files or ()
                     if Path(dist.locate_file(f)).is_file())
        for requirement in dist.requires or ():
            if "extra ==" not in requirement:
                todo.append(requirement.split(";")[0].split()[0].split("<")[0].split(">")[0]
                            .split("=")[0].split("[")[0])
    return round(total / 1024, 1)


def timed(render, charts) -> tuple[float, int]:
    times, size = [], 0
    for _ in range(5):
        started = time.perf_counter()
        pages = render(charts)
        times.append(time.perf_counter() - started)
        size = sum(len(page.encode()) for page in pages)
    return statistics.median(times) * 1000, size


def main() -> None:
    charts = data()
    own_ms, own_bytes = timed(own, charts)
    figures = {"charts": CHARTS, "series_per_chart": SERIES, "steps_per_series": STEPS,
               "own_ms": round(own_ms, 1), "own_kb": round(own_bytes / 1024, 1),
               "own_install_kb": round(Path(svg.__file__).stat().st_size / 1024, 1)}
    try:
        pygal_ms, pygal_bytes = timed(pygal_charts, charts)
    except ImportError:
        print("pygal is not installed: pip install '.[bench]'")
    else:
        figures |= {"pygal_ms": round(pygal_ms, 1), "pygal_kb": round(pygal_bytes / 1024, 1),
                    "pygal_install_kb": install_kb("pygal"),
                    "pygal_vs_own_time": round(pygal_ms / own_ms, 1),
                    "pygal_vs_own_size": round(pygal_bytes / own_bytes, 2)}
    for key, value in figures.items():
        print(f"{key}: {value}")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()

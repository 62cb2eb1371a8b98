"""`pricewatch report`: one HTML file, self-contained, whose charts draw exactly the
intervals of price_history, rendered by a real browser (Debian's chromium, headless)."""

from __future__ import annotations

import json
import os
import re
import shutil
import struct
import subprocess
import zlib
from collections import defaultdict
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from typer.testing import CliRunner

from helpers import fixture_path, ingest_catalogues
from pricewatch import queries
from pricewatch.cli.main import app
from pricewatch.outputs.report.svg import Step, sparkline, y_labels, y_top
from pricewatch.settings import load_settings

runner = CliRunner()
CAPTURES = [("models-2024-02-18.json", "2024-02-18"), ("models-2025-05-23.json", "2025-05-23"),
            ("models-2025-12-18.json", "2025-12-18"), ("models-2026-01-29.json", "2026-01-29"),
            ("models-2026-05-07.json", "2026-05-07")]
SINCE = "2024-01-01T00:00:00Z"
CHOSEN = ["openai/gpt-4o-mini", "Llama 3.3 70B", "anthropic/claude-3-haiku"]


def at(day: str) -> datetime:
    return datetime.fromisoformat(day).replace(tzinfo=UTC)


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory) -> Path:
    return ingest_catalogues(tmp_path_factory.mktemp("report") / "report.duckdb",
                             [day for _, day in CAPTURES])


@pytest.fixture(scope="module")
def page(warehouse: Path, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("page") / "report.html"
    args = ["report", "--out", str(out), "--since", SINCE, "--db", str(warehouse), "--json"]
    for model in CHOSEN:
        args += ["--model", model]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)[0]
    assert summary["window_end"] == "2026-05-07T00:00:00Z" and summary["models"] == 3
    return out


def soup(path: Path) -> BeautifulSoup:
    return BeautifulSoup(path.read_text(encoding="utf-8"), "lxml")


def sql(db: Path, query: str, params=None) -> list[dict]:
    with queries.open_gold(load_settings(db_path=db)) as con:
        return queries.rows(con, query, params)[1]


def test_the_file_is_self_contained(page: Path) -> None:
    text = page.read_text(encoding="utf-8")
    tree = soup(page)
    for tag in tree.find_all(True):
        for name in ("src", "href", "xlink:href", "action", "data"):
            value = tag.get(name)
            assert not (isinstance(value, str) and re.match(r"\s*(https?:)?//", value)), tag
    assert not re.search(r"url\(\s*['\"]?\s*(https?:)?//", text)
    assert "@import" not in text
    assert not tree.find_all("script", src=True) and not tree.find_all("link")
    assert [s["id"] for s in tree.find_all("section")] == [
        "freshness", "cheapest", "quality", "movers", "history", "cost", "upcoming"]


def test_every_step_is_an_interval_of_price_history(page: Path, warehouse: Path) -> None:
    """The history charts draw, per series, exactly the window's intervals of that key
    (count, prices, edges) and every step as long as its interval held."""
    start, end = at("2024-01-01"), at("2026-05-07")
    expected = defaultdict(list)
    for row in sql(warehouse, """
            SELECT h.provider, h.model, h.route, h.component, h.unit, h.source, h.price,
                   h.valid_from, h.valid_to
            FROM price_history h JOIN model_identity i USING (provider, model)
            WHERE i.canonical_model IN (SELECT canonical_model_rules(unnest($m)))
              AND service_tier = 'standard' AND context_threshold = 0
              AND usage_tier_start = 0 AND NOT dynamic
              AND valid_from <= $end AND (valid_to IS NULL OR valid_to > $start)
            ORDER BY valid_from""", {"m": CHOSEN, "start": start, "end": end}):
        key = "|".join(row[k] for k in ("provider", "model", "route", "component", "unit",
                                        "source"))
        expected[key].append((row["price"], row["valid_from"], row["valid_to"]))
    drawn = {}
    for chart in soup(page).select("#history svg.chart"):
        grid = chart.select_one("line.grid")
        left, right = float(grid["x1"]), float(grid["x2"])
        drawn_until = datetime.fromisoformat(chart["data-end"])
        assert drawn_until > end  # a little past the last observation
        for series in chart.select("g.series"):
            steps = []
            for step in series.select("g.step"):
                begins = datetime.fromisoformat(step["data-from"])
                ends = datetime.fromisoformat(step["data-to"]) if step["data-to"] else None
                steps.append((Decimal(step["data-price"]), begins, ends))
                line = step.find("line")
                held = ((min(ends or drawn_until, drawn_until) - max(begins, start))
                        / (drawn_until - start))
                assert abs(float(line["x2"]) - float(line["x1"]) - held * (right - left)) < 0.2
                assert step.find("title").text.count("→") == 1
            drawn[series["data-key"]] = steps
    assert len(expected) >= 10 and sum(map(len, expected.values())) >= 20
    assert drawn == dict(expected)


def test_a_tooltip_holds_the_exact_decimal_and_its_interval(page: Path) -> None:
    titles = [t.text for t in soup(page).select("#history g.step title")]
    assert "openrouter openai/gpt-4o-mini: 0.15 USD per 1M tokens, 2025-05-23 → now" in titles
    assert ("openrouter anthropic/claude-3-haiku:beta: 0.25 USD per 1M tokens, "
            "2025-05-23 → 2025-12-18" in titles)  # unlisted by the 2025-12-18 capture
    assert any("0.000217 USD per image" in t for t in titles)


def test_sections_hold_the_figures_of_the_database(page: Path, warehouse: Path) -> None:
    tree = soup(page)
    cheapest = sql(warehouse, "SELECT capability, provider, model, blended_price FROM "
                              "cheapest_per_capability WHERE rank = 1 AND NOT is_free AND "
                              "price_unit = 'per_1m_tokens' ORDER BY capability")
    rows = [[td.get_text(" ", strip=True) for td in tr.find_all("td")]
            for tr in tree.select("#cheapest > table tbody tr")]
    firsts = [r for r in rows if r[1] == "1"]
    assert [(r[0], r[2], r[3]) for r in firsts] == [
        (c["capability"], f"{c['provider']} · {c['model']}",
         format(c["blended_price"].normalize(), "f")) for c in cheapest]
    costs = {tds[0].get_text(strip=True): tds[4].get_text(strip=True)
             for tds in (tr.find_all("td") for tr in tree.select("#cost tbody tr"))}
    assert costs["openrouter · openai/gpt-4o-mini"] == "4.5"  # 10M x 0.15 + 5M x 0.6, exact
    assert "freshness" in tree.select_one("#freshness").get_text().lower()
    assert "openrouter.models" in tree.select_one("#freshness tbody").get_text()
    movers = tree.select("#movers > table > tbody > tr")
    assert 1 <= len(movers) <= 10 and all(tr.select("svg.spark g.step") for tr in movers)


def test_an_empty_warehouse_gives_a_report_that_says_so(tmp_path: Path) -> None:
    from pricewatch.warehouse.db import open_db

    with open_db(tmp_path / "new.duckdb"):
        pass  # created, nothing in it (a read command never creates one)
    out = tmp_path / "empty.html"
    result = runner.invoke(app, ["report", "--out", str(out), "--db",
                                 str(tmp_path / "new.duckdb")])
    assert result.exit_code == 0, result.output
    tree = soup(out)
    assert tree.select_one("#empty") and "No data yet" in tree.get_text()
    assert not tree.select("svg.chart")


@pytest.mark.parametrize(("args", "words", "code"), [
    (["--model", "gpt-4o-mni"], ["no prices recorded for model 'gpt-4o-mni'",
                                 "openai/gpt-4o-mini"], 1),
    (["--capability", "visoin"], ["unknown capability 'visoin'", "vision"], 1),
    (["--workload", "ten:5M"], ["--workload 'ten'"], 2),  # unreadable text: usage
])
def test_bad_input_gets_close_matches_and_exit_1(warehouse: Path, tmp_path: Path, args: list,
                                                 words: list, code: int) -> None:
    out = tmp_path / "r.html"
    result = runner.invoke(app, ["report", "--out", str(out), "--db", str(warehouse), *args])
    assert result.exit_code == code
    message = " ".join(result.stderr.split())
    assert all(word in message for word in words), message
    assert message.count(",") < 6 and not out.exists()  # a few matches, no half a page


def test_the_file_is_replaced_atomically(warehouse: Path, tmp_path: Path) -> None:
    out = tmp_path / "site" / "r.html"
    out.parent.mkdir()
    out.write_text("old page")
    result = runner.invoke(app, ["report", "--out", str(out), "--db", str(warehouse),
                                 "--since", SINCE])
    assert result.exit_code == 0, result.output
    assert out.read_text().startswith("<!DOCTYPE html>")
    assert [p.name for p in out.parent.iterdir()] == ["r.html"]  # no temporary file left


def test_sparkline_of_one_price_is_flat_and_titled() -> None:
    svg = sparkline((Step(at("2026-01-01"), None, Decimal("0.15")),), start=at("2025-12-01"),
                    end=at("2026-02-01"), label="x", unit="per_1m_tokens")
    assert svg.count('class="step"') == 1 and "0.15 USD per 1M tokens, 2026-01-01 → now" in svg
    assert y_labels(y_top([Decimal("0.0000258")])) == [
        "0", "0.0000075", "0.000015", "0.0000225", "0.00003"]


def test_a_sparkline_writes_its_scale() -> None:
    """Issue 31, item 5: a sparkline was a stub without scale; its highest and lowest
    price are written level with its top and bottom (four significant digits), exact in
    `data-high` / `data-low` and in each step's tooltip."""
    steps = (Step(at("2026-01-01"), at("2026-02-01"), Decimal("0.266666666667")),
             Step(at("2026-02-01"), None, Decimal("0.15")))
    tree = BeautifulSoup(sparkline(steps, start=at("2025-12-01"), end=at("2026-03-01"),
                                   label="x", unit="per_1m_tokens"), "lxml")
    svg = tree.select_one("svg.spark")
    assert (svg["data-high"], svg["data-low"]) == ("0.266666666667", "0.15")
    labels = [(t.get_text(), float(t["y"])) for t in svg.select("text.scale")]
    lines = {float(line["y1"]) for line in svg.select("g.step > line:not(.hit)")}
    assert [label for label, _ in labels] == ["0.2667", "0.15"]
    assert [y - 4 for _, y in labels] == sorted(lines)  # level with the top and the bottom
    assert max(float(line["x2"]) for line in svg.select("g.step line")) == 180 - 64 - 2
    flat = BeautifulSoup(sparkline(steps[1:], start=at("2025-12-01"), end=at("2026-03-01"),
                                   label="x", unit="per_1m_tokens"), "lxml")
    assert [t.get_text() for t in flat.select("text.scale")] == ["0.15"]


def test_a_long_window_draws_recent_moves_again(warehouse: Path, tmp_path: Path) -> None:
    """Issue 31, item 5: over a window of two years a move of the last weeks was a few
    pixels wide. A chart whose prices start or end in the last DAYS draws them again under
    it, over those days; one without such a move does not, nor does a short window."""
    out = tmp_path / "r.html"

    def charts(*extra: str) -> dict[str, list]:
        result = runner.invoke(app, ["report", "--out", str(out), "--db", str(warehouse),
                                     "--model", CHOSEN[0], "--model", CHOSEN[2], *extra])
        assert result.exit_code == 0, result.output
        return {f.select_one("figcaption").get_text(): f.select("svg.chart")
                for f in soup(out).select("#history figure")}

    drawn = charts("--since", SINCE, "--recent", "120")  # 2026-01-07 → 2026-05-07
    zoomed = {title: svgs[1] for title, svgs in drawn.items() if len(svgs) == 2}
    assert sorted(zoomed) == ["Anthropic: Claude 3 Haiku image_input (USD per image)",
                              "OpenAI: GPT-4o-mini image_input (USD per image)"]
    assert {svg["data-start"] for svg in zoomed.values()} == {"2026-01-07T00:00:00Z"}
    assert sorted((s["data-price"], s["data-from"], s["data-to"]) for s in zoomed[
        "OpenAI: GPT-4o-mini image_input (USD per image)"].select("g.step")) == [
        ("0.000217", "2025-05-23T00:00:00Z", "2026-01-29T00:00:00Z"),
        ("0.007225", "2025-05-23T00:00:00Z", "2026-01-29T00:00:00Z")]
    assert all(len(svgs) == 1 for svgs in charts("--since", SINCE).values())  # 30 days
    assert all(len(svgs) == 1 for svgs in charts("--since", SINCE, "--recent", "0").values())
    assert all(len(svgs) == 1 for svgs in charts("--since", "2025-12-01T00:00:00Z",
                                                 "--recent", "120").values())


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def _browser() -> str:
    if CHROMIUM:
        return CHROMIUM
    if os.environ.get("PRICEWATCH_BROWSER_REQUIRED"):
        pytest.fail("chromium is required here (PRICEWATCH_BROWSER_REQUIRED) and missing")
    pytest.skip("no chromium on this machine (.ci/run installs it)")


def _headless(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([_browser(), "--headless=new", "--no-sandbox", "--disable-gpu",
                           "--hide-scrollbars", "--no-first-run", "--disable-extensions",
                           *args], capture_output=True, timeout=120, check=True)


def png_size_and_colours(path: Path) -> tuple[int, int, int]:
    """Width, height and the number of distinct byte values of the decoded image data (a
    blank page has a handful)."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    chunks, at_byte = [], 8
    while at_byte < len(data):
        length, kind = struct.unpack(">I4s", data[at_byte:at_byte + 8])
        if kind == b"IDAT":
            chunks.append(data[at_byte + 8:at_byte + 8 + length])
        at_byte += 12 + length
    return width, height, len(set(zlib.decompress(b"".join(chunks))))


def test_a_real_browser_renders_the_report(page: Path, tmp_path: Path) -> None:
    shot = tmp_path / "report.png"
    _headless("--window-size=1280,2400", f"--screenshot={shot}", page.as_uri())
    width, height, colours = png_size_and_colours(shot)
    assert (width, height) == (1280, 2400) and colours > 100
    dom = BeautifulSoup(_headless("--dump-dom", page.as_uri()).stdout.decode(), "lxml")
    assert [s["id"] for s in dom.find_all("section")] == [
        "freshness", "cheapest", "quality", "movers", "history", "cost", "upcoming"]
    steps = soup(page).select("g.step")
    assert len(dom.select("g.step")) == len(steps) > 50
    assert "openrouter · openai/gpt-4o-mini" in dom.select_one("#cost").get_text()


def test_a_chart_draws_the_ten_cheapest_offers_and_says_how_many_it_left_out(
        tmp_path: Path) -> None:
    """Twelve providers of one model: the chart has the ten priced lowest at the end."""
    from helpers import jsonl, price_line

    db = tmp_path / "many.duckdb"
    lines = [price_line("acme/m-1", f"0.{n + 10}", provider=f"host{n:02d}") for n in range(12)]
    result = runner.invoke(app, ["ingest", "records", "-", "--observed-at", "2026-01-01",
                                 "--db", str(db)], input=jsonl(*lines).decode())
    assert result.exit_code == 0, result.output
    out = tmp_path / "many.html"
    result = runner.invoke(app, ["report", "--out", str(out), "--db", str(db),
                                 "--model", "acme/m-1"])
    assert result.exit_code == 0, result.output
    [chart] = soup(out).select("#history figure")
    drawn = [g["data-key"].split("|")[0] for g in chart.select("svg.chart g.series")]
    assert sorted(drawn) == [f"host{n:02d}" for n in range(10)]  # 0.10 ... 0.19
    assert "2 more offers of this model are not drawn" in " ".join(chart.get_text().split())


def test_a_published_future_price_is_upcoming_and_drawn_from_its_date(tmp_path: Path) -> None:
    from helpers import jsonl, price_line

    db = tmp_path / "future.duckdb"
    lines = [price_line("acme/m-2", "1", "input", provider="vertex", source="records"),
             price_line("acme/m-2", "0.8", "input", provider="vertex", source="records",
                        effective_from="2026-02-01"),
             price_line("acme/m-2", "0.5", "input", provider="vertex", source="records",
                        effective_from="2099-01-01")]
    result = runner.invoke(app, ["ingest", "records", "-", "--observed-at", "2026-01-01",
                                 "--db", str(db)], input=jsonl(*lines).decode())
    assert result.exit_code == 0, result.output
    runner.invoke(app, ["ingest", "records", "-", "--observed-at", "2026-03-01",
                        "--db", str(db)], input=jsonl(*lines).decode())
    out = tmp_path / "future.html"
    result = runner.invoke(app, ["report", "--out", str(out), "--db", str(db), "--since",
                                 "2025-12-01T00:00:00Z", "--model", "acme/m-2"])
    assert result.exit_code == 0, result.output
    tree = soup(out)
    steps = sorted((s["data-price"], s["data-from"]) for s in tree.select("#history g.step"))
    assert steps == [("0.8", "2026-02-01T00:00:00Z"), ("1", "2026-01-01T00:00:00Z")]
    upcoming = [[td.get_text(strip=True) for td in tr.find_all("td")]
                for tr in tree.select("#upcoming tbody tr")]
    assert [(row[0], row[4]) for row in upcoming] == [("2099-01-01", "0.5")]


def test_the_window_ends_at_the_newest_price_observation(tmp_path: Path) -> None:
    """Issue 31, item 4: a limits page read six weeks after the last catalogue moved the
    default window's end there: "No price changed in the window", lines drawn past the
    last capture."""
    from pricewatch.pipeline import run as pipeline
    from pricewatch.settings import load_settings

    db = ingest_catalogues(tmp_path / "w.duckdb", ["2026-01-29", "2026-05-07"])
    pipeline.ingest_body(load_settings(db_path=db), "openrouter.limits",
                         fixture_path("openrouter", "limits-page-2026-10-07.md").read_bytes(),
                         at("2026-10-07"), "limits.md")
    out = tmp_path / "r.html"
    result = runner.invoke(app, ["report", "--out", str(out), "--db", str(db), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)[0]["window_end"] == "2026-05-07T00:00:00Z"
    assert "No price changed in the window" not in out.read_text(encoding="utf-8")


# Measured in the page as a browser lays it out in a frame of the given width: how far the
# page overflows sideways, and the smallest text as drawn (an SVG's text scaled with it).
PROBE = """
function probe(win) {
  const doc = win.document;
  const vw = doc.documentElement.clientWidth;
  let minFont = 1e9, smallest = '';
  for (const el of doc.querySelectorAll('body *')) {
    if (![...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim())) continue;
    const box = el.getBoundingClientRect();
    if (!box.width || !box.height) continue;  // not shown (a closed details)
    let size = parseFloat(win.getComputedStyle(el).fontSize);
    const svg = el.closest('svg');
    if (svg && svg.viewBox.baseVal && svg.viewBox.baseVal.width) {
      size *= svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
    }
    if (size < minFont) { minFont = size; smallest = el.tagName + ' ' + el.textContent.trim(); }
  }
  return {width: vw, overflow: doc.documentElement.scrollWidth - vw, minFont, smallest};
}
const frame = document.getElementById('f');
frame.addEventListener('load', () => {
  document.body.setAttribute('data-probe', JSON.stringify(probe(frame.contentWindow)));
});
"""


def _laid_out(page: Path, width: int, tmp_path: Path) -> dict:
    import html

    wrapper = tmp_path / f"frame-{width}.html"
    wrapper.write_text(
        f'<!doctype html><html><body style="margin:0"><iframe id="f" style="border:0;'
        f'width:{width}px;height:900px" srcdoc="{html.escape(page.read_text(), quote=True)}">'
        f"</iframe><script>{PROBE}</script></body></html>", encoding="utf-8")
    dom = _headless("--window-size=1400,900", "--virtual-time-budget=5000", "--dump-dom",
                    wrapper.as_uri()).stdout.decode()
    found = BeautifulSoup(dom, "lxml").body.get("data-probe")
    assert found, "the probe did not run"
    return json.loads(found)


@pytest.mark.parametrize(("width", "smallest"), [(390, 9), (1280, 11)])
def test_the_report_reads_on_a_phone_and_a_desktop(page: Path, tmp_path: Path, width: int,
                                                    smallest: float) -> None:
    """Issue 31, item 5: at 390 px the page was 631 px wide (tables lost columns) and chart
    labels were drawn at ~6 px. Now wide tables and charts scroll in their own box, and a
    chart is not shrunk below 480 px."""
    laid = _laid_out(page, width, tmp_path)
    assert laid["width"] == width
    assert laid["overflow"] <= 0, laid
    assert laid["minFont"] >= smallest, laid


def test_headings_name_models_by_their_display_name(page: Path) -> None:
    """Issue 31, item 5: headings showed canonical ids (`qwen3-next80b-a3b`), which read
    like typos; the display name comes first, the id after it as code."""
    headings = {h.find("code").get_text(): h.get_text(" ", strip=True)
                for h in soup(page).select("article.model h3")}
    assert headings == {"gpt4o-mini": "OpenAI: GPT-4o-mini gpt4o-mini",
                        "llama3.3-70b": "Meta: Llama 3.3 70B Instruct llama3.3-70b",
                        "claude3-haiku": "Anthropic: Claude 3 Haiku claude3-haiku"}
    assert all(not text.startswith(code + " ") for code, text in headings.items())
    assert soup(page).select_one("figcaption").get_text().startswith(
        next(iter(headings.values())).rsplit(" ", 1)[0])


def test_the_legend_says_which_lines_a_reader_cannot_see() -> None:
    """Issue 31, item 5: a series priced 0 lies on the axis, and two at the same prices
    hide each other; the legend says so."""
    from decimal import Decimal

    from pricewatch.outputs.report.svg import Series, Step, legend_notes

    start, end = at("2026-01-01"), at("2026-03-01")
    one = (Step(at("2026-01-01"), at("2026-02-01"), Decimal("0.5")),
           Step(at("2026-02-01"), None, Decimal("0.4")))
    notes = legend_notes([Series("a", one), Series("b", one), Series("free", (
        Step(at("2026-01-01"), None, Decimal("0")),)), Series("c", one[1:])], start, end)
    assert notes == ["", "same prices as a: the band around it", "0 all along: on the axis",
                     ""]


def test_the_cheapest_table_shows_each_offers_speed(tmp_path: Path) -> None:
    """Speed beside price: the median published p50 latency and throughput of the 7 days
    before the window's end; an offer without readings shows none."""
    db = tmp_path / "speed.duckdb"
    lines = []
    for model, price in (("acme/fast", "1"), ("acme/quiet", "2")):
        lines += [json.dumps({"kind": "offer", "provider": "openrouter", "model": model,
                              "route": "tag", "output_modalities": ["text"]})]
        lines += [json.dumps({"kind": "price", "provider": "openrouter", "model": model,
                              "route": "tag", "component": component, "unit": "per_1m_tokens",
                              "price": price}) for component in ("input", "output")]
    lines += [json.dumps({"kind": "measurement", "provider": "openrouter", "model": "acme/fast",
                          "route": "tag", "metric": metric, "value": value})
              for metric, value in (("latency_ms_p50_30m", 316), ("throughput_tps_p50_30m", 26),
                                    ("latency_ms_p90_30m", 666))]
    result = runner.invoke(app, ["ingest", "records", "-", "--observed-at",
                                 "2026-05-07T00:00:00Z", "--db", str(db)],
                           input="\n".join(lines) + "\n")
    assert result.exit_code == 0, result.output
    out = tmp_path / "speed.html"
    result = runner.invoke(app, ["report", "--out", str(out), "--db", str(db),
                                 "--capability", "text"])
    assert result.exit_code == 0, result.output
    tree = soup(out)
    heads = [th.get_text(strip=True) for th in tree.select("#cheapest > table thead th")]
    rows = {tds[2]: dict(zip(heads, tds, strict=True)) for tds in (
        [td.get_text(" ", strip=True) for td in tr.find_all("td")]
        for tr in tree.select("#cheapest > table tbody tr"))}
    fast, quiet = rows["openrouter · acme/fast (tag)"], rows["openrouter · acme/quiet (tag)"]
    assert (fast["p50 ms"], fast["p50 tok/s"]) == ("316", "26")
    assert (quiet["p50 ms"], quiet["p50 tok/s"]) == ("", "")


def test_price_against_quality_draws_every_scored_offer_and_the_front(tmp_path: Path) -> None:
    """One point per paid offer with a score (its exact price and score in data-), the
    front's points filled and listed with their rank; the free offer is not drawn."""
    db = tmp_path / "quality.duckdb"
    offers = {"acme/a": ("1", "10"), "acme/b": ("2", "30"), "acme/c": ("3", "20"),
              "acme/e": ("0.5", "5"), "acme/g": ("0", "90")}
    lines = []
    for model, (price, _) in offers.items():
        lines.append(json.dumps({"kind": "offer", "provider": "openrouter", "model": model,
                                 "output_modalities": ["text"]}))
        lines += [json.dumps({"kind": "price", "provider": "openrouter", "model": model,
                              "component": component, "unit": "per_1m_tokens",
                              "price": price}) for component in ("input", "output")]
    scores = [json.dumps({"kind": "score", "source": "aider.polyglot", "provider": "aider",
                          "benchmark": "aider.polyglot", "metric": "pass_rate_2",
                          "value": score, "model_label": model.split("/")[1],
                          "licence": "Apache-2.0", "attribution": "Aider"})
              for model, (_, score) in offers.items()]
    for body in (lines, scores):
        result = runner.invoke(app, ["ingest", "records", "-", "--observed-at",
                                     "2026-05-07T00:00:00Z", "--db", str(db)],
                               input="\n".join(body) + "\n")
        assert result.exit_code == 0, result.output
    out = tmp_path / "quality.html"
    assert runner.invoke(app, ["report", "--out", str(out), "--db", str(db)]).exit_code == 0
    section = soup(out).select_one("#quality")
    points = {(c["data-price"], c["data-score"], "front" in c["class"])
              for c in section.select("svg.scatter circle.point")}
    assert points == {("1", "10", True), ("2", "30", True), ("3", "20", False),
                      ("0.5", "5", True)}
    front = [[td.get_text(" ", strip=True) for td in tr.find_all("td")][:4]
             for tr in section.select("details tbody tr")]
    assert front == [["1", "openrouter · acme/e", "5", "0.5"],
                     ["2", "openrouter · acme/a", "10", "1"],
                     ["3", "openrouter · acme/b", "30", "2"]]
    assert "Scores: Aider (Apache-2.0)" in " ".join(section.get_text().split())


def test_a_warehouse_without_scores_says_how_to_get_them(page: Path) -> None:
    section = soup(page).select_one("#quality")
    assert not section.select("svg") and "aider.polyglot" in section.get_text()


def test_the_daemons_report_is_made_again_only_after_a_run_that_matters(tmp_path: Path) -> None:
    """report.refresh (the daemon's post-run step) reads what the page was made through
    from the page and what came since from `runs`: a run that changed nothing leaves the
    page, one that changed a price or failed makes it again, and so does a page another
    pricewatch version made. Nothing is remembered in between (issue 30, item 8)."""
    from pricewatch.outputs import report
    from pricewatch.pipeline import run as pipeline
    from pricewatch.warehouse.db import open_warehouse
    from pricewatch.warehouse.ingest import record_failed

    db = ingest_catalogues(tmp_path / "w.duckdb", ["2026-01-29"])
    settings = load_settings(db_path=db)
    out = tmp_path / "site" / "index.html"
    assert report.made_through(out) is None and report.refresh(settings, out) is not None
    assert report.made_through(out) == 1
    assert report.refresh(settings, out) is None  # no run since
    body = fixture_path("openrouter", "models-2026-01-29.json").read_bytes()
    same = pipeline.ingest_body(settings, "openrouter.models", body, at("2026-02-01"), "m")
    assert same.run_id == 2 and same.changes == 0
    assert report.refresh(settings, out) is None and report.made_through(out) == 1
    moved = pipeline.ingest_body(settings, "openrouter.models", fixture_path(
        "openrouter", "models-2026-05-07.json").read_bytes(), at("2026-05-07"), "m")
    assert moved.changes > 0
    assert report.refresh(settings, out) is not None and report.made_through(out) == 3
    assert "2026-05-07" in out.read_text(encoding="utf-8")
    with open_warehouse(settings) as con:
        record_failed(con, source="openrouter.limits", observed_at=at("2026-05-08"),
                      message="HTTP 503")
    assert report.refresh(settings, out) is not None and report.made_through(out) == 4
    assert report.refresh(settings, out) is None
    page = out.read_text(encoding="utf-8")
    out.write_text(page.replace('content="pricewatch ', 'content="pricewatch 0.0.1-'))
    assert report.made_through(out) is None and report.refresh(settings, out) is not None
    # a warehouse made afresh at the same path: its one run is older than the page's 4
    db.unlink()
    ingest_catalogues(db, ["2026-01-29"])
    assert report.refresh(settings, out) is not None and report.made_through(out) == 1

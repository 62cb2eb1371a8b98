"""vertex.pricing: the real fragments of the July 2026 page in tables shaped as described
(tests/vertex_pages.py), the May 2026 tier tables, the Llama partner page, and the other
layouts the page has been seen in. Exact prices; what cannot be read is named, never priced."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from helpers import fixture_path
from helpers.vertex_pages import july_2026_page
from pricewatch.collectors import get_source
from pricewatch.collectors.base import ParseError, parse_bodies
from pricewatch.collectors.vertex.pricing import parse_pricing
from pricewatch.records import OfferRecord, PriceRecord

NOW = datetime(2026, 8, 1, tzinfo=UTC)
PriceKey = tuple[str, str, str, str, int]  # model, route, component, tier, threshold


def prices(body: bytes | str, unit: str = "per_1m_tokens"
           ) -> dict[tuple[str, str, str, str, int, date | None], Decimal]:
    raw = body.encode() if isinstance(body, str) else body
    out = parse_pricing(raw, NOW)
    return {(r.model, r.route, r.component, r.service_tier, r.context_threshold,
             r.effective_from): r.price for r in out.records
            if isinstance(r, PriceRecord) and r.unit == unit}


@pytest.fixture(scope="module")
def july() -> dict:
    return prices(july_2026_page())


def test_gemini_2_5_pro_both_bands_and_cached_input(july) -> None:
    got = {k[2:5]: v for k, v in july.items() if k[0] == "gemini-2.5-pro" and k[1] == ""}
    assert got == {
        ("input", "standard", 0): Decimal("1.25"), ("input", "standard", 200000): Decimal("2.50"),
        ("cache_read", "standard", 0): Decimal("0.13"),
        ("cache_read", "standard", 200000): Decimal("0.25"),
        ("output", "standard", 0): Decimal("10"), ("output", "standard", 200000): Decimal("15")}


def test_gemini_3_5_flash_global_and_non_global_from_july_1(july) -> None:
    def price(route: str, component: str, start: date | None) -> Decimal:
        return july[("gemini-3.5-flash", route, component, "standard", 0, start)]

    july_1 = date(2026, 7, 1)
    assert price("global", "input", None) == Decimal("1.50")
    assert price("global", "output", None) == Decimal("9.00")
    assert price("non-global", "input", july_1) == Decimal("1.65")
    assert price("non-global", "output", july_1) == Decimal("9.90")
    # "Before July 1, 2026, Global endpoint pricing applies to Non-global endpoints."
    assert price("non-global", "input", None) == Decimal("1.50")
    assert ("gemini-3.5-flash", "global", "input", "standard", 0, july_1) not in july


def test_gemini_3_1_flash_lite_separate_audio_input_row(july) -> None:
    assert july[("gemini-3.1-flash-lite", "global", "audio_input", "standard", 0, None)] \
        == Decimal("0.5")
    assert july[("gemini-3.1-flash-lite", "non-global", "audio_cache_read", "standard",
                 200000, date(2026, 7, 1))] == Decimal("0.055")


def test_claude_sonnet_4_5_labelled_lines_per_context_band(july) -> None:
    got = {k[2:5]: v for k, v in july.items() if k[0] == "claude-sonnet-4.5"}
    assert got[("input", "standard", 0)] == Decimal("3.00")
    assert got[("output", "standard", 0)] == Decimal("15.00")
    assert got[("input", "batch", 0)] == Decimal("1.50")
    assert got[("cache_write", "standard", 0)] == Decimal("3.75")
    assert got[("cache_write_1h", "standard", 0)] == Decimal("6.00")
    assert got[("cache_read", "standard", 0)] == Decimal("0.30")
    assert got[("cache_read", "batch", 0)] == Decimal("0.15")
    assert got[("input", "standard", 200000)] == Decimal("6.00")
    assert got[("output", "standard", 200000)] == Decimal("22.50")
    assert len(got) == 15


def test_llama_3_1_405b_and_grok_partner_rows(july) -> None:
    assert july[("llama-3.1-405b", "", "input", "standard", 0, None)] == Decimal("5.00")
    assert july[("llama-3.1-405b", "", "output", "standard", 0, None)] == Decimal("16.00")
    assert july[("grok-4.3", "", "cache_read", "standard", 200000, None)] == Decimal("0.40")


def test_legacy_table_keeps_its_own_units() -> None:
    page = july_2026_page().encode()
    chars = prices(page, "per_1k_characters")
    assert chars[("gemini-1.5-pro", "", "input", "standard", 128000, None)] == Decimal("0.000625")
    assert chars[("gemini-1.5-flash", "", "output", "standard", 0, None)] == Decimal("0.000075")
    assert prices(page, "per_image")[("gemini-1.5-pro", "", "image_input", "standard", 0,
                                      None)] == Decimal("0.00032875")
    per_second = prices(page, "per_second")
    assert per_second[("gemini-1.5-flash", "", "audio_input", "standard", 0, None)] \
        == Decimal("0.000002")
    assert per_second[("gemini-1.5-flash", "", "video_input", "standard", 128000, None)] \
        == Decimal("0.00004")


def test_the_july_page_reads_whole_without_warnings() -> None:
    out = parse_pricing(july_2026_page().encode(), NOW)
    assert out.warnings == [] and out.suspect is None
    offers = {r.model: r.status for r in out.records if isinstance(r, OfferRecord)
              and r.route == ""}
    assert offers["gemini-3.1-pro-preview"] == "preview"
    assert offers["gemini-2.5-pro"] == "available"


def test_may_2026_tier_tables() -> None:
    body = fixture_path("vertex", "pricing-2026-05-31.tier-tables.trimmed.html").read_bytes()
    out = parse_pricing(body, NOW)
    got = {(r.model, r.route, r.component, r.service_tier, r.context_threshold): r.price
           for r in out.records if isinstance(r, PriceRecord)}
    assert got[("gemini-3.5-flash", "global", "input", "priority", 0)] == Decimal("2.70")
    assert got[("gemini-3.5-flash", "non-global", "output", "priority", 0)] == Decimal("17.82")
    assert got[("gemini-3.5-flash", "global", "output", "batch", 0)] == Decimal("4.50")
    assert got[("gemini-3.5-flash", "global", "output", "flex", 0)] == Decimal("4.50")
    assert got[("gemini-3.5-flash", "global", "input", "flex", 200000)] == Decimal("0.75")
    # Priority and Flex/Batch are N/A for Gemini 3 Pro Image: not offered, not zero.
    assert {t for m, _, _, t, _ in got if m == "gemini-3-pro-image"} == {"standard"}
    # "Batch: $0.075 (Global) / Flex: $0.08 (Global) / $0.0825 (Non-global)*": the last line
    # could be either tier; the cell is reported, not guessed.
    assert not any(c == "cache_read" and t in ("batch", "flex") for _, _, c, t, _ in got)
    assert len(out.warnings) == 2 and "$0.0825 has no label" in out.warnings[0]
    assert "table 3 ('Flex/Batch')" in out.warnings[0]
    assert out.suspect is None


def test_llama_3_2_is_free_in_preview_from_the_partner_page() -> None:
    partner = fixture_path("vertex", "llama-partner-page.excerpt.txt").read_bytes()
    bodies = [("https://x/pricing", july_2026_page().encode()), ("https://x/llama", partner)]
    result = parse_bodies(get_source("vertex.pricing"), bodies, NOW, None)
    assert result.error is None and not result.partial
    records = result.records or []
    llama = [r for r in records if getattr(r, "model", "") == "llama-3.2-90b-vision-instruct-maas"]
    assert {(r.kind, getattr(r, "status", None), getattr(r, "component", None),
             getattr(r, "price", None)) for r in llama} == {
        ("offer", "preview", None, None), ("price", None, "input", Decimal(0)),
        ("price", None, "output", Decimal(0))}
    # The page's own id, and it takes images ("if you include an image in your prompt").
    (offer,) = [r for r in llama if isinstance(r, OfferRecord)]
    assert offer.input_modalities == ["image", "text"] and offer.capabilities == ["image_input"]
    # Llama 3.1 405B is "Generally Available": it keeps its own price, not a preview zero.
    assert {r.price for r in records if isinstance(r, PriceRecord)
            and r.model == "llama-3.1-405b"} == {Decimal("5.00"), Decimal("16.00")}


def _table(header: str, rows: str, heading: str = "Standard") -> str:
    return f"<h3>{heading}</h3><table><thead><tr>{header}</tr></thead><tbody>{rows}</tbody>" \
           "</table>"


def _page(*tables: str, notes: str = "") -> str:
    return f"<html><body><h2>Gemini</h2>{''.join(tables)}{notes}</body></html>"


GEMINI_HEAD = ("<th>Model</th><th>Type</th><th>Price (/1M tokens) &lt;= 200K input tokens</th>"
               "<th>Price (/1M tokens) &gt; 200K input tokens</th>")


def test_region_column_with_empty_leading_cells() -> None:
    rows = ("<tr><td>Gemini 3.5 Flash</td><td>Input (text, image, video, audio)</td>"
            "<td>Global</td><td>$1.50</td><td>$1.50</td></tr>"
            "<tr><td></td><td></td><td>Non-global*</td><td>$1.65</td><td>$1.65</td></tr>"
            "<tr><td></td><td>Text output (response and reasoning)</td><td>Global</td>"
            "<td>$9.00</td><td>$9.00</td></tr>"
            "<tr><td></td><td></td><td>Non-global*</td><td>$9.90</td><td>$9.90</td></tr>")
    head = ("<th>Model</th><th>Type</th><th>Region</th>"
            "<th>Price (/1M tokens) =&lt; 200K input tokens</th>"
            "<th>Price (/1M tokens) &gt; 200K input tokens</th>")
    note = ("<p>* For non-global endpoints, pricing will go into effect on July 1, 2026.</p>")
    got = prices(_page(_table(head, rows), notes=note))
    assert got == {
        ("gemini-3.5-flash", route, component, "standard", band, start): Decimal(price)
        for route, component, price, start in (
            ("global", "input", "1.50", None), ("non-global", "input", "1.65", date(2026, 7, 1)),
            ("global", "output", "9.00", None),
            ("non-global", "output", "9.90", date(2026, 7, 1)))
        for band in (0, 200000)}


def test_partner_table_with_one_row_per_price_type_and_extra_bands() -> None:
    head = ("<th>Model</th><th>Type</th><th>Price (/1M tokens) =&lt; 100K input tokens</th>"
            "<th>Price (/1M tokens) &gt; 100K input tokens</th>")
    rows = ("<tr><td rowspan='5'>Claude Sonnet 4.5</td><td>Input</td><td>$3.00</td>"
            "<td>$6.00</td></tr>"
            "<tr><td>Output</td><td>$15.00</td><td>$22.50</td></tr>"
            "<tr><td>Batch Input</td><td>$1.50</td><td>N/A</td></tr>"
            "<tr><td>5m Cache Write</td><td>$3.75</td><td>$7.50</td></tr>"
            "<tr><td>Cache Hit</td><td>$0.30</td><td>$0.60</td></tr>")
    got = prices(_page(_table(head, rows, "Partner models")))
    key = ("claude-sonnet-4.5", "")
    assert got[(*key, "input", "standard", 100000, None)] == Decimal("6.00")
    assert got[(*key, "input", "batch", 0, None)] == Decimal("1.50")
    assert got[(*key, "cache_write", "standard", 0, None)] == Decimal("3.75")
    assert got[(*key, "cache_read", "standard", 100000, None)] == Decimal("0.60")
    assert len(got) == 9


def test_typo_header_and_unit_elsewhere_on_the_page() -> None:
    head = "<th>ModelPrice (/1M tokens)</th><th>&lt;= 200K</th><th>&gt; 200K</th>"
    rows = ("<tr><td>Mistral Medium 3</td><td>Input: $0.40<br>Output: $2.00</td>"
            "<td>N/A</td></tr>")
    got = prices(_page(_table(head, rows, "Open models")))
    assert got == {("mistral-medium-3", "", "input", "standard", 0, None): Decimal("0.40"),
                   ("mistral-medium-3", "", "output", "standard", 0, None): Decimal("2.00")}


def test_harmless_differences_parse_to_the_same_prices() -> None:
    base = july_2026_page()
    noisy = (base.replace("<th>Type</th>", "<th>Type</th><th>Notes</th>", 1)
             .replace("<td>Input (text, image, video, audio)</td>",
                      "<td>Input (text, image, video, audio)</td><td>see docs</td>")
             .replace("<td>Text output (response and reasoning)</td>",
                      "<td>\n  Text output   (response and reasoning) </td><td></td>")
             .replace("<td>Input (text, image, video)</td>",
                      "<td>Input (text, image, video)</td><td></td>")
             .replace("<td>Input (audio)</td>", "<td>Input (audio)</td><td></td>"))
    legacy_start = noisy.index('<h2 id="legacy">')
    partner_start = noisy.index('<h2 id="partner">')
    reordered = (noisy[:partner_start] + noisy[legacy_start:noisy.index("</body>")]
                 + noisy[partner_start:legacy_start] + "</body></html>")
    assert prices(reordered) == prices(base)
    assert prices(reordered, "per_1k_characters") == prices(base, "per_1k_characters")


def test_dated_rows_are_current_and_future_prices() -> None:
    rows = ("<tr><td>Gemini 2.0 Flash</td><td>Input</td>"
            "<td>$0.15 through December 31, 2026<br>$0.20 Starting January 1, 2027</td></tr>")
    head = "<th>Model</th><th>Type</th><th>Price (/1M tokens)</th>"
    got = prices(_page(_table(head, rows)))
    assert got == {("gemini-2.0-flash", "", "input", "standard", 0, None): Decimal("0.15"),
                   ("gemini-2.0-flash", "", "input", "standard", 0, date(2027, 1, 1)):
                       Decimal("0.20")}


def test_a_table_heading_dates_a_whole_table() -> None:
    rows = "<tr><td>Gemini 2.5 Pro</td><td>Input</td><td>$1.50</td></tr>"
    head = "<th>Model</th><th>Type</th><th>Price (/1M tokens)</th>"
    got = prices(_page(_table(head, rows, "Pricing starting January 1, 2027")))
    assert got == {("gemini-2.5-pro", "", "input", "standard", 0, date(2027, 1, 1)):
                   Decimal("1.50")}


def test_unknown_rows_and_tables_are_named_not_priced() -> None:
    odd_row = ("<tr><td>Gemini 2.5 Pro</td><td>Grounding with Google Search</td><td>$35</td>"
               "</tr><tr><td>Gemini 2.5 Pro</td><td>Input</td><td>$1.25</td></tr>")
    head = "<th>Model</th><th>Type</th><th>Price (/1M tokens)</th>"
    headless = "<table><tr><td>$1</td><td>$2</td></tr></table>"
    out = parse_pricing(_page(_table(head, odd_row), headless).encode(), NOW)
    got = {(r.model, r.component): r.price for r in out.records if isinstance(r, PriceRecord)}
    assert got == {("gemini-2.5-pro", "input"): Decimal("1.25")}
    assert "1 of 2 price tables not recognised: table 2 ('Standard'): no header row" \
        in out.warnings[0]
    assert "row 'Gemini 2.5 Pro / Grounding with Google Search' not recognised" \
        in out.warnings[1]
    assert out.suspect is None


def test_a_page_of_unreadable_tables_is_suspect() -> None:
    tables = "".join(f"<table><tr><td>Tier {i}</td><td>$ {i}</td></tr></table>" for i in range(3))
    out = parse_pricing(_page(tables).encode(), NOW)
    assert out.records == [] and out.suspect is not None
    assert "no price table recognised" in out.suspect
    assert "3 of 3 price tables not recognised" in out.warnings[0]


def test_contradicting_prices_for_one_key_are_both_left_out() -> None:
    head = "<th>Model</th><th>Type</th><th>Price (/1M tokens)</th>"
    one = _table(head, "<tr><td>Gemini 2.5 Pro</td><td>Input</td><td>$1.25</td></tr>")
    two = _table(head, "<tr><td>Gemini 2.5 Pro</td><td>Input</td><td>$1.30</td></tr>"
                       "<tr><td>Gemini 2.5 Pro</td><td>Output</td><td>$10</td></tr>")
    out = parse_pricing(_page(one, two).encode(), NOW)
    assert {r.component for r in out.records if isinstance(r, PriceRecord)} == {"output"}
    assert "conflicting prices 1.25, 1.30" in out.warnings[0]


def test_image_grounding_and_embedding_rows_in_their_units() -> None:
    head = "<th>Model</th><th>Type</th><th>Price</th>"
    rows = ("<tr><td>Imagen 4</td><td>Image generation</td><td>$0.04 per image</td></tr>"
            "<tr><td>Gemini 2.5 Flash</td><td>Grounding with Google Search</td>"
            "<td>$35 / 1,000 grounded prompts</td></tr>"
            "<tr><td>Gemini Embedding</td><td>Text embedding input</td>"
            "<td>$0.15 / 1M tokens</td></tr>")
    out = parse_pricing(_page(_table(head, rows, "Other models")).encode(), NOW)
    got = {(r.model, r.component, r.unit): r.price for r in out.records
           if isinstance(r, PriceRecord)}
    assert got == {("imagen-4", "image_output", "per_image"): Decimal("0.04"),
                   ("gemini-2.5-flash", "web_search", "per_1k_searches"): Decimal("35"),
                   ("gemini-embedding", "input", "per_1m_tokens"): Decimal("0.15")}
    assert out.warnings == []


def test_a_page_without_prices_or_previews_is_an_error_not_an_empty_snapshot() -> None:
    with pytest.raises(ParseError, match="no price table and no statement"):
        parse_pricing(b"<html><body><h1>Llama</h1><p>Use Llama 4.</p></body></html>", NOW)


def test_a_table_that_lost_its_model_column_is_not_read() -> None:
    page = re.sub(r"(<tr[^>]*>\s*)<t[dh][^>]*>.*?</t[dh]>", r"\1", july_2026_page(),
                  flags=re.DOTALL)
    out = parse_pricing(page.encode(), NOW)
    assert out.records == [] and out.suspect is not None
    assert "no model column" in out.warnings[0]


def test_a_partner_page_that_states_no_free_preview_is_read_fine() -> None:
    """The 2026 Llama page no longer names a free preview: not a failure (every run was
    partial); an unreadable page still is."""
    page = fixture_path("vertex", "llama-partner-page-2026.md").read_bytes()
    assert parse_pricing(page, NOW)[:3] == ([], [], None)
    html = b"<html><body><h1>Llama</h1><p>Llama models are available as managed APIs on " \
           b"Vertex AI.</p></body></html>"
    assert parse_pricing(html, NOW).records == []
    bodies = [("https://x/pricing", july_2026_page().encode()), ("https://x/llama", page)]
    result = parse_bodies(get_source("vertex.pricing"), bodies, NOW, None)
    assert result.error is None and not result.partial and result.records
    with pytest.raises(ParseError):
        parse_pricing(b"<html><body><h1>Service unavailable</h1></body></html>", NOW)


TABS_PAGE = Path(__file__).parent / "data" / "vertex-pricing-tabs.html"
D = Decimal


def test_devsite_tabs_give_tiers_routes_and_dated_prices() -> None:
    """Tier tabs, route tabs over one partner model (two routes, never a conflict), a Region
    column, a cell with both route figures, dated model rows and a dated note: exact keys."""
    output = parse_pricing(TABS_PAGE.read_bytes(), NOW)
    assert not [w for w in output.warnings if "conflicting" in w or "not recognised" in w]
    assert output.suspect is None
    prices = {(r.model, r.route, r.component, r.service_tier, r.context_threshold,
               r.effective_from): r.price for r in output.records if isinstance(r, PriceRecord)}
    pro, lite, claude = "gemini-9.9-pro", "gemini-9.9-flash-lite", "claude-sonnet-9"
    april, january = date(2027, 4, 1), date(2027, 1, 1)
    expected = {
        # Standard tab, Region column, "* through March 31, 2027": current prices
        (pro, "global", "input", "standard", 0, None): D("0.40"),
        (pro, "global", "input", "standard", 200_000, None): D("0.80"),
        (pro, "non-global", "input", "standard", 0, None): D("0.44"),
        (pro, "non-global", "input", "standard", 200_000, None): D("0.88"),
        (pro, "global", "output", "standard", 0, None): D("2.40"),
        (pro, "global", "output", "standard", 200_000, None): D("3.60"),
        (pro, "non-global", "output", "standard", 0, None): D("2.64"),
        (pro, "non-global", "output", "standard", 200_000, None): D("3.96"),
        # "Starting April 1, 2027": the same model's future prices
        (pro, "global", "input", "standard", 0, april): D("0.80"),
        (pro, "global", "input", "standard", 200_000, april): D("1.60"),
        (pro, "global", "output", "standard", 0, april): D("4.80"),
        (pro, "global", "output", "standard", 200_000, april): D("7.20"),
        # one band, both routes in one cell; a dated note above the next table
        (lite, "global", "input", "standard", 0, None): D("0.10"),
        (lite, "non-global", "input", "standard", 0, None): D("0.11"),
        (lite, "global", "output", "standard", 0, None): D("0.40"),
        (lite, "non-global", "output", "standard", 0, None): D("0.44"),
        (lite, "global", "input", "standard", 0, january): D("0.12"),
        # Priority tab; Flex/Batch tab is one table for both tiers
        (pro, "global", "input", "priority", 0, None): D("0.72"),
        (pro, "global", "input", "priority", 200_000, None): D("1.44"),
        (pro, "global", "output", "priority", 0, None): D("4.32"),
        (pro, "global", "output", "priority", 200_000, None): D("6.48"),
        **{(pro, "global", component, tier, threshold, None): D(price)
           for tier in ("flex", "batch")
           for component, threshold, price in (("input", 0, "0.20"), ("input", 200_000, "0.40"),
                                               ("output", 0, "1.20"),
                                               ("output", 200_000, "1.80"))},
        # Global and us-east5 tabs: two routes of one offer; 5-minute and 1-hour cache
        # writes apart (cache_write is the 5-minute write); batch rows in the batch tier
        **{(claude, route, component, tier, 0, None): D(price)
           for route, figures in (("global", ("3.00", "15.00", "3.75", "6.00", "0.30", "1.50",
                                              "7.50", "1.875", "0.15")),
                                  ("us-east5", ("3.30", "16.50", "4.125", "6.60", "0.33",
                                                "1.65", "8.25", "2.0625", "0.165")))
           for (component, tier), price in zip(
               (("input", "standard"), ("output", "standard"), ("cache_write", "standard"),
                ("cache_write_1h", "standard"), ("cache_read", "standard"), ("input", "batch"),
                ("output", "batch"), ("cache_write", "batch"), ("cache_read", "batch")),
               figures, strict=True)},
    }
    assert prices == expected
    offers = {(r.model, r.route) for r in output.records if isinstance(r, OfferRecord)}
    assert offers == {(pro, "global"), (pro, "non-global"), (lite, "global"),
                      (lite, "non-global"), (claude, "global"), (claude, "us-east5")}


def test_the_tab_page_reads_the_same_reordered_and_reformatted() -> None:
    """Panels in another order, tabs declared after their panels, other whitespace."""
    text = TABS_PAGE.read_text()
    start, end = text.index('<div role="tabpanel" aria-labelledby="tab-std">'), \
        text.index('<h2 id="partner">')
    panels = text[start:end].split("</div>\n\n")
    reordered = text[:start] + "\n\n".join(reversed(
        [p if p.rstrip().endswith("</div>") else p + "</div>" for p in panels if p.strip()])) \
        + "\n\n" + text[end:]
    squeezed = " ".join(reordered.split())

    def keys(body: str) -> set:
        return {(r.model, r.route, r.component, r.service_tier, r.context_threshold,
                 r.effective_from, r.price) for r in parse_pricing(body.encode(), NOW).records
                if isinstance(r, PriceRecord)}

    assert keys(squeezed) == keys(text) and len(keys(text)) == 47


@pytest.mark.parametrize(("cell", "name", "dated", "starts"), [
    ("Gemini 9.9 Pro* through March 31, 2027", "Gemini 9.9 Pro", True, None),
    ("Gemini 9.9 Pro Starting April 1, 2027", "Gemini 9.9 Pro", True, date(2027, 4, 1)),
    ("Gemini 3 Flash** until 2026-12-31", "Gemini 3 Flash", True, None),
    ("Gemini 3 Flash, from January 5, 2027", "Gemini 3 Flash", True, date(2027, 1, 5)),
    ("Gemini 2.5 Pro", "Gemini 2.5 Pro", False, None),
])
def test_model_cells_with_periods(cell: str, name: str, dated: bool, starts) -> None:
    from pricewatch.collectors.vertex.pricing import model_period

    assert model_period(cell) == (name, dated, starts)


REPEATED_PAIR = b"""<html><body><h2>Partner models</h2>
<div class="devsite-tabs-wrapper">
  <button id="tab-use5" role="tab" track-metadata-eventdetail="us-east5">us-east5</button>
</div>
<div role="tabpanel" aria-labelledby="tab-use5">
<table><thead><tr><th>Model</th><th>Type</th><th>Price (/1M tokens)</th></tr></thead><tbody>
<tr><td rowspan="8">Claude Sonnet 9</td><td>Input</td><td>$3.30</td></tr>
<tr><td>Output</td><td>$16.50</td></tr>
<tr><td>Batch Input</td><td>$1.65</td></tr>
<tr><td>Batch Output</td><td>$8.25</td></tr>
<tr><td>5m Cache Write</td><td>$4.125</td></tr>
<tr><td>Cache Hit</td><td>$0.33</td></tr>
<tr><td></td><td>$3.60</td></tr>
<tr><td></td><td>$18.00</td></tr>
</tbody></table></div></body></html>"""


def test_a_repeated_pair_without_a_label_keeps_the_labelled_prices() -> None:
    """A regional tab repeats an Input/Output pair after the model's batch and cache rows,
    with no type label of its own: the labelled rows' prices stay (the model keeps its
    regional standard price), the repeated rows are recorded as unread, nothing conflicts."""
    output = parse_pricing(REPEATED_PAIR, NOW)
    prices = {(r.component, r.service_tier): r.price for r in output.records
              if isinstance(r, PriceRecord) and r.route == "us-east5"}
    assert prices == {("input", "standard"): D("3.30"), ("output", "standard"): D("16.50"),
                      ("input", "batch"): D("1.65"), ("output", "batch"): D("8.25"),
                      ("cache_write", "standard"): D("4.125"),
                      ("cache_read", "standard"): D("0.33")}
    assert not [w for w in output.warnings if "conflicting" in w]
    [unread] = output.unread
    assert (unread.path, unread.count) == (
        "price table row without a type label, repeating a labelled row", 2)
    assert "3.60" in unread.example

"""Commands that answer from the price views: `cheapest`, `changes`, `budget`."""

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Annotated, Any

import typer

from pricewatch import queries
from pricewatch.cli.app import (
    ConfigOption,
    DbOption,
    FormatOption,
    JsonOption,
    OutOption,
    check_choice,
    check_models,
    close_matches,
    known_providers,
    load_reader,
    new_app,
    time_option,
)
from pricewatch.cli.output import emit, for_people
from pricewatch.errors import InputError, UsageError
from pricewatch.money import ROUNDING_RULE, cents, monthly_cost
from pricewatch.text import plain

app = new_app()
CAPABILITIES = queries.capabilities()
_SUFFIXES = {"": 1, "k": 1_000, "m": 1_000_000, "b": 1_000_000_000}


def check_capability(capability: str | None) -> None:
    if capability is not None and capability not in CAPABILITIES:
        raise InputError(f"unknown capability {capability!r}"
                         + close_matches(capability, CAPABILITIES))


def parse_mix(text: str) -> tuple[Decimal, Decimal]:
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*:\s*(\d+(?:\.\d+)?)\s*", text)
    if not match or Decimal(match[1]) + Decimal(match[2]) == 0:
        raise UsageError(f"--mix {text!r} is not INPUT:OUTPUT weights such as 3:1")
    return Decimal(match[1]), Decimal(match[2])


def parse_tokens(text: str, option: str) -> Decimal:
    """`10M`, `500k`, `1.5B`, `2000000` -> a number of tokens."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([kKmMbB]?)\s*", text)
    if not match:
        raise UsageError(f"{option} {text!r} is not a token amount such as 10M, 500k or "
                         "2000000")
    amount = Decimal(match[1]) * _SUFFIXES[match[2].lower()]
    if amount > MAX_TOKENS:
        raise InputError(f"{option} {text!r} is more than {MAX_TOKENS:,} tokens a month")
    return amount


# Past this a monthly token amount is a typo, and costs would overflow exact decimals.
MAX_TOKENS = Decimal(10) ** 15


def _when(at: str | None) -> datetime:
    return time_option(at, "--at") if at else datetime.now(UTC)


def _mix(mix: str | None, settings: Any) -> tuple[Decimal, Decimal]:
    """`--mix`, else the configured [views] mix."""
    return parse_mix(mix) if mix else (Decimal(str(settings.views.mix_input)),
                                       Decimal(str(settings.views.mix_output)))


def parse_min_score(text: str) -> tuple[str, Decimal]:
    """`aider.polyglot=50` -> ("aider.polyglot", 50)."""
    match = re.fullmatch(r"\s*([a-z][a-z0-9_.-]*)\s*=\s*(\d+(?:\.\d+)?)\s*", text)
    if not match:
        raise UsageError(f"--min-score {text!r} is not BENCHMARK=SCORE such as "
                         "aider.polyglot=50")
    return match[1], Decimal(match[2])


def known_benchmarks(con: Any) -> list[str]:
    return [row["benchmark"] for row in queries.named(con, "known_benchmarks")[1]]


@app.command()
def cheapest(
    capability: Annotated[str | None, typer.Option(
        "--capability", "-c", help=f"One of: {', '.join(CAPABILITIES)}.")] = None,
    mix: Annotated[str | None, typer.Option(
        "--mix", help="Input:output token weights (default: setting views.mix_*, 3:1).")] = None,
    cache_share: Annotated[float | None, typer.Option(
        "--cache-share", min=0, max=1, help="Share of input read from cache.")] = None,
    include_free: Annotated[bool, typer.Option(
        "--include-free", help="Also list free offers (ranked apart).")] = False,
    limit: Annotated[int, typer.Option("--limit", "-n", min=1,
                                       help="Offers per capability.")] = 5,
    at: Annotated[str | None, typer.Option("--at", help="As of this time (ISO 8601).")] = None,
    min_score: Annotated[str | None, typer.Option(
        "--min-score", help="Only models whose headline score on a benchmark is at least "
                            "this, e.g. aider.polyglot=50 (model_scores).")] = None,
    db: DbOption = None, config: ConfigOption = None, as_json: JsonOption = False,
    output_format: FormatOption = "table", out: OutOption = None,
) -> None:
    """Available offers per capability, cheapest first, by blended price per 1M tokens."""
    check_capability(capability)
    benchmark, least = parse_min_score(min_score) if min_score else (None, None)
    settings = load_reader(db, config)
    mix_in, mix_out = _mix(mix, settings)
    share = Decimal(str(cache_share if cache_share is not None
                        else settings.views.cache_share))
    with queries.open_gold(settings) as con:
        if benchmark is not None:
            check_choice(benchmark, known_benchmarks(con), "benchmark")
        columns, rows = queries.named(con, "cheapest", {
            "at": _when(at), "mi": mix_in, "mo": mix_out, "share": share,
            "capability": capability, "free": include_free, "limit": limit,
            "benchmark": benchmark, "min_score": least})
    # with free offers, each capability has a rank 1 of each kind: say which, in sight
    free = ["is_free"] if include_free else []
    emit(rows, columns, as_json=as_json, title="cheapest per capability",
         table_columns=["capability", "rank", *free, "model", "blended_price", "provider",
                        "input_price", "output_price", "route",
                        *(["is_free"] if not free else []), "observed_at"],
         fmt=output_format, out=out)


@app.command()
def frontier(
    benchmark: Annotated[str | None, typer.Option(
        "--benchmark", "-b", help="Only this benchmark (e.g. aider.polyglot; default: every "
                                  "benchmark the warehouse holds scores of).")] = None,
    mix: Annotated[str | None, typer.Option(
        "--mix", help="Input:output token weights (default: setting views.mix_*, 3:1).")] = None,
    at: Annotated[str | None, typer.Option("--at", help="As of this time (ISO 8601).")] = None,
    db: DbOption = None, config: ConfigOption = None, as_json: JsonOption = False,
    output_format: FormatOption = "table", out: OutOption = None,
) -> None:
    """Per benchmark, the paid offers no other beats on both price and score (the Pareto
    front of blended price per 1M tokens against the model's best listed score), cheapest
    first: anything off it costs more for no better score."""
    settings = load_reader(db, config)
    mix_in, mix_out = _mix(mix, settings)
    with queries.open_gold(settings) as con:
        check_choice(benchmark, known_benchmarks(con), "benchmark")
        columns, rows = queries.named(con, "frontier", {
            "at": _when(at), "mi": mix_in, "mo": mix_out, "benchmark": benchmark})
    emit(rows, columns, as_json=as_json, title="price against score: the front",
         # the two figures the front is made of before the long names (a narrow
         # terminal keeps the leading columns)
         table_columns=["benchmark", "rank", "score", "blended_price", "model",
                        "price_per_point", "provider", "route", "variant", "metric",
                        "run_date"], fmt=output_format, out=out)


@app.command()
def changes(
    since: Annotated[str | None, typer.Option(
        "--since", help="From this time (ISO 8601; default: 7 days ago).")] = None,
    provider: Annotated[str | None, typer.Option("--provider", help="Only this provider.")] = None,
    db: DbOption = None, config: ConfigOption = None, as_json: JsonOption = False,
    output_format: FormatOption = "table", out: OutOption = None,
) -> None:
    """Every price change, first listing and unlisting since a time."""
    settings = load_reader(db, config)
    start = time_option(since, "--since") if since else \
        datetime.now(UTC) - timedelta(days=7)
    with queries.open_gold(settings) as con:
        check_choice(provider, known_providers(con), "provider")
        columns, rows = queries.named(con, "changes", {"since": start, "provider": provider})
    if for_people(as_json, output_format):  # one readable cell; the data keeps the parts
        for row in rows:
            row["change"] = change_cell(row)
    emit(rows, columns, as_json=as_json, title="price changes",
         table_columns=["changed_at", "model", "component", "change", "provider", "route",
                        "unit", "service_tier", "context_threshold"], fmt=output_format, out=out)


def change_cell(row: dict[str, Any]) -> str:
    """`0.2 → 0.8 (+300%)`, `new at 0.8`, `unlisted (was 0.2)`: a change in one cell."""
    old, new = plain(row["old_price"]), plain(row["new_price"])
    if row["kind"] == "changed":
        pct = row["change_pct"]
        shown = "" if pct is None else f" ({f'{pct:+.1f}'.rstrip('0').rstrip('.')}%)"
        return f"{old} → {new}{shown}"
    if new is not None:
        return f"{row['kind']} at {new}"
    return f"{row['kind']} (was {old})"


@app.command()
def budget(
    models: Annotated[list[str] | None, typer.Argument(
        help="Model ids or canonical ids, e.g. openai/gpt-4o-mini or \"Llama 3.3 70B\" "
             "(default: the cheapest paid offers).")] = None,
    tokens_in: Annotated[str, typer.Option("--input", help="Input tokens a month, e.g. 10M.")]
    = "10M",
    tokens_out: Annotated[str, typer.Option("--output", help="Output tokens a month.")] = "5M",
    cached_share: Annotated[float, typer.Option(
        "--cache-share", "--cached-share", min=0, max=1,
        help="Share of input read from cache (as in cheapest).")] = 0.0,
    limit: Annotated[int, typer.Option("--limit", "-n", min=1,
                                       help="Offers shown without MODEL.")] = 10,
    db: DbOption = None, config: ConfigOption = None, as_json: JsonOption = False,
    output_format: FormatOption = "table", out: OutOption = None,
) -> None:
    """Monthly cost of a workload for each offer of the named models, with the prices used
    (exact in --json; the table rounds to the cent): the prices in force now, and an
    offer's time-of-day or weekday prices listed beside them (price_windows)."""
    settings = load_reader(db, config)
    amount_in, amount_out = parse_tokens(tokens_in, "--input"), \
        parse_tokens(tokens_out, "--output")
    share = Decimal(str(cached_share))
    with queries.open_gold(settings) as con:
        _, rows = queries.named(con, "budget", {"models": list(models or [])})
        if models:
            check_models(con, models, rows)
    for row in rows:
        row["monthly_cost"] = monthly_cost(row["input_price"], row["output_price"],
                                           row["cache_read_price"], amount_in, amount_out, share)
        row["currency"] = "USD"
    rows = sorted((r for r in rows if r["monthly_cost"] is not None),
                  key=lambda r: (r["monthly_cost"], r["provider"], r["model"], r["route"]))
    if not models:  # the cheapest paid offers: a list of free ones tells nobody anything
        rows = [r for r in rows if r["monthly_cost"] > 0][:limit]
    if for_people(as_json, output_format):  # rounded for display (the footnote says so)
        for row in rows:
            row["monthly_cost"] = format(cents(row["monthly_cost"]), "f")
    emit(rows, ["provider", "model", "canonical_model", "route", "status", "input_price",
                "output_price", "cache_read_price", "monthly_cost", "currency",
                "price_since", "price_windows"], as_json=as_json,
         title=f"monthly cost of {tokens_in} input + {tokens_out} output tokens",
         footnote=f"monthly_cost: {ROUNDING_RULE}; --json: exact"
              + ("" if models else
                 f". The {limit} cheapest paid offers: name models to compare them."),
         table_columns=["model", "monthly_cost", "provider", "input_price",
                        "output_price", "route", "status"], fmt=output_format, out=out)

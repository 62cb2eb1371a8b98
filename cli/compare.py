"""Decision helpers on top of the views: `compare` and `router-config`."""

import json
import sys
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
    check_models,
    load_reader,
    new_app,
)
from pricewatch.cli.output import FORMATS, emit, for_people, write_file
from pricewatch.cli.prices import parse_tokens
from pricewatch.errors import UsageError
from pricewatch.money import ROUNDING_RULE, cents, monthly_cost
from pricewatch.text import plain

app = new_app()


COLUMNS = ["provider", "route", "model", "status", "input_price", "output_price",
           "context_length", "capabilities", "rate_limits", "monthly_cost", "role", "source",
           "observed_at", "price_windows", "scores", "latency_p50_ms", "throughput_p50_tps",
           "uptime_1d_pct", "speed_readings", "speed_source"]


# what a side-by-side needs first at 80 columns; the rest follow as the terminal allows
TABLE_COLUMNS = ["model", "provider", "monthly_cost", "input_price", "output_price",
                 "context_length", "scores", "latency_p50_ms", "throughput_p50_tps",
                 "uptime_1d_pct", "role", "route", "status", "capabilities", "rate_limits",
                 "source", "observed_at", "price_windows", "speed_readings", "speed_source"]
assert sorted(TABLE_COLUMNS) == sorted(COLUMNS)


def suggest_roles(rows: list[dict[str, Any]]) -> None:
    """A role for the offers that stand out among those compared, and why."""
    def cheapest(candidates: list[dict[str, Any]]) -> dict[str, Any] | None:
        priced = [r for r in candidates if r.get("monthly_cost") is not None]
        return min(priced, key=lambda r: (r["monthly_cost"], r["provider"],
                                          r["model"], r["route"]), default=None)

    def has(row: dict[str, Any], capability: str) -> bool:
        return capability in (row.get("capabilities") or [])

    picks = {
        "background (cheapest)": cheapest(rows),
        "default (cheapest with tool use)": cheapest([r for r in rows if has(r, "tool_use")]),
        "think (cheapest with reasoning)": cheapest([r for r in rows if has(r, "reasoning")]),
        "image (cheapest with vision)": cheapest([r for r in rows if has(r, "vision")]),
        "long context (largest window)": max(  # only windows that count as long context
            (r for r in rows if has(r, "long_context") and r.get("context_length")),
            key=lambda r: (r["context_length"], -(r["monthly_cost"] or Decimal(0))), default=None),
    }
    for row in rows:
        row["role"] = "; ".join(role for role, pick in picks.items() if pick is row) or None


@app.command()
def compare(
    models: Annotated[list[str], typer.Argument(help="Model ids or canonical ids.")],
    workload: Annotated[str, typer.Option(
        "--workload", help="Monthly INPUT:OUTPUT tokens, e.g. 10M:5M.")] = "10M:5M",
    db: DbOption = None, config: ConfigOption = None, as_json: JsonOption = False,
    output_format: FormatOption = "table", out: OutOption = None,
) -> None:
    """Side by side: price, context, capabilities, limits, availability and monthly cost of
    every offer of the named models, each figure with its source and observation time, each
    model's latest published benchmark scores (e.g. aider.polyglot, with variant, run date
    and publisher; `pricewatch ingest aider.polyglot FILE` or `collect aider`), and each
    offer's speed and uptime over the last 7 days (median published p50 latency and
    throughput, latest one-day uptime, from the endpoint sweep)."""
    output_format = "json" if as_json else output_format
    if output_format not in FORMATS:
        raise UsageError(f"--format {output_format!r}: use {', '.join(FORMATS)}")
    tokens_in, _, tokens_out = workload.partition(":")
    amount_in = parse_tokens(tokens_in, "--workload")
    amount_out = parse_tokens(tokens_out or "0", "--workload")
    settings = load_reader(db, config)
    with queries.open_gold(settings) as con:
        _, rows = queries.named(con, "compare", {"models": models})
        check_models(con, models, [r for r in rows if r["input_price"] is not None]
                      or rows)
    for row in rows:
        cost = monthly_cost(row["input_price"], row["output_price"],
                            row["cache_read_price"], amount_in, amount_out)
        row["monthly_cost"] = cost
    suggest_roles(rows)
    note = None
    if for_people(False, output_format):  # rounded for display; the data formats are exact
        note = f"monthly_cost: {ROUNDING_RULE}"
        for row in rows:
            if row["monthly_cost"] is not None:
                row["monthly_cost"] = format(cents(row["monthly_cost"]), "f")
    emit(rows, COLUMNS, as_json=False, title=f"workload {workload} tokens a month",
         table_columns=TABLE_COLUMNS, keep=5, footnote=note, fmt=output_format, out=out)


# role -> (capabilities the offer needs, what the role is for)
ROLES = {
    "default": (("text", "tool_use"), "everyday coding turns: tool use at the lowest price"),
    "background": (("text",), "background tasks: the cheapest text model"),
    "think": (("reasoning", "tool_use"), "planning and hard steps: reasoning with tool use"),
    "longContext": (("long_context", "tool_use"), "long sessions: a window of at least the "
                                                  "long-context threshold, with tool use"),
    "webSearch": (("text", "tool_use"), "web search: an offer that takes web search options"),
    "image": (("vision", "tool_use"), "screenshots and images: vision with tool use"),
}


def _router_name(row: dict[str, Any]) -> str:
    provider = "huggingface" if row["route"] == "huggingface" else row["provider"]
    return f"{provider},{row['model']}"


@app.command("router-config")
def router_config(
    output_format: Annotated[str, typer.Option(
        "--format", help="json: the Router section itself; table, jsonl, csv or md: each "
                         "role's choice and why.")] = "table",
    out: OutOption = None,
    db: DbOption = None, config: ConfigOption = None, as_json: JsonOption = False,
) -> None:
    """A claude-code-router `Router` section: for each role the cheapest available paid offer
    that has what the role needs, and why (--json or --format json: the section to paste)."""
    output_format = "json" if as_json else output_format
    if output_format not in FORMATS:
        raise UsageError(f"--format {output_format!r}: use {', '.join(FORMATS)}")
    settings = load_reader(db, config)
    with queries.open_gold(settings) as con:
        _, rows = queries.named(con, "router_candidates")
    by_offer: dict[tuple[str, str, str], dict[str, Any]] = {}
    for row in rows:
        offer = by_offer.setdefault((row["provider"], row["model"], row["route"]),
                                    {**row, "capabilities": set()})
        offer["capabilities"].add(row["capability"])
    router: dict[str, Any] = {}
    explained = []
    for role, (needs, purpose) in ROLES.items():
        candidates = [o for o in by_offer.values() if set(needs) <= o["capabilities"]
                      and (role != "webSearch" or "web_search_options"
                           in (o["supported_parameters"] or []))
                      and (o["route"] == "" or o["provider"] != "openrouter")]
        pick = min(candidates, key=lambda o: (o["blended_price"], o["provider"],
                                              o["model"], o["route"]), default=None)
        router[role] = _router_name(pick) if pick else None
        explained.append({
            "role": role, "choice": router[role], "needs": ", ".join(needs),
            "model": pick and pick["model"], "provider": pick and _router_name(pick)
            .split(",")[0],
            "why": (f"{purpose}; cheapest of {len(candidates)} offers at "
                    f"{plain(pick['blended_price'])} per 1M blended "
                    f"({plain(pick['input_price'])} in / {plain(pick['output_price'])} out)"
                    if pick else f"{purpose}; no offer has {', '.join(needs)}")})
    router["longContextThreshold"] = settings.views.long_context_tokens
    if output_format == "json":
        written = json.dumps({"Router": router}, indent=2) + "\n"
        if out is None:
            sys.stdout.write(written)
        else:
            write_file(out, written)
    else:
        emit(explained, ["role", "model", "provider", "needs", "why"], as_json=False,
             title="claude-code-router Router (--json: the config)", keep=3,
             fmt=output_format, out=out)

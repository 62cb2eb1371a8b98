"""Commands that answer from the views: cheapest, changes, alerts, budget."""

from __future__ import annotations

import difflib
import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Annotated, Any

import typer

from pricewatch import queries
from pricewatch.cli.main import ConfigOption, DbOption, JsonOption, _errors_to_exit, _settings, app
from pricewatch.cli.output import emit
from pricewatch.records import ONE_MILLION, parse_timestamp

CAPABILITIES = ("text", "reasoning", "coding", "vision", "audio", "tool_use",
                "structured_output", "long_context", "image_generation", "embeddings", "free")
_SUFFIXES = {"": 1, "k": 1_000, "m": 1_000_000, "b": 1_000_000_000}


def close_matches(word: str, known: list[str] | tuple[str, ...]) -> str:
    found = difflib.get_close_matches(word, known, n=5, cutoff=0.5)
    return f"; close matches: {', '.join(found)}" if found else f"; known: {', '.join(known)}"


def check_capability(capability: str | None) -> None:
    if capability is not None and capability not in CAPABILITIES:
        raise ValueError(f"unknown capability {capability!r}"
                         + close_matches(capability, CAPABILITIES))


def parse_mix(text: str) -> tuple[Decimal, Decimal]:
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*:\s*(\d+(?:\.\d+)?)\s*", text)
    if not match or Decimal(match[1]) + Decimal(match[2]) == 0:
        raise ValueError(f"--mix {text!r} is not INPUT:OUTPUT weights such as 3:1")
    return Decimal(match[1]), Decimal(match[2])


def parse_tokens(text: str, option: str) -> Decimal:
    """`10M`, `500k`, `1.5B`, `2000000` -> a number of tokens."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([kKmMbB]?)\s*", text)
    if not match:
        raise ValueError(f"{option} {text!r} is not a token amount such as 10M, 500k or "
                         "2000000")
    return Decimal(match[1]) * _SUFFIXES[match[2].lower()]


def _when(at: str | None) -> datetime:
    return parse_timestamp(at, "--at") if at else datetime.now(UTC)


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
    db: DbOption = None, config: ConfigOption = None, as_json: JsonOption = False,
) -> None:
    """Available offers per capability, cheapest first, by blended price per 1M tokens."""
    with _errors_to_exit():
        check_capability(capability)
        settings = _settings(db, config)
        mix_in, mix_out = parse_mix(mix) if mix else (Decimal(str(settings.views.mix_input)),
                                                      Decimal(str(settings.views.mix_output)))
        share = Decimal(str(cache_share if cache_share is not None
                            else settings.views.cache_share))
        with queries.open_gold(settings) as con:
            columns, rows = queries.rows(con, (
                "SELECT * FROM cheapest_as_of($at, $mi, $mo, $share) "
                "WHERE ($capability IS NULL OR capability = $capability) "
                "AND ($free OR NOT is_free) AND rank <= $limit "
                "ORDER BY capability, is_free, price_unit, rank"),
                {"at": _when(at), "mi": mix_in, "mo": mix_out, "share": share,
                 "capability": capability, "free": include_free, "limit": limit})
        emit(rows, columns, as_json=as_json, title="cheapest per capability",
             table_columns=["capability", "rank", "provider", "model", "route", "input_price",
                            "output_price", "blended_price", "is_free", "observed_at"])


@app.command()
def changes(
    since: Annotated[str | None, typer.Option(
        "--since", help="From this time (ISO 8601; default: 7 days ago).")] = None,
    provider: Annotated[str | None, typer.Option("--provider", help="Only this provider.")] = None,
    db: DbOption = None, config: ConfigOption = None, as_json: JsonOption = False,
) -> None:
    """Every price change, first listing and unlisting since a time."""
    with _errors_to_exit():
        settings = _settings(db, config)
        start = parse_timestamp(since, "--since") if since else \
            datetime.now(UTC) - timedelta(days=7)
        with queries.open_gold(settings) as con:
            columns, rows = queries.rows(con, (
                "SELECT * FROM price_changes_since($since) "
                "WHERE ($provider IS NULL OR provider = $provider) "
                "ORDER BY changed_at, provider, model, route, component"),
                {"since": start, "provider": provider})
        emit(rows, columns, as_json=as_json, title="price changes",
             table_columns=["changed_at", "kind", "provider", "model", "route", "component",
                            "unit", "old_price", "new_price", "change_pct"])


alerts_app = typer.Typer(help="Alerts with stable ids; `alerts test CHANNEL` sends a test.")
app.add_typer(alerts_app, name="alerts")


@alerts_app.callback(invoke_without_command=True)
def alerts(
    ctx: typer.Context,
    since: Annotated[str | None, typer.Option(
        "--since", help="Detected from this time (ISO 8601; default: 7 days ago).")] = None,
    kind: Annotated[str | None, typer.Option("--kind", help="Only this kind.")] = None,
    pending: Annotated[bool, typer.Option(
        "--pending", help="The outbox instead: alerts not yet delivered, per channel.")] = False,
    db: DbOption = None, config: ConfigOption = None, as_json: JsonOption = False,
) -> None:
    """Price drops and rises, new and unlisted offers, new cheapest offers, rate-limit
    changes and failing collectors, each with a stable alert_id."""
    if ctx.invoked_subcommand:
        return
    with _errors_to_exit():
        settings = _settings(db, config)
        start = parse_timestamp(since, "--since") if since else \
            datetime.now(UTC) - timedelta(days=7)
        with queries.open_gold(settings) as con:
            if pending:
                columns, rows = queries.rows(con, (
                    "SELECT channel, alert_id, kind, status, attempts, next_attempt_at, "
                    "last_error, message FROM alert_outbox WHERE status <> 'delivered' "
                    "ORDER BY channel, detected_at"))
            else:
                columns, rows = queries.rows(con, (
                    "SELECT * FROM price_alerts_since($since) WHERE ($kind IS NULL OR "
                    "kind = $kind) ORDER BY detected_at, kind, alert_id"),
                    {"since": start, "kind": kind})
        emit(rows, columns, as_json=as_json, title="pending alerts" if pending else "alerts",
             table_columns=None if pending else ["detected_at", "kind", "message"])


@alerts_app.command("test")
def alerts_test(
    channel: Annotated[str, typer.Argument(help="A channel name from the configuration.")],
    db: DbOption = None, config: ConfigOption = None,
) -> None:
    """Send a test message through one configured channel."""
    from pricewatch import alerts as delivery
    with _errors_to_exit():
        try:
            delivery.send_test(_settings(db, config), channel)
        except RuntimeError as error:
            raise ValueError(f"channel {channel!r}: {error}") from None
        typer.echo(f"test message sent to {channel}")


BUDGET_SQL = queries.command_sql("budget")


def monthly_cost(row: dict[str, Any], tokens_in: Decimal, tokens_out: Decimal,
                 share: Decimal) -> Decimal | None:
    """Exact decimal cost of the workload at one offer's prices; None if not computable."""
    price_in, price_out = row["input_price"], row["output_price"]
    if price_in is None or (price_out is None and tokens_out):
        return None
    effective_in = (1 - share) * price_in + share * (row["cache_read_price"] or price_in)
    cost = tokens_in / ONE_MILLION * effective_in
    if tokens_out:
        cost += tokens_out / ONE_MILLION * price_out
    return cost.quantize(Decimal("0.01")) if cost >= Decimal("0.01") or cost == 0 else cost


@app.command()
def budget(
    models: Annotated[list[str] | None, typer.Argument(
        help="Model ids or canonical ids (default: the cheapest offers).")] = None,
    tokens_in: Annotated[str, typer.Option("--input", help="Input tokens a month, e.g. 10M.")]
    = "10M",
    tokens_out: Annotated[str, typer.Option("--output", help="Output tokens a month.")] = "5M",
    cached_share: Annotated[float, typer.Option(
        "--cached-share", min=0, max=1, help="Share of input read from cache.")] = 0.0,
    limit: Annotated[int, typer.Option("--limit", "-n", min=1,
                                       help="Offers shown without MODEL.")] = 10,
    db: DbOption = None, config: ConfigOption = None, as_json: JsonOption = False,
) -> None:
    """Monthly cost of a workload for each offer of the named models, exact decimals, with
    the prices used."""
    with _errors_to_exit():
        settings = _settings(db, config)
        amount_in, amount_out = parse_tokens(tokens_in, "--input"), \
            parse_tokens(tokens_out, "--output")
        share = Decimal(str(cached_share))
        with queries.open_gold(settings) as con:
            _, rows = queries.rows(con, BUDGET_SQL, {"models": list(models or [])})
            if models:
                _check_models(con, models, rows)
        for row in rows:
            row["monthly_cost"] = monthly_cost(row, amount_in, amount_out, share)
            row["currency"] = "USD"
        rows = sorted((r for r in rows if r["monthly_cost"] is not None),
                      key=lambda r: (r["monthly_cost"], r["provider"], r["model"], r["route"]))
        if not models:
            rows = rows[:limit]
        for row in rows:  # money to the cent as written: "1.60", not "1.6"
            row["monthly_cost"] = format(row["monthly_cost"], "f")
        emit(rows, ["provider", "model", "canonical_model", "route", "status", "input_price",
                    "output_price", "cache_read_price", "monthly_cost", "currency",
                    "price_since"], as_json=as_json,
             title=f"monthly cost of {tokens_in} input + {tokens_out} output tokens",
             table_columns=["provider", "model", "route", "status", "input_price",
                            "output_price", "monthly_cost"])


def _check_models(con: Any, models: list[str], rows: list[dict[str, Any]]) -> None:
    found = {r["model"].lower() for r in rows} | {r["canonical_model"] for r in rows}
    _, known = queries.rows(con, "SELECT DISTINCT model, canonical_model FROM current_offers")
    names = sorted({k["model"] for k in known})
    for model in models:
        canonical = queries.rows(con, "SELECT canonical_model_rules(?) AS c", [model])[1][0]["c"]
        if model.lower() not in found and canonical not in found:
            raise ValueError(f"no current prices for model {model!r}"
                             + close_matches(model, names))

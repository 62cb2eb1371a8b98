"""`alerts`: the alerts with their stable ids, the outbox, and a test through a channel."""

from datetime import UTC, datetime, timedelta
from typing import Annotated

import typer

from pricewatch import queries
from pricewatch.cli.app import (
    ConfigOption,
    DbOption,
    FormatOption,
    JsonOption,
    OutOption,
    check_choice,
    load,
    load_reader,
    new_app,
    time_option,
)
from pricewatch.cli.output import emit
from pricewatch.errors import InputError

app = new_app(help="Alerts with stable ids; `alerts test CHANNEL` sends a test.")


@app.callback(invoke_without_command=True)
def alerts(
    ctx: typer.Context,
    since: Annotated[str | None, typer.Option(
        "--since", help="Detected from this time (ISO 8601; default: 7 days ago). "
        "new_cheapest: became the cheapest since then, dated when its price began.")] = None,
    kind: Annotated[str | None, typer.Option(
        "--kind", help=f"Only this kind: {', '.join(queries.alert_kinds())}.")] = None,
    pending: Annotated[bool, typer.Option(
        "--pending", help="The outbox instead: alerts not yet delivered, per channel.")] = False,
    db: DbOption = None, config: ConfigOption = None, as_json: JsonOption = False,
    output_format: FormatOption = "table", out: OutOption = None,
) -> None:
    """Price drops and rises, new and unlisted offers, new cheapest offers, rate-limit
    changes and failing collectors, each with a stable alert_id."""
    if ctx.invoked_subcommand:
        return
    settings = load_reader(db, config)
    start = time_option(since, "--since") if since else \
        datetime.now(UTC) - timedelta(days=7)
    check_choice(kind, queries.alert_kinds(), "alert kind")
    with queries.open_gold(settings) as con:
        if pending:
            columns, rows = queries.named(con, "alerts_pending")
        else:
            columns, rows = queries.named(con, "alerts_since", {
                "since": start, "kind": kind, **queries.alert_thresholds(settings)})
    emit(rows, columns, as_json=as_json, title="pending alerts" if pending else "alerts",
         table_columns=None if pending else ["detected_at", "kind", "message"],
         fmt=output_format, out=out)


@app.command("test")
def alerts_test(
    channel: Annotated[str, typer.Argument(help="A channel name from the configuration.")],
    db: DbOption = None, config: ConfigOption = None,
) -> None:
    """Send a test message through one configured channel."""
    import httpx  # here, not at the top: every command would pay for httpx and the outbox

    from pricewatch.outputs import alerts as delivery

    try:
        delivery.send_test(load(db, config), channel)
    except (RuntimeError, OSError, httpx.HTTPError) as error:  # a receiver out of reach too
        raise InputError(f"channel {channel!r}: not delivered: {error}") from None
    typer.echo(f"test message sent to {channel}")

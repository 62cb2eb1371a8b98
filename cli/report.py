"""`pricewatch report`: the warehouse as one self-contained HTML page (outputs/report)."""

from pathlib import Path
from typing import Annotated

import duckdb
import typer

from pricewatch import queries
from pricewatch.cli.app import (
    ConfigOption,
    DbOption,
    JsonOption,
    close_matches,
    load_reader,
    new_app,
    time_option,
)
from pricewatch.cli.output import emit
from pricewatch.cli.prices import check_capability, parse_tokens
from pricewatch.errors import InputError

app = new_app()


@app.command("report")
def report_command(
    out: Annotated[Path, typer.Option("--out", help="The HTML file to write.")],
    since: Annotated[str | None, typer.Option(
        "--since", help="Window start (ISO 8601; default: 30 days before the last good "
                        "observation, where the window ends).")] = None,
    models: Annotated[list[str] | None, typer.Option(
        "--model", help="A model to chart (id or canonical id; repeatable; default: the "
                        "movers and the cheapest).")] = None,
    capabilities: Annotated[list[str] | None, typer.Option(
        "--capability", "-c", help="Only these capabilities in the cheapest section "
                                   "(repeatable).")] = None,
    workload: Annotated[str, typer.Option(
        "--workload", help="Monthly INPUT:OUTPUT tokens for the cost section.")] = "10M:5M",
    recent: Annotated[int, typer.Option(
        "--recent", min=0, metavar="DAYS",
        help="When the window is over 3x this long, a history chart whose prices moved in "
             "its last DAYS days draws them again below it (0: never).")] = 30,
    db: DbOption = None, config: ConfigOption = None, as_json: JsonOption = False,
) -> None:
    """Write one HTML page that opens offline: freshness, cheapest per capability, movers,
    step charts of price history, a workload's cost and upcoming prices."""
    from pricewatch.outputs import report  # jinja2: paid by this command only

    for capability in capabilities or ():
        check_capability(capability)
    tokens_in, _, tokens_out = workload.partition(":")
    settings = load_reader(db, config)
    with queries.open_gold(settings) as con:
        canonical = resolve_models(con, models or [])
    options = report.Options(
        since=time_option(since, "--since") if since else None, models=tuple(canonical),
        capabilities=tuple(capabilities or ()), recent_days=recent,
        tokens_in=parse_tokens(tokens_in, "--workload"),
        tokens_out=parse_tokens(tokens_out or "0", "--workload"))
    data = report.write(settings, out, options)
    emit([{"path": str(out), "window_start": data.start, "window_end": data.end,
           "sources": len(data.freshness), "cheapest": len(data.cheapest),
           "movers": len(data.movers), "models": len(data.histories),
           "charts": sum(len(c) for c in data.histories.values()),
           "empty": data.empty}],
         ["path", "window_start", "window_end", "sources", "cheapest", "movers", "models",
          "charts", "empty"], as_json=as_json, title="report", relative=False)


def resolve_models(con: duckdb.DuckDBPyConnection, names: list[str]) -> list[str]:
    """The canonical id of each named model (its id in any case, or a canonical id), in
    order, each once; an unknown name is an InputError with close matches."""
    found: list[str] = []
    for name in names:
        hits = [r["canonical_model"] for r in queries.named(con, "report_models",
                                                             {"name": name})[1]]
        if not hits:
            known = [(r["model"], r["canonical_model"])
                     for r in queries.named(con, "identity_models")[1]]
            raise InputError(f"no prices recorded for model {name!r}" + close_matches(
                name, sorted({m for m, _ in known}), {c: m for m, c in known}))
        found += hits
    return list(dict.fromkeys(found))

"""Commands that read the warehouse: `sql`, `status`, `history`, `export`."""

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import duckdb
import typer

from pricewatch import queries
from pricewatch.cli.app import (
    ConfigOption,
    DbOption,
    FormatOption,
    JsonOption,
    OutOption,
    check_choice,
    close_matches,
    known_providers,
    load_reader,
    new_app,
)
from pricewatch.cli.output import emit, write_file
from pricewatch.errors import InputError
from pricewatch.queries import user_sql
from pricewatch.settings import Settings
from pricewatch.warehouse.db import lock_down, open_warehouse, own_engine

app = new_app()


@app.command()
def sql(
    query: Annotated[str, typer.Argument(help="SQL to run, read-only.")],
    db: DbOption = None, config: ConfigOption = None, as_json: JsonOption = False,
    output_format: FormatOption = "table", out: OutOption = None,
) -> None:
    """Run one read-only SELECT against the warehouse (its tables, views and macros; nothing
    outside it: no other file, database, extension or setting)."""
    settings = load_reader(db, config)
    queries.ensure_installed(settings)  # an older file's views brought up to date first
    with own_engine(), open_warehouse(settings, read_only=True) as con:
        lock_down(con)
        user_sql.check(con, query)
        try:
            result = con.execute(query)
            columns = [d[0] for d in result.description or ()]
            rows = [dict(zip(columns, row, strict=True)) for row in result.fetchall()]
        except duckdb.Error as error:
            raise InputError(f"query failed: {error}") from None
    # the query chose its columns: all shown
    emit(rows, columns, as_json=as_json, relative=False, fmt=output_format, out=out)


def _heartbeat(settings: Settings) -> dict[str, dict[str, Any]]:
    """The daemon's heartbeat file, if one is running (next run times)."""
    path = settings.daemon.heartbeat_file
    try:
        return json.loads(path.read_text())["jobs"] if path else {}
    except (OSError, ValueError, KeyError):
        return {}


def _time(text: object) -> datetime | None:
    """A heartbeat's ISO time as a time (a table shows it as `in 3 min`); None if unreadable."""
    try:
        return datetime.fromisoformat(str(text).replace("Z", "+00:00")) if text else None
    except ValueError:
        return None


@app.command()
def status(db: DbOption = None, config: ConfigOption = None, as_json: JsonOption = False,
           output_format: FormatOption = "table", out: OutOption = None) -> None:
    """Per source: last run, its status and counts, and how old the last good data is."""
    settings = load_reader(db, config)
    with queries.open_gold(settings) as con:
        _, rows = queries.named(con, "status")
        _, channels = queries.named(con, "alert_channels")
    now = datetime.now(UTC)
    beat = _heartbeat(settings)
    seen = {row["source"] for row in rows}
    # a source the daemon schedules but that has no run yet is listed too
    rows += [{"source": name, "last_status": "not run yet", "last_observed_at": None,
              "last_started_at": None, "records": 0, "changes": 0, "failing_runs": None,
              "last_good_at": None, "last_good_records": None, "runs": 0, "message": "",
              "last_origin": None, "unread": 0}
             for name in sorted(set(beat) - seen)]
    rows.sort(key=lambda row: row["source"])
    for row in rows:
        good = row["last_good_at"]
        row["age_s"] = None if good is None else round((now - good).total_seconds())
        row["next_run_at"] = _time(beat.get(row["source"], {}).get("next_run_at"))
    emit(rows, ["source", "last_status", "last_observed_at", "records", "changes",
                "failing_runs", "last_good_at", "last_good_records", "age_s", "next_run_at",
                "runs", "message", "last_origin", "unread"],
         as_json=as_json, title="collectors",
         table_columns=["source", "last_status", "last_good_at", "unread",
                        "last_good_records", "failing_runs", "next_run_at", "message"],
         fmt=output_format, out=out)
    if channels and not as_json and output_format == "table" and out is None:
        emit(channels, ["channel", "delivered", "pending", "failed", "last_error"],
             as_json=False, title="alert channels")


@app.command()
def history(
    model: Annotated[str, typer.Argument(help="The provider's model id, e.g. openai/gpt-4o.")],
    provider: Annotated[str | None, typer.Option("--provider", help="Only this provider.")] = None,
    db: DbOption = None, config: ConfigOption = None, as_json: JsonOption = False,
    output_format: FormatOption = "table", out: OutOption = None,
) -> None:
    """Every interval of every price of one model (valid_to empty = current)."""
    settings = load_reader(db, config)
    with queries.open_gold(settings) as con:  # the macros it reads exist (an older file)
        columns, rows = queries.named(con, "price_history_of_model",
                                      {"model": model, "provider": provider})
        if not rows and provider is not None:
            check_choice(provider, known_providers(con), "provider")
            held = [r["provider"] for r in queries.named(con, "history_providers",
                                                         {"model": model})[1]]
            if held:
                raise InputError(f"no prices of {model!r} from {provider!r}; it has prices "
                                 f"from {', '.join(held)}")
        if not rows:
            known = [r["model"] for r in queries.named(con, "priced_models")[1]]
            raise InputError(f"no prices recorded for model {model!r}"
                             + close_matches(model, known))
    # the interval's ends stay in sight at 80 columns (the unit goes first when space is
    # short): one provider is said under the table; a long-context or service tier is shown
    # where there is one (two current prices of a component are two tiers), and a
    # time-of-day window before the ends
    providers = sorted({row["provider"] for row in rows})
    for row in rows:  # the table's short form of both tiers: `>200K`, `flex`, `flex >200K`
        row["tier"] = " ".join(
            ([row["service_tier"]] if row["service_tier"] != "standard" else [])
            + ([f">{row['context_threshold'] // 1000}K"] if row["context_threshold"] else []))
    shown = ["provider"] if len(providers) > 1 else []
    shown += ["component", *(["tier"] if any(row["tier"] for row in rows) else [])]
    shown += ["price", *(["time_window"] if any(row["time_window"] for row in rows) else []),
              "valid_from", "valid_to", "unit"]
    emit(rows, columns, as_json=as_json, title=f"price history of {model}",
         table_columns=[*shown, "route", "service_tier", "context_threshold"],
         footnote=f"all at {providers[0]}" if len(providers) == 1 else None,
         fmt=output_format, out=out)


@app.command()
def export(
    out: Annotated[Path, typer.Option(
        "--out", help="Directory for the files (litellm: the map file).")],
    output_format: Annotated[str, typer.Option(
        "--format", help="parquet or csv; litellm: the current prices as one LiteLLM price "
                         "map.")] = "parquet",
    db: DbOption = None, config: ConfigOption = None, as_json: JsonOption = False,
) -> None:
    """Write the history tables and the views for dashboards, atomically, with a manifest:
    history tables, runs and the change views as NAME/YYYY-MM files, the rest as one file.
    `--format litellm`: the prices in force now as a LiteLLM-compatible map instead."""
    if output_format == "litellm":
        _export_litellm(load_reader(db, config), out)
        return
    from pricewatch.outputs import exports  # pyarrow: paid by this command, not every read

    manifest = exports.export(load_reader(db, config), out, output_format)
    files: dict[str, int] = {}
    for relative in manifest["files"]:
        name = relative.split("/")[0].removesuffix(f".{output_format}")
        files[name] = files.get(name, 0) + 1
    emit([{"name": name, "files": files.get(name, 0), "rows": rows,
           "path": f"{name}/*.{output_format}" if name in exports.BY_NAME
           else f"{name}.{output_format}"} for name, rows in manifest["row_counts"].items()],
         ["name", "files", "rows", "path"], as_json=as_json,
         title=f"exported to {out} at {manifest['exported_at']}")


def _export_litellm(settings: Settings, out: Path) -> None:
    from pricewatch.outputs.litellm_map import export_litellm

    text, written = export_litellm(settings)
    write_file(out, text)
    left = sum(written.left.values())
    typer.echo(f"wrote {out}: {written.entries} entries, {written.prices} prices"
               + (f"; {left} prices have no LiteLLM field and are not in it ("
                  + ", ".join(f"{n} {what}" for what, n in written.left.most_common())
                  + ")" if left else ""))

"""`pricewatch audit`: community price maps checked against the providers' own figures
(audit/maps.py reads a map, audit/compare.py compares it)."""

import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from pricewatch.audit.maps import FORMATS as MAP_FORMATS
from pricewatch.cli.app import ConfigOption, DbOption, load_reader, new_app, time_option
from pricewatch.cli.output import FORMATS as OUTPUT_FORMATS
from pricewatch.cli.output import emit, write_file
from pricewatch.errors import InputError, UsageError
from pricewatch.settings import Settings
from pricewatch.text import plain

if TYPE_CHECKING:  # pyarrow comes with it: imported where the command runs
    from pricewatch.audit.compare import AuditedMap

app = new_app()


def _formats(given: list[str]) -> tuple[str, str]:
    """--format given once or twice: a map format (auto, litellm, models-dev) and an output
    format (table, json, ...), in either order."""
    map_fmt, out_fmt = "auto", "table"
    for value in given:
        if value in ("auto", *MAP_FORMATS):
            map_fmt = value
        elif value in OUTPUT_FORMATS:
            out_fmt = value
        else:
            raise UsageError(f"--format {value!r}: a map format (auto, "
                             f"{', '.join(MAP_FORMATS)}) or an output format "
                             f"({', '.join(OUTPUT_FORMATS)})")
    return map_fmt, out_fmt


def _fail_on(text: str | None) -> set[str]:
    from pricewatch.audit import compare  # pyarrow: loaded by the command that uses it

    if not text:
        return set()
    named = {part.strip() for part in text.split(",") if part.strip()}
    if unknown := named - set(compare.CLASSES[1:]):
        raise UsageError(f"--fail-on {', '.join(sorted(unknown))}: use "
                         f"{', '.join(compare.CLASSES[1:])}")
    return named


@app.command()
def audit(
    maps: Annotated[list[str] | None, typer.Argument(
        help="Map files (LiteLLM or tokencost JSON, models.dev api.json, genai-prices "
             "data.json), URLs (on a host of audit.allowed_hosts), or "
             "package:litellm / package:tokencost / package:genai-prices (the map inside "
             "an installed package).",
        show_default=False)] = None,
    record: Annotated[bool, typer.Option(
        "--record", help="Audit the maps of the audit.maps setting now and write each audit "
                         "as a run (source audit.NAME): map_disagreements, map_drift alerts; "
                         "what the daemon does every audit.every_h hours.")] = False,
    formats: Annotated[list[str] | None, typer.Option(
        "--format", help="The maps' format (auto, litellm, models-dev, genai-prices; default "
                         "auto) and/or "
                         "the output's (table, json, jsonl, csv, md); give it twice for "
                         "both.")] = None,
    at: Annotated[str | None, typer.Option(
        "--at", help="Compare with the prices in force at this time (ISO 8601; default: "
                     "now, the newest observation, and a map's dated prices at their own "
                     "dates).")] = None,
    fail_on: Annotated[str | None, typer.Option(
        "--fail-on", help="Exit 1 when a row of one of these classes occurs (comma-separated: "
                          "wrong, stale, unit_error, missing_component).")] = None,
    show_agree: Annotated[bool, typer.Option(
        "--agree", help="List the agreeing components too (default: disagreements "
                        "only).")] = False,
    emit_patch: Annotated[Path | None, typer.Option(
        "--emit-patch", help="Write the corrected entries to this file in the map's own format "
                             "(one map only): the provider's prices for what is wrong, stale "
                             "or off by 1000x, and for components the entry leaves out, with "
                             "the provider URL as source.")] = None,
    out: Annotated[Path | None, typer.Option(
        "--out", help="Write the rows to this file instead of stdout (the summary stays on "
                      "the terminal).")] = None,
    db: DbOption = None, config: ConfigOption = None,
    as_json: Annotated[bool, typer.Option(
        "--json", help="Print one JSON object: `maps` (the summary per map) and `rows`.")]
    = False,
) -> None:
    """Check community price maps against the prices pricewatch fetched from the providers:
    every component of every entry that names an offer pricewatch has, as agree, wrong,
    stale (an earlier price of the offer), unit_error (off by a power of 1000) or
    missing_component, with the archived body that proves the provider's figure; a summary
    per map with its error rate."""
    from pricewatch.audit import compare  # pyarrow: loaded by the command that uses it

    if record:
        if maps:
            raise UsageError("--record audits the maps of the audit.maps setting: give no MAP")
        _record(load_reader(db, config), as_json)
        return
    if not maps:
        raise UsageError("give a MAP (a file, URL or package:NAME), or --record")
    map_fmt, out_fmt = _formats(formats or [])
    if as_json:
        out_fmt = "json"
    failing = _fail_on(fail_on)
    if emit_patch is not None and len(maps) != 1:
        raise UsageError("--emit-patch writes the patch of one map: give one MAP")
    settings = load_reader(db, config)
    loaded = compare.load_maps(maps, map_fmt, settings)
    when = time_option(at, "--at") if at else datetime.now(UTC)
    columns, rows, summaries = compare.audit(settings, loaded, when, at_given=at is not None)
    shown = rows if show_agree else [row for row in rows if row["class"] != "agree"]
    if out_fmt == "json":  # one document: the summaries and the rows
        written = json.dumps({"maps": [_plain(s) for s in summaries],
                              "rows": [_plain(row) for row in shown]}, ensure_ascii=False)
        if out is None:
            sys.stdout.write(written + "\n")
        else:
            write_file(out, written + "\n")
    else:
        if out_fmt == "table":  # one readable cell for what is compared; data keeps parts
            for row in shown:
                row["entry"] = _entry_cell(row)
        emit(shown, columns, as_json=False, fmt=out_fmt, out=out,
             title="map prices against the providers' own",
             table_columns=["class", "map_price", "provider_price", "entry", "ratio",
                            "price_ended_at", "map"])
        # a summary line per map: under a table, or on stderr beside data on stdout
        people = out_fmt in ("table", "md") and out is None
        for summary in summaries:
            line = _summary_line(summary)
            (typer.echo(line) if people else typer.echo(line, err=True))
    if emit_patch is not None:
        _write_patch(emit_patch, loaded[0], rows)
    if failing and any(row["class"] in failing for row in rows):
        raise typer.Exit(1)


def _record(settings: Settings, as_json: bool) -> None:
    from pricewatch.pipeline.audit import audit_configured

    if not settings.audit.maps:
        raise InputError("no maps to audit: list them in the audit.maps setting ([audit.maps] "
                         "then NAME = \"file, URL or package:NAME\")")
    outcomes = audit_configured(settings)
    emit([vars(o) | {"changes": o.changes} for o in outcomes],
         ["source", "status", "run_id", "records", "changes", "message"], as_json=as_json,
         title="audits")
    if any(o.status in ("failed", "suspect") for o in outcomes):
        raise typer.Exit(InputError.exit_code)


def _write_patch(path: Path, audited: "AuditedMap", rows: list[dict]) -> None:
    from pricewatch.audit.patch import PATCHERS

    patch = PATCHERS[audited.read.format](audited.read.document, rows)
    write_file(path, patch.text)
    left = sum(patch.left.values())
    typer.echo(f"patch {path}: {patch.entries} entries, {patch.fields} prices corrected"
               + (f"; {left} not settled ({', '.join(sorted(patch.left))})" if left else ""),
               err=True)


def _entry_cell(row: dict) -> str:
    """`key component`, with the tier, threshold and unit where they are not the usual."""
    parts = [row["key"], row["component"]]
    if row["context_threshold"]:
        parts.append(f"over {row['context_threshold']:,} tokens")
    if row["service_tier"] != "standard":
        parts.append(row["service_tier"])
    if row["unit"] != "per_1m_tokens":
        parts.append(row["unit"])
    return " ".join(parts)


def _plain(row: dict) -> dict:
    return {key: plain(value) for key, value in row.items()}


def _summary_line(summary: dict) -> str:
    """One map's figures in a line: what was read, matched, agreed and how it erred."""
    rate = summary["error_rate_pct"]
    unread = summary["unread_fields"]
    return (f"{summary['map']} ({summary['format']}): {summary['entries']} entries, "
            f"{summary['matched']} matched to offers pricewatch has ({summary['unlisted']} "
            f"of tracked providers not listed, {summary['untracked']} untracked); "
            f"{summary['agree']} agree, {summary['with_errors']} with a wrong, stale or "
            f"1000x price ({'-' if rate is None else rate} %): {summary['wrong_rows']} "
            f"wrong, {summary['stale_rows']} stale, {summary['unit_error_rows']} unit "
            f"errors, {summary['missing_component_rows']} missing components"
            + (f"; price fields not read: {sum(unread.values())} "
               f"({', '.join(list(unread)[:5])}{', ...' if len(unread) > 5 else ''})"
               if unread else ""))

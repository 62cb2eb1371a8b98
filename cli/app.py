"""What every `pricewatch` command shares: the Typer app factory, the common options, the
settings they load, and the one mapping from errors to exit codes: a `PricewatchError`
exits with its class's code (errors.py), a full disk like an unavailable database, a
closed pipe quietly, anything else as a bug with its traceback.
"""

import difflib
import errno
import logging
import os
import re
import sys
import time
import traceback
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

import duckdb
import typer
from typer.core import TyperArgument, TyperGroup, TyperOption

from pricewatch import queries
from pricewatch.cli.output import fail
from pricewatch.collectors import PROVIDER_NAMES
from pricewatch.errors import EXIT_BUG, InputError, PricewatchError, UsageError, WarehouseError
from pricewatch.settings import Settings, load_settings
from pricewatch.text import parse_timestamp
from pricewatch.warehouse.target import target_of

EXIT_INPUT, EXIT_USAGE = InputError.exit_code, UsageError.exit_code
EXIT_DB = WarehouseError.exit_code
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE, what a shell reports for a closed pipe


_WORDS = {"str": "TEXT", "int": "INTEGER", "int range": "INTEGER", "float": "NUMBER",
          "float range": "NUMBER", "path": "PATH", "file": "PATH", "directory": "DIR",
          "datetime": "TIME", "bool": ""}


def _plain(label: str | None) -> str | None:
    """Typer's `<list[str]>` as `TEXT ...`, `<a|b>` as `a|b`: a word, not a Python type."""
    if not label:
        return label
    inner = label.strip("<>")
    repeated = re.fullmatch(r"list\[(.*)\]", inner)
    word = repeated.group(1) if repeated else inner
    word = _WORDS.get(word, word if "|" in word else word.upper())
    return f"{word} ..." if repeated and word else word


def _plain_labels(command: Any) -> None:
    """Help without type labels: flags show none, values a plain word, arguments only
    their name. Typer 0.29 labels every parameter with its annotation (`<bool>`,
    `<list[str]>`); one pass here keeps new options right without a metavar on each."""
    for param in command.params:
        if param.metavar is not None or getattr(param, "plain_label", False):
            continue
        param.plain_label = True  # type: ignore[attr-defined]  # once, however often called
        if isinstance(param, TyperArgument):
            param.metavar = (param.name or "").upper()
            param.display_type_rich = lambda ctx: None  # type: ignore[method-assign]
        elif isinstance(param, TyperOption):
            typer_label = param.display_type_rich
            param.display_type_rich = (  # type: ignore[method-assign]
                lambda ctx, label=typer_label, flag=param.is_flag: "" if flag
                else _plain(label(ctx)))
    if getattr(command, "plain_help", False):
        return
    command.plain_help = True
    make_help_option = command.get_help_option

    def help_option(ctx: typer.Context) -> Any:
        option = make_help_option(ctx)
        if option is not None:
            option.display_type_rich = lambda ctx: ""
        return option

    command.get_help_option = help_option
    for sub in getattr(command, "commands", {}).values():
        _plain_labels(sub)


class ErrorMappingGroup(TyperGroup):
    """Runs every command (sub-groups included) under the exit-code mapping above, with
    plain help labels."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _plain_labels(self)

    def get_params(self, ctx: typer.Context) -> list[Any]:
        _plain_labels(self)  # typer adds the completion options after __init__
        return super().get_params(ctx)

    def parse_args(self, ctx: typer.Context, args: list[str]) -> list[str]:
        if ctx.parent is None:  # the root: its options also after the command's name
            args = _root_options_first(args)
        return super().parse_args(ctx, args)

    def invoke(self, ctx: typer.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (typer.Exit, typer.Abort, typer.TyperException):
            raise  # typer's own: --help, usage errors (exit 2), explicit exits
        except PricewatchError as error:
            fail(str(error))
            raise typer.Exit(error.exit_code) from None
        except duckdb.IOException as error:  # a file DuckDB cannot open or read
            fail(str(error))
            raise typer.Exit(EXIT_DB) from None
        except BrokenPipeError:  # `pricewatch ... | head` closed the pipe: not a bug
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            raise typer.Exit(EXIT_BROKEN_PIPE) from None
        except Exception as error:
            if out_of_space(error):  # the machine's state, not a bug: say it in one line
                fail(f"the disk is full, so nothing more could be written: "
                     f"{' '.join(str(error).split())[:300]}")
                raise typer.Exit(EXIT_DB) from None
            traceback.print_exc(file=sys.stderr)
            fail("internal error (a bug in pricewatch, not your input); the traceback "
                 "above says where")
            raise typer.Exit(EXIT_BUG) from None


# Options of the whole program a user writes after the command's name too, as every table's
# "(+4 columns: --wide, --json)" suggests: `pricewatch status --wide`.
ROOT_FLAGS = ("--wide", "--all", "--verbose")


def _root_options_first(args: list[str]) -> list[str]:
    """`args` with ROOT_FLAGS moved before the command's name (none after `--`)."""
    end = args.index("--") if "--" in args else len(args)
    moved = [arg for arg in args[:end] if arg in ROOT_FLAGS]
    return moved + [arg for arg in args[:end] if arg not in ROOT_FLAGS] + args[end:]


def out_of_space(error: BaseException) -> bool:
    """A write refused for want of space (the archive, the database or its WAL); a
    transaction whose commit failed so is rolled back, so the run is not half-written."""
    if isinstance(error, OSError):
        return error.errno in (errno.ENOSPC, errno.EDQUOT)
    return isinstance(error, duckdb.Error) and (
        "No space left on device" in str(error) or "Disk quota exceeded" in str(error))


def new_app(**kwargs: Any) -> typer.Typer:
    """A Typer app with the project's defaults; command modules each make their own and
    cli/main.py composes them. Markdown help joins a docstring's lines, so the terminal
    wraps it."""
    options = {"add_completion": False, "pretty_exceptions_enable": False,
               "rich_markup_mode": "markdown", **kwargs}
    return typer.Typer(**options)


def configure_logging(verbose: bool) -> None:
    """Warnings and errors to stderr (with -v, INFO of everything), stamped in UTC."""
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
                        datefmt="%Y-%m-%dT%H:%M:%SZ")
    for handler in logging.getLogger().handlers:
        if handler.formatter is not None:
            handler.formatter.converter = time.gmtime
    logging.getLogger("stamina").setLevel(logging.ERROR)  # retries are logged by fetch
    logging.getLogger("httpx").setLevel(logging.WARNING)


# text, not a Path: a Path folds the `//` of a lake's conninfo (warehouse/target.py reads it)
DbOption = Annotated[str | None, typer.Option(
    "--db", metavar="PATH",
    help="DuckDB file, or a DuckLake: ducklake:postgres:'dbname=NAME host=HOST', "
         "ducklake:sqlite:PATH (default: setting db_path, pricewatch.duckdb).")]
ConfigOption = Annotated[Path | None, typer.Option(
    "--config", help="TOML settings file (default: ./pricewatch.toml if present).")]
FormatOption = Annotated[str, typer.Option(
    "--format", help="table, json, jsonl, csv or md (every column but in a table).")]
OutOption = Annotated[Path | None, typer.Option(
    "--out", help="Write to this file instead of stdout (replaced whole).")]
JsonOption = Annotated[bool, typer.Option(
    "--json", help="Print a JSON array instead of a table (--wide: the table with every "
                   "column, nothing cut).")]


def load(db: str | None, config: Path | None) -> Settings:
    """The settings a command runs with: options over environment over TOML over defaults."""
    return load_settings(config, db_path=db)


def time_option(text: str, option: str) -> datetime:
    """A time option's value (`--since`, `--at`, ...): text that is not an ISO time is a
    usage error (exit 2), like any malformed option."""
    try:
        return parse_timestamp(text, option)
    except InputError as error:
        raise UsageError(str(error)) from None


# A body cannot be observed after it is ingested; this much clock skew is let through.
FUTURE_SKEW = timedelta(minutes=5)


def observed_at_option(text: str | None) -> datetime | None:
    """--observed-at: a time, and not in the future (a typo such as 2099 would move every
    age and the report's window to that year)."""
    if text is None:
        return None
    when = time_option(text, "--observed-at")
    now = datetime.now(UTC)
    if when > now + FUTURE_SKEW:
        raise InputError(f"--observed-at {text} is in the future (it is now "
                         f"{now:%Y-%m-%dT%H:%M}Z): a body is observed before it is ingested")
    return when


def load_reader(db: str | None, config: Path | None) -> Settings:
    """`load` for a command that only reads: a warehouse file that does not exist is an
    error naming it (a mistyped --db used to leave an empty warehouse behind and show an
    empty table); only the commands that write create one."""
    settings = load(db, config)
    missing = target_of(settings).missing()
    if missing is not None:
        raise InputError(f"no warehouse at {missing}: check --db (or db_path); `pricewatch "
                         "ingest`, `collect` or `run` create one")
    return settings


def read_input(file: str) -> tuple[bytes, str]:
    """A body from a file or stdin (`-`), and the URL it is archived under."""
    if file == "-":
        return sys.stdin.buffer.read(), "stdin:"
    path = Path(file)
    if path.is_dir():
        raise InputError(f"{file} is a folder: give one captured file (backfill dir reads "
                         "a folder of snapshots)")
    if not path.is_file():
        raise InputError(f"file {file} does not exist")
    return path.read_bytes(), path.resolve().as_uri()


MAX_MATCHES = 5
SHORT_LIST = 12  # a list this short is shown whole when nothing is close


def _squeezed(text: str) -> str:
    """Lower case, letters and digits only: `Llama 3.1 405B` and `llama-3.1-405b` meet."""
    return re.sub(r"[^a-z0-9]", "", text.lower())


def _contained(wanted: str, key: str) -> float:
    """A bonus when one name holds the other, by how much of it the shorter one is."""
    short, long = sorted((wanted, key), key=len)
    return 0.3 * len(short) / len(long) if short and short in long else 0.0


def close_matches(word: str, known: list[str] | tuple[str, ...],
                  aliases: dict[str, str] | None = None) -> str:
    """At most five suggestions for an unknown name, by likeness of the squeezed names
    (`aliases` maps other names, a canonical id or a display name, to the name to suggest);
    never the whole catalogue."""
    names = {_squeezed(name): name for name in known}
    for name in known:  # `openai/gpt-4o` is also found as `gpt-4o`
        names.setdefault(_squeezed(name.rsplit("/", 1)[-1]), name)
    for alias, name in (aliases or {}).items():
        names.setdefault(_squeezed(alias), name)
    wanted = _squeezed(word)
    scored = sorted(((difflib.SequenceMatcher(None, wanted, key).ratio()
                      + _contained(wanted, key), name)
                     for key, name in names.items() if key),
                    key=lambda item: (-item[0], len(item[1]), item[1]))
    found = list(dict.fromkeys(name for score, name in scored if score >= 0.6))[:MAX_MATCHES]
    if found:
        return f"; close matches: {', '.join(found)}"
    if len(known) <= SHORT_LIST:
        return f"; known: {', '.join(known)}"
    return f"; nothing close among {len(known)} known"


def check_choice(value: str | None, known: Iterable[str], what: str) -> None:
    """A filter value (`--provider`, `--kind`) that names nothing pricewatch knows is an
    error with the close matches, not a silent empty result."""
    names = sorted(set(known))
    if value is not None and value not in names:
        raise InputError(f"unknown {what} {value!r}" + close_matches(value, names))


def known_providers(con: duckdb.DuckDBPyConnection) -> list[str]:
    """The providers of the collectors and every provider the warehouse holds offers of
    (an aggregator's routes bring others, e.g. the HF router's `novita`)."""
    held = [row["provider"] for row in queries.named(con, "known_providers")[1]]
    return sorted(set(held) | set(PROVIDER_NAMES))


def check_models(con: duckdb.DuckDBPyConnection, models: list[str],
                 rows: list[dict[str, Any]]) -> None:
    """Every named model matched an offer (by id in any case, or canonical id), else an
    InputError with the close matches."""
    found = {r["model"].lower() for r in rows} | {r["canonical_model"] for r in rows}
    _, known = queries.named(con, "known_models")
    names = sorted({k["model"] for k in known})
    aliases = {alias: k["model"] for k in known
               for alias in (k["canonical_model"], k["display_name"]) if alias}
    for model in models:
        canonical = queries.named(con, "canonical_of", {"name": model})[1][0][
            "canonical_model"]
        if model.lower() not in found and canonical not in found:
            raise InputError(f"no current prices for model {model!r}"
                             + close_matches(model, names, aliases))

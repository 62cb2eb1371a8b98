"""The `pricewatch` command: the command modules' apps composed into one, under the shared
error mapping (cli/app.py). Each command module owns its commands; nothing imports this one
but the entry point."""

import atexit
import copy
import os
import sys
import threading
from typing import Annotated

import typer
from typer.main import get_command_name
from typer.models import DefaultPlaceholder, TyperInfo

import pricewatch
from pricewatch.cli import (
    alerts,
    audit,
    backfill,
    collect,
    compare,
    cost,
    data,
    db,
    output,
    prices,
    read,
    report,
)
from pricewatch.cli.app import EXIT_BROKEN_PIPE, ErrorMappingGroup, configure_logging, new_app

app = new_app(name="pricewatch", cls=ErrorMappingGroup, no_args_is_help=True,
              add_completion=True,  # --install-completion / --show-completion SHELL
              help="LLM inference prices and availability, with their history, in DuckDB.")


def _version(shown: bool) -> None:
    if shown:
        typer.echo(f"pricewatch {pricewatch.__version__}")
        raise typer.Exit()


@app.callback()
def _main(verbose: Annotated[bool, typer.Option(
        "--verbose", "-v", help="Log each run and retry (INFO) to stderr.")] = False,
          wide: Annotated[bool, typer.Option(
              "--wide", help="Tables with every column, nothing cut (they may wrap).")]
          = False,
          all_rows: Annotated[bool, typer.Option(
              "--all", help=f"Tables with every row ({output.TABLE_ROWS} on the terminal "
                            "otherwise, and how many more).")] = False,
          version: Annotated[bool, typer.Option(
              "--version", help="Print the version and exit.", callback=_version,
              is_eager=True)] = False) -> None:
    """LLM inference prices and availability, with their history, in DuckDB."""
    configure_logging(verbose)
    output.WIDE = wide
    output.ALL = all_rows


for module in (data, read, collect, prices, compare, report, cost, audit):
    app.add_typer(module.app)
app.add_typer(alerts.app, name="alerts")
app.add_typer(db.app, name="db")
app.add_typer(backfill.app, name="backfill")


def asked(args: list[str]) -> str | None:
    """The command's name in `args`: the first word before which only the program's own
    options (all flags) come; None when there is none (`--help`, `--version`)."""
    for arg in args:
        if arg == "--":
            return None
        if not arg.startswith("-"):
            return arg
    return None


def _name(info: TyperInfo) -> str | None:
    """The name a group added with `add_typer` gets: its own, or its app's (None: its
    commands join the parent's)."""
    for name in (info.name, info.typer_instance.info.name if info.typer_instance else None):
        value = name.value if isinstance(name, DefaultPlaceholder) else name
        if value:
            return value
    return None


def only(typer_app: typer.Typer, name: str) -> typer.Typer | None:
    """A copy of `typer_app` with the command or group `name` alone (None: no such).

    Typer builds every command's parameters from its signature at each start: 22 ms for
    the whole tree, 1.6 for one command. A command line that names a command needs no
    other; help of the whole program and a misspelt name (its suggestions) get the tree."""
    slim = copy.copy(typer_app)
    slim.registered_commands = [
        command for command in typer_app.registered_commands
        if (command.name or get_command_name(command.callback.__name__)) == name]
    slim.registered_groups = []
    for group in typer_app.registered_groups:
        group_name = _name(group)
        if group_name == name:
            slim.registered_groups.append(group)
        elif group_name is None and group.typer_instance is not None:
            inner = only(group.typer_instance, name)
            if inner is not None:
                merged = copy.copy(group)
                merged.typer_instance = inner
                slim.registered_groups.append(merged)
    return slim if slim.registered_commands or slim.registered_groups else None


def main() -> None:
    """The `pricewatch` program: the app, then a quick exit.

    Tearing the interpreter down (some 900 modules and their objects) took ~40 ms after
    every command, a tenth of a read command's time, and nothing needs it once the command
    is done. The exit handlers still run (logging's flush, temporary folders' removal) and
    the streams are flushed; while another thread still runs, the exit is Python's own."""
    name = asked(sys.argv[1:])
    program = (only(app, name) if name else None) or app
    try:
        program(prog_name="pricewatch")
        code: object = 0
    except SystemExit as done:
        code = done.code
    except BrokenPipeError:  # help text cut off by its reader (`--help | head`)
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        code = EXIT_BROKEN_PIPE
    if threading.active_count() > 1:
        sys.exit(code)
    if code is None:
        code = 0
    elif not isinstance(code, int):  # sys.exit("message"): printed, exit status 1
        print(code, file=sys.stderr)
        code = 1
    atexit._run_exitfuncs()  # the handlers Python's own exit would run
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except BrokenPipeError:  # `pricewatch ... | head` closed the pipe
            code = code or EXIT_BROKEN_PIPE
        except (OSError, ValueError):  # a stream closed or gone: nothing left to say
            pass
    os._exit(code)


__all__ = ["app", "main"]

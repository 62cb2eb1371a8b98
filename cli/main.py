"""The `pricewatch` command: the command modules' apps composed into one, under the shared
error mapping (cli/app.py). Each command module owns its commands; nothing imports this one
but the entry point.

A command line that names a command imports and builds that command alone (`for_command`):
the other modules and typer's reading of their ~60 commands' signatures cost every start
some 35 ms. `app`, the whole program, is made when first asked for (help, a misspelt name,
the tests, docs/cli.md).
"""

import atexit
import copy
import importlib
import os
import sys
import threading
from types import ModuleType
from typing import Annotated

import typer
from typer.main import get_command_name
from typer.models import DefaultPlaceholder, TyperInfo

import pricewatch
from pricewatch.cli import output
from pricewatch.cli.app import EXIT_BROKEN_PIPE, ErrorMappingGroup, configure_logging, new_app

# pricewatch.cli.NAME modules, in the order help lists them: each adds its commands to the
# top level, but a GROUPS module, whose commands are the group of its name
MODULES = ("data", "read", "collect", "prices", "compare", "report", "cost", "audit")
GROUPS = ("alerts", "db", "backfill")
READS_FIRST = ("read", "prices")  # the commands typed most: looked for first

root = new_app(name="pricewatch", cls=ErrorMappingGroup, no_args_is_help=True,
              add_completion=True,  # --install-completion / --show-completion SHELL
              help="LLM inference prices and availability, with their history, in DuckDB.")


def _version(shown: bool) -> None:
    if shown:
        typer.echo(f"pricewatch {pricewatch.__version__}")
        raise typer.Exit()


@root.callback()
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


def _module(name: str) -> ModuleType:
    return importlib.import_module(f"pricewatch.cli.{name}")


def _program() -> typer.Typer:
    """The root (its options and callback) with no commands yet."""
    program = copy.copy(root)
    program.registered_commands, program.registered_groups = [], []
    return program


def whole() -> typer.Typer:
    """The program with every command."""
    program = _program()
    for name in MODULES:
        program.add_typer(_module(name).app)
    for name in GROUPS:
        program.add_typer(_module(name).app, name=name)
    return program


def for_command(name: str) -> typer.Typer | None:
    """The program with the command or group `name` alone, importing the command modules
    one at a time until one has it (None: none has)."""
    program = _program()
    if name in GROUPS:
        program.add_typer(_module(name).app, name=name)
        return program
    for module in sorted(MODULES, key=lambda module: module not in READS_FIRST):
        found = only(_module(module).app, name)
        if found is not None:
            program.add_typer(found)
            return program
    return None


def __getattr__(name: str) -> typer.Typer:
    """`app`: the whole program, made once when first asked for."""
    if name == "app":
        globals()["app"] = made = whole()
        return made
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


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
    the whole tree, 1.6 for one command."""
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
    program = (for_command(name) if name else None) or whole()
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


__all__ = ["for_command", "main", "whole"]  # and `app` (__getattr__)

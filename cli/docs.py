"""The CLI reference, docs/cli.md, printed from the commands themselves (their docstrings,
arguments and options), so it cannot drift from what `--help` says.

    python -m pricewatch.cli.docs           # print it
    python -m pricewatch.cli.docs --write   # rewrite docs/cli.md
"""

import sys
from pathlib import Path
from typing import Any

import typer

ROOT = Path(__file__).resolve().parents[1]


def _commands(group: Any, prefix: str) -> list[tuple[str, Any]]:
    """(full name, click command) of every command under `group`, in name order."""
    found = []
    for name in sorted(group.commands):
        command = group.commands[name]
        if command.hidden:
            continue
        if hasattr(command, "commands") and command.commands:
            if command.callback is not None and command.invoke_without_command:
                found.append((f"{prefix} {name}", command))
            found += _commands(command, f"{prefix} {name}")
        else:
            found.append((f"{prefix} {name}", command))
    return found


def _option(param: Any) -> str:
    names = ", ".join(f"`{opt}`" for opt in [*param.opts, *param.secondary_opts])
    default = param.default
    shown = "" if param.is_flag or default in (None, (), [], False) else f" (default `{default}`)"
    return f"| {names} | {(param.help or '').replace('|', '/')}{shown} |"


def page() -> str:
    from pricewatch.cli.main import app

    root = typer.main.get_command(app)
    # the options `status` takes are the ones many commands share: listed once
    shared = {p.opts[0]: p for p in root.commands["status"].params
              if p.param_type_name == "option" and p.opts[0] != "--help"}
    parts = ["# Command reference", "",
             "Generated from the commands by `python -m pricewatch.cli.docs --write`; "
             "`pricewatch COMMAND --help` says the same (the README's "
             "[Commands](../README.md#commands) has the overview).", "",
             "Options of `pricewatch` itself (also after the command's name: `--wide`, "
             "`--verbose`):", "", "| option | meaning |", "| --- | --- |"]
    parts += [_option(p) for p in root.params if p.opts and p.opts[0] != "--help"]
    parts += ["", "Options many commands share (each command below lists which it takes):",
              "", "| option | meaning |", "| --- | --- |", *map(_option, shared.values())]
    for name, command in _commands(root, "pricewatch"):
        doc = (command.help or "").strip().split("\n\n")[0].replace("\n", " ")
        arguments = " ".join(p.name.upper() for p in command.params
                             if p.param_type_name == "argument")
        parts += ["", f"## `{name}{' ' + arguments if arguments else ''}`", "", doc, ""]
        options = [p for p in command.params if p.param_type_name == "option"
                   and p.opts[0] != "--help"]
        common = [p.opts[0] for p in options
                  if p.opts[0] in shared and p.help == shared[p.opts[0]].help]
        own = [p for p in options if p.opts[0] not in common]
        if own:
            parts += ["| option | meaning |", "| --- | --- |", *map(_option, own)]
        if common:
            parts += ["", "Shared: " + ", ".join(f"`{name}`" for name in common) + "."]
    return "\n".join(parts) + "\n"


def main() -> None:
    text = page()
    if "--write" not in sys.argv:
        print(text, end="")
        return
    (ROOT / "docs" / "cli.md").write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()

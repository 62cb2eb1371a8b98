"""The README as a new user runs it: the set-up command's pricewatch steps, then every example
block after it (shell and Python), in order, as one shell session in a fresh folder with
../shared beside it and this test's virtual environment as the `.venv` the set-up command
makes. A block whose first line says what it needs (`# needs network`, `# needs the DuckDB
CLI`) is skipped; `text` and `toml` blocks are not commands (tests/test_package.py loads
the TOML).

A `console` block shows output: each `$ ` line is a command (a line ending in a backslash
continues it), the lines under it are what it prints at 80 columns (stdout and stderr), blank
lines and trailing spaces aside; a line `...` stands for any number of lines."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from helpers import FIXTURES

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = "## What it does"  # every block from here on; the set-up block comes before it
NEEDS = re.compile(r"\A# needs ")


def readme() -> str:
    return (ROOT / "README.md").read_text(encoding="utf-8")


def setup_steps(text: str) -> list[str]:
    """The first command of the README's set-up block without its install steps (the suite
    runs in an environment that has pricewatch installed already)."""
    block = re.search(r"```bash\n(.*?)```", text, re.S).group(1)
    command = next(line for line in block.splitlines() if line and not line.startswith("#"))
    steps = [step.strip() for step in command.split(" && ")]
    kept = [step for step in steps if not step.startswith("python3 -m venv")
            and "pip install" not in step]
    assert kept and len(kept) < len(steps), command
    return [step.replace(".venv/bin/", "") for step in kept]


MARK = "@@readme-output@@"


def _examples(text: str) -> list[tuple[str, str]]:
    """(kind, block) of every bash, console and python block after the set-up, in order,
    but those that say what they need."""
    return [(kind, block) for kind, block in re.findall(
                r"```(bash|console|python)\n(.*?)```", text[text.index(EXAMPLES):], re.S)
            if not NEEDS.match(block)]


def tour_blocks(text: str) -> list[str]:
    """The examples as shell, in order: `bash` blocks as they are, `python` ones through the
    environment's python, each `console` command followed by a marker line that splits the
    session's output into what each printed."""
    blocks = []
    for kind, block in _examples(text):
        if kind == "bash":
            blocks.append(block)
        elif kind == "python":
            blocks.append(f".venv/bin/python - <<'PYTHON'\n{block}PYTHON")
        else:
            blocks += [f"echo {MARK}\n{{ {command}; }} 2>&1\necho {MARK}"
                       for command, _ in console_commands(block)]
    return blocks


def console_commands(block: str) -> list[tuple[str, list[str]]]:
    """A console block's commands, each with the output lines shown under it."""
    shown: list[tuple[str, list[str]]] = []
    lines = iter(block.splitlines())
    for line in lines:
        if line.startswith("$ "):
            command = line[2:]
            while command.endswith("\\"):
                command = command[:-1] + next(lines)
            shown.append((command, []))
        elif shown:
            shown[-1][1].append(line)
    return shown


def shown_outputs(text: str) -> list[tuple[str, list[str]]]:
    return [pair for kind, block in _examples(text) if kind == "console"
            for pair in console_commands(block)]


def printed(stdout: str) -> list[str]:
    """What each console command printed, between its markers."""
    return stdout.split(MARK + "\n")[1::2]


def same_lines(shown: list[str], actual: str) -> bool:
    """The shown lines are the printed ones (blank lines and trailing spaces aside); `...`
    matches any run of lines."""
    wanted = [line.rstrip() for line in shown if line.strip()]
    got = [line.rstrip() for line in actual.splitlines() if line.strip()]
    pattern = "".join(".*?" if line == "..." else re.escape(line) + "\n" for line in wanted)
    return re.fullmatch(pattern, "".join(line + "\n" for line in got), re.S) is not None


def run_session(commands: list[str], folder: Path) -> subprocess.CompletedProcess:
    work = folder / "work"
    work.mkdir()
    (folder / "shared").symlink_to(FIXTURES.parent, target_is_directory=True)
    (work / ".venv").symlink_to(sys.prefix, target_is_directory=True)  # what set-up made
    script = "set -euo pipefail\n" + "\n".join(commands) + "\n"
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}"
                                f"{os.environ.get('PATH', '')}", COLUMNS="80")
    env.pop("PRICEWATCH_DB_PATH", None)
    return subprocess.run(["bash", "-c", script], cwd=work, env=env, capture_output=True,
                          text=True, timeout=600)


def test_the_readme_setup_and_tour_run_as_written(tmp_path: Path) -> None:
    text = readme()
    commands = setup_steps(text) + tour_blocks(text)
    assert len(commands) >= 5
    assert any(".venv/bin/python - <<'PYTHON'" in c for c in commands)  # the notebook one
    skipped = [block for block in re.findall(r"```(?:bash|console|python)\n(.*?)```",
                                             text[text.index(EXAMPLES):], re.S)
               if NEEDS.match(block)]
    assert len(skipped) == 3  # collect and run (network), the DuckDB CLI
    done = run_session(commands, tmp_path)
    assert done.returncode == 0, f"a README command failed:\n{done.stderr[-3000:]}"
    assert "openai/gpt-4o-mini" in done.stdout
    shown = shown_outputs(text)
    outputs = printed(done.stdout)
    assert shown and len(outputs) == len(shown)
    for (command, lines), actual in zip(shown, outputs, strict=True):
        assert same_lines(lines, actual), f"$ {command}\nREADME shows:\n" + "\n".join(
            lines) + f"\nit prints:\n{actual}"


def test_shown_output_is_compared_line_by_line() -> None:
    printed_table = "\n price  valid_from   \n ─────────\n 0.15   2025-12-18 \n\n"
    assert same_lines([" price  valid_from", " ─────────", " 0.15   2025-12-18"],
                      printed_table)
    assert same_lines([" price  valid_from", "...", ], printed_table)
    assert not same_lines([" price  valid_from", " ─────────", " 0.16   2025-12-18"],
                          printed_table)
    assert not same_lines([" price  valid_from"], printed_table)  # lines left out
    block = "$ pricewatch history a \\\n  --json\n[]\n$ pricewatch status\n"
    assert console_commands(block) == [("pricewatch history a   --json", ["[]"]),
                                       ("pricewatch status", [])]


def test_a_broken_tour_command_fails_the_test(tmp_path: Path) -> None:
    """The check can fail: the same session with one tour command broken does."""
    blocks = tour_blocks(readme())
    broken = [blocks[0].replace("pricewatch status", "pricewatch statuss", 1), *blocks[1:]]
    assert broken[0] != blocks[0]
    done = run_session(broken, tmp_path)
    assert done.returncode != 0 and "statuss" in done.stderr

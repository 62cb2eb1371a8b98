"""The README as a new user runs it: the set-up command's pricewatch steps, then every shell
block of the tour, in order, as one shell session in a fresh folder with ../shared beside it
and this test's virtual environment as the `.venv` the set-up command makes. A block marked
`# needs network` is skipped."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from helpers import FIXTURES

ROOT = Path(__file__).resolve().parents[1]
TOUR = ("## Five-minute tour", "## Commands")


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


def tour_blocks(text: str) -> list[str]:
    start, end = text.index(TOUR[0]), text.index(TOUR[1])
    blocks = re.findall(r"```bash\n(.*?)```", text[start:end], re.S)
    return [block for block in blocks if "# needs network" not in block]


def run_session(commands: list[str], folder: Path) -> subprocess.CompletedProcess:
    work = folder / "work"
    work.mkdir()
    (folder / "shared").symlink_to(FIXTURES.parent, target_is_directory=True)
    (work / ".venv").symlink_to(sys.prefix, target_is_directory=True)  # what set-up made
    script = "set -euo pipefail\n" + "\n".join(commands) + "\n"
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}"
                                f"{os.environ.get('PATH', '')}", COLUMNS="100")
    env.pop("PRICEWATCH_DB_PATH", None)
    return subprocess.run(["bash", "-c", script], cwd=work, env=env, capture_output=True,
                          text=True, timeout=600)


def test_the_readme_setup_and_tour_run_as_written(tmp_path: Path) -> None:
    text = readme()
    commands = setup_steps(text) + tour_blocks(text)
    assert len(commands) >= 5
    done = run_session(commands, tmp_path)
    assert done.returncode == 0, f"a README command failed:\n{done.stderr[-3000:]}"
    assert "openai/gpt-4o-mini" in done.stdout


def test_a_broken_tour_command_fails_the_test(tmp_path: Path) -> None:
    """The check can fail: the same session with one tour command broken does."""
    blocks = tour_blocks(readme())
    broken = [blocks[0].replace("pricewatch status", "pricewatch statuss", 1), *blocks[1:]]
    assert broken[0] != blocks[0]
    done = run_session(broken, tmp_path)
    assert done.returncode != 0 and "statuss" in done.stderr

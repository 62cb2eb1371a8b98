"""The shape of the project: one installed package, no import circles, no sys.path edits,
lists derived from their one source, and exit codes that tell bugs from bad input."""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
import zipfile
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path

import pytest
from typer.testing import CliRunner

import pricewatch
from helpers import fixture_path
from pricewatch import collectors, queries
from pricewatch.cli.main import app
from pricewatch.settings import Settings, load_settings
from pricewatch.warehouse.db import open_warehouse

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = Path(pricewatch.__file__).parent
runner = CliRunner()


def test_the_wheel_installs_one_top_level_name(tmp_path: Path) -> None:
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps",
                    "-q", "-w", str(tmp_path), str(ROOT)], check=True, capture_output=True)
    (wheel,) = tmp_path.glob("*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    top = {name.split("/")[0] for name in names if not name.split("/")[0].endswith(".dist-info")}
    assert top == {"pricewatch"}
    # the design card's folders are in it, tests/ bench/ and setup.py are not
    assert {"pricewatch/scheduler.py", "pricewatch/__main__.py",
            "pricewatch/collectors/openrouter/models.py", "pricewatch/queries/current_prices.sql",
            "pricewatch/warehouse/migrations/0001_initial.sql"} <= set(names)
    assert not [n for n in names if n.startswith(("pricewatch/tests/", "pricewatch/bench/"))
                or n == "pricewatch/setup.py"]


def test_python_dash_m_pricewatch_runs_outside_the_checkout(tmp_path: Path) -> None:
    from pricewatch.warehouse.db import open_db

    with open_db(tmp_path / "w.duckdb"):
        pass  # a warehouse to read (a read command never creates one)
    result = subprocess.run([sys.executable, "-m", "pricewatch", "sql", "select 42 AS x",
                             "--json", "--db", str(tmp_path / "w.duckdb")], cwd=tmp_path,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == [{"x": 42}]


def _modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        relative = path.relative_to(PACKAGE)
        if relative.parts[0] in ("tests", "bench", "build") or relative.parts[0].startswith(
                ".venv") or relative.name == "setup.py":
            continue
        parts = ["pricewatch", *relative.with_suffix("").parts]
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def _imports(name: str, path: Path, known: set[str]) -> set[str]:
    """Modules `name` imports at module level (imports inside functions are deliberate
    deferrals, not part of the import graph)."""
    edges = set()
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            base = node.module  # the package imports absolutely (pricewatch....)
            for alias in node.names:
                target = f"{base}.{alias.name}"
                edges.add(target if target in known else base)
        elif isinstance(node, ast.Import):
            edges.update(alias.name for alias in node.names)
    return {edge for edge in edges if edge in known and edge != name}


def test_no_import_circles() -> None:
    modules = _modules()
    graph = {name: _imports(name, path, set(modules)) for name, path in modules.items()}
    circles: list[list[str]] = []
    done: set[str] = set()

    def visit(node: str, trail: list[str]) -> None:
        if node in trail:
            circles.append([*trail[trail.index(node):], node])
            return
        if node in done:
            return
        for edge in sorted(graph[node]):
            visit(edge, [*trail, node])
        done.add(node)

    for module in sorted(graph):
        visit(module, [])
    assert circles == []


def test_no_sys_path_edits_anywhere() -> None:
    offenders = [str(p.relative_to(ROOT)) for p in ROOT.rglob("*.py")
                 if not any(part.startswith(".venv") for part in p.parts) and "build" not in p.parts
                 and p.name != "test_package.py" and "sys.path" in p.read_text()]
    assert offenders == []


def test_every_source_module_is_in_its_providers_sources() -> None:
    """A module under collectors/<provider>/ that defines a SOURCE but is left out of its
    package's SOURCES would never run: the lists are checked against the modules."""
    for provider in collectors.PROVIDERS:
        folder = Path(provider.__file__).parent
        defined = {p.stem for p in folder.glob("*.py") if "\nSOURCE = Source(" in p.read_text()}
        listed = {s.name for s in provider.SOURCES}
        modules = {getattr(provider, stem).SOURCE.name for stem in defined}
        assert modules == listed, provider.__name__
    assert [s.name for s in collectors.SOURCES] == [
        s.name for p in collectors.PROVIDERS for s in p.SOURCES]
    # each provider's options are the settings section named like it
    assert all(s.provider in Settings.model_fields for s in collectors.SOURCES)


def test_every_sql_file_is_installed(tmp_path: Path) -> None:
    settings = load_settings(db_path=tmp_path / "w.duckdb")
    queries.ensure_installed(settings)
    with open_warehouse(settings, read_only=True) as con:
        views = {r[0] for r in con.execute("SELECT view_name FROM duckdb_views()").fetchall()}
        macros = {r[0] for r in con.execute(
            "SELECT function_name FROM duckdb_functions() WHERE function_type LIKE '%macro%'"
        ).fetchall()}
    folder = resources.files("pricewatch.queries")
    files = [entry for entry in folder.iterdir() if entry.name.endswith(".sql")]
    assert len(files) == len(queries.VIEWS) >= 20
    for entry in files:
        made = queries.creates(entry.read_text())
        assert made, f"{entry.name} creates no view or macro"
        missing = [name for name in made if name not in views | macros]
        assert missing == [], f"{entry.name}: {missing} not installed"


def test_capabilities_come_from_the_sql() -> None:
    assert queries.capabilities() == (
        "text", "reasoning", "coding", "vision", "audio", "tool_use", "structured_output",
        "long_context", "image_generation", "embeddings", "free")


def test_view_settings_come_from_the_settings_model(tmp_path: Path) -> None:
    settings = load_settings(db_path=tmp_path / "w.duckdb")
    assert set(queries.view_settings(settings)) == {
        "mix_input", "mix_output", "cache_share", "long_context_tokens", "drop_pct",
        "rise_pct", "failing_runs"}


def test_parse_takes_options_from_config(tmp_path: Path) -> None:
    """`parse nscale.hf-router --config` keeps the providers the config names, as ingest does."""
    config = tmp_path / "c.toml"
    config.write_text('[nscale]\nhf_providers = ["nscale", "novita"]\n')
    capture = str(fixture_path("nscale", "hf-router-models-2026-06-19.json"))
    default = runner.invoke(app, ["parse", "nscale.hf-router", capture])
    chosen = runner.invoke(app, ["parse", "nscale.hf-router", capture, "--config", str(config)])
    assert default.exit_code == 0 and chosen.exit_code == 0, chosen.stderr
    providers = {json.loads(line)["provider"] for line in chosen.stdout.splitlines()}
    assert providers == {"nscale", "novita"}
    assert {json.loads(line)["provider"] for line in default.stdout.splitlines()} == {"nscale"}


def test_sources_takes_config_and_shows_schedules(tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text('[daemon]\nschedule = { "nscale.hf-router" = 1800 }\n'
                      '[vertex]\nenabled = false\n')
    result = runner.invoke(app, ["sources", "--config", str(config), "--json"])
    assert result.exit_code == 0, result.stderr
    rows = {r["source"]: r for r in json.loads(result.stdout)}
    assert rows["nscale.hf-router"]["schedule"] == 1800
    assert [rows[s]["enabled"] for s in ("nscale.hf-router", "vertex.pricing", "lmarena.elo",
                                         "aider.polyglot", "records")] == [
        True, False, False, True, None]
    assert rows["openrouter.endpoints"]["schedule"] == 21600
    assert rows["openrouter.endpoints"]["needs"] == "openrouter.models"
    assert rows["records"]["schedule"] is None


def test_an_internal_error_exits_70_with_its_traceback(tmp_path: Path, monkeypatch) -> None:
    def broken(*args, **kwargs):
        raise RuntimeError("a bug, not bad input")

    monkeypatch.setattr("pricewatch.pipeline.run.ingest_body", broken)
    capture = str(fixture_path("openrouter", "models-2026-01-29.json"))
    result = runner.invoke(app, ["ingest", "openrouter.models", capture, "--observed-at",
                                 "2026-01-29T00:00:00Z", "--db", str(tmp_path / "w.duckdb")])
    assert result.exit_code == 70
    assert "Traceback" in result.stderr and "RuntimeError: a bug, not bad input" in result.stderr


def test_bad_input_still_exits_1_with_one_line(tmp_path: Path) -> None:
    result = runner.invoke(app, ["ingest", "openrouter.models", str(tmp_path / "missing.json"),
                                 "--observed-at", "2026-01-29T00:00:00Z",
                                 "--db", str(tmp_path / "w.duckdb")])
    assert result.exit_code == 1
    assert result.stderr.strip().count("\n") == 0 and "does not exist" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_missing_observed_at_is_a_usage_error(tmp_path: Path) -> None:
    capture = str(fixture_path("openrouter", "models-2026-01-29.json"))
    result = runner.invoke(app, ["ingest", "openrouter.models", capture,
                                 "--db", str(tmp_path / "w.duckdb")])
    assert result.exit_code == 2 and "--observed-at is required" in result.stderr


def test_an_unknown_schedule_key_is_rejected(tmp_path: Path) -> None:
    from pricewatch.scheduler import Daemon
    from pricewatch.settings import SettingsError

    settings = load_settings(db_path=tmp_path / "w.duckdb",
                             daemon={"schedule": {"openrouter.model": 60}})
    with pytest.raises(SettingsError, match=r"unknown sources openrouter\.model"):
        Daemon(settings)


def test_exports_take_every_installed_view(tmp_path: Path) -> None:
    from pricewatch.queries import exports

    settings = load_settings(db_path=tmp_path / "w.duckdb")
    queries.ensure_installed(settings)
    with open_warehouse(settings, read_only=True) as con:
        views = exports.views(con)
    assert {"current_prices", "price_alerts", "cheapest_per_capability"} <= set(views)
    assert "prices_as_of" not in views  # a macro, not a view


def test_every_configuration_example_in_the_readme_loads(tmp_path: Path) -> None:
    """Each ```toml block of the README and docs/, written to a file and loaded as a user
    would copy it (a block that opens with a comment naming another file is that file:
    skipped)."""
    text = "".join(path.read_text(encoding="utf-8")
                   for path in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))])
    blocks = re.findall(r"```toml\n(.*?)```", text, re.S)
    loaded = 0
    for block in blocks:
        first = block.splitlines()[0]
        if first.startswith("#") and ".toml" in first and "pricewatch.toml" not in first:
            continue
        config = tmp_path / f"example-{loaded}.toml"
        config.write_text(block)
        load_settings(config)
        loaded += 1
    assert loaded >= 3
    mirror = load_settings(config_file=None, openrouter={"base_url": "http://127.0.0.1:8080"})
    assert (mirror.openrouter.api_base, mirror.openrouter.limits_page_url,
            mirror.openrouter.allowed_hosts) == (
        "http://127.0.0.1:8080/api/v1", "http://127.0.0.1:8080/docs/api-reference/limits",
        ["127.0.0.1"])


# Commands that print no table: the daemon, a test message, and `parse`, whose output is
# the JSON-lines record format itself.
NOT_DATA = {"run", "alerts test", "parse"}


def _commands(group, prefix: str = ""):
    for name, command in group.commands.items():
        path = f"{prefix}{name}"
        if hasattr(command, "commands"):  # a group (typer vendors its own click)
            yield path, command
            yield from _commands(command, path + " ")
        else:
            yield path, command


def test_every_data_command_takes_json_db_and_config() -> None:
    import typer

    root = typer.main.get_command(app)
    seen = []
    for path, command in _commands(root):
        options = {opt for param in command.params for opt in getattr(param, "opts", [])}
        if path == "alerts" or (path not in NOT_DATA and not hasattr(command, "commands")):
            assert "--json" in options, path
            seen.append(path)
        if not hasattr(command, "commands"):
            assert {"--db", "--config"} <= options, path
    assert {"compare", "router-config", "sources", "status", "db info"} <= set(seen)


def test_help_has_no_type_labels_and_wraps_to_the_terminal() -> None:
    """`--help` once showed `<bool>` / `<list[str]>` and kept each docstring's line
    breaks; at 200 columns every paragraph of a command's help is on one line."""
    import inspect

    import typer

    root = typer.main.get_command(app)
    for path, command in _commands(root):
        result = CliRunner().invoke(app, [*path.split(), "--help"], env={"COLUMNS": "200"})
        assert result.exit_code == 0, path
        assert not re.search(r"<(bool|str|int|float|path|list\[)", result.output), path
        lines = [" ".join(line.strip(" │").split()) for line in result.output.splitlines()]
        for paragraph in inspect.cleandoc(command.help or "").split("\n\n"):
            words = " ".join(paragraph.replace("`", "").split())
            if len(words) < 180 and not words.startswith("- "):
                assert any(words in line for line in lines), (path, words)


def test_a_reader_closing_the_pipe_is_not_a_bug() -> None:
    """`pricewatch db --help | head -12` once printed a traceback and exit 70."""
    process = subprocess.Popen([sys.executable, "-m", "pricewatch", "db", "--help"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT,
                               env={"COLUMNS": "80", "PATH": "/usr/bin:/bin"})
    process.stdout.readline()
    process.stdout.close()  # the reader is gone before the help is written out
    stderr = process.stderr.read().decode()
    assert process.wait(timeout=30) in (0, 141)  # 0: all of it was in the pipe already
    assert "Traceback" not in stderr and "internal error" not in stderr


def test_a_table_cut_off_by_its_reader_exits_141(tmp_path: Path) -> None:
    """rich ended the program with status 1 when a table met a closed pipe, so `pricewatch
    changes | head` exited 1 or 141 by timing. A table larger than the pipe's buffer (128 KB
    here, the buffer 64 KB) always meets it: 141 (128 + SIGPIPE), as any closed pipe."""
    from helpers import ingest_catalogues

    db = str(ingest_catalogues(tmp_path / "w.duckdb", ["2026-01-29", "2026-05-07"]))
    process = subprocess.Popen(
        [sys.executable, "-m", "pricewatch", "changes", "--since", "2000-01-01", "--all",
         "--db", db], stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=tmp_path,
        env={"COLUMNS": "120", "PATH": "/usr/bin:/bin"})
    assert process.stdout.readline()
    process.stdout.close()
    stderr = process.stderr.read().decode()
    assert process.wait(timeout=60) == 141
    assert stderr == ""


def test_the_program_exits_without_the_teardown_and_loses_nothing(tmp_path: Path) -> None:
    """Issue 32: `pricewatch` leaves with os._exit once its command is done (the
    interpreter's teardown cost ~40 ms a command). All of a long output still arrives
    through a pipe, and the exit status and message are the command's."""
    from pricewatch.errors import InputError
    from pricewatch.warehouse.db import open_db

    with open_db(tmp_path / "w.duckdb"):
        pass
    db = str(tmp_path / "w.duckdb")
    done = subprocess.run([sys.executable, "-m", "pricewatch", "sql",
                           "SELECT range AS n FROM range(200000)", "--format", "csv",
                           "--db", db], capture_output=True, text=True, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert len(lines) == 200_001 and lines[0] == "n" and lines[-1] == "199999"
    missing = subprocess.run([sys.executable, "-m", "pricewatch", "status", "--db",
                              str(tmp_path / "none.duckdb")], capture_output=True, text=True,
                             cwd=tmp_path)
    assert missing.returncode == InputError.exit_code  # a --db that names nothing
    assert "no warehouse at" in missing.stderr and missing.stdout == ""
    usage = subprocess.run([sys.executable, "-m", "pricewatch", "changes", "--sinse", "1d"],
                           capture_output=True, text=True, cwd=tmp_path)
    assert usage.returncode == 2 and "--sinse" in usage.stderr


def test_command_modules_annotate_without_postponed_evaluation() -> None:
    """Typer reads each command's parameters from its annotations on every start; as
    strings (`from __future__ import annotations`) it compiled and evaluated each one,
    60 functions and 840 strings: 22 ms of each command's start, now 9."""
    postponed = [path.name for path in (PACKAGE / "cli").glob("*.py")
                 if "from __future__ import annotations" in path.read_text()]
    assert postponed == []


def test_every_exception_class_is_in_the_one_tree() -> None:
    """errors.py roots every exception pricewatch defines, each with its exit code, so the
    CLI maps none by hand and none escapes as a bug (exit 70) by being outside the tree."""
    import importlib
    import inspect

    from pricewatch.errors import PricewatchError

    outside = []
    for name in sorted(_modules()):
        if name.endswith("__main__"):
            continue
        module = importlib.import_module(name)
        for attribute, value in vars(module).items():
            if inspect.isclass(value) and issubclass(value, BaseException) \
                    and value.__module__ == name and not issubclass(value, PricewatchError):
                outside.append(f"{name}.{attribute}")
    assert outside == []
    assert {PricewatchError.exit_code} == {
        c.exit_code for c in (collectors.fetch.FetchError, collectors.base.ParseError)}
    from pricewatch.warehouse import bodies, lake
    assert lake.LakeError.exit_code == bodies.ArchiveError.exit_code == 3


SQL_STATEMENT = re.compile(r"^\s*(SELECT|INSERT|UPDATE|DELETE|CREATE|COPY|WITH|SET|ATTACH|"
                           r"DETACH|DESCRIBE|PRAGMA|ALTER|DROP|CHECKPOINT|INSTALL|LOAD|USE|"
                           r"CALL|EXPORT|IMPORT)\s")


def test_sql_lives_in_warehouse_and_queries() -> None:
    """Issue 30, item 4: SQL statements written in Python only in warehouse/ (the writer
    and its connections) and queries/ (the views, named queries and the statements export
    and cost build); every other module runs a named query or calls one of those. Any
    string or f-string that opens with a statement's keyword counts."""
    found = []
    for name, path in sorted(_modules().items()):
        if name.split(".")[1:2] in (["warehouse"], ["queries"]):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.JoinedStr) and node.values:
                node = node.values[0]
            if isinstance(node, ast.Constant) and isinstance(node.value, str) \
                    and SQL_STATEMENT.match(node.value):
                found.append(f"{name}:{node.lineno}: {node.value[:40]!r}")
    assert found == []


# What decides file against lake: the target type, the open database's type, the lake module.
LAKE_DECISIONS = re.compile(r"\b(?:is_lake(?:_connection)?\b|LakeTarget|FileTarget|lakes?\.Lake\b|"
                            r"warehouse\.lake\b|startswith\([\"']ducklake)")


def test_lake_decisions_live_in_warehouse() -> None:
    """Issue 30, item 1: only warehouse/ asks whether the target is a file or a lake; the
    rest opens, labels and archives through it (`open_warehouse`, `label_of`, ...)."""
    found = [f"{name}: {match[0]}" for name, path in sorted(_modules().items())
             if name.split(".")[1:2] != ["warehouse"]
             for match in [LAKE_DECISIONS.search(path.read_text(encoding="utf-8"))] if match]
    assert found == []


def test_the_readme_is_a_guide_of_at_most_30_kb() -> None:
    """Issue 30, item 10: the reference is in docs/; the README stays a guide."""
    assert (ROOT / "README.md").stat().st_size <= 30_000


def test_the_good_run_statuses_are_one_set() -> None:
    """queries/is_good_run.sql is what the views count as a whole snapshot; ingest, which
    runs before the views exist, keeps the same set in BOUNDARY_STATUSES."""
    import duckdb

    from pricewatch.warehouse.ingest import BOUNDARY_STATUSES

    con = duckdb.connect()
    con.execute(queries._files()["is_good_run"])
    statuses = ("ok", "partial", "unchanged", "failed", "suspect", "skipped", "duplicate",
                "spooled")
    good = {s for s in statuses if con.execute("SELECT is_good_run(?)", [s]).fetchone()[0]}
    assert good == set(BOUNDARY_STATUSES)


def test_parse_does_not_depend_on_the_folder_it_runs_in(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """A pricewatch.duckdb in the working directory used to change `parse`'s output (the
    provider directory read from it); now only an explicit --db is read."""
    from pricewatch.pipeline import run as pipeline
    from pricewatch.settings import load_settings

    body = json.loads(fixture_path(
        "openrouter", "endpoints-google-gemini-2.5-pro-preview-2025-05-23.json").read_text())
    for endpoint in body["data"]["endpoints"]:
        del endpoint["tag"]  # an older capture: routes keyed by the provider directory
    capture = tmp_path / "endpoints.json"
    capture.write_text(json.dumps(body))
    capture = str(capture)
    empty = tmp_path / "empty"
    empty.mkdir()
    monkeypatch.chdir(empty)
    alone = runner.invoke(app, ["parse", "openrouter.endpoints", capture,
                                "--observed-at", "2026-08-15T00:00:00Z"])
    here = tmp_path / "here"
    here.mkdir()
    monkeypatch.chdir(here)
    pipeline.ingest_body(load_settings(db_path=here / "pricewatch.duckdb"),
                         "openrouter.providers",
                         fixture_path("openrouter", "providers-2026-05-07.json").read_bytes(),
                         datetime(2026, 5, 7, tzinfo=UTC), "providers.json")
    beside = runner.invoke(app, ["parse", "openrouter.endpoints", capture,
                                 "--observed-at", "2026-08-15T00:00:00Z"])
    named = runner.invoke(app, ["parse", "openrouter.endpoints", capture, "--db",
                                str(here / "pricewatch.duckdb"),
                                "--observed-at", "2026-08-15T00:00:00Z"])
    assert alone.exit_code == beside.exit_code == named.exit_code == 0, beside.output
    assert beside.stdout == alone.stdout
    assert named.stdout != alone.stdout  # --db: the directory keys the routes


def test_every_setting_is_documented() -> None:
    """Each setting (`section.key`) is named in the README or docs/: as `section.key`, or as
    `key` (in backticks, or `key = ` in a TOML example) within 15 lines of its section's
    name (`[section]`)."""
    from pydantic import BaseModel

    text = "\n".join(path.read_text(encoding="utf-8")
                     for path in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))])
    lines = text.splitlines()

    def named(section: str, key: str) -> bool:
        dotted = f"{section}.{key}" if section else key
        if re.search(rf"`{re.escape(dotted)}[` ]|^{re.escape(dotted)} = |^\[\[{dotted}\]\]",
                     text, re.M):
            return True
        for at, line in enumerate(lines):
            if f"`{key}`" in line or line.startswith(f"{key} = "):
                near = "\n".join(lines[max(0, at - 15):at + 1])
                if f"[{section}]" in near or f"`{section}." in near:
                    return True
        return False

    missing = []
    for name, field in Settings.model_fields.items():
        kind = field.annotation
        if isinstance(kind, type) and issubclass(kind, BaseModel):
            missing += [f"{name}.{key}" for key in kind.model_fields if not named(name, key)]
        elif not named("", name):
            missing.append(name)
    assert missing == [], missing


def test_the_command_reference_is_printed_from_the_commands() -> None:
    """docs/cli.md is what the commands say of themselves; every command has a section."""
    from pricewatch.cli import docs

    text = docs.page()
    assert (ROOT / "docs" / "cli.md").read_text(encoding="utf-8") == text, \
        "docs/cli.md is stale: python -m pricewatch.cli.docs --write"
    for command in app.registered_commands:
        name = command.name or command.callback.__name__.replace("_", "-")
        assert f"## `pricewatch {name}" in text, name
    assert "## `pricewatch db upgrade`" in text and "## `pricewatch backfill git REPO`" in text


# and the record models (pydantic models built at import, ~10 ms): reads never make a record;
# stamina (9 ms) only where a fetch retries
HEAVY = ("bs4", "httpx", "pyarrow", "jinja2", "apprise", "apscheduler", "pricewatch.records",
         "stamina")
READS = (["status", "--help"], ["status"], ["history", "openai/gpt-4o-mini"], ["changes"],
         ["cheapest"], ["sql", "SELECT 1"], ["alerts"], ["budget", "openai/gpt-4o-mini"],
         ["compare", "openai/gpt-4o-mini"], ["router-config"], ["db", "info"])


def test_read_commands_import_nothing_they_do_not_use(tmp_path: Path) -> None:
    """Issue 32: every command paid for the collectors, the pipeline and the outputs at
    start-up (bs4, httpx, pyarrow, jinja2). A read command imports none of them; what
    fetches, ingests or renders imports them where it runs. Checked in a fresh process per
    command: `sys.modules` after the command ran."""
    from helpers import ingest_catalogues

    db = str(ingest_catalogues(tmp_path / "w.duckdb", ["2026-05-07"]))
    probe = ("import sys\nfrom pricewatch.cli.main import app\n"
             "try:\n    app(sys.argv[1:], prog_name='pricewatch')\nexcept SystemExit:\n"
             "    pass\n"
             f"print('HEAVY', [m for m in {HEAVY!r} if m in sys.modules], file=sys.stderr)\n")
    loaded = {}
    for args in READS:
        done = subprocess.run([sys.executable, "-c", probe, *args,
                               *([] if "--help" in args else ["--db", db])],
                              capture_output=True, text=True, cwd=tmp_path)
        line = next(x for x in done.stderr.splitlines() if x.startswith("HEAVY"))
        loaded[" ".join(args)] = line.removeprefix("HEAVY ")
    assert loaded == {" ".join(args): "[]" for args in READS}
    # and what needs them still gets them
    done = subprocess.run([sys.executable, "-c", probe, "sources"], capture_output=True,
                          text=True, cwd=tmp_path)
    assert "'bs4'" in done.stderr and "openrouter.models" in done.stdout


def test_each_provider_is_a_package_with_its_settings_section() -> None:
    """Issue 30, item 7: every provider's settings class lived in the root settings.py
    and records.PROVIDERS repeated collectors.PROVIDERS. Now the packages are found from
    records.PROVIDERS (a folder of collectors/ left out of it is caught here), and each
    one's section of Settings is the class in its own settings.py."""
    from pricewatch import collectors, records

    folders = sorted(p.parent.name for p in (PACKAGE / "collectors").glob("*/__init__.py"))
    assert folders == sorted(records.PROVIDERS)
    assert [p.__name__ for p in collectors.PROVIDERS] == [
        f"pricewatch.collectors.{name}" for name in records.PROVIDERS]
    for name in records.PROVIDERS:
        section = Settings.model_fields[name].annotation
        assert section.__module__ == f"pricewatch.collectors.{name}.settings", name

"""The warehouse on DuckLake: `--db ducklake:postgres:CONNINFO` or `ducklake:sqlite:PATH`.

DuckLake keeps the catalog in PostgreSQL (or SQLite) and the data as Parquet files under
`ducklake.data_path`, so several processes on several hosts write and read one warehouse.
What differs from a file, and where it is handled:

- No locks: writers are optimistic, and a commit that conflicts with one made since the
  transaction began fails. `db.in_transaction` retries such a unit of work whole (bounded,
  jittered); `db.take_ids` makes every history writer update one counter row, so any two
  concurrent runs conflict and the retried one sees the other's rows: runs are serial, their
  ids grow in commit order (the outbox and incremental exports rely on that), and no two
  writers can take one id. DuckLake has no sequences and no keys.
- Extensions: the `pricewatch[ducklake]` extra installs the signed ducklake, postgres and
  sqlite extension binaries as wheels (duckdb 1.5.5 only); they are loaded by path, offline.
  Any other duckdb installs them from DuckDB's repository, which needs the network.
- Secrets: a `password=` in the conninfo is taken out before ATTACH and handed to DuckDB as
  an unnamed postgres secret, so it is never in `duckdb_databases()`, an error or a log line
  (`PGPASSWORD` and `~/.pgpass` work as for any libpq client).
- Object storage: an `s3://` data path is read and written by DuckDB's httpfs (a wheel of
  the extra too), with credentials from the AWS SDK's environment variables.
- Raw bodies go to a folder beside the data (`<data_path>.archive`, or
  `ducklake.archive_path`), not inside it: DuckLake's orphan-file cleanup deletes files in
  the data path that its catalog does not list.
"""

from __future__ import annotations

import importlib
import os
import re
import shlex
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import duckdb

from pricewatch.errors import WarehouseError

PREFIX = "ducklake:"
CATALOGS = {"postgres": "postgres_scanner", "sqlite": "sqlite_scanner"}  # kind -> extension
# The wheel that carries each extension's binary (`pricewatch[ducklake]`).
WHEELS = {"ducklake": "duckdb_extension_ducklake",
          "postgres_scanner": "duckdb_extension_postgres_scanner",
          "sqlite_scanner": "duckdb_extension_sqlite_scanner",
          "httpfs": "duckdb_extension_httpfs"}
_PASSWORD = re.compile(r"(password\s*=\s*)('(?:[^'\\]|\\.)*'|\S+)", re.IGNORECASE)


class LakeError(WarehouseError):
    """A DuckLake target that cannot be used as written (exit 3, like a locked file)."""


@dataclass(frozen=True)
class Lake:
    """One DuckLake warehouse: its catalog (`postgres:dbname=… host=…`, `sqlite:PATH`),
    where its data files go, and the password taken out of the conninfo, if any."""

    kind: str
    catalog: str
    data_path: str | None = None
    archive_path: str | None = None
    password: str | None = None

    @property
    def label(self) -> str:
        """What status, logs and errors show: the catalog without any secret."""
        return f"{PREFIX}{self.kind}:{self.catalog}"

    @property
    def archive(self) -> Path:
        """The body archive folder: configured, or beside the data path."""
        if self.archive_path:
            archive = Path(self.archive_path).expanduser().absolute()
            if self.data_path and "://" not in self.data_path and \
                    archive.is_relative_to(Path(self.data_path)):
                raise LakeError(f"ducklake.archive_path {archive} is inside the lake's data "
                                "path, where DuckLake's cleanup deletes files its catalog "
                                "does not list: put the raw bodies beside it")
            return archive
        if not self.data_path:
            raise LakeError(f"{self.label}: set ducklake.data_path (where the lake's files "
                            "go) or ducklake.archive_path (where raw bodies go)")
        if "://" in self.data_path:
            raise LakeError(f"{self.label}: raw bodies are written to a filesystem folder; "
                            f"with data_path {self.data_path} set ducklake.archive_path to a "
                            "local or mounted folder")
        return Path(self.data_path.rstrip("/") + ".archive").absolute()


def parse(target: str, data_path: str | None = None,
          archive_path: str | None = None) -> Lake:
    """`ducklake:postgres:CONNINFO` or `ducklake:sqlite:PATH` as a Lake; the error names
    the forms, never the password."""
    rest = str(target).removeprefix(PREFIX)
    kind, _, catalog = rest.partition(":")
    if kind not in CATALOGS or not catalog.strip():
        raise LakeError(f"database {redact(str(target))!r} is not a DuckLake target: use "
                        "ducklake:postgres:'dbname=NAME host=HOST' or ducklake:sqlite:PATH")
    password = None
    if kind == "postgres" and re.match(r"postgres(ql)?:", catalog.strip()):
        raise LakeError("write the lake's PostgreSQL connection as key=value pairs, "
                        "ducklake:postgres:'dbname=NAME host=HOST user=USER', not as a "
                        "postgresql:// URI (the setting is read as a path, which folds `//`)")
    if kind == "postgres":
        found = _PASSWORD.search(catalog)
        if found:
            password = _unquote(found[2])
            catalog = " ".join(_PASSWORD.sub("", catalog).split())
    else:
        catalog = str(Path(catalog).expanduser().absolute())
    if data_path and "://" not in data_path:
        data_path = str(Path(data_path).expanduser().absolute()) + "/"
    return Lake(kind, catalog, data_path, archive_path, password)


def _unquote(value: str) -> str:
    if value.startswith("'"):
        return shlex.split(value)[0]
    return value


# libpq's words for a catalog that is down, restarting or out of reach for now; "does not
# exist" or a refused login are settings to fix, not a wait.
_UNREACHABLE = re.compile(r"connection refused|could not connect|timeout expired|timed out|"
                          r"server closed the connection|starting up|shutting down|"
                          r"in recovery mode|terminating connection|"
                          r"no connection to the server|could not (?:send|receive) data|"
                          r"connection reset|broken pipe|SSL SYSCALL error|"
                          r"could not translate host name|no route to host|"
                          r"network is unreachable|too many clients", re.IGNORECASE)


def is_unreachable(error: BaseException) -> bool:
    """Whether the catalog cannot be reached right now, at attach or mid-work (a restart)."""
    return bool(_UNREACHABLE.search(str(error)))


def explain(error: BaseException, lake: Lake) -> str:
    """DuckDB's attach error in the words of pricewatch's settings, without a password."""
    text = redact(str(error))
    if "data_path is not set" in text:
        return (f"{lake.label} holds no lake yet, and a new lake needs a folder for its "
                "files: set ducklake.data_path (PRICEWATCH_DUCKLAKE__DATA_PATH, or "
                "--data-path for db migrate-to)")
    return f"cannot open the lake {lake.label}: {text}"


def is_attach_race(error: BaseException) -> bool:
    """An ATTACH that met another process at work: creating the lake's catalog tables at
    the same time, or (SQLite) writing the catalog at that moment. Worth another try."""
    text = str(error)
    return "database is locked" in text or ("Failed to initialize DuckLake" in text and (
        "already exists" in text or "duplicate key" in text))


_URI_PASSWORD = re.compile(r"(postgres(?:ql)?:/+[^:/@\s]*:)[^@\s]*@", re.IGNORECASE)


def redact(text: str) -> str:
    """`text` with any `password=…` (or a URI's `user:password@`) replaced: for messages
    built from a target or from DuckDB's errors."""
    return _URI_PASSWORD.sub(r"\1***@", _PASSWORD.sub(r"\1***", text))


def extension_paths(version: str | None = None) -> dict[str, Path]:
    """The extension binaries the installed wheels carry for this duckdb, by name."""
    version = version or duckdb.__version__
    found = {}
    for name, module in WHEELS.items():
        try:
            package = importlib.import_module(module)
        except ImportError:
            continue
        path = Path(package.__file__).parent / "extensions" / f"v{version}" / \
            f"{name}.duckdb_extension"
        if path.is_file():
            found[name] = path
    return found


def load_extensions(con: duckdb.DuckDBPyConnection, kind: str) -> None:
    """LOAD ducklake and the catalog's extension: from the wheels when they match this
    duckdb, else installed from DuckDB's repository (online)."""
    wheels = extension_paths()
    for name in ("ducklake", CATALOGS[kind]):
        try:
            if name in wheels:
                con.execute(f"LOAD '{wheels[name]}'")
            else:
                con.execute(f"INSTALL {name}")
                con.execute(f"LOAD {name}")
        except duckdb.Error as error:
            raise LakeError(
                f"DuckLake needs DuckDB's {name} extension, which could not be loaded: "
                "`pip install 'llm-pricewatch[ducklake]'` installs it with the duckdb it "
                f"was built for; this duckdb, {duckdb.__version__}, would install it from "
                f"DuckDB's repository, which needs the network ({error})"
            ) from None
    if "httpfs" in wheels:  # for an s3:// data path; else DuckDB autoloads it when needed
        con.execute(f"LOAD '{wheels['httpfs']}'")


def attach_sql(lake: Lake, alias: str, read_only: bool) -> str:
    """The ATTACH statement (no secret in it)."""
    options = ["READ_ONLY"] if read_only else []
    if lake.data_path and not read_only:
        options.append(f"DATA_PATH {_literal(lake.data_path)}")
    clause = f" ({', '.join(options)})" if options else ""
    return f"ATTACH {_literal(PREFIX + lake.kind + ':' + lake.catalog)} AS {alias}{clause}"


def secret_sql(lake: Lake) -> str | None:
    """An unnamed, in-memory postgres secret holding the password, if one was given."""
    if lake.password is None:
        return None
    return f"CREATE OR REPLACE SECRET (TYPE postgres, PASSWORD {_literal(lake.password)})"


def s3_secret_sql(environ: Mapping[str, str] = os.environ) -> str | None:
    """An unnamed, in-memory S3 secret from the AWS SDK's variables, for an `s3://` data
    path: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, AWS_REGION (or
    AWS_DEFAULT_REGION), and AWS_ENDPOINT_URL_S3 (or AWS_ENDPOINT_URL) for an S3-compatible
    store such as MinIO or R2 (path-style URLs). None without a key id."""
    if not environ.get("AWS_ACCESS_KEY_ID"):
        return None
    options = {"KEY_ID": environ["AWS_ACCESS_KEY_ID"],
               "SECRET": environ.get("AWS_SECRET_ACCESS_KEY", ""),
               "SESSION_TOKEN": environ.get("AWS_SESSION_TOKEN"),
               "REGION": environ.get("AWS_REGION") or environ.get("AWS_DEFAULT_REGION")}
    endpoint = environ.get("AWS_ENDPOINT_URL_S3") or environ.get("AWS_ENDPOINT_URL")
    flags = ""
    if endpoint:
        url = urlsplit(endpoint)
        options |= {"ENDPOINT": url.netloc or url.path, "URL_STYLE": "path"}
        flags = f", USE_SSL {'false' if url.scheme == 'http' else 'true'}"
    listed = ", ".join(f"{key} {_literal(value)}" for key, value in options.items() if value)
    return f"CREATE OR REPLACE SECRET (TYPE s3, {listed}{flags})"


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"

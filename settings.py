"""Configuration: defaults here, then `pricewatch.toml` (or `--config`), then `PRICEWATCH_*`.

Every default carries its reason. Secrets (API keys) are read from the environment only and
are never written to the database, the archive or a log line.
"""

from __future__ import annotations

import os
import re
from contextvars import ContextVar
from pathlib import Path
from typing import Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from pricewatch.collectors.aider.settings import AiderSettings
from pricewatch.collectors.lmarena.settings import LmarenaSettings
from pricewatch.collectors.nscale.settings import NscaleSettings
from pricewatch.collectors.openrouter.settings import OpenRouterSettings
from pricewatch.collectors.vertex.settings import VertexSettings
from pricewatch.errors import PricewatchError

DEFAULT_CONFIG_FILE = Path("pricewatch.toml")
# The newest format every DuckDB from 1.4 reads (1.4 is what MotherDuck and dashboard drivers
# bundle); 2.0 writes "latest" by default, which no 1.x client opens.
DEFAULT_STORAGE_VERSION = "v1.4.0"


class SettingsError(PricewatchError):
    """A configuration value that cannot be used; names the key and the expected form."""


class FetchSettings(BaseModel):
    """The fetch layer's defaults: polite first, then fast enough."""

    model_config = ConfigDict(extra="forbid")

    connect_timeout_s: float = Field(10.0, gt=0, description="TCP/TLS connect, per attempt.")
    read_timeout_s: float = Field(30.0, gt=0, description="Longest silence while reading.")
    total_timeout_s: float = Field(
        120.0, gt=0, description="One attempt from request to last byte; a slow drip of "
                                 "bytes cannot hold a run for longer.")
    max_body_bytes: int = Field(
        32 * 1024 * 1024, gt=0, description="Response size cap. The OpenRouter catalogue is "
                                            "about 0.7 MB; anything near 32 MB is not a price "
                                            "list.")
    attempts: int = Field(4, ge=1, le=10, description="Initial request + 3 retries, transient "
                                                      "failures only.")
    backoff_initial_s: float = Field(0.5, ge=0, description="First retry wait (jittered, "
                                                            "doubling).")
    backoff_max_s: float = Field(30.0, ge=0, description="Longest single backoff wait.")
    retry_after_max_s: float = Field(
        120.0, ge=0, description="A server's Retry-After is honoured up to this; a longer "
                                 "one fails the request instead of stalling the sweep.")
    per_host_concurrency: int = Field(2, ge=1, le=32, description="Requests in flight per "
                                                                  "host.")
    min_request_interval_s: float = Field(
        0.2, ge=0, description="Spacing between request starts to one host (5 per second): "
                               "a 350-model endpoint sweep takes about 70 s.")
    contact_url: str | None = Field(
        None, description="Put in the User-Agent so a provider can reach the operator.")


class ViewSettings(BaseModel):
    """Figures the views use; written into the database (view_settings) with the views."""

    model_config = ConfigDict(extra="forbid")

    mix_input: float = Field(3, ge=0, description="Blend weight of input tokens.")
    mix_output: float = Field(1, ge=0, description="Blend weight of output tokens: 3:1 is a "
                                                  "chat workload that reads more than it writes.")
    cache_share: float = Field(0, ge=0, le=1, description="Share of input tokens served from "
                                                          "cache at the cache-read price.")
    long_context_tokens: int = Field(128_000, gt=0, description="Context length from which an "
                                                               "offer is long-context.")
    drop_pct: float = Field(5, gt=0, description="Alert on a price drop of at least this %.")
    rise_pct: float = Field(10, gt=0, description="Alert on a price rise of at least this %.")
    failing_runs: int = Field(3, ge=1, description="Alert when a source failed or was suspect "
                                                   "this many runs in a row.")
    identity_overrides: Path | None = Field(
        None, description="TOML file of [[override]] provider/model/canonical_model rows for "
                          "what the identity rules cannot decide.")

    @model_validator(mode="after")
    def _some_mix(self) -> ViewSettings:
        if self.mix_input + self.mix_output <= 0:
            raise ValueError("mix_input + mix_output must be above 0")
        return self


class ChannelSettings(BaseModel):
    """Where alerts go: an Apprise URL or a signed JSON webhook, with filters."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_.-]+$")
    apprise_url_env: str | None = Field(
        None, description="Environment variable holding the Apprise URL (it embeds tokens).")
    webhook_url: str | None = None
    webhook_secret_env: str | None = Field(
        None, description="Environment variable holding the HMAC-SHA256 signing secret.")
    providers: list[str] = Field(default_factory=list, description="Only these (empty: all).")
    kinds: list[str] = Field(default_factory=list, description="Only these alert kinds.")
    capabilities: list[str] = Field(default_factory=list, description="new_cheapest alerts "
                                                                     "only for these.")
    min_drop_pct: float = Field(0, ge=0, description="Price drops smaller than this are not "
                                                     "sent on this channel.")

    @model_validator(mode="after")
    def _one_target(self) -> ChannelSettings:
        if (self.apprise_url_env is None) == (self.webhook_url is None):
            raise ValueError(f"channel {self.name!r}: set exactly one of apprise_url_env "
                             "and webhook_url")
        return self


class DaemonSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    schedule: dict[str, int | str] = Field(default_factory=dict, description=(
        "Per source: seconds between runs, or a cron expression; overrides the source's own "
        "default (`pricewatch sources` lists them)."))
    jitter_s: int = Field(60, ge=0, description="Random delay added to each run, so sources "
                                                "do not fire in lockstep.")
    misfire_grace_s: int = Field(600, ge=1, description="A run missed by less than this (the "
                                                        "machine slept) still happens.")
    heartbeat_file: Path | None = Field(Path("pricewatch.heartbeat.json"), description=(
        "Written after every run: next run times and failures, for supervisors and status."))
    log_format: str = Field("text", pattern="^(text|json)$")
    export_dir: Path | None = Field(None, description=(
        "Export tables and views here after runs (Parquet): only the months and views the "
        "runs changed, nothing after runs that changed nothing."))
    export_format: str = Field("parquet", pattern="^(parquet|csv)$")
    report_path: Path | None = Field(None, description=(
        "Rewrite this HTML report (as `pricewatch report --out`) after runs that changed a "
        "price or failed: atomically, a browser never sees half a page."))
    alert_retry_max: int = Field(12, ge=1, description="Deliveries tried before a channel's "
                                                       "alert is marked failed.")
    alert_retry_base_s: float = Field(30, gt=0, description="Wait before the first retry of a "
                                                            "failed delivery; doubles each "
                                                            "time, at most an hour.")


class AuditSettings(BaseModel):
    """`pricewatch audit`: where a map given as a URL may come from, and the maps the
    daemon audits on a schedule."""

    model_config = ConfigDict(extra="forbid")

    allowed_hosts: list[str] = Field(
        default_factory=lambda: ["raw.githubusercontent.com", "models.dev"], description=(
            "A map given as a URL must be on one of these hosts (and so must every redirect): "
            "LiteLLM's and genai-prices' raw files on GitHub, models.dev's api.json."))
    maps: dict[str, str] = Field(default_factory=dict, description=(
        "Maps audited on a schedule, by name: a file, a URL or package:NAME. Each audit is "
        "a run of source audit.<name> (map_disagreements, the map_drift alert)."))
    every_h: int = Field(24, ge=1, le=24 * 28, description=(
        "Hours between scheduled audits in the daemon."))

    @field_validator("maps")
    @classmethod
    def _names(cls, value: dict[str, str]) -> dict[str, str]:
        for name in value:
            if not re.fullmatch(r"[a-z0-9][a-z0-9_-]{0,40}", name):
                raise ValueError(f"map name {name!r}: lower-case letters, digits, - and _ "
                                 "(it becomes the source audit.<name>)")
        return value


class DuckLakeSettings(BaseModel):
    """Where a DuckLake warehouse (`db_path = "ducklake:postgres:…"`) keeps its files."""

    model_config = ConfigDict(extra="forbid")

    data_path: str | None = Field(None, description=(
        "The lake's Parquet files: a folder every writer and reader can reach (a shared "
        "mount), or `s3://bucket/prefix/` (credentials from the AWS_* variables). Needed when "
        "the lake is created and by the daemon (its spool goes beside it); other commands "
        "read an existing lake's own."))
    archive_path: str | None = Field(None, description=(
        "Raw fetched bodies (what `reparse` replays): default `<data_path>.archive`, a folder "
        "beside the data. Needed when data_path is not a filesystem folder."))


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="PRICEWATCH_",
        env_nested_delimiter="__",
        extra="forbid",
        validate_default=True,
    )

    # text, read once by warehouse/target.py: a Path would fold the `//` of a conninfo
    db_path: str = Field(
        default="pricewatch.duckdb", min_length=1,
        description="DuckDB file holding the archive, the history and the views; or a "
                    "DuckLake: `ducklake:postgres:dbname=NAME host=HOST` (several hosts) or "
                    "`ducklake:sqlite:PATH` (several processes on one host, one writing at "
                    "a time), with [ducklake] data_path.",
    )
    ducklake: DuckLakeSettings = Field(default_factory=DuckLakeSettings)
    lock_timeout_s: float = Field(
        default=60.0, ge=0,
        description="How long a command waits for another process to release the database "
                    "file before it fails (0: one attempt). DuckDB allows one writer; a "
                    "sweep's write takes well under a second, so a minute covers a busy "
                    "reader or a reparse. The daemon never waits: a run that meets the lock "
                    "keeps its bodies in the spool until the file is free.",
    )
    suspect_ratio: float = Field(
        default=0.5, gt=0, le=1,
        description="A run with fewer records than this share of the previous good run of "
                    "the same source is suspect: archived, reported, and it writes no history "
                    "(a changed page layout must not mark models as gone).",
    )
    fetch: FetchSettings = Field(default_factory=FetchSettings)
    openrouter: OpenRouterSettings = Field(default_factory=OpenRouterSettings)
    nscale: NscaleSettings = Field(default_factory=NscaleSettings)
    vertex: VertexSettings = Field(default_factory=VertexSettings)
    aider: AiderSettings = Field(default_factory=AiderSettings)
    lmarena: LmarenaSettings = Field(default_factory=LmarenaSettings)
    views: ViewSettings = Field(default_factory=ViewSettings)
    daemon: DaemonSettings = Field(default_factory=DaemonSettings)
    audit: AuditSettings = Field(default_factory=AuditSettings)
    channels: list[ChannelSettings] = Field(default_factory=list)
    file_mode: int = Field(
        default=0o600, ge=0, le=0o777,
        description="Permissions of the database file: owner-only unless configured.",
    )
    storage_version: str = Field(
        default=DEFAULT_STORAGE_VERSION, pattern=r"^(v\d+\.\d+\.\d+|latest)$",
        description="DuckDB storage format of a new database file: v1.4.0 opens in every "
                    "DuckDB client from 1.4 on (the CLI, Python, MotherDuck, dashboard "
                    "drivers); `latest` only in the DuckDB that wrote it and newer. "
                    "`pricewatch db upgrade` converts an existing file.",
    )

    @field_validator("db_path", mode="before")
    @classmethod
    def _path_as_text(cls, value: Any) -> Any:
        return os.fspath(value) if isinstance(value, os.PathLike) else value


class _TomlFile(TomlConfigSettingsSource):
    """TOML source whose file is chosen at run time (`--config`)."""


_TOML_FILE: ContextVar[Path | None] = ContextVar("pricewatch_toml_file", default=None)


class _Configured(Settings):
    """Settings from init, the environment and the TOML file `load_settings` chose. One
    class: a class made per call (its file in a closure) cost pydantic ~4 ms each time."""

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        toml_path = _TOML_FILE.get()
        if toml_path is not None:
            sources.append(_TomlFile(settings_cls, toml_file=toml_path))
        return tuple(sources)


def load_settings(config_file: Path | None = None, **overrides: Any) -> Settings:
    """Settings from defaults, TOML, environment and explicit overrides (highest first wins).

    A missing default `pricewatch.toml` is fine; a missing `--config` file is an error.
    """
    if config_file is not None and not config_file.is_file():
        raise SettingsError(f"config file {config_file} does not exist")
    toml_path = config_file or (DEFAULT_CONFIG_FILE if DEFAULT_CONFIG_FILE.is_file() else None)
    clean = {key: value for key, value in overrides.items() if value is not None}
    chosen = _TOML_FILE.set(toml_path)
    try:
        return _Configured(**clean)
    except ValidationError as error:
        raise SettingsError(_describe(error, toml_path)) from None
    except ValueError as error:  # a TOML syntax error
        raise SettingsError(f"cannot read {toml_path}: {error}") from None
    finally:
        _TOML_FILE.reset(chosen)


def _describe(error: ValidationError, toml_path: Path | None) -> str:
    lines = []
    for problem in error.errors(include_url=False):
        key = ".".join(str(part) for part in problem["loc"])
        env_name = "PRICEWATCH_" + key.upper().replace(".", "__")
        if problem["type"] == "extra_forbidden":
            lines.append(f"unknown setting '{key}'")
        else:
            lines.append(f"setting '{key}' (TOML key {key}, environment {env_name}): "
                         f"{problem['msg']}; got {problem.get('input')!r}")
    origin = f" in {toml_path} or the environment" if toml_path else ""
    return f"invalid configuration{origin}: " + "; ".join(lines)


def secret_from_env(name: str) -> SecretStr | None:
    """A secret read at the moment it is needed; SecretStr keeps it out of reprs and logs."""
    value = os.environ.get(name, "").strip()
    return SecretStr(value) if value else None

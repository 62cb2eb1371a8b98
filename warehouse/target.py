"""Where the warehouse is: the `db_path` setting read once as a `FileTarget` (a DuckDB file)
or a `LakeTarget` (a DuckLake catalog, warehouse/lake.py). What differs between the two —
its name in logs, where raw bodies and spooled runs go, whether it is missing — is asked of
the target, never of the setting's text; opening one is warehouse/db.py's `open_db`."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from pricewatch.settings import Settings
from pricewatch.warehouse import lake as lakes


@dataclass(frozen=True)
class FileTarget:
    """A DuckDB file; its archive and spool folders sit beside it."""

    path: Path  # absolute

    @property
    def label(self) -> str:
        return str(self.path)

    @property
    def short_label(self) -> str:
        return self.path.name

    @property
    def archive(self) -> Path:
        return self.path.with_name(self.path.name + ".archive")

    @property
    def spool(self) -> Path:
        return self.path.with_name(self.path.name + ".spool")

    def missing(self) -> Path | None:
        """The file, when it does not exist: a reader refuses it rather than create an
        empty warehouse at a mistyped path."""
        return None if self.path.exists() else self.path


@dataclass(frozen=True)
class LakeTarget:
    """A DuckLake; its raw bodies go beside its data (or to `ducklake.archive_path`), its
    spooled runs beside the bodies."""

    lake: lakes.Lake

    @property
    def label(self) -> str:
        return self.lake.label

    short_label = label

    @property
    def archive(self) -> Path:
        """The body archive folder; a LakeError says which setting to give when there is
        no local folder to have."""
        return self.lake.archive

    @property
    def spool(self) -> Path:
        try:
            archive = self.lake.archive
        except lakes.LakeError as error:
            raise lakes.LakeError(f"no folder to spool to: {error}") from None
        return archive.with_name(archive.name.removesuffix(".archive") + ".spool")

    def missing(self) -> Path | None:
        return None  # a lake is asked when attached


Target = FileTarget | LakeTarget


def parse_target(text: str | os.PathLike[str], data_path: str | None = None,
                 archive_path: str | None = None) -> Target:
    """`ducklake:…` as a LakeTarget (a LakeError names the forms, never the password),
    anything else as the path of a DuckDB file."""
    text = os.fspath(text)
    if text.startswith(lakes.PREFIX):
        return LakeTarget(lakes.parse(text, data_path, archive_path))
    return FileTarget(Path(text).absolute())


def target_of(settings: Settings) -> Target:
    """The configured warehouse, with a lake's data and archive paths."""
    return parse_target(settings.db_path, settings.ducklake.data_path,
                        settings.ducklake.archive_path)


def label_of(settings: Settings, *, short: bool = False) -> str:
    """The warehouse as logs, manifests and reports name it, never with a password: the
    file's absolute path (`short`: its name), or the lake's catalog; a lake setting that
    does not parse is shown redacted."""
    try:
        target = target_of(settings)
    except lakes.LakeError:
        return lakes.redact(os.fspath(settings.db_path))
    return target.short_label if short else target.label

"""warehouse/target.py: `db_path` (or `--db`) read once as a file or a lake, with what
differs between them. A Path used to hold the lake's conninfo and folded its `//`."""

from __future__ import annotations

from pathlib import Path

import pytest

from pricewatch.cli.app import load
from pricewatch.settings import load_settings
from pricewatch.warehouse.lake import LakeError
from pricewatch.warehouse.target import FileTarget, LakeTarget, label_of, target_of

CONNINFO = "ducklake:postgres:dbname=prices host=db.internal password=se//cret"


def test_a_file_target_keeps_its_folders_beside_it(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    target = target_of(load_settings(db_path="w.duckdb"))
    assert target == FileTarget(tmp_path / "w.duckdb")
    assert (target.archive, target.spool) == (tmp_path / "w.duckdb.archive",
                                              tmp_path / "w.duckdb.spool")
    assert target.missing() == tmp_path / "w.duckdb"
    (tmp_path / "w.duckdb").touch()
    assert target.missing() is None
    assert target_of(load_settings(db_path=tmp_path / "w.duckdb")) == target  # a Path too
    assert (label_of(load_settings()), label_of(load_settings(), short=True)) == (
        str(tmp_path / "pricewatch.duckdb"), "pricewatch.duckdb")


@pytest.mark.parametrize("how", ["setting", "--db"])
def test_a_conninfo_is_kept_as_written(how: str) -> None:
    settings = load_settings(db_path=CONNINFO) if how == "setting" else load(CONNINFO, None)
    target = target_of(settings)
    assert isinstance(target, LakeTarget)
    assert target.lake.password == "se//cret"  # a Path made this `se/cret`
    assert target.label == label_of(settings) == "ducklake:postgres:dbname=prices host=db.internal"
    assert target.missing() is None


def test_a_lake_without_a_folder_says_which_setting_to_give(tmp_path: Path) -> None:
    bare = target_of(load_settings(db_path=CONNINFO))
    with pytest.raises(LakeError, match=r"no folder to spool to: .*set ducklake\.data_path"):
        _ = bare.spool
    placed = target_of(load_settings(db_path=CONNINFO,
                                     ducklake={"data_path": str(tmp_path / "data")}))
    assert (placed.archive, placed.spool) == (tmp_path / "data.archive",
                                              tmp_path / "data.spool")


def test_a_lake_setting_that_does_not_parse_is_named_without_its_password() -> None:
    settings = load_settings(db_path="ducklake:mysql:host=h password=hunter2")
    with pytest.raises(LakeError, match="not a DuckLake target"):
        target_of(settings)
    assert "hunter2" not in label_of(settings)

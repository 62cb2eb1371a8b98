"""The view reference, docs/VIEWS.md, printed from queries/reference.toml (the same file the
COMMENT ON statements come from): a table of the views, then every column of each.

    python -m pricewatch.queries.docs           # print it
    python -m pricewatch.queries.docs --write   # rewrite docs/VIEWS.md
"""

from __future__ import annotations

import sys
from pathlib import Path

import duckdb

from pricewatch import queries

ROOT = Path(__file__).resolve().parents[1]


def columns_of_views() -> dict[str, list[str]]:
    """Every view's columns, from views installed in a scratch in-memory database."""
    from pricewatch.settings import load_settings
    from pricewatch.warehouse.db import migrate

    con = duckdb.connect(":memory:")
    migrate(con)
    settings = load_settings(db_path=Path("unused.duckdb"))
    for name in queries.VIEWS:
        con.execute(queries.view_sql(name))
    con.execute("INSERT INTO view_settings SELECT * FROM (VALUES " + ", ".join(
        f"('{k}', '{v}')" for k, v in queries.view_settings(settings).items()) + ")")
    return queries.view_columns(con)


def cell(text: str) -> str:
    return text.replace("|", "\\|")


def views_table(columns: dict[str, list[str]]) -> str:
    docs = queries.reference()
    lines = ["| view | what it answers | columns |", "| --- | --- | --- |"]
    for view, names in columns.items():
        lines.append(f"| `{view}` | {cell(docs['views'][view]['about'])} | "
                     f"{', '.join(names)} |")
    return "\n".join(lines)


def views_page(columns: dict[str, list[str]]) -> str:
    docs = queries.reference()
    parts = ["# Views: every column", "",
             "Generated from `queries/reference.toml` by `python -m pricewatch.queries.docs "
             "--write`; the same text is in the database as `COMMENT ON` (`SELECT table_name, "
             "column_name, comment FROM duckdb_columns()`).", "", views_table(columns), ""]
    for view, names in columns.items():
        parts += [f"## `{view}`", "", docs["views"][view]["about"], "",
                  "| column | meaning |", "| --- | --- |"]
        parts += [f"| `{name}` | {cell(queries.column_doc(docs, view, name))} |"
                  for name in names]
        parts.append("")
    return "\n".join(parts)


def main() -> None:
    page = views_page(columns_of_views())
    if "--write" not in sys.argv:
        print(page)
        return
    (ROOT / "docs" / "VIEWS.md").write_text(page, encoding="utf-8")


if __name__ == "__main__":
    main()

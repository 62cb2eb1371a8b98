"""SQL a user types (`pricewatch sql`): one SELECT over the warehouse, nothing else.

The query runs on a DuckDB instance of its own with the warehouse attached read-only and
then locked down (warehouse.db.lock_down: no file, network or extension access, no
secrets, configuration locked). Before that, the text itself is checked here, so a refusal
is one clear line: one statement, a SELECT (DESCRIBE, SHOW, SUMMARIZE and VALUES are
SELECTs), no function that runs SQL elsewhere or reads outside the warehouse, and no
catalog but the warehouse's (a lake's metadata catalog is the catalog server itself).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import duckdb

from pricewatch.errors import InputError

# Functions that run SQL elsewhere or read what is not the warehouse; refused by name even
# though the locked-down instance would refuse most of them too.
REFUSED_FUNCTIONS = re.compile(
    r"^(?:postgres_|mysql_|sqlite_|ducklake_|iceberg_|delta_|read_|glob$|query$|"
    r"query_table$|sniff_csv$|parquet_|httpfs_|getenv$|load_aws_credentials$|which_secret$)",
    re.IGNORECASE)
ALLOWED_CATALOGS = {"", "pricewatch", "system", "temp", "memory"}


def check(con: duckdb.DuckDBPyConnection, sql: str) -> None:
    """Refuse (InputError, exit 1) what is not one SELECT over the warehouse."""
    try:
        statements = con.extract_statements(sql)
    except duckdb.Error as error:
        raise InputError(f"query failed: {error}") from None
    if len(statements) != 1:
        raise InputError(f"sql runs one statement; this text has {len(statements)}")
    kind = statements[0].type
    if kind != duckdb.StatementType.SELECT:
        raise InputError(f"sql runs one SELECT (read-only); this is {kind.name}")
    tree = json.loads(con.execute("SELECT json_serialize_sql(?)", [sql]).fetchone()[0])
    if tree.get("error"):
        raise InputError(f"query failed: {tree.get('error_message', 'cannot be read')}")
    for node in _nodes(tree):
        name = node.get("function_name")
        if isinstance(name, str) and REFUSED_FUNCTIONS.match(name):
            raise InputError(f"sql reads the warehouse only: {name}() is not allowed")
        catalog = node.get("catalog_name")
        if node.get("type") == "BASE_TABLE" and isinstance(catalog, str) \
                and catalog.lower() not in ALLOWED_CATALOGS:
            raise InputError(f"sql reads the warehouse only: catalog {catalog!r} is not it")


def _nodes(value: Any) -> Iterator[dict[str, Any]]:
    if isinstance(value, dict):
        yield value
        for item in value.values():
            yield from _nodes(item)
    elif isinstance(value, list):
        for item in value:
            yield from _nodes(item)

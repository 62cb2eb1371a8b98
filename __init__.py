"""pricewatch: LLM inference prices and availability, with their full history, in DuckDB.

The repository root is this package (see pyproject.toml): `pricewatch.collectors` fetch and
parse, `pricewatch.warehouse` stores (the only writer), `pricewatch.queries` holds the SQL
views, `pricewatch.scheduler` and `pricewatch.cli` sit on top.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("llm-pricewatch")
except PackageNotFoundError:  # pragma: no cover - imported from a source tree
    __version__ = "0+unknown"

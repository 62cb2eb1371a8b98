"""pricewatch: LLM inference prices and availability, with their full history, in DuckDB.

The repository root is this package (see pyproject.toml): `pricewatch.collectors` fetch and
parse, `pricewatch.warehouse` stores (the only writer), `pricewatch.queries` holds the SQL
views, `pricewatch.scheduler` and `pricewatch.cli` sit on top.
"""



def __getattr__(name: str) -> str:
    """`__version__` from the installed distribution, looked up when asked: importlib.metadata
    costs ~40 ms, which every command paid at start-up though only --version and the report
    read it."""
    if name != "__version__":
        raise AttributeError(f"module 'pricewatch' has no attribute {name!r}")
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("llm-pricewatch")
    except PackageNotFoundError:  # pragma: no cover - imported from a source tree
        return "0+unknown"

"""The DuckDB warehouse: schema, connections, archive and SCD2 ingest (the only writer)."""

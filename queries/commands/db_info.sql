-- `pricewatch db info`: the schema version and how many views the warehouse holds.
SELECT (SELECT max(version) FROM schema_migrations) AS schema_version,
       (SELECT count(*) FROM duckdb_views()
        WHERE NOT internal AND database_name = current_database()) AS views

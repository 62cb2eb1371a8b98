-- The views `pricewatch export` writes: every view of the warehouse's own schema.
SELECT view_name FROM duckdb_views()
WHERE NOT internal AND database_name = current_database() AND schema_name = 'main'
ORDER BY view_name

"""What is made from the warehouse for people and other programs, each reading the views
only: `alerts` (the outbox and its delivery), `exports` (Parquet/CSV for dashboards),
`cost` (a usage log priced at historical prices) and `report` (one HTML page)."""

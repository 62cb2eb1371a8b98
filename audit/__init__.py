"""`pricewatch audit`: community price maps (LiteLLM, tokencost, models.dev) checked against
the providers' own figures in the warehouse. maps.py reads a map (pure), compare.py runs the
comparison (queries/commands/audit.sql) and counts it per map."""

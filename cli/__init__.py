"""The `pricewatch` command line (typer + rich)."""

"""`python -m pricewatch` runs the `pricewatch` command."""

from pricewatch.cli.main import app

app(prog_name="pricewatch")

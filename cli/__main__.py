"""`python -m cli` runs the `pricewatch` command (used where the console script is absent)."""

from cli.main import app

app(prog_name="pricewatch")

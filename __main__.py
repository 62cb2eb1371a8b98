"""`python -m pricewatch` runs the `pricewatch` command."""

from pricewatch.cli.main import main

main()

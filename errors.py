"""The errors pricewatch raises on purpose. Each names what was wrong and where it came from.

The CLI maps a `PricewatchError` to one line on stderr and an exit code a script can trust
(1 bad input or a failed run, 2 usage, 3 database unavailable); any other exception is a bug
and exits 70 with its traceback, so a bug never looks like bad input.
"""

from __future__ import annotations


class PricewatchError(Exception):
    """Base of every expected failure: bad input, a failed run, an unusable setting."""

    exit_code = 1


class InputError(PricewatchError):
    """A file, argument or name that cannot be used as given (a missing file, an unknown
    model or capability)."""


class UsageError(PricewatchError):
    """A command called wrongly: a missing or malformed option (exit 2, like click's)."""

    exit_code = 2

"""The errors pricewatch raises on purpose: one tree, each class carrying its exit code.

The CLI maps a `PricewatchError` to one line on stderr and its `exit_code`, which a script
can trust: 1 bad input or a failed run, 2 usage, 3 database unavailable. Any other exception
is a bug and exits `EXIT_BUG` (70) with its traceback, so a bug never looks like bad input.
Errors that carry behaviour of their layer (a fetch's fault kind, a record's line) are
defined beside it, on a class of this tree; tests/test_package.py checks that every
exception class in the package is a `PricewatchError`.
"""

from __future__ import annotations

EXIT_BUG = 70


class PricewatchError(Exception):
    """Base of every expected failure: bad input, a failed run, an unusable setting."""

    exit_code = 1


class InputError(PricewatchError):
    """A file, argument or name that cannot be used as given (a missing file, an unknown
    model or capability)."""


class UsageError(PricewatchError):
    """A command called wrongly: a missing or malformed option (exit 2, like click's)."""

    exit_code = 2


class WarehouseError(PricewatchError):
    """A problem with the warehouse itself (locked, newer schema, unreadable, a lake target
    that cannot be used, an archive that cannot give a body back)."""

    exit_code = 3


class DatabaseLocked(WarehouseError):
    """Another process held the file for longer than the configured wait."""


class WriteConflict(DatabaseLocked):
    """A DuckLake commit that kept conflicting with other writers' past the retries: like a
    lock held too long, the daemon keeps the run's bodies in the spool and tries again."""


class WarehouseUnavailable(DatabaseLocked):
    """A lake whose catalog cannot be reached right now (PostgreSQL down or restarting):
    like a file held by another process, a command exits 3 and the daemon spools."""

"""What every parser shares: its typed error, its registration, and run assembly.

Parsers are pure: bytes (and the observation time) in, records out. No I/O, no clock,
no database. The same function reads a live response, a file and an archived body.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from records import AnyRecord, ParseResult, RecordError, parse_jsonl


class ParseError(ValueError):
    """A body the parser cannot read. Names the source (and the URL when known)."""

    def __init__(self, source: str, message: str, url: str | None = None) -> None:
        self.source = source
        self.reason = message
        self.url = url
        where = f"{source} ({url})" if url else source
        super().__init__(f"{where}: {message}")


ParseFn = Callable[[bytes, datetime], list[AnyRecord]]
ScopeFn = Callable[[bytes, str], tuple[str, str] | None]


@dataclass(frozen=True)
class Parser:
    """A named parser. `per_body_scope` marks sweeps: one body per model, each its own scope."""

    name: str
    parse: ParseFn
    description: str
    per_body_scope: ScopeFn | None = None


PARSERS: dict[str, Parser] = {}


def register(parser: Parser) -> Parser:
    PARSERS[parser.name] = parser
    return parser


def get_parser(name: str) -> Parser:
    from collectors import sources  # noqa: F401  (registers every parser)

    try:
        return PARSERS[name]
    except KeyError:
        known = ", ".join(sorted(PARSERS))
        raise ParseError(name, f"unknown source; known sources: {known}") from None


def parse_bodies(name: str, bodies: Sequence[tuple[str, bytes]],
                 observed_at: datetime) -> ParseResult:
    """Parse a run's bodies into one snapshot; never raises for bad input.

    A snapshot source needs its one body to parse. A sweep keeps the bodies that parsed
    (the run is then `partial`) and limits the snapshot's scope to their models.
    """
    parser = get_parser(name)
    if parser.per_body_scope is None:
        if len(bodies) != 1:
            return ParseResult(None, error=f"{name}: expected one body, got {len(bodies)}")
        url, body = bodies[0]
        try:
            return ParseResult(parser.parse(body, observed_at))
        except (ParseError, RecordError) as error:
            return ParseResult(None, error=_with_url(str(error), url))
    records: list[AnyRecord] = []
    scope: set[tuple[str, str]] = set()
    failures: list[str] = []
    for url, body in bodies:
        try:
            parsed = parser.parse(body, observed_at)
            model = parser.per_body_scope(body, url)
        except (ParseError, RecordError) as error:
            failures.append(_with_url(str(error), url))
            continue
        records.extend(parsed)
        if model is not None:
            scope.add(model)
    if not scope and failures:
        return ParseResult(None, error=f"{name}: every body failed; first: {failures[0]}")
    return ParseResult(records, scope_models=scope, partial=bool(failures),
                       warnings=failures[:20] + ([f"... and {len(failures) - 20} more"]
                                                 if len(failures) > 20 else []))


def _with_url(message: str, url: str) -> str:
    return message if url in message else f"{message} [{url}]"


def parse_records_file(body: bytes, observed_at: datetime) -> list[AnyRecord]:
    """The JSON-lines record contract itself, so `parse X f | ingest records -` works."""
    return parse_jsonl(body, source="records")


register(Parser("records", parse_records_file,
                "JSON lines in the record format of `pricewatch parse` (DESIGN.md section 6)"))

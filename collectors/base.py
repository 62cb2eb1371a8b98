"""What every parser shares: its typed error, its registration, and run assembly.

Parsers are pure: bytes (and the observation time) in, records out. No I/O, no clock,
no database. The same function reads a live response, a file and an archived body.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any, NamedTuple

from pydantic import SecretStr

from pricewatch.collectors.fetch import Request
from pricewatch.records import AnyRecord, ParseResult, RecordError, parse_jsonl


class ParseError(ValueError):
    """A body the parser cannot read. Names the source (and the URL when known)."""

    def __init__(self, source: str, message: str, url: str | None = None) -> None:
        self.source = source
        self.reason = message
        self.url = url
        where = f"{source} ({url})" if url else source
        super().__init__(f"{where}: {message}")


class ParseOutput(NamedTuple):
    """Records plus warnings a reader should see (e.g. an unrendered placeholder).

    `suspect` is the parser's own verdict that the body is not what it should be (most of a
    page's tables unreadable): the run is archived and reported and writes no history."""

    records: list[AnyRecord]
    warnings: list[str]
    suspect: str | None = None


def load_json(body: bytes, source: str) -> Any:
    """JSON with every non-integer number as Decimal, so no float ever holds a price."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ParseError(source, f"body is not UTF-8 ({error.reason} at byte {error.start})") \
            from None
    try:
        return json.loads(text, parse_float=Decimal)
    except json.JSONDecodeError as error:
        snippet = body[:60].decode("utf-8", "replace").strip()
        raise ParseError(source, f"body is not JSON ({error.msg} at line {error.lineno}); "
                                 f"starts with {snippet!r}") from None


def to_decimal(value: Any, source: str, where: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
        raise ParseError(source, f"{where}: expected a decimal string, got {value!r}")
    try:
        number = Decimal(value.strip()) if isinstance(value, str) else Decimal(value)
    except InvalidOperation:
        raise ParseError(source, f"{where}: {value!r} is not a number") from None
    if not number.is_finite():
        raise ParseError(source, f"{where}: {value!r} is not a finite number")
    return number


def model_list(body: bytes, source: str) -> list[dict[str, Any]]:
    """The `{"data": [{"id": ...}, ...]}` list that OpenAI-style model APIs answer with."""
    payload = load_json(body, source)
    data = payload.get("data") if isinstance(payload, dict) else None
    if not isinstance(data, list):
        raise ParseError(source, "expected an object with a `data` list of models")
    if not data:
        raise ParseError(source, "the `data` list is empty: no models")
    for index, entry in enumerate(data):
        if not isinstance(entry, dict) or not isinstance(entry.get("id"), str) or not entry["id"]:
            raise ParseError(source, f"data[{index}] has no model id")
    return data


ParseFn = Callable[[bytes, datetime], "list[AnyRecord] | ParseOutput"]
ScopeFn = Callable[[bytes, str], tuple[str, str] | None]
MergeFn = Callable[[list[AnyRecord]], tuple[list[AnyRecord], list[str]]]


@dataclass(frozen=True)
class Parser:
    """A named parser. `per_body_scope` marks sweeps: one body per model, each its own scope.

    `merge_pages` marks a source whose bodies are different pages of one snapshot (a
    pricing page and a partner page): every body is parsed and the merge function joins
    their records into one record per key, reporting contradictions."""

    name: str
    parse: ParseFn
    description: str
    per_body_scope: ScopeFn | None = None
    merge_pages: MergeFn | None = None


PARSERS: dict[str, Parser] = {}


@dataclass(frozen=True)
class PlanContext:
    """What a source's plan may use besides settings: facts the pipeline read beforehand."""

    catalogue: tuple[str, ...] = ()  # model ids a sweep walks
    secrets: Mapping[str, SecretStr] = field(default_factory=dict)


@dataclass(frozen=True)
class Source:
    """A collectable source: which requests one run makes, and the parser of its bodies.

    `sweep` sources fetch one body per model (a failure makes the run partial); the
    others fetch one body, or alternatives of the same content, first good one wins.
    """

    name: str
    provider: str
    description: str
    plan: Callable[[Any, PlanContext], list[Request]]
    secret_env: str | None = None
    sweep: bool = False
    needs_catalogue: str | None = None  # the source whose current models a sweep walks
    # Paginated APIs: the request for the page after this body, or None at the last page.
    next_page: Callable[[Any, Request, bytes], Request | None] | None = None


SOURCES: dict[str, Source] = {}


def register_source(source: Source) -> Source:
    SOURCES[source.name] = source
    return source


def sources_for(selection: Sequence[str]) -> list[Source]:
    """Sources by provider (`openrouter`) or by name (`openrouter.models`), in order."""
    from pricewatch.collectors import sources  # noqa: F401  (registers every source)

    if not selection:
        return list(SOURCES.values())
    chosen = [s for s in SOURCES.values() if s.provider in selection or s.name in selection]
    unknown = [name for name in selection
               if name not in SOURCES and name not in {s.provider for s in SOURCES.values()}]
    if unknown:
        known = sorted({s.provider for s in SOURCES.values()} | set(SOURCES))
        raise ParseError(unknown[0], f"unknown provider or source; known: {', '.join(known)}")
    return chosen


def register(parser: Parser) -> Parser:
    PARSERS[parser.name] = parser
    return parser


def get_parser(name: str) -> Parser:
    from pricewatch.collectors import sources  # noqa: F401  (registers every parser)

    try:
        return PARSERS[name]
    except KeyError:
        known = ", ".join(sorted(PARSERS))
        raise ParseError(name, f"unknown source; known sources: {known}") from None


def run_parser(parser: Parser, body: bytes, observed_at: datetime) -> ParseOutput:
    """Call a parser; every parser's result becomes (records, warnings)."""
    result = parser.parse(body, observed_at)
    return result if isinstance(result, ParseOutput) else ParseOutput(result, [])


def _try_parse(parser: Parser, url: str, body: bytes, observed_at: datetime,
               failures: list[str]) -> ParseOutput | None:
    """One body's output, or None with the reason (naming the URL) added to `failures`."""
    try:
        return run_parser(parser, body, observed_at)
    except (ParseError, RecordError) as error:
        failures.append(_with_url(str(error), url))
        return None


def merge_by_key(records: Iterable[AnyRecord], key: Callable[[AnyRecord], Hashable],
                 value: Callable[[AnyRecord], Hashable],
                 prefer: Callable[[AnyRecord], bool] | None = None,
                 ) -> tuple[list[AnyRecord], list[list[AnyRecord]]]:
    """One record per key. Records of one key that disagree on `value` are all left out and
    returned as a conflict: a source that contradicts itself is trusted for neither figure.
    Otherwise the first record `prefer` accepts is kept, else the first one."""
    groups: dict[Hashable, list[AnyRecord]] = {}
    for record in records:
        groups.setdefault(key(record), []).append(record)
    kept, conflicts = [], []
    for group in groups.values():
        if len({value(r) for r in group}) > 1:
            conflicts.append(group)
            continue
        kept.append(next((r for r in group if prefer is not None and prefer(r)), group[0]))
    return kept, conflicts


def parse_bodies(name: str, bodies: Sequence[tuple[str, bytes]],
                 observed_at: datetime) -> ParseResult:
    """Parse a run's bodies into one snapshot; never raises for bad input.

    A snapshot source's bodies are alternatives (a page and its markdown rendering): the
    first that parses is the snapshot. A sweep keeps every body that parsed (the run is
    `partial` when some did not) and limits the snapshot's scope to their models.
    """
    parser = get_parser(name)
    if not bodies:
        return ParseResult(None, error=f"{name}: no body to parse")
    if parser.per_body_scope is not None:
        return _parse_sweep(parser, bodies, observed_at)
    if parser.merge_pages is not None:
        return _parse_pages(parser, bodies, observed_at)
    failures: list[str] = []
    for url, body in bodies:
        output = _try_parse(parser, url, body, observed_at, failures)
        if output is not None:
            return ParseResult(output.records, warnings=output.warnings + failures,
                               suspect=output.suspect)
    return ParseResult(None, error="; ".join(failures))


def _parse_pages(parser: Parser, bodies: Sequence[tuple[str, bytes]],
                 observed_at: datetime) -> ParseResult:
    """Every page parsed, records merged. A page that fails makes the run partial with an
    empty scope: it may add and change, but closes nothing, since any model's prices may
    continue on the page that is missing."""
    assert parser.merge_pages is not None
    records: list[AnyRecord] = []
    warnings: list[str] = []
    failures: list[str] = []
    suspects: list[str] = []
    for url, body in bodies:
        output = _try_parse(parser, url, body, observed_at, failures)
        if output is None:
            continue
        records.extend(output.records)
        warnings.extend(output.warnings)
        if output.suspect:
            suspects.append(_with_url(output.suspect, url))
    if failures and not records:
        return ParseResult(None, error="; ".join(failures))
    merged, conflicts = parser.merge_pages(records)
    return ParseResult(merged, scope_models=set() if failures else None,
                       partial=bool(failures),
                       warnings=failures + warnings + conflicts,
                       suspect="; ".join(suspects) or None)


def _parse_sweep(parser: Parser, bodies: Sequence[tuple[str, bytes]],
                 observed_at: datetime) -> ParseResult:
    assert parser.per_body_scope is not None
    records: list[AnyRecord] = []
    scope: set[tuple[str, str]] = set()
    failures: list[str] = []
    warnings: list[str] = []
    for url, body in bodies:
        try:
            model = parser.per_body_scope(body, url)
        except (ParseError, RecordError) as error:
            failures.append(_with_url(str(error), url))
            continue
        if model in scope:  # two URLs answered for one model: keep the first
            warnings.append(f"{parser.name}: {url} repeats model {model[1]}; ignored")
            continue
        output = _try_parse(parser, url, body, observed_at, failures)
        if output is None:
            continue
        records.extend(output.records)
        warnings.extend(output.warnings)
        if model is not None:
            scope.add(model)
    if not scope and failures:
        return ParseResult(None, error=f"{parser.name}: every body failed; first: {failures[0]}")
    shown = failures[:20] + ([f"... and {len(failures) - 20} more"] if len(failures) > 20 else [])
    return ParseResult(records, scope_models=scope, partial=bool(failures),
                       warnings=shown + warnings)


def _with_url(message: str, url: str) -> str:
    return message if url in message else f"{message} [{url}]"


def parse_records_file(body: bytes, observed_at: datetime) -> list[AnyRecord]:
    """The JSON-lines record contract itself, so `parse X f | ingest records -` works."""
    return parse_jsonl(body, source="records")


register(Parser("records", parse_records_file,
                "JSON lines in the record format of `pricewatch parse` (DESIGN.md section 6)"))

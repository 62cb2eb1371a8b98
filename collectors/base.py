"""What every source shares: its typed error, its `Source` description, and run assembly.

Parsers are pure: bytes, the observation time and the provider's options in, records out.
No I/O, no clock, no database. The same function reads a live response, a file and an
archived body; its options (the provider's settings section) reach it as an argument, so
`pricewatch parse`, `ingest` and `collect` read a body the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple

from pydantic import SecretStr

from pricewatch.collectors.fetch import Request
from pricewatch.errors import PricewatchError
from pricewatch.records import AnyRecord, ParseResult, RecordError, parse_jsonl


class ParseError(PricewatchError):
    """A body the parser cannot read. Names the source (and the URL when known)."""

    def __init__(self, source: str, message: str, url: str | None = None) -> None:
        self.source = source
        self.reason = message
        self.url = url
        where = f"{source} ({url})" if url else source
        super().__init__(f"{where}: {message}")


@dataclass(frozen=True)
class Unread:
    """Something a parser saw and did not read (a key, a column, a row, a section): where,
    in how many items, and one item that had it. Recorded with the run, never silent."""

    path: str
    count: int
    example: str


class UnreadLog:
    """What one parse did not read, counted per path with its first example."""

    def __init__(self, prefix: str = "") -> None:
        self.prefix = prefix
        self._seen: dict[str, list[Any]] = {}

    def note(self, path: str, example: str, count: int = 1) -> None:
        entry = self._seen.setdefault(self.prefix + path, [0, example])
        entry[0] += count

    def keys(self, item: Mapping[str, Any], read: Iterable[str], example: str,
             path: str = "") -> None:
        """Note the keys of `item` that are not in `read` (a parser's list of what it reads
        or knowingly passes over)."""
        known = set(read)
        for key in item:
            if key not in known:
                self.note(f"{path}{key}", example)

    def items(self) -> tuple[Unread, ...]:
        return tuple(Unread(path, count, str(example)[:200])
                     for path, (count, example) in sorted(self._seen.items()))


def merge_unread(groups: Iterable[Iterable[Unread]]) -> tuple[Unread, ...]:
    """Several parses' unread items as one: counts add up, the first example stays."""
    log = UnreadLog()
    for group in groups:
        for item in group:
            log.note(item.path, item.example, item.count)
    return log.items()


class ParseOutput(NamedTuple):
    """Records plus warnings a reader should see (e.g. an unrendered placeholder).

    `suspect` is the parser's own verdict that the body is not what it should be (most of a
    page's tables unreadable): the run is archived and reported and writes no history.
    `unread` is what the body held that the parser did not read (format drift).
    `left_out` counts items (models) the parser could not read and left out, each named in
    `warnings`; `scope` then holds the (provider, model) pairs it did read: the run is
    partial and closes nothing of the others."""

    records: list[AnyRecord]
    warnings: list[str]
    suspect: str | None = None
    unread: tuple[Unread, ...] = ()
    left_out: int = 0
    scope: frozenset[tuple[str, str]] | None = None


@dataclass(frozen=True)
class PlanContext:
    """What a source's plan may use besides its options: facts the pipeline read first."""

    catalogue: tuple[str, ...] = ()  # model ids a sweep walks
    secrets: Mapping[str, SecretStr] = field(default_factory=dict)


@dataclass(frozen=True)
class DirectoryOptions:
    """A parser's options when its routes are keyed on an aggregator's provider directory:
    the provider's settings section and the directory's display names (lower case) -> slugs,
    as the warehouse holds them (the pipeline reads them before parsing)."""

    settings: Any
    slugs: Mapping[str, str] = field(default_factory=dict)


ParseFn = Callable[[bytes, datetime, Any], "list[AnyRecord] | ParseOutput"]
PlanFn = Callable[[Any, PlanContext], list[Request]]
ScopeFn = Callable[[bytes, str], tuple[str, str] | None]
MergeFn = Callable[[list[AnyRecord]], tuple[list[AnyRecord], list[str]]]
NextPageFn = Callable[[Any, Request, bytes], Request | None]


@dataclass(frozen=True)
class Source:
    """One source: which requests a run makes, how its bodies parse, and when it runs.

    - `parse(body, observed_at, options)`, pure; `options` is the provider's settings
      section (`settings.<provider>`), or None for the `records` format.
    - `plan(options, context)` the requests of one run; None for a format that is read
      from files only (`records`).
    - `schedule` the default seconds between runs (or a cron expression); `[daemon.schedule]`
      overrides it.
    - `needs` a source whose current models this one walks (endpoints walk the catalogue):
      it runs after that one, and waits for it when its input is missing.
    - `scope` marks a sweep: one body per model, each its own scope; a failed body makes
      the run partial.
    - `merge_pages` marks bodies that are different pages of one snapshot, merged into one
      record per key; `next_page` marks a paginated listing.
    - `directory` names a source whose provider directory keys this parser's routes (its
      options are then `DirectoryOptions`).
    Otherwise a run's bodies are alternatives of one snapshot: the first that parses wins.
    """

    name: str
    provider: str
    description: str
    parse: ParseFn
    plan: PlanFn | None = None
    schedule: int | str = 3600
    needs: str | None = None
    secret_env: str | None = None
    scope: ScopeFn | None = None
    merge_pages: MergeFn | None = None
    next_page: NextPageFn | None = None
    directory: str | None = None

    @property
    def sweep(self) -> bool:
        return self.scope is not None

    @property
    def collectable(self) -> bool:
        return self.plan is not None

    def section(self, settings: Any) -> Any:
        """What this source's plan reads from the settings: its provider's section."""
        return getattr(settings, self.provider, None) if self.provider else None

    def options(self, settings: Any, slugs: Mapping[str, str] | None = None) -> Any:
        """What the parser reads: the provider's section, and for a source keyed by a
        provider directory (`directory`), that directory's display name -> slug too."""
        if self.directory is None:
            return self.section(settings)
        return DirectoryOptions(self.section(settings), dict(slugs or {}))

    def run_parser(self, body: bytes, observed_at: datetime, options: Any) -> ParseOutput:
        """Call the parser; every parser's result becomes (records, warnings, suspect)."""
        result = self.parse(body, observed_at, options)
        return result if isinstance(result, ParseOutput) else ParseOutput(result, [])


def parse_records_file(body: bytes, observed_at: datetime, options: Any = None
                       ) -> ParseOutput:
    """The JSON-lines record contract itself, so `parse X f | ingest records -` works. Keys
    the contract does not define are allowed and recorded as unread (`price.my_key`)."""
    extra: dict[str, list[Any]] = {}
    records = parse_jsonl(body, source="records", extra=extra)
    unread = UnreadLog()
    for path, (count, example) in extra.items():
        unread.note(path, example, count)
    return ParseOutput(records, [], None, unread.items())


# Not collected from anywhere: the format `pricewatch parse` prints and `ingest records` reads.
RECORDS = Source("records", "", "JSON lines in the record format of `pricewatch parse` "
                 "(DESIGN.md section 6)", parse_records_file)


def _try_parse(source: Source, url: str, body: bytes, observed_at: datetime, options: Any,
               failures: list[str]) -> ParseOutput | None:
    """One body's output, or None with the reason (naming the URL) added to `failures`."""
    try:
        return source.run_parser(body, observed_at, options)
    except (ParseError, RecordError) as error:
        failures.append(_with_url(str(error), url))
    except RecursionError:
        failures.append(_with_url(f"{source.name}: body nested too deeply to read", url))
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


def parse_bodies(source: Source, bodies: Sequence[tuple[str, bytes]],
                 observed_at: datetime, options: Any) -> ParseResult:
    """Parse a run's bodies into one snapshot; never raises for bad input.

    A snapshot source's bodies are alternatives (a page and its markdown rendering): the
    first that parses is the snapshot. A sweep keeps every body that parsed (the run is
    `partial` when some did not) and limits the snapshot's scope to their models.
    """
    if not bodies:
        return ParseResult(None, error=f"{source.name}: no body to parse")
    if source.scope is not None:
        return _parse_sweep(source, bodies, observed_at, options)
    if source.merge_pages is not None:
        return _parse_pages(source, bodies, observed_at, options)
    failures: list[str] = []
    for url, body in bodies:
        output = _try_parse(source, url, body, observed_at, options, failures)
        if output is not None:
            return ParseResult(output.records, warnings=output.warnings + failures,
                               suspect=output.suspect, unread=output.unread,
                               scope_models=None if output.scope is None else set(output.scope),
                               partial=output.left_out > 0, left_out=output.left_out)
    return ParseResult(None, error="; ".join(failures))


def _parse_pages(source: Source, bodies: Sequence[tuple[str, bytes]],
                 observed_at: datetime, options: Any) -> ParseResult:
    """Every page parsed, records merged. A page that fails makes the run partial with an
    empty scope: it may add and change, but closes nothing, since any model's prices may
    continue on the page that is missing. The page is recorded as unread (format drift: a
    known section gone), so it shows in `status` and raises an alert, not only a warning."""
    assert source.merge_pages is not None
    records: list[AnyRecord] = []
    warnings: list[str] = []
    failures: list[str] = []
    suspects: list[str] = []
    unread: list[tuple[Unread, ...]] = []
    for url, body in bodies:
        output = _try_parse(source, url, body, observed_at, options, failures)
        if output is None:
            unread.append((Unread(f"page {url}: nothing recognised", 1, failures[-1]),))
            continue
        records.extend(output.records)
        warnings.extend(output.warnings)
        unread.append(output.unread)
        if output.suspect:
            suspects.append(_with_url(output.suspect, url))
    if failures and not records:
        return ParseResult(None, error="; ".join(failures))
    merged, conflicts = source.merge_pages(records)
    return ParseResult(merged, scope_models=set() if failures else None,
                       partial=bool(failures),
                       warnings=failures + warnings + conflicts,
                       suspect="; ".join(suspects) or None, unread=merge_unread(unread))


def _parse_sweep(source: Source, bodies: Sequence[tuple[str, bytes]],
                 observed_at: datetime, options: Any) -> ParseResult:
    assert source.scope is not None
    records: list[AnyRecord] = []
    scope: set[tuple[str, str]] = set()
    failures: list[str] = []
    warnings: list[str] = []
    unread: list[tuple[Unread, ...]] = []
    for url, body in bodies:
        try:
            model = source.scope(body, url)
        except (ParseError, RecordError) as error:
            failures.append(_with_url(str(error), url))
            continue
        if model in scope:  # two URLs answered for one model: keep the first
            warnings.append(f"{source.name}: {url} repeats model {model[1]}; ignored")
            continue
        output = _try_parse(source, url, body, observed_at, options, failures)
        if output is None:
            continue
        records.extend(output.records)
        warnings.extend(output.warnings)
        unread.append(output.unread)
        if model is not None:
            scope.add(model)
    if not scope and failures:
        return ParseResult(None, error=f"{source.name}: every body failed; first: {failures[0]}")
    shown = failures[:20] + ([f"... and {len(failures) - 20} more"] if len(failures) > 20 else [])
    return ParseResult(records, scope_models=scope, partial=bool(failures),
                       warnings=shown + warnings, unread=merge_unread(unread))


def _with_url(message: str, url: str) -> str:
    return message if url in message else f"{message} [{url}]"

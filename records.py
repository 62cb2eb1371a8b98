"""Normalised records: what parsers produce and what ingest stores.

The JSON-lines form of these records (`pricewatch parse` prints it, `pricewatch ingest
records` reads it) is a public contract, see DESIGN.md section 6. Prices are `Decimal`
end to end; a float never touches them.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
    field_validator,
    model_validator,
)

from pricewatch.collectors import PROVIDER_NAMES
from pricewatch.errors import PricewatchError
from pricewatch.money import ONE_MILLION
from pricewatch.text import decimal_text, iso_utc, parse_timestamp

# The providers pricewatch collects (their collector packages, in run order). Configuration
# may add Hugging Face router providers, so the field accepts any slug.
PROVIDERS = PROVIDER_NAMES
Provider = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9._-]{0,59}$")]

# Units are named, never implied. Token prices are always USD per 1M tokens.
UNITS = (
    "per_1m_tokens",
    "per_request",
    "per_image",
    "per_megapixel",
    "per_second",
    "per_minute",
    "per_1k_characters",
    "per_1k_searches",
)
Unit = Literal[
    "per_1m_tokens",
    "per_request",
    "per_image",
    "per_megapixel",
    "per_second",
    "per_minute",
    "per_1k_characters",
    "per_1k_searches",
]
ServiceTier = Literal["standard", "batch", "flex", "priority"]
OfferStatus = Literal["available", "preview", "deprecated", "retiring", "unavailable"]
RateLimitMetric = Literal[
    "requests_per_second",
    "requests_per_minute",
    "requests_per_day",
    "tokens_per_minute",
    "tokens_per_day",
    "input_tokens_per_minute",
    "output_tokens_per_minute",
    "fixed_quota",
    "credits",
    "usage",
]

# A price's time window, in UTC: the days (three-letter names in week order, "" for every
# day) and the minutes of the day [start, end) it holds on. No window: "", 0, 1440.
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAY_MINUTES = 1440

# DECIMAL(38,18) in DuckDB: more fractional digits would be rounded silently on insert.
PRICE_SCALE = 18
MAX_PRICE = Decimal(10) ** (38 - PRICE_SCALE)


class RecordError(PricewatchError):
    """Input that is not a valid record. Names the source, the line and the field."""

    def __init__(self, source: str, message: str, *, line: int | None = None,
                 field: str | None = None) -> None:
        self.source = source
        self.line = line
        self.field = field
        self.reason = message
        where = source
        if line is not None:
            where += f", line {line}"
        if field:
            where += f", field '{field}'"
        super().__init__(f"{where}: {message}")


def _check_price(value: Decimal | None) -> Decimal | None:
    if value is None:
        return None
    if not value.is_finite():
        raise ValueError("price must be a finite number")
    if value < 0:
        raise ValueError("price must not be negative")
    if value >= MAX_PRICE:
        raise ValueError(f"price must be below {MAX_PRICE}")
    exponent = value.normalize().as_tuple().exponent
    if isinstance(exponent, int) and exponent < -PRICE_SCALE:
        raise ValueError(f"price has more than {PRICE_SCALE} decimal places")
    return value


def _check_aware(value: datetime | None) -> datetime | None:
    if value is not None and (value.tzinfo is None or value.utcoffset() is None):
        raise ValueError("timestamp must carry a timezone (e.g. 2026-01-29T00:00:00Z)")
    return value


def utc_days_text(value: object) -> str:
    """The canonical text of a set of weekdays: `"sat,sun"` from "sun,sat", ["Saturday",
    "sunday"] or "sat, sun"; every day (or none named) is "", no day condition."""
    if value is None:
        return ""
    items = value.split(",") if isinstance(value, str) else value
    if not isinstance(items, list | tuple):
        raise ValueError("utc_days must be a list of weekday names or a comma-separated text")
    days = set()
    for item in items:
        name = item.strip().lower() if isinstance(item, str) else None
        if name == "":
            continue
        day = next((d for d in WEEKDAYS if name in (d, _DAY_NAMES[d])), None)
        if day is None:
            raise ValueError(f"utc_days: {item!r} is not a weekday name")
        days.add(day)
    return "" if len(days) in (0, len(WEEKDAYS)) else ",".join(d for d in WEEKDAYS if d in days)


_DAY_NAMES = dict(zip(WEEKDAYS, ("monday", "tuesday", "wednesday", "thursday", "friday",
                                 "saturday", "sunday"), strict=True))


def _sorted_unique(values: list[str] | None) -> list[str] | None:
    return None if values is None else sorted(set(values))


def _finite(value: Decimal) -> Decimal:
    if not value.is_finite():
        raise ValueError("value must be a finite number")
    return value


Price = Annotated[Decimal, AfterValidator(_check_price)]
AwareDatetime = Annotated[datetime, AfterValidator(_check_aware)]
StrList = Annotated[list[str] | None, AfterValidator(_sorted_unique)]
Name = Annotated[str, Field(min_length=1, max_length=500)]
Count = Annotated[int, Field(ge=0)]


class _Record(BaseModel):
    # Other programs may add keys to the JSON lines: ignore them rather than refuse.
    # defer_build: the validators are built when a record is first made, not on import, so
    # a command that only reads the warehouse does not pay for them (~5 ms)
    model_config = ConfigDict(frozen=True, extra="ignore", str_strip_whitespace=True,
                              defer_build=True)

    source: str = Field(default="records", min_length=1, max_length=100)
    provider: Provider
    observed_at: AwareDatetime | None = None

    @field_validator("observed_at")
    @classmethod
    def _to_utc(cls, value: datetime | None) -> datetime | None:
        return None if value is None else value.astimezone(UTC)


class PriceRecord(_Record):
    """One price component of one offer, in a named unit."""

    kind: Literal["price"] = "price"
    model: Name
    route: str = ""
    component: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=60)]
    service_tier: ServiceTier = "standard"
    context_threshold: Count = 0
    unit: Unit
    price: Price | None
    currency: Annotated[str, Field(pattern=r"^[A-Z]{3}$")] = "USD"
    dynamic: bool = False
    effective_from: date | None = None
    # Tiered rates: this price applies from this many base units of usage (tokens for token
    # prices) in the billing period; 0 for every untiered price.
    usage_tier_start: Count = 0
    # A time-of-day / weekday price (OpenRouter's `utc_start`/`utc_end`/`utc_days`): it holds
    # on these UTC days from minute `utc_start_minute` to `utc_end_minute` (exclusive) of
    # the day; outside every window of its series the price without a window holds.
    utc_days: Annotated[str, BeforeValidator(utc_days_text)] = ""
    utc_start_minute: Annotated[int, Field(ge=0, lt=DAY_MINUTES)] = 0
    utc_end_minute: Annotated[int, Field(gt=0, le=DAY_MINUTES)] = DAY_MINUTES

    @property
    def series(self) -> tuple[object, ...]:
        """What names one price series: price_history's key without the source."""
        return (self.provider, self.model, self.route, self.component, self.service_tier,
                self.context_threshold, self.unit, self.currency, self.effective_from,
                self.usage_tier_start, self.utc_days, self.utc_start_minute,
                self.utc_end_minute)

    @property
    def windowed(self) -> bool:
        """Whether the price holds only in a time window (not at every hour of the week)."""
        return (self.utc_days, self.utc_start_minute, self.utc_end_minute) != (
            "", 0, DAY_MINUTES)

    @model_validator(mode="after")
    def _price_or_dynamic(self) -> PriceRecord:
        if self.utc_start_minute >= self.utc_end_minute:
            raise ValueError("utc_start_minute must be before utc_end_minute (a window across "
                             "midnight is two windows)")
        if self.dynamic and self.price is not None:
            raise ValueError("a dynamic price has no figure: price must be null")
        if not self.dynamic and self.price is None:
            raise ValueError("price is required unless dynamic is true")
        return self


class OfferRecord(_Record):
    """One offer: a model served by a provider on a route, with what availability means."""

    kind: Literal["offer"] = "offer"
    model: Name
    route: str = ""
    status: OfferStatus = "available"
    retiring_on: date | None = None
    display_name: str | None = None
    context_length: Count | None = None
    max_output_tokens: Count | None = None
    max_prompt_tokens: Count | None = None
    input_modalities: StrList = None
    output_modalities: StrList = None
    capabilities: StrList = None
    supported_parameters: StrList = None
    quantization: str | None = None
    # The offer this id names under another id (OpenRouter's `~vendor/...-latest` aliases and
    # their `alias_target`): one offer, so rankings leave the alias out.
    alias_of: str | None = None
    # The reasoning efforts the offer accepts (OpenRouter's `reasoning.supported_efforts`).
    reasoning_efforts: StrList = None


class RateLimitRecord(_Record):
    """A published limit. `enforced=False` with `value=None` states "not enforced"."""

    kind: Literal["rate_limit"] = "rate_limit"
    scope: Name
    metric: RateLimitMetric
    value: Price | None
    enforced: bool = True
    condition: str = ""
    note: str | None = None

    @model_validator(mode="after")
    def _value_or_not_enforced(self) -> RateLimitRecord:
        if self.enforced and self.value is None and self.note is None:
            raise ValueError("value is required unless enforced is false or a note says why")
        return self


class MeasurementRecord(_Record):
    """A volatile reading (uptime, latency, throughput): appended per run, never SCD2."""

    kind: Literal["measurement"] = "measurement"
    model: Name
    route: str = ""
    metric: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=60)]
    value: Annotated[Decimal, AfterValidator(_finite)]


class ScoreRecord(_Record):
    """One published quality figure of one benchmark run (a leaderboard row), SCD2 like a
    price: a run the leaderboard stops listing closes. `provider` is who published it
    (`aider`), `model_label` the model as published; which canonical model that is, is
    decided by the model_scores view (never here), so a wrong match can be mended without
    re-reading anything."""

    kind: Literal["score"] = "score"
    benchmark: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_.-]*$", max_length=100)]
    metric: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=60)]
    value: Annotated[Decimal, AfterValidator(_finite)]
    model_label: Name
    # the publisher's own id of the run (Aider's `dirname`): two runs of one model are two
    run_label: Annotated[str, Field(max_length=500)] = ""
    # how the run was made, as `name=value` pairs joined by "; " (edit format, reasoning
    # effort, editor model): "" for the plain run
    variant: Annotated[str, Field(max_length=500)] = ""
    # the model as the run's command named it (`openrouter/openai/o1`), when it did
    model_ref: str | None = None
    # two models in one run (an architect and an editor): never one model's score
    combined: bool = False
    run_date: date | None = None
    seconds_per_case: Annotated[Decimal, AfterValidator(_finite)] | None = None
    # the run's whole cost in USD as published (Aider writes 0 where it was not known)
    total_cost_usd: Annotated[Decimal, AfterValidator(_finite)] | None = None
    licence: str = ""
    attribution: str = ""


class MapAuditRecord(_Record):
    """One component of one community price map's entry, as a scheduled audit compared it
    with the provider's own price (`pricewatch audit`; source `audit.<map>`): SCD2 like a
    price, so a disagreement has a first and a last day. `provider` and `model` are the
    offer, `map_key` the map's own key; `map_class` is agree, wrong, stale, unit_error or
    missing_component; a side without a price is None, never 0."""

    kind: Literal["map_audit"] = "map_audit"
    model: Name
    map_key: Annotated[str, Field(min_length=1, max_length=500)]
    component: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=60)]
    service_tier: ServiceTier = "standard"
    context_threshold: Count = 0
    unit: Unit
    map_class: Literal["agree", "wrong", "stale", "unit_error", "missing_component"]
    map_price: Price | None = None
    provider_price: Price | None = None
    map_field: str | None = None  # the map's own field name


class ProviderRecord(_Record):
    """An upstream provider in an aggregator's directory (no prices)."""

    kind: Literal["provider"] = "provider"
    slug: Name
    name: str | None = None
    headquarters: str | None = None
    datacenters: StrList = None
    status_page_url: str | None = None
    privacy_policy_url: str | None = None
    terms_of_service_url: str | None = None


Record = Annotated[
    PriceRecord | OfferRecord | RateLimitRecord | MeasurementRecord | ProviderRecord
    | ScoreRecord | MapAuditRecord,
    Field(discriminator="kind"),
]
_RECORD = TypeAdapter(Record, config=ConfigDict(defer_build=True))
KINDS = ("price", "offer", "rate_limit", "measurement", "provider", "score", "map_audit")


def record_error(source: str, error: ValidationError, line: int | None = None) -> RecordError:
    """The first validation problem, as a RecordError naming source, line and field."""
    first = error.errors(include_url=False)[0]
    field = ".".join(str(part) for part in first["loc"] if not isinstance(part, int))
    # The discriminator tag shows up as the first loc part ("price.unit"): drop it.
    head, _, rest = field.partition(".")
    if head in KINDS and rest:
        field = rest
    message = first["msg"].removeprefix("Value error, ")
    if first["type"] == "union_tag_invalid":
        field, message = "kind", f"kind must be one of {', '.join(KINDS)}"
    elif first["type"] == "union_tag_not_found":
        field, message = "kind", f"missing kind ({', '.join(KINDS)})"
    return RecordError(source, message, line=line, field=field or None)


def validate_record(data: dict[str, Any], source: str) -> AnyRecord:
    """Build one record from a dict, re-raising problems with the source named."""
    try:
        return _RECORD.validate_python(data)
    except ValidationError as error:
        raise record_error(source, error) from None


AnyRecord = (PriceRecord | OfferRecord | RateLimitRecord | MeasurementRecord | ProviderRecord
             | ScoreRecord | MapAuditRecord)


def parse_jsonl(body: bytes, source: str = "records",
                extra: dict[str, list[Any]] | None = None) -> list[AnyRecord]:
    """Read the JSON-lines record format. All or nothing: one bad line rejects the file.

    Keys a record does not have are allowed (other programs add their own); with `extra`,
    each is counted there by name with the first line that had it, so it is not silent."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as error:
        raise RecordError(source, f"not UTF-8 text ({error.reason} at byte {error.start})") \
            from None
    records: list[AnyRecord] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line, parse_float=Decimal)
        except json.JSONDecodeError as error:
            raise RecordError(source, f"not a JSON object ({error.msg})", line=number) from None
        if not isinstance(data, dict):
            raise RecordError(source, "not a JSON object", line=number)
        try:
            record = _RECORD.validate_python(data)
        except ValidationError as error:
            raise record_error(source, error, line=number) from None
        records.append(record)
        if extra is not None:
            for key in data.keys() - type(record).model_fields.keys() - {"kind"}:
                extra.setdefault(f"{record.kind}.{key}", [0, f"line {number}"])[0] += 1
    if not records:
        raise RecordError(source, "no records found")
    return records


def to_json_dict(record: AnyRecord) -> dict[str, Any]:
    """The contract form of a record: decimals as text, dates as ISO strings."""
    data = record.model_dump(mode="python")
    data = {"kind": data.pop("kind"), **data}
    for name, value in data.items():
        if isinstance(value, Decimal):
            data[name] = decimal_text(value)
        elif isinstance(value, datetime):
            data[name] = iso_utc(value)
        elif isinstance(value, date):
            data[name] = value.isoformat()
    return data


def to_jsonl(records: Iterable[AnyRecord]) -> Iterator[str]:
    for record in records:
        yield json.dumps(to_json_dict(record), ensure_ascii=False)


@dataclass(frozen=True)
class FetchedBody:
    """One response (or a file read for backfill) as fetch hands it to the archive.

    No request headers: an Authorization header can never reach the archive from here.
    """

    url: str
    fetched_at: datetime
    content: bytes | None
    status_code: int | None = None
    etag: str | None = None
    last_modified: str | None = None
    content_type: str | None = None
    elapsed_ms: float | None = None
    error: str | None = None
    # A 304 kept in the spool: the archived body whose validators the request sent, so the
    # drain resolves it to that body, not to whatever is newest by then.
    not_modified_sha256: str | None = None

    @property
    def sha256(self) -> str | None:
        return None if self.content is None else hashlib.sha256(self.content).hexdigest()


@dataclass
class ParseResult:
    """A run's parsed snapshot, as ingest takes it.

    `scope_models` is None for a full snapshot (absent keys are unlisted); for a sweep it
    holds the (provider, model) pairs actually fetched, and only their absent keys close.
    `error` set means the run failed and writes no history; `suspect` set means the parser
    judged the body wrong (a changed layout): the run is suspect and writes no history.
    """

    records: list[AnyRecord] | None
    scope_models: set[tuple[str, str]] | None = None
    partial: bool = False
    error: str | None = None
    warnings: list[str] = field(default_factory=list)
    suspect: str | None = None
    # What the bodies held that the parser did not read (collectors.base.Unread): stored
    # with the run, so a format change is a message, not a silent hole.
    unread: tuple[Any, ...] = ()
    # Items the parser could not read and left out (named in warnings): the run is partial,
    # yet still judged against the last good run (a body mostly unreadable is suspect).
    left_out: int = 0

    @property
    def messages(self) -> list[str]:
        return self.warnings


__all__ = [
    "ONE_MILLION",
    "PROVIDERS",
    "UNITS",
    "AnyRecord",
    "FetchedBody",
    "MapAuditRecord",
    "MeasurementRecord",
    "OfferRecord",
    "ParseResult",
    "PriceRecord",
    "ProviderRecord",
    "RateLimitRecord",
    "RecordError",
    "ScoreRecord",
    "decimal_text",
    "parse_jsonl",
    "parse_timestamp",
    "to_json_dict",
    "to_jsonl",
    "validate_record",
]

"""OpenRouter's conditional prices, `pricing.overrides` (the SDK's `PricingOverride`), as
price records keyed by context threshold and time window.

An entry applies to a request when all of its conditions match: `min_prompt_tokens` (a
long-context tier: the prompt has at least that many tokens), `utc_start`/`utc_end` (HHMM,
UTC; a window may wrap midnight; `utc_end` 0 is midnight) and `utc_days` (weekday names).
Among applicable entries later ones win per price key; a key an entry does not list
inherits the base price.

The order of entries matters to OpenRouter but not to a row in the warehouse, so the
schedule is resolved here, once, into rows that need no order to read:

- per context threshold T (0 and every `min_prompt_tokens`), the price without a window:
  for T = 0 the base price with the unconditional entries applied, for T > 0 the keys
  that entries of a tier up to T set (those rows are what a long prompt pays);
- windowed rows (UTC days, minutes [start, end) of the day, never across midnight) where
  the price in force differs from what the rows without that window give.

Reading a price at threshold T and time t is then: the row of T whose window holds t, else
T's row without a window, else the row of 0 whose window holds t, else the base row. The
views and `cost_of` read it so; a hypothesis test checks the two readings agree.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import pairwise
from typing import Any

from pricewatch.errors import InputError
from pricewatch.records import DAY_MINUTES, WEEKDAYS

# The conditions of an entry; every other key of it is a price.
CONDITIONS = ("min_prompt_tokens", "utc_start", "utc_end", "utc_days")
# (days, start minute, end minute): one window of a row; ("", 0, 1440) is none.
Window = tuple[str, int, int]
NO_WINDOW: Window = ("", 0, DAY_MINUTES)
_DAY_NAMES = {**{d: i for i, d in enumerate(WEEKDAYS)},
              **{name: i for i, name in enumerate(("monday", "tuesday", "wednesday",
                                                   "thursday", "friday", "saturday",
                                                   "sunday"))}}


class OverrideError(InputError, ValueError):
    """An entry that cannot be placed (its condition is unreadable): it is left out."""


@dataclass(frozen=True)
class Override:
    """One entry: its conditions and the prices it sets (raw text, OpenRouter's units)."""

    tier: int = 0  # min_prompt_tokens; 0 when the entry has none
    days: frozenset[int] | None = None  # 0 = Monday
    span: tuple[int, int] | None = None  # minutes of the day; start >= end wraps midnight
    values: dict[str, Any] = field(default_factory=dict)

    @property
    def timed(self) -> bool:
        return self.days is not None or self.span is not None

    def holds(self, threshold: int, day: int, minute: int) -> bool:
        if self.tier > threshold or (self.days is not None and day not in self.days):
            return False
        if self.span is None:
            return True
        start, end = self.span
        if start == end:  # a window of no length is read as the whole day
            return True
        return start <= minute < end if start < end else (minute >= start or minute < end)


def hhmm_minutes(raw: Any, name: str) -> int:
    """Minutes of the day from OpenRouter's HHMM (`1600`, `"16:00"`, `0`); 2400 is midnight."""
    if isinstance(raw, bool):
        raise OverrideError(f"{name} {raw!r} is not an HHMM time")
    text = str(raw).strip().replace(":", "") if isinstance(raw, int | str) else ""
    if not text.isdigit() or len(text) > 4:
        raise OverrideError(f"{name} {raw!r} is not an HHMM time")
    hours, minutes = divmod(int(text), 100)
    if minutes >= 60 or hours > 24 or (hours == 24 and minutes):
        raise OverrideError(f"{name} {raw!r} is not an HHMM time")
    return hours * 60 + minutes


def read_override(entry: Any, is_price: Callable[[str, Any], bool]) -> Override:
    """One `overrides[]` entry; an OverrideError when a condition cannot be read or a key
    looks like a condition pricewatch does not know (the entry could not be placed)."""
    if not isinstance(entry, dict):
        raise OverrideError("an entry is not an object")
    unknown = [k for k in entry if k not in CONDITIONS and not is_price(k, entry[k])]
    if unknown:
        raise OverrideError(f"unknown condition {', '.join(sorted(unknown))}")
    tier = entry.get("min_prompt_tokens", 0)
    if isinstance(tier, bool) or not isinstance(tier, int | Decimal) or tier < 0 \
            or tier != int(tier):
        raise OverrideError(f"min_prompt_tokens {tier!r} is not a token count")
    span = None
    if "utc_start" in entry or "utc_end" in entry:
        if "utc_start" not in entry or "utc_end" not in entry:
            raise OverrideError("a time window needs both utc_start and utc_end")
        span = (hhmm_minutes(entry["utc_start"], "utc_start") % DAY_MINUTES,
                hhmm_minutes(entry["utc_end"], "utc_end") % DAY_MINUTES)
    days = None
    if "utc_days" in entry:
        listed = entry["utc_days"]
        if not isinstance(listed, list) or not listed or not all(
                isinstance(d, str) and d.strip().lower() in _DAY_NAMES for d in listed):
            raise OverrideError(f"utc_days {listed!r} is not a list of weekday names")
        days = frozenset(_DAY_NAMES[d.strip().lower()] for d in listed)
    values = {k: v for k, v in entry.items() if k not in CONDITIONS}
    return Override(int(tier), days, span, values)


def resolve(base: dict[str, Decimal], entries: Sequence[Override],
            ) -> dict[tuple[int, Window], dict[str, Decimal]]:
    """The rows of a conditional schedule: (threshold, window) -> key -> value, in
    OpenRouter's units. Values are Decimals (already read); order is resolved away."""
    thresholds = sorted({0} | {e.tier for e in entries})
    cuts = sorted({0, DAY_MINUTES} | {m for e in entries if e.span for m in e.span})
    segments = [(day, a, b) for day in range(7) for a, b in pairwise(cuts)]
    rows: dict[tuple[int, Window], dict[str, Decimal]] = {}
    defaults: dict[int, dict[str, Decimal]] = {}
    windowed: dict[int, dict[tuple[int, int, int], dict[str, Decimal]]] = {}
    for threshold in thresholds:
        untimed = [e for e in entries if not e.timed and e.tier <= threshold]
        default = _apply(base, untimed)
        own = default if threshold == 0 else {
            k: default[k] for e in untimed if e.tier > 0 for k in e.values
            if default[k] != 0 or k in defaults[0]}
        defaults[threshold] = dict(own)
        windowed[threshold] = {}
        for day, a, b in segments:
            now = _apply(base, [e for e in entries if e.holds(threshold, day, a)])
            differs = {}
            for key, value in now.items():
                fallback = _fallback(key, threshold, (day, a, b), defaults, windowed)
                if fallback is None and value == 0:
                    continue  # an explicit zero of a price not published otherwise: absent
                if fallback is None or fallback != value:
                    differs[key] = value
            if differs:
                windowed[threshold][(day, a, b)] = differs
        for key, value in _constant_over_week(windowed[threshold], len(segments)).items():
            defaults[threshold][key] = value  # a window over the whole week is no window
            for values in windowed[threshold].values():
                values.pop(key, None)
        if defaults[threshold]:
            rows[(threshold, NO_WINDOW)] = defaults[threshold]
        for window, values in _windows(windowed[threshold]).items():
            rows[(threshold, window)] = values
    return rows


def _apply(base: dict[str, Decimal], entries: Iterable[Override]) -> dict[str, Decimal]:
    prices = dict(base)
    for entry in entries:
        prices.update(entry.values)
    return prices


def _fallback(key: str, threshold: int, segment: tuple[int, int, int],
              defaults: dict[int, dict[str, Decimal]],
              windowed: dict[int, dict[tuple[int, int, int], dict[str, Decimal]]],
              ) -> Decimal | None:
    """What the rows other than `threshold`'s windows give for `key` in `segment`."""
    if key in defaults[threshold]:
        return defaults[threshold][key]
    if threshold and key in windowed[0].get(segment, {}):
        return windowed[0][segment][key]
    return defaults[0].get(key)


def _constant_over_week(segments: dict[tuple[int, int, int], dict[str, Decimal]],
                        count: int) -> dict[str, Decimal]:
    """Keys whose windowed value is the same in every segment of the week."""
    if len(segments) < count:
        return {}
    first = next(iter(segments.values()))
    return {k: v for k, v in first.items()
            if all(values.get(k) == v for values in segments.values())}


def _windows(segments: dict[tuple[int, int, int], dict[str, Decimal]],
             ) -> dict[Window, dict[str, Decimal]]:
    """Segments merged into rows: adjacent minutes of one day with one value join, then
    days with the same minutes and value share a row."""
    spans: dict[tuple[str, int, int, Decimal], set[int]] = {}
    keys = sorted({k for values in segments.values() for k in values})
    for key in keys:
        for day in range(7):
            runs: list[list[Any]] = []
            for (seg_day, a, b), values in sorted(segments.items()):
                if seg_day != day or key not in values:
                    continue
                if runs and runs[-1][1] == a and runs[-1][2] == values[key]:
                    runs[-1][1] = b
                else:
                    runs.append([a, b, values[key]])
            for a, b, value in runs:
                spans.setdefault((key, a, b, value), set()).add(day)
    rows: dict[Window, dict[str, Decimal]] = {}
    for (key, a, b, value), days in spans.items():
        text = "" if len(days) == 7 else ",".join(WEEKDAYS[d] for d in sorted(days))
        rows.setdefault((text, a, b), {})[key] = value
    return rows
